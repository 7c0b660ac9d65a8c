"""Load and validate the user's configuration (dxguard.yaml).

The config is data for the policies (data.dxguard.config: tiers and parameters, with every
default filled in, so Rego never repeats a default) and a record in the report. The parameter
schema is assembled from one fragment per target family in checker/schemas/parameters/. An
invalid config stops the run with exit 2, naming the file, the line and the key at fault.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jsonschema

from checker.errors import ConfigError, InputError
from checker.loaders.locate import line_of_path
from checker.loaders.yamldocs import parse_documents
from checker.paths import SCHEMAS
from checker.schema_util import error_message, first_error, load_schema
from checker.workloads import (
    BUILTIN,
    PodSpecPath,
    WorkloadKind,
    WorkloadTable,
    rego_table,
    with_declared,
)

OUT_OF_SCOPE_REASON = (
    "judges the cluster as a whole; out of scope for an application repository (config scope: "
    "application): the platform repository's scan gives this evidence"
)


@cache
def config_schema() -> dict[str, Any]:
    """config.schema.json with every parameter fragment merged into `parameters`."""
    schema = copy.deepcopy(load_schema("config.schema.json"))
    props = schema["properties"]["parameters"]["properties"]
    for fragment in sorted((SCHEMAS / "parameters").glob("*.json")):
        for name, spec in json.loads(fragment.read_text(encoding="utf-8"))["properties"].items():
            if name in props:
                raise ConfigError(f"parameter {name!r} is defined twice ({fragment.name})")
            props[name] = spec
    return schema


def parameter_defaults() -> dict[str, Any]:
    props = config_schema()["properties"]["parameters"]["properties"]
    return {name: copy.deepcopy(spec["default"]) for name, spec in props.items()}


@dataclass
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    file_sha256: str | None = None
    # Lines of entries validated after the file is read: ("checks.disabled", id) → line, and
    # ("policies" | "controls", folder as written) → line.
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    # The custom resources the config declares as workloads (config `workloads`), validated.
    declared_workloads: tuple[WorkloadKind, ...] = ()

    @cached_property
    def workloads(self) -> WorkloadTable:
        """Where objects carry pod specs: built-in and well-known kinds, plus the config's."""
        return with_declared(self.declared_workloads)

    @property
    def frameworks(self) -> list[str]:
        return list(self.data.get("frameworks", []))

    @property
    def scope(self) -> str:
        """What the repository holds: platform (everything) or application (config `scope`)."""
        return str(self.data.get("scope", "platform"))

    def out_of_scope(self, checks: Any) -> dict[str, str]:
        """Check id → why it is out of scope for this repository: under `scope: application`,
        every check that judges the cluster as a whole (and is not disabled)."""
        if self.scope != "application":
            return {}
        return {
            c.id: OUT_OF_SCOPE_REASON
            for c in checks
            if c.scope == "cluster" and c.id not in self.disabled_checks
        }

    @property
    def tiers(self) -> dict[str, Any]:
        tiers = copy.deepcopy(config_schema()["properties"]["tiers"]["default"])
        tiers.update(self.data.get("tiers", {}))
        return tiers

    @property
    def admission(self) -> dict[str, dict[str, str]]:
        """What the webhook does per tier (config `admission`, defaults filled in): enforce
        (deny | warn | dryrun) and engine_failure (deny | allow; clinical always denies)."""
        default = config_schema()["properties"]["admission"]["default"]
        given = self.data.get("admission", {})
        return {
            key: {**default[key], **given.get(key, {})} for key in ("enforce", "engine_failure")
        }

    @property
    def parameters(self) -> dict[str, Any]:
        """Effective parameters: the defaults, overridden by the config's values."""
        return {**parameter_defaults(), **self.data.get("parameters", {})}

    @property
    def disabled_checks(self) -> dict[str, str]:
        """Check id → the reason it is disabled (config `checks.disabled`)."""
        return {d["id"]: d["reason"] for d in self.data.get("checks", {}).get("disabled", [])}

    def _folders(self, key: str) -> list[str]:
        """A list of folders from the config, relative ones read from the config file's folder."""
        base = os.path.dirname(self.file) if self.file else ""
        return [os.path.normpath(os.path.join(base, p)) for p in self.data.get(key, [])]

    def folder_entries(self, key: str) -> list[tuple[str, str]]:
        """(folder, where the config names it) for `policies` or `controls`: 'file:line: key'."""
        out = []
        for raw, path in zip(self.data.get(key, []), self._folders(key), strict=True):
            line = self.lines.get((key, raw))
            where = f"{self.file}:{line}" if self.file and line else (self.file or "config")
            out.append((path, f"{where}: {key} entry {raw!r}"))
        return out

    @property
    def policy_dirs(self) -> list[str]:
        """Folders of custom Rego checks (config `policies`)."""
        return self._folders("policies")

    @property
    def control_dirs(self) -> list[str]:
        """Folders of custom catalogs (config `controls`)."""
        return self._folders("controls")

    @property
    def store(self) -> str | None:
        """The evidence store (config `store`): a URL as written, a file from the config's
        folder."""
        value = self.data.get("store")
        if not value or "://" in value:
            return value
        base = os.path.dirname(self.file) if self.file else ""
        return os.path.normpath(os.path.join(base, os.path.expanduser(value)))

    def policy_data(self) -> dict[str, Any]:
        """What the policies see as data.dxguard.config."""
        data = {"tiers": self.tiers, "parameters": self.parameters}
        if self.disabled_checks:
            # rego/main.rego evaluates no check listed here.
            data["disabled_checks"] = sorted(self.disabled_checks)
        if self.declared_workloads:
            # rego/lib/k8s.rego reads these pod specs before the built-in table's.
            data["workloads"] = rego_table(self.declared_workloads)
        return data

    @property
    def sha256(self) -> str:
        """Digest of the effective configuration (canonical JSON), file or not."""
        effective = {"frameworks": self.frameworks, **self.policy_data()}
        if self.scope != "platform":
            effective["scope"] = self.scope
        if self.disabled_checks:
            effective["disabled_checks"] = self.disabled_checks
        for key in ("policies", "controls"):
            if self.data.get(key):
                effective[key] = self.data[key]
        if self.data.get("admission"):
            effective["admission"] = self.admission
        canonical = json.dumps(effective, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_config(path: str | None) -> Config:
    if path is None:
        return Config()
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config: {err.strerror or err}") from None
    try:
        docs = parse_documents(raw.decode("utf-8-sig"), path, unique_keys=True)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config is not UTF-8 text") from None
    except InputError as err:
        raise ConfigError(err.message, hint=err.hint) from None
    content = [d for d in docs if d.value is not None]
    if len(content) != 1:
        raise ConfigError(
            f"{path}: a config file holds exactly one YAML document, found {len(content)}"
        )
    doc = content[0]
    data = doc.value
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:{doc.line}: the config must be a mapping of keys")
    validator = jsonschema.Draft202012Validator(config_schema())
    err = first_error(validator, data)
    if err is not None:
        keys = list(err.absolute_path)
        line = line_of_path(doc.node, keys) or doc.line
        where = ".".join(str(k) for k in keys) or "(top level)"
        raise ConfigError(
            f"{path}:{line}: invalid config at {where}: {error_message(err)}",
            hint="docs/configuration.md describes every key",
        )
    lines: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(data.get("checks", {}).get("disabled", [])):
        line = line_of_path(doc.node, ["checks", "disabled", i, "id"]) or doc.line
        if ("checks.disabled", entry["id"]) in lines:
            raise ConfigError(f"{path}:{line}: check {entry['id']} is disabled twice")
        lines[("checks.disabled", entry["id"])] = line
    for key in ("policies", "controls"):
        for i, folder in enumerate(data.get(key, [])):
            lines.setdefault((key, folder), line_of_path(doc.node, [key, i]) or doc.line)
    return Config(
        data=data,
        file=path,
        file_sha256=hashlib.sha256(raw).hexdigest(),
        lines=lines,
        declared_workloads=_declared_workloads(data.get("workloads", []), path, doc),
    )


_BUILTIN_KINDS = {(k.group, k.kind) for k in BUILTIN}


def _declared_workloads(entries: list[dict[str, Any]], path: str, doc: Any) -> tuple:
    """The config's `workloads` entries as WorkloadKinds: each path parsed, no kind twice, no
    built-in workload kind redeclared."""
    out: list[WorkloadKind] = []
    seen: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(entries):
        line = line_of_path(doc.node, ["workloads", i]) or doc.line
        key = (entry["group"], entry["kind"])
        name = f"{entry['kind']} ({entry['group'] or 'core'} group)"
        if key in _BUILTIN_KINDS:
            raise ConfigError(
                f"{path}:{line}: workloads declares {name}, a built-in workload kind whose pod "
                "spec dxguard already reads",
                hint="remove the entry; declare only custom resources",
            )
        if key in seen:
            raise ConfigError(
                f"{path}:{line}: workloads declares {name} twice (first at line {seen[key]})"
            )
        seen[key] = line
        paths = []
        for j, text in enumerate(entry["pod_specs"]):
            try:
                paths.append(PodSpecPath.parse(text))
            except ValueError as err:
                at = line_of_path(doc.node, ["workloads", i, "pod_specs", j]) or line
                raise ConfigError(
                    f"{path}:{at}: invalid config at workloads.{i}.pod_specs.{j}: {err}",
                    hint="docs/workloads.md describes the path syntax",
                ) from None
        out.append(WorkloadKind(entry["group"], entry["kind"], tuple(paths), f"{path}:{line}"))
    return tuple(out)
