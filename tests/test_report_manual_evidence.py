"""A scan given an evidence store (`--store`, or `--record`) reports, per control that needs
manual evidence, the documents the store holds for it by the run's as-of day — who attached
them and when — and which controls still lack them, in the JSON (valid against the report
schema), the HTML and the table; without a store the report is as before; `reproduce`
confirms a run recorded with the section (documents are not verdicts)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from checker.report.model import Report

from conftest import AS_OF, FIXTURES, ROOT, dxguard

pytest_plugins = ("pg_cluster",)
SCHEMA = json.loads((ROOT / "checker" / "schemas" / "report.schema.json").read_text())


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "repo"
    shutil.copytree(FIXTURES / "k8s" / "noncompliant", work / "deploy")
    (work / "sop.pdf").write_bytes(b"%PDF-1.7 SOP-QA-012 rev 4")
    return work


def _attach(work: Path, store: str, date: str, by: str) -> None:
    run = dxguard(
        "evidence", "attach", "21 CFR 11.10(b)", "sop.pdf", "--by", by, "--date", date,
        "--store", store, "--note", "SOP-QA-012", cwd=work,
    )  # fmt: skip
    assert run.code == 0, run.stderr


def _scan(work: Path, *extra: str):
    return dxguard(
        "scan", "-f", "fda-samd", "--as-of", AS_OF, "deploy", "-o", "json=out/r.json",
        "-o", "html=out/r.html", "--format", "table", *extra, cwd=work, timeout=300,
    )  # fmt: skip


def test_a_scan_given_a_store_reports_the_manual_evidence_per_control(store_location, workdir):
    _attach(workdir, store_location, "2026-09-01", "A. Lindqvist (QA)")
    _attach(workdir, store_location, "2026-11-27", "later")  # dated after the as-of: not counted
    run = _scan(workdir, "--store", store_location)
    assert run.code == 1, run.stderr
    doc = json.loads((workdir / "out" / "r.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    section = doc["manual_evidence"]
    rows = {c["control"]: c for c in section["controls"]}
    sop = rows["21 CFR 11.10(b)"]
    assert sop["status"] == "attached"
    assert [(e["by"], e["date"], e["note"]) for e in sop["evidence"]] == [
        ("A. Lindqvist (QA)", "2026-09-01", "SOP-QA-012")
    ]
    needing = {
        c["id"] for fw in doc["frameworks"] for c in fw["controls"] if c["manual_evidence_required"]
    }
    assert set(rows) == needing
    assert section["summary"] == {
        "controls": len(needing), "attached": 1, "missing": len(needing) - 1,
    }  # fmt: skip
    assert all(rows[c]["status"] == "missing" for c in needing - {"21 CFR 11.10(b)"})
    # the statuses are the checks' own: a document is evidence beside them, not a verdict
    assert {c["status"] for fw in doc["frameworks"] for c in fw["controls"]} != {"satisfied"}
    page = (workdir / "out" / "r.html").read_text()
    assert '<section id="manual-evidence"><h2>Manual evidence</h2>' in page
    assert "A. Lindqvist (QA)" in page and "sop.pdf" in page
    assert f"1 of {len(needing)} control(s) that need documents have them" in run.stdout
    assert Report.from_json(doc).to_json() == doc  # the typed report carries it both ways


def test_without_a_store_the_report_has_no_manual_evidence_section(workdir):
    run = _scan(workdir)
    assert run.code == 1, run.stderr
    doc = json.loads((workdir / "out" / "r.json").read_text())
    assert "manual_evidence" not in doc
    assert "manual-evidence" not in (workdir / "out" / "r.html").read_text()


def test_reproduce_confirms_a_run_recorded_with_its_manual_evidence(tmp_path, workdir):
    store = str(tmp_path / "evidence.sqlite")
    _attach(workdir, store, "2026-09-01", "QA")
    run = _scan(workdir, "--record-inputs", "--store", store)
    assert run.code == 1, run.stderr
    assert json.loads((workdir / "out" / "r.json").read_text())["manual_evidence"]
    _attach(workdir, store, "2026-10-01", "QA")  # more evidence since: not a verdict change
    again = dxguard("reproduce", "2", "--store", store, "--format", "json", timeout=300)
    assert again.code == 0, again.stdout + again.stderr
    assert again.json()["same"] is True
