"""Framework catalogs (controls/*.yaml) and the mapping of check results onto their controls.

Loading validates each catalog against controls/catalog.schema.json and every check id it cites
against the checks in the bundle; either failure is a CatalogError naming file, line and entry.
The mapping and status rules are pure functions: the same results always give the same statuses.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from checker.errors import CatalogError, InputError, UsageError
from checker.loaders.locate import line_of_path
from checker.loaders.yamldocs import parse_documents
from checker.model import CheckResult, Control, Framework
from checker.schema_util import first_error

SCHEMA_FILE = "catalog.schema.json"

SATISFIED = "satisfied"
SATISFIED_WITH_WAIVERS = "satisfied-with-waivers"
NOT_SATISFIED = "not-satisfied"
NOT_APPLICABLE = "not-applicable"
MANUAL = "manual"
STATUSES = (NOT_SATISFIED, SATISFIED_WITH_WAIVERS, SATISFIED, NOT_APPLICABLE, MANUAL)
EVIDENCE_KINDS = ("automated", "partial", "manual")


@dataclass
class Catalogs:
    """The loaded frameworks, plus where each cited check id sits (for error messages)."""

    frameworks: list[Framework]
    check_lines: dict[tuple[str, int, int], int]  # (file, control index, check index) → line

    def validate_references(self, check_ids: set[str]) -> None:
        """Every check a control cites must exist in the bundle."""
        for fw in self.frameworks:
            for ci, control in enumerate(fw.controls):
                for ki, check in enumerate(control.checks):
                    if check not in check_ids:
                        line = self.check_lines.get((fw.file, ci, ki))
                        where = f"{fw.file}:{line}" if line else fw.file
                        raise CatalogError(
                            f"{where}: control {control.id!r} cites check {check!r}, which "
                            "does not exist in the policy bundle",
                            hint="run `dxguard checks list` for the ids that exist",
                        )


def load_catalogs(directory: Path, display_root: Path | None = None) -> Catalogs:
    """Every *.yaml catalog in directory, schema-validated (check ids are validated later)."""
    schema_path = directory / SCHEMA_FILE
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CatalogError(f"{schema_path}: cannot read the catalog schema: {err}") from None
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise CatalogError(f"{directory}: no framework catalogs (*.yaml) found")
    frameworks: list[Framework] = []
    check_lines: dict[tuple[str, int, int], int] = {}
    for f in files:
        fw, lines = _load_one(f, validator, _display(f, display_root))
        frameworks.append(fw)
        check_lines.update({(fw.file, ci, ki): line for (ci, ki), line in lines.items()})
    ids: dict[str, str] = {}
    for fw in frameworks:
        if fw.id in ids:
            raise CatalogError(
                f"{fw.file}: framework id {fw.id!r} is already defined by "
                f"{ids[fw.id]}; framework ids must be unique"
            )
        ids[fw.id] = fw.file
    return Catalogs(frameworks, check_lines)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _load_one(
    path: Path, validator: jsonschema.Validator, display: str
) -> tuple[Framework, dict[tuple[int, int], int]]:
    try:
        raw = path.read_bytes()
        docs = parse_documents(raw.decode("utf-8"), display)
    except OSError as err:
        raise CatalogError(f"{display}: cannot read catalog: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{display}: catalog is not UTF-8 text") from None
    except InputError as err:
        raise CatalogError(err.message, hint="fix the catalog's YAML syntax") from None
    content = [d for d in docs if d.value is not None]
    if len(content) != 1:
        raise CatalogError(f"{display}: a catalog holds exactly one YAML document")
    doc = content[0]
    data = doc.value
    err = first_error(validator, data)
    if err is not None:
        keys = list(err.absolute_path)
        line = line_of_path(doc.node, keys) or doc.line
        where = _describe(data, keys)
        raise CatalogError(
            f"{display}:{line}: {where}: {err.message}",
            hint=f"the catalog must follow controls/{SCHEMA_FILE}",
        )
    fw = data["framework"]
    controls = []
    lines: dict[tuple[int, int], int] = {}
    seen: set[str] = set()
    for ci, c in enumerate(data["controls"]):
        if c["id"] in seen:
            line = line_of_path(doc.node, ["controls", ci, "id"]) or doc.line
            raise CatalogError(f"{display}:{line}: control {c['id']!r} appears twice")
        seen.add(c["id"])
        for ki in range(len(c.get("checks", []))):
            lines[(ci, ki)] = line_of_path(doc.node, ["controls", ci, "checks", ki]) or doc.line
        controls.append(
            Control(
                id=c["id"],
                title=c["title"],
                requirement=" ".join(c["requirement"].split()),
                evidence=c["evidence"],
                checks=tuple(c.get("checks", [])),
                citation=c["citation"],
                notes=" ".join(c["notes"].split()) if c.get("notes") else None,
            )
        )
    framework = Framework(
        id=fw["id"],
        title=fw["title"],
        version=str(fw["version"]),
        description=" ".join(fw["description"].split()),
        scope_notes=tuple(" ".join(n.split()) for n in fw.get("scope_notes", [])),
        controls=tuple(controls),
        file=display,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return framework, lines


def _describe(data: object, keys: list) -> str:
    """'controls[3] (21 CFR 11.10(e)).evidence' — the offending entry, by its id when it has one."""
    out = ""
    node = data
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
            node = node[k] if isinstance(node, list) and k < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" ({node['id']})"
        else:
            out += f".{k}" if out else str(k)
            node = node.get(k) if isinstance(node, dict) else None
    return out or "(top level)"


def select_frameworks(frameworks: list[Framework], wanted: list[str]) -> list[Framework]:
    if not wanted:
        return frameworks
    by_id = {f.id: f for f in frameworks}
    unknown = [w for w in wanted if w not in by_id]
    if unknown:
        raise UsageError(
            f"unknown framework {', '.join(unknown)}; available: {', '.join(sorted(by_id))}"
        )
    return [by_id[w] for w in dict.fromkeys(wanted)]


# -- mapping ----------------------------------------------------------------------------------


@dataclass
class CheckStats:
    passed: int = 0
    failed: int = 0
    waived: int = 0
    resources: set[str] = field(default_factory=set)
    failed_resources: set[str] = field(default_factory=set)

    @property
    def examined(self) -> int:
        return self.passed + self.failed + self.waived


def check_stats(results: Iterable[CheckResult]) -> dict[str, CheckStats]:
    stats: dict[str, CheckStats] = defaultdict(CheckStats)
    for r in results:
        s = stats[r.check]
        s.resources.add(r.resource)
        if r.status == "fail":
            s.failed += 1
            s.failed_resources.add(r.resource)
        elif r.status == "waived":
            s.waived += 1
        else:
            s.passed += 1
    return dict(stats)


def control_status(control: Control, stats: dict[str, CheckStats]) -> str:
    """The status rules of DESIGN.md.

    manual: needs attached evidence, never counted as satisfied. not-satisfied: any mapped check
    failed a subject (a failure only a lapsed waiver selects is still a failure).
    satisfied-with-waivers: examined, no failure left, but a waiver in force covered at least
    one. satisfied: mapped checks examined at least one subject and none failed.
    not-applicable: nothing in scope was examined.
    """
    if control.evidence == MANUAL:
        return MANUAL
    mapped = [stats[c] for c in control.checks if c in stats]
    if any(s.failed for s in mapped):
        return NOT_SATISFIED
    if sum(s.examined for s in mapped) == 0:
        return NOT_APPLICABLE
    if any(s.waived for s in mapped):
        return SATISFIED_WITH_WAIVERS
    return SATISFIED
