"""Controls with their checks and the tests that verify those checks.

`dxguard controls show ID` prints one control: its clause, requirement, evidence kind and
citation status, the checks that give evidence for it and, per check, the `opa test` cases that
prove it passes and fails. `dxguard controls matrix` exports the same links for every control as
a CSV traceability matrix (control ↔ check ↔ test), the table a quality manager files with the
design-verification records.

Tests are found by the bundle's convention: the checks of package P are tested in package
`P_test`, in `*_test.rego` files beside them (built-in under rego/, custom in the --policy
folders). A check without tests, or a control without checks, still gets its row, with the
empty cells that show the gap.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.bundle import Bundle
from checker.errors import UsageError
from checker.explain import _para
from checker.model import CheckMeta, Control, Framework
from checker.paths import project_root, rego_dir

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)\s*$", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)


@dataclass(frozen=True)
class TestCase:
    name: str
    file: str  # relative to the project root for built-in tests, as found for custom ones
    line: int


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_root()))
    except ValueError:
        return str(path)


def find_tests(folders: list[Path]) -> dict[str, list[TestCase]]:
    """Check package → its `opa test` cases, from the *_test.rego files under the folders."""
    tests: dict[str, list[TestCase]] = {}
    for folder in folders:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*_test.rego"))
        for path in files:
            if not path.name.endswith("_test.rego"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            package = _PACKAGE.search(text)
            if package is None or not package.group(1).endswith("_test"):
                continue
            tested = package.group(1).removesuffix("_test")
            seen = {t.name for t in tests.get(tested, [])}
            for m in _TEST_RULE.finditer(text):
                if m.group(1) in seen:  # incremental definitions of one test: one case
                    continue
                seen.add(m.group(1))
                line = text.count("\n", 0, m.start()) + 1
                tests.setdefault(tested, []).append(TestCase(m.group(1), _display(path), line))
    return tests


def bundle_tests(bundle: Bundle) -> dict[str, list[TestCase]]:
    return find_tests([rego_dir(), *(Path(f) for f in bundle.policies.folders)])


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def find_controls(query: str, frameworks: list[Framework]) -> list[tuple[Framework, Control]]:
    """Controls whose id is the query (case and spacing aside), else those whose id or title
    contains it. Raises a usage error that lists candidates when none or too many match."""
    want = _norm(query)
    pairs = [(fw, c) for fw in frameworks for c in fw.controls]
    exact = [(fw, c) for fw, c in pairs if _norm(c.id) == want]
    if exact:
        return exact
    partial = [(fw, c) for fw, c in pairs if want in _norm(c.id) or want in _norm(c.title)]
    if len(partial) == 1:
        return partial
    if not partial:
        raise UsageError(
            f"no control has the id {query!r} or has it in its id or title",
            hint="`dxguard controls list` lists every control id (quote ids with spaces)",
        )
    names = [f"{fw.id}: {c.id}" for fw, c in partial[:12]]
    more = f" and {len(partial) - 12} more" if len(partial) > 12 else ""
    raise UsageError(
        f"{len(partial)} controls match {query!r}: " + "; ".join(names) + more,
        hint="give the whole control id (quoted), or narrow with --framework",
    )


def control_info(
    fw: Framework, control: Control, bundle: Bundle, tests: dict[str, list[TestCase]]
) -> dict[str, Any]:
    by_id = {c.id: c for c in bundle.checks}
    checks = []
    for cid in control.checks:
        meta: CheckMeta = by_id[cid]  # catalogs are validated against the bundle's checks
        entry: dict[str, Any] = {
            "id": cid,
            "title": meta.title,
            "severity": meta.severity,
            "package": meta.package,
            "tests": [
                {"name": t.name, "file": t.file, "line": t.line}
                for t in tests.get(meta.package, [])
            ],
        }
        if cid in bundle.disabled:
            entry["disabled"] = {"reason": bundle.disabled[cid]}
        checks.append(entry)
    line = fw.control_lines.get(control.id)
    where = control.catalog or fw.file
    if line and not control.catalog:
        where += f":{line}"
    info: dict[str, Any] = {
        "framework": {"id": fw.id, "title": fw.title, "version": fw.version},
        "id": control.id,
        "title": control.title,
        "requirement": control.requirement,
        "evidence": control.evidence,
        "citation": control.citation,
        "notes": control.notes,
        "evidence_to_attach": list(control.evidence_to_attach),
        "sources": list(control.sources),
        "file": where,
        "checks": checks,
    }
    return info


_EVIDENCE_NOTE = {
    "automated": "the checks below are the whole evidence for this control",
    "partial": "the checks below are part of the evidence; attach the documents listed",
    "manual": "no automated check: attach the documents listed",
}
# For a catalog that names no evidence to attach (custom catalogs may not).
_EVIDENCE_NOTE_UNLISTED = {
    **_EVIDENCE_NOTE,
    "partial": "the checks below are part of the evidence; attach the rest as the notes say",
    "manual": "no automated check: attach the evidence the notes describe",
}


def render_control(info: dict[str, Any]) -> str:
    fw = info["framework"]
    kinds = _EVIDENCE_NOTE if info["evidence_to_attach"] else _EVIDENCE_NOTE_UNLISTED
    out = [
        f"{info['id']} — {info['title']}",
        f"framework: {fw['id']} ({fw['title']}, {fw['version']}) · {info['file']}",
        f"evidence: {info['evidence']} ({kinds.get(info['evidence'], '')}) · "
        f"citation: {info['citation']}",
        "",
        "Requirement",
        *_para(info["requirement"]),
    ]
    if info["evidence_to_attach"]:
        out += ["", "Evidence to attach"]
        for item in info["evidence_to_attach"]:
            out += _para(f"- {item}", "  ", "    ")
    if info["notes"]:
        out += ["", "Notes", *_para(info["notes"])]
    if info["sources"]:
        out += ["", "Sources"]
        for item in info["sources"]:
            out += _para(f"- {item}", "  ", "    ")
    out += ["", f"Checks ({len(info['checks'])})"]
    if not info["checks"]:
        out.append("  none")
    for c in info["checks"]:
        flag = " — DISABLED by the config" if "disabled" in c else ""
        out += _para(f"{c['id']} [{c['severity']}] {c['title']}{flag}", "  ", "      ")
        if not c["tests"]:
            out.append("      tests: none found (a gap in the verification record)")
            continue
        files = sorted({t["file"] for t in c["tests"]})
        out.append(f"      tests: {len(c['tests'])} in {', '.join(files)}")
        for t in c["tests"]:
            out.append(f"        {t['name']} (line {t['line']})")
    return "\n".join(out) + "\n"


MATRIX_COLUMNS = (
    "framework",
    "control",
    "control_title",
    "evidence",
    "citation",
    "check",
    "check_title",
    "severity",
    "check_disabled",
    "test",
    "test_file",
    "test_line",
)


def matrix_rows(
    frameworks: list[Framework], bundle: Bundle, tests: dict[str, list[TestCase]]
) -> list[dict[str, Any]]:
    """One row per (control, check, test); a control without checks, or a check without
    tests, gets one row with those cells empty."""
    rows: list[dict[str, Any]] = []
    for fw in frameworks:
        for control in fw.controls:
            info = control_info(fw, control, bundle, tests)
            base = {
                "framework": fw.id,
                "control": control.id,
                "control_title": control.title,
                "evidence": control.evidence,
                "citation": control.citation,
            }
            if not info["checks"]:
                rows.append(base)
            for c in info["checks"]:
                row = {
                    **base,
                    "check": c["id"],
                    "check_title": c["title"],
                    "severity": c["severity"],
                    "check_disabled": "yes" if "disabled" in c else "",
                }
                if not c["tests"]:
                    rows.append(row)
                for t in c["tests"]:
                    rows.append(
                        {
                            **row,
                            "test": f"{c['package']}_test.{t['name']}",
                            "test_file": t["file"],
                            "test_line": t["line"],
                        }
                    )
    return rows


def render_matrix_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MATRIX_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
