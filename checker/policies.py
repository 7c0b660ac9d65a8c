"""The team's own Rego checks (--policy DIR, config `policies`): found, validated, located.

Before OPA starts, every custom file is checked with the real OPA (`opa check` on the built-in
bundle plus the custom files, `opa inspect -a` for packages and METADATA) and against the same
metadata schema as the built-in checks. Every problem is a PolicyError naming the file and line:
a syntax or compile error, a package dxguard would never evaluate, a package that would add
rules to a built-in check or helper, missing or invalid METADATA, an id that clashes. After OPA
has loaded the bundle, `verify_loaded` confirms each custom check defines `meta` and `subjects`.

What this module must not do: evaluate checks, or let a custom file change a built-in check.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from checker.config import config_schema
from checker.errors import EngineError, PolicyError, UsageError
from checker.schema_util import first_error, load_schema

TARGETS = ("k8s", "vm", "image")
CHECK_PACKAGE = re.compile(r"^dxguard\.checks\.(k8s|vm|image)\.[a-z0-9_]+$")
HELPER_PACKAGE = re.compile(r"^lib(\.[A-Za-z0-9_]+)+$")
OPA_TIMEOUT = 60.0
MAX_LISTED_ERRORS = 10


@dataclass(frozen=True)
class PolicyFile:
    """One custom Rego file as it enters the bundle."""

    path: str  # as the user named it (folder joined with the file's relative path)
    sha256: str
    package: str
    kind: str  # check | helper

    def to_json(self) -> dict[str, str]:
        return {"file": self.path, "sha256": self.sha256, "package": self.package}


@dataclass(frozen=True)
class CustomCheck:
    package: str
    id: str
    file: str
    line: int  # the line of the package statement


@dataclass
class CustomPolicies:
    folders: list[str] = field(default_factory=list)
    files: list[PolicyFile] = field(default_factory=list)
    checks: dict[str, CustomCheck] = field(default_factory=dict)  # by package

    def opa_paths(self) -> list[Path]:
        return [Path(f.path) for f in self.files]

    @property
    def check_ids(self) -> set[str]:
        return {c.id for c in self.checks.values()}

    def origin(self, check_id: str) -> str:
        return "custom" if check_id in self.check_ids else "builtin"


# -- running OPA's own tools ------------------------------------------------------------------


def _run_opa(opa: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [str(opa), *args],
            capture_output=True,
            text=True,
            timeout=OPA_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise EngineError(f"`opa {args[0]}` did not finish within {OPA_TIMEOUT:.0f}s") from None
    except OSError as err:
        raise EngineError(f"cannot run OPA at {opa}: {err}") from None


def _opa_json(opa: Path, args: list[str], what: str) -> Any:
    proc = _run_opa(opa, args)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise EngineError(
            f"`opa {args[0]}` gave no JSON while {what} (exit {proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[:500]}"
        ) from None


def compile_errors(opa: Path, builtin: Path, files: list[str]) -> list[str]:
    """`opa check` on the built-in bundle plus the custom files: 'file:line: code: message'."""
    proc = _run_opa(
        opa, ["check", "--format", "json", "--ignore", "*_test.rego", str(builtin), *files]
    )
    if proc.returncode == 0:
        return []
    try:
        errors = json.loads(proc.stdout or proc.stderr).get("errors", [])
    except (ValueError, AttributeError):
        text = (proc.stderr or proc.stdout).strip()
        return [text or f"opa check failed (exit {proc.returncode})"]
    out = []
    for e in errors:
        loc = e.get("location") or {}
        where = f"{loc.get('file', '?')}:{loc.get('row', '?')}"
        out.append(f"{where}: {e.get('code', 'error')}: {e.get('message', '').strip()}")
    return out or [f"opa check failed (exit {proc.returncode})"]


def _package_of(path_terms: list[dict[str, Any]]) -> str:
    return ".".join(str(t["value"]) for t in path_terms[1:])  # drop the leading `data`


def inspect(opa: Path, target: Path) -> dict[str, Any]:
    """`opa inspect -a` of a folder: {'packages': {package: [files]}, 'annotations': [...]}."""
    raw = _opa_json(opa, ["inspect", "-a", "--format", "json", str(target)], "reading METADATA")
    packages = {
        name.removeprefix("data."): list(files)
        for name, files in (raw.get("namespaces") or {}).items()
    }
    annotations = []
    for a in raw.get("annotations") or []:
        ann = a.get("annotations") or {}
        if ann.get("scope") != "package":
            continue
        annotations.append(
            {
                "package": _package_of(a.get("path") or []),
                "file": (a.get("location") or {}).get("file"),
                "annotations": ann,
            }
        )
    return {"packages": packages, "annotations": annotations}


# -- locating lines in a Rego file ------------------------------------------------------------


def _package_line(text: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\s*package\s", line):
            return i
    return 1


def _metadata_block(text: str, package_line: int) -> tuple[int, list[str]]:
    """(line of `# METADATA`, the block's comment lines) of the block above the package line."""
    lines = text.splitlines()
    start = None
    for i in range(package_line - 2, -1, -1):
        stripped = lines[i].strip()
        if not stripped.startswith("#"):
            break
        if stripped.lstrip("#").strip() == "METADATA":
            start = i
            break
    if start is None:
        return package_line, []
    return start + 1, lines[start : package_line - 1]


def _key_line(text: str, package_line: int, keys: list[Any]) -> int:
    """The line of the innermost key of a METADATA error path, else of `# METADATA`."""
    start, block = _metadata_block(text, package_line)
    names = [k for k in keys if isinstance(k, str)]
    found = start
    offset = 0
    for name in names:  # walk down: each key is searched below the previous one
        pattern = re.compile(rf"^#\s*(-\s*)?{re.escape(name)}\s*:")
        for j in range(offset, len(block)):
            if pattern.match(block[j].strip()):
                found, offset = start + j, j + 1
                break
    return found


# -- loading ----------------------------------------------------------------------------------


def _collect(folders: list[str]) -> list[tuple[str, Path]]:
    """(display path, real path) of every non-test .rego file in the folders, in order."""
    out: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for folder in folders:
        root = Path(folder)
        if not root.is_dir():
            raise UsageError(
                f"--policy {folder}: no such folder",
                hint="pass a folder that holds your .rego checks",
            )
        files = sorted(
            p for p in root.rglob("*.rego") if p.is_file() and not p.name.endswith("_test.rego")
        )
        if not files:
            raise UsageError(f"--policy {folder}: the folder holds no .rego checks")
        for p in files:
            real = p.resolve()
            if real in seen:
                continue
            seen.add(real)
            out.append(((Path(folder) / p.relative_to(root)).as_posix(), p))
    return out


def load_custom_policies(folders: list[str], opa: Path, builtin: Path) -> CustomPolicies:
    """Validate the custom policy folders against OPA and the metadata schema, before a run."""
    folders = list(dict.fromkeys(folders))
    if not folders:
        return CustomPolicies()
    files = _collect(folders)
    builtin_info = inspect(opa, builtin)
    builtin_packages = set(builtin_info["packages"])
    # A package that overlaps a built-in one (dxguard.config, lib.k8s, …) is named as such before
    # compiling: compiled with the built-ins it would show up as errors in their files instead.
    for display, real in files:
        declared = _PACKAGE_LINE.search(real.read_text(encoding="utf-8", errors="replace"))
        if declared is not None:
            line = declared.string.count("\n", 0, declared.start()) + 1
            _classify(declared.group(1), display, line, builtin_packages)
    errors = compile_errors(opa, builtin, [display for display, _ in files])
    if errors:
        shown = "\n  ".join(errors[:MAX_LISTED_ERRORS])
        more = len(errors) - MAX_LISTED_ERRORS
        raise PolicyError(
            f"the custom policies do not compile:\n  {shown}"
            + (f"\n  … and {more} more" if more > 0 else ""),
            hint="`opa check` on the file shows the same; fix the Rego at the line named",
        )

    builtin_ids = {
        a["annotations"].get("custom", {}).get("id"): a["package"]
        for a in builtin_info["annotations"]
    }

    tmp = Path(tempfile.mkdtemp(prefix="dxguard-policies-"))
    try:
        # One `opa inspect` for every custom file: copies in a private folder (so data files or
        # tests beside the checks are not read), mapped back to the user's paths.
        back: dict[str, str] = {}
        for i, (display, real) in enumerate(files):
            copy = tmp / f"f{i:05d}.rego"
            shutil.copyfile(real, copy)
            back[copy.as_posix()] = display
            back[f"f{i:05d}.rego"] = display
        info = inspect(opa, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def original(path: str | None) -> str:
        if path is None:
            return "?"
        return back.get(path) or back.get(Path(path).name) or path

    package_of: dict[str, str] = {}
    for package, paths in info["packages"].items():
        for p in paths:
            package_of[original(p)] = package
    texts = {display: real.read_text(encoding="utf-8") for display, real in files}
    result = CustomPolicies(folders=folders)
    for display, real in files:
        package = package_of.get(display, "?")
        line = _package_line(texts[display])
        kind = _classify(package, display, line, builtin_packages)
        sha = hashlib.sha256(real.read_bytes()).hexdigest()
        result.files.append(PolicyFile(display, sha, package, kind))

    validator = jsonschema.Draft202012Validator(load_schema("check-metadata.schema.json"))
    meta_by_package = {a["package"]: a for a in info["annotations"]}
    ids: dict[str, str] = {}
    for f in result.files:
        if f.kind != "check" or f.package in result.checks:
            continue
        pkg_line = _package_line(texts[f.path])
        ann = meta_by_package.get(f.package)
        if ann is None:
            raise PolicyError(
                f"{f.path}:{pkg_line}: check package {f.package} has no METADATA block",
                hint="put a `# METADATA` comment block (title, description, custom: id, family, "
                "severity, targets, remediation) right above the package line; "
                "docs/writing-checks.md shows one",
            )
        meta_file = original(ann["file"])
        meta_text = texts.get(meta_file, texts[f.path])
        meta_pkg_line = _package_line(meta_text)
        meta = {**ann["annotations"], "package": f.package}
        err = first_error(validator, meta)
        if err is not None:
            keys = list(err.absolute_path)
            where = ".".join(str(k) for k in keys) or "(metadata)"
            raise PolicyError(
                f"{meta_file}:{_key_line(meta_text, meta_pkg_line, keys)}: METADATA {where}: "
                f"{err.message}",
                hint="a custom check's METADATA follows the same schema as the built-in checks "
                "(checker/schemas/check-metadata.schema.json)",
            )
        check_id = meta["custom"]["id"]
        id_line = _key_line(meta_text, meta_pkg_line, ["custom", "id"])
        known_parameters = config_schema()["properties"]["parameters"]["properties"]
        for name in meta["custom"].get("parameters", []):
            if name not in known_parameters:
                raise PolicyError(
                    f"{meta_file}:{_key_line(meta_text, meta_pkg_line, ['custom', 'parameters'])}"
                    f": METADATA custom.parameters names {name!r}, which is not a dxguard "
                    "parameter",
                    hint="a check reads data.dxguard.config.parameters.<name> for the names in "
                    "checker/schemas/parameters/*.json (`dxguard checks list --format json`)",
                )
        if check_id in builtin_ids:
            raise PolicyError(
                f"{meta_file}:{id_line}: check id {check_id} is already the id of built-in "
                f"check {builtin_ids[check_id]}; ids must be unique",
                hint="give your check an id with your own prefix, e.g. ACME-K8S-ISO-001; to "
                "replace a built-in check, disable it in the config (checks.disabled)",
            )
        if check_id in ids:
            raise PolicyError(
                f"{meta_file}:{id_line}: check id {check_id} is also declared by {ids[check_id]}; "
                "ids must be unique"
            )
        ids[check_id] = f"{meta_file}:{id_line}"
        result.checks[f.package] = CustomCheck(f.package, check_id, meta_file, meta_pkg_line)
    return result


_PACKAGE_LINE = re.compile(r"^package[ \t]+([A-Za-z_][A-Za-z0-9_.]*)[ \t]*(?:#.*)?$", re.M)


def _classify(package: str, file: str, line: int, builtin_packages: set[str]) -> str:
    clash = next(
        (
            b
            for b in sorted(builtin_packages)
            if package == b or package.startswith(b + ".") or b.startswith(package + ".")
        ),
        None,
    )
    if clash is not None:
        raise PolicyError(
            f"{file}:{line}: package {package} overlaps the built-in package {clash}: a custom "
            "file may not add rules to a built-in check or helper",
            hint="give your check its own package, dxguard.checks.<k8s|vm|image>.<your_name>",
        )
    if CHECK_PACKAGE.match(package):
        return "check"
    if HELPER_PACKAGE.match(package):
        return "helper"
    raise PolicyError(
        f"{file}:{line}: package {package} is not one dxguard evaluates",
        hint="a check's package is dxguard.checks.<target>.<name> with target one of "
        f"{', '.join(TARGETS)}; a helper library's package starts with lib.",
    )


def verify_loaded(
    policies: CustomPolicies,
    loaded_packages: set[str],
    with_results: set[str],
    disabled: set[str] = frozenset(),
) -> None:
    """After OPA loaded the bundle: every custom check defines `meta`, and `subjects` unless the
    config disables it (a disabled check's subjects are never evaluated, not even here)."""
    for pkg, c in sorted(policies.checks.items()):
        if pkg not in loaded_packages:
            raise PolicyError(
                f"{c.file}:{c.line}: check package {pkg} defines no `meta` rule, so dxguard "
                "never evaluates it",
                hint="add `meta := check.meta(rego.metadata.chain())` (import data.lib.check)",
            )
        if pkg not in with_results and c.id not in disabled:
            raise PolicyError(
                f"{c.file}:{c.line}: check package {pkg} defines no `subjects` rule",
                hint="state each examined subject once with `subjects contains "
                'check.subject(resource, path, problem)` (problem "" when it passes); '
                "docs/writing-checks.md shows how",
            )
