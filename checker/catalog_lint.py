"""Lint of framework catalogs: the regulatory hygiene a JSON schema cannot express.

The schema checks a catalog's shape. This checks what a regulatory reviewer would: no control
cites a section of 21 CFR Part 820 that the QMSR removed, every control says how its citation was
checked, a `verified` citation names the source that was read, every partial or manual control
names the documents or records to attach, and no check is mapped to a control twice (literally,
or beside a check that already implies it). It reads the raw YAML, so it also reports what the
schema would reject (a missing citation status), with the file and line of each finding.

Pure: text in, findings out. tests/test_catalog_lint.py runs it on the shipped catalogs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from checker.loaders.locate import line_of_path
from checker.loaders.yamldocs import parse_documents

CITATION_STATUSES = ("verified", "secondary", "unverified")
NEEDS_ATTACHMENTS = ("partial", "manual")

# 21 CFR Part 820 as the QMSR (89 FR 7496, effective 2 February 2026) left it: the old sections
# (820.30 design controls, 820.180 records, 820.184 DHR, ...) no longer exist.
QMSR_SECTIONS = frozenset({"1", "3", "7", "10", "35", "45"})
_PART_820_SECTION = re.compile(r"(?<![\w.])820\.(\d+)(?!\d)")

# A check that passes whenever another passes adds no evidence beside it. The tag check passes
# every reference the digest check passes (a reference with a digest is immutable, so
# rego/k8s/image_tag.rego accepts it); tests/test_catalog_lint.py proves it on the real OPA.
IMPLIED_BY = {"DXG-K8S-PIN-002": "DXG-K8S-PIN-001"}

# The fields that cite: a removed section named there is a citation of it. Notes may explain
# that a section was removed, and sources may name the old text that was read.
_CITING_FIELDS = ("id", "title", "requirement", "evidence_to_attach")


@dataclass(frozen=True)
class LintFinding:
    file: str
    line: int
    control: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: control {self.control!r}: {self.message} [{self.rule}]"


def lint_catalog_text(text: str, file: str) -> list[LintFinding]:
    """Findings for one catalog's YAML text (file names the catalog in each finding)."""
    findings: list[LintFinding] = []
    for doc in parse_documents(text, file, fast=False):
        data = doc.value
        if not isinstance(data, dict) or not isinstance(data.get("controls"), list):
            continue
        for index, control in enumerate(data["controls"]):
            if isinstance(control, dict):
                line = partial(_line_under, doc.node, ["controls", index])
                findings += _lint_control(control, file, line)
    return findings


def lint_catalog_files(paths: Iterable[Path], root: Path | None = None) -> list[LintFinding]:
    """Findings for catalog files, each named relative to root when it lies under it."""
    findings: list[LintFinding] = []
    for path in paths:
        name = path.as_posix()
        if root is not None:
            with contextlib.suppress(ValueError):
                name = path.resolve().relative_to(root.resolve()).as_posix()
        findings += lint_catalog_text(path.read_text(encoding="utf-8"), name)
    return findings


def _lint_control(
    control: dict[str, Any], file: str, line: Callable[..., int]
) -> list[LintFinding]:
    """The findings of one control; line(*path) is the line of a field under the control."""
    cid = str(control.get("id", "?"))
    out: list[LintFinding] = []

    def add(rule: str, message: str, *path: str | int) -> None:
        out.append(LintFinding(file, line(*path), cid, rule, message))

    for field in _CITING_FIELDS:
        for i, text in enumerate(_texts(control.get(field))):
            for section in _PART_820_SECTION.findall(text):
                if section not in QMSR_SECTIONS:
                    where = (field, i) if isinstance(control.get(field), list) else (field,)
                    add(
                        "removed-qmsr-section",
                        f"{field} cites 21 CFR 820.{section}, which the QMSR removed on "
                        "2 February 2026; cite 21 CFR 820.10 with the ISO 13485:2016 clause",
                        *where,
                    )

    citation = control.get("citation")
    if citation not in CITATION_STATUSES:
        add(
            "missing-citation-status",
            f"citation status is {citation!r}; say how the citation was checked: "
            f"{', '.join(CITATION_STATUSES)}",
            "citation" if "citation" in control else "id",
        )
    if citation == "verified" and not [s for s in _texts(control.get("sources")) if s.strip()]:
        add(
            "verified-without-source",
            "citation is verified but names no source; list under `sources` the text that was "
            "read, or mark it secondary",
            "citation",
        )

    evidence = control.get("evidence")
    if evidence in NEEDS_ATTACHMENTS and not [
        e for e in _texts(control.get("evidence_to_attach")) if e.strip()
    ]:
        add(
            "missing-evidence-to-attach",
            f"evidence is {evidence} but `evidence_to_attach` names no document or record an "
            "auditor should get beside the automated evidence",
            "evidence",
        )

    checks = [c for c in control.get("checks") or [] if isinstance(c, str)]
    seen: set[str] = set()
    for i, check in enumerate(checks):
        if check in seen:
            add("duplicate-check", f"check {check} is mapped to this control twice", "checks", i)
        seen.add(check)
    for i, check in enumerate(checks):
        implied_by = IMPLIED_BY.get(check)
        if implied_by in seen:
            add(
                "implied-check",
                f"check {check} is mapped beside {implied_by}, which implies it (every subject "
                f"{implied_by} passes, {check} passes too): it adds no evidence here",
                "checks",
                i,
            )
    return out


def _line_under(node: Any, prefix: list[str | int], *path: str | int) -> int:
    return line_of_path(node, [*prefix, *path]) or 1


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
