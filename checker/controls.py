"""Framework catalogs (controls/*.yaml) and the mapping of check results onto their controls.

Loading validates each catalog against controls/catalog.schema.json and every check id it cites
against the checks in the bundle; either failure is a CatalogError naming file, line and entry.
The mapping and status rules are pure functions: the same results always give the same statuses.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import jsonschema

from checker.errors import CatalogError, InputError, UsageError
from checker.loaders.locate import line_of_path
from checker.loaders.yamldocs import parse_documents
from checker.model import CheckResult, Control, Framework
from checker.schema_util import describe_path, first_error

SCHEMA_FILE = "catalog.schema.json"

SATISFIED = "satisfied"
SATISFIED_WITH_WAIVERS = "satisfied-with-waivers"
# A partial control whose automated checks examined subjects and found no failure left: the
# automated part is done, the rest needs manual evidence; never read as (or counted as) satisfied.
PASSED_MANUAL_PENDING = "passed-manual-pending"
NOT_SATISFIED = "not-satisfied"
NOT_APPLICABLE = "not-applicable"
MANUAL = "manual"
# Every control status, in the order reports list them (worst first).
STATUSES = (
    NOT_SATISFIED,
    SATISFIED_WITH_WAIVERS,
    SATISFIED,
    PASSED_MANUAL_PENDING,
    NOT_APPLICABLE,
    MANUAL,
)
EVIDENCE_KINDS = ("automated", "partial", "manual")


@dataclass
class Catalogs:
    """The loaded frameworks, plus where each cited check id sits (for error messages)."""

    frameworks: list[Framework]
    # (framework id, control id, check index) → (file, line) of the cited check id
    check_lines: dict[tuple[str, str, int], tuple[str, int]]

    def validate_references(self, check_ids: set[str]) -> None:
        """Every check a control cites must exist in the bundle."""
        for fw in self.frameworks:
            for control in fw.controls:
                for ki, check in enumerate(control.checks):
                    if check not in check_ids:
                        file, line = self.check_lines.get(
                            (fw.id, control.id, ki), (control.catalog or fw.file, None)
                        )
                        where = f"{file}:{line}" if line else file
                        raise CatalogError(
                            f"{where}: control {control.id!r} cites check {check!r}, which "
                            "does not exist in the policy bundle",
                            hint="run `dxguard checks list` for the ids that exist (custom "
                            "checks need their --policy folder)",
                        )


def load_catalogs(
    directory: Path,
    display_root: Path | None = None,
    *,
    schema_path: Path | None = None,
    origin: str = "builtin",
    display_prefix: str | None = None,
) -> Catalogs:
    """Every *.yaml catalog in directory, schema-validated (check ids are validated later).

    The schema is the directory's own catalog.schema.json unless schema_path names it (custom
    catalogs are validated by the built-in schema). display_prefix, when given, names the files
    as folder/name (the folder as the user gave it).
    """
    schema_path = schema_path or directory / SCHEMA_FILE
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CatalogError(f"{schema_path}: cannot read the catalog schema: {err}") from None
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise CatalogError(f"{directory}: no framework catalogs (*.yaml) found")
    frameworks: list[Framework] = []
    check_lines: dict[tuple[str, str, int], tuple[str, int]] = {}
    for f in files:
        display = (
            f"{display_prefix.rstrip('/')}/{f.name}"
            if display_prefix is not None
            else _display(f, display_root)
        )
        fw, lines = _load_one(f, validator, display, origin)
        frameworks.append(fw)
        check_lines.update({(fw.id, cid, ki): (fw.file, line) for (cid, ki), line in lines.items()})
    if origin == "builtin":  # custom folders may hold several overlays of one framework
        _unique_framework_ids(frameworks)
    return Catalogs(frameworks, check_lines)


def _unique_framework_ids(frameworks: list[Framework]) -> None:
    ids: dict[str, str] = {}
    for fw in frameworks:
        if fw.id in ids:
            raise CatalogError(
                f"{fw.file}: framework id {fw.id!r} is already defined by "
                f"{ids[fw.id]}; framework ids must be unique",
                hint="to change a built-in framework's controls, use its framework id in a "
                "custom catalog (--controls): its controls override or extend the built-in ones",
            )
        ids[fw.id] = fw.file


def add_custom_catalogs(base: Catalogs, folders: list[str], schema_path: Path) -> Catalogs:
    """Base catalogs plus the custom catalog folders (--controls, config `controls`).

    A custom catalog whose framework id is new adds a framework. One whose framework id is a
    built-in framework's overlays it: a control with the id of a built-in control replaces that
    control (its clause, evidence kind and checks), a new control id is added, scope notes are
    appended. Two custom catalogs may not define the same control of a framework.
    """
    if not folders:
        return base
    builtin_ids = {fw.id for fw in base.frameworks}
    by_id = {fw.id: fw for fw in base.frameworks}
    order = [fw.id for fw in base.frameworks]
    check_lines = dict(base.check_lines)
    defined_by: dict[tuple[str, str], str] = {}  # (framework, control) → file:line (custom)
    new_frameworks: list[Framework] = []
    for folder in dict.fromkeys(folders):
        directory = Path(folder)
        if not directory.is_dir():
            raise UsageError(
                f"--controls {folder}: no such folder",
                hint="pass a folder that holds your catalogs (*.yaml)",
            )
        loaded = load_catalogs(
            directory, schema_path=schema_path, origin="custom", display_prefix=folder
        )
        for fw in loaded.frameworks:
            lines = {k: v for k, v in loaded.check_lines.items() if k[0] == fw.id}
            if fw.id not in builtin_ids:
                new_frameworks.append(fw)
                check_lines.update(lines)
                continue
            merged = list(by_id[fw.id].controls)
            index = {c.id: i for i, c in enumerate(merged)}
            for control in fw.controls:
                key = (fw.id, control.id)
                here = f"{fw.file}:{fw.control_lines.get(control.id, 1)}"
                if key in defined_by:
                    raise CatalogError(
                        f"{here}: control {control.id!r} of framework {fw.id!r} is also "
                        f"defined by {defined_by[key]}; one custom catalog per control",
                    )
                defined_by[key] = here
                overlay = replace(control, catalog=fw.file)
                if control.id in index:
                    merged[index[control.id]] = overlay
                else:
                    index[control.id] = len(merged)
                    merged.append(overlay)
                for k in [k for k in check_lines if k[:2] == key]:
                    del check_lines[k]
                check_lines.update({k: v for k, v in lines.items() if k[:2] == key})
            base_fw = by_id[fw.id]
            by_id[fw.id] = replace(
                base_fw,
                controls=tuple(merged),
                scope_notes=base_fw.scope_notes + fw.scope_notes,
                overlays=(*base_fw.overlays, (fw.file, fw.version, fw.sha256)),
            )
    frameworks = [by_id[i] for i in order] + new_frameworks
    _unique_framework_ids(frameworks)
    return Catalogs(frameworks, check_lines)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _load_one(
    path: Path, validator: jsonschema.Validator, display: str, origin: str = "builtin"
) -> tuple[Framework, dict[tuple[str, int], int]]:
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
        where = describe_path(data, keys)
        raise CatalogError(
            f"{display}:{line}: {where}: {err.message}",
            hint=f"the catalog must follow controls/{SCHEMA_FILE}",
        )
    fw = data["framework"]
    controls = []
    lines: dict[tuple[str, int], int] = {}
    control_lines: dict[str, int] = {}
    for ci, c in enumerate(data["controls"]):
        line = line_of_path(doc.node, ["controls", ci, "id"]) or doc.line
        if c["id"] in control_lines:
            raise CatalogError(f"{display}:{line}: control {c['id']!r} appears twice")
        control_lines[c["id"]] = line
        for ki in range(len(c.get("checks", []))):
            lines[(c["id"], ki)] = (
                line_of_path(doc.node, ["controls", ci, "checks", ki]) or doc.line
            )
        controls.append(
            Control(
                id=c["id"],
                title=c["title"],
                requirement=" ".join(c["requirement"].split()),
                evidence=c["evidence"],
                checks=tuple(c.get("checks", [])),
                citation=c["citation"],
                notes=" ".join(c["notes"].split()) if c.get("notes") else None,
                evidence_to_attach=_one_line_each(c.get("evidence_to_attach", [])),
                sources=_one_line_each(c.get("sources", [])),
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
        origin=origin,
        control_lines=control_lines,
    )
    return framework, lines


def control_annotations(control: Control) -> dict[str, object]:
    """A control's notes, the evidence to attach and its sources, as the JSON outputs carry them.

    Keys appear only when the catalog gives them (the scan report's `notes` works the same way).
    """
    out: dict[str, object] = {}
    if control.notes:
        out["notes"] = control.notes
    if control.evidence_to_attach:
        out["evidence_to_attach"] = list(control.evidence_to_attach)
    if control.sources:
        out["sources"] = list(control.sources)
    return out


def _one_line_each(texts: list[str]) -> tuple[str, ...]:
    return tuple(" ".join(text.split()) for text in texts)


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


def check_stats(
    results: Iterable[CheckResult], passes: Mapping[tuple[str, str], int] | None = None
) -> dict[str, CheckStats]:
    """Subjects per check: passes counted per (check, resource), other results one by one."""
    stats: dict[str, CheckStats] = defaultdict(CheckStats)
    for (check, resource), n in (passes or {}).items():
        s = stats[check]
        s.resources.add(resource)
        s.passed += n
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


def control_status(
    control: Control, stats: dict[str, CheckStats], disabled: Iterable[str] = ()
) -> str:
    """The one place a control's status is decided (DESIGN.md, README "Control status").

    manual: needs attached evidence, never counted as satisfied — a control whose evidence kind
    is manual, or one whose every mapped check the config disabled (no automated evidence is
    left). not-satisfied: any mapped check failed a subject (a failure only a lapsed waiver
    selects is still a failure). not-applicable: nothing in scope was examined.
    passed-manual-pending: a partial control whose checks examined subjects and left no failure
    (waived ones included): the automated part passed, manual evidence is still required.
    satisfied-with-waivers: an automated control examined, no failure left, but a waiver in force
    covered at least one. satisfied: an automated control whose mapped checks examined at least
    one subject and none failed.
    """
    if control.evidence == MANUAL:
        return MANUAL
    off = set(disabled)
    if control.checks and all(c in off for c in control.checks):
        return MANUAL
    mapped = [stats[c] for c in control.checks if c in stats]
    if any(s.failed for s in mapped):
        return NOT_SATISFIED
    if sum(s.examined for s in mapped) == 0:
        return NOT_APPLICABLE
    if control.evidence != "automated":
        return PASSED_MANUAL_PENDING
    if any(s.waived for s in mapped):
        return SATISFIED_WITH_WAIVERS
    return SATISFIED
