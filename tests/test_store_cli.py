"""The store from the command line, end to end on the real OPA, on SQLite and PostgreSQL:
`scan --record`, `scan --record-inputs` and `reproduce`, `evidence attach/list/status/get`,
`store list/show/verify`, and the manual-evidence section a report can show."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checker.store import opened
from checker.store.evidence import evidence_records, manual_evidence_section
from checker.store.runs import ScanCommand, record_run

from conftest import AS_OF, FIXTURES, ROOT, dxguard
from store_sql import raw_execute

pytest_plugins = ("pg_cluster",)

NONCOMPLIANT = FIXTURES / "k8s" / "noncompliant"
WAIVERS = FIXTURES / "waivers" / "research-waivers.yaml"


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """A team's checkout: manifests, a config with its own checks and catalogs, waivers."""
    work = tmp_path / "repo"
    shutil.copytree(NONCOMPLIANT, work / "deploy")
    shutil.copytree(FIXTURES / "custom", work / "dxguard")
    shutil.copy(WAIVERS, work / "waivers.yaml")
    return work


def _scan(work: Path, store: str, *extra: str, stdin: str | None = None):
    return dxguard(
        "scan",
        *extra,
        "--as-of",
        AS_OF,
        "--store",
        store,
        "--format",
        "json",
        "-o",
        "json=out/report.json",
        cwd=work,
        stdin=stdin,
        timeout=300,
    )


def test_a_recorded_run_holds_exactly_the_report_it_wrote(store_location, workdir):
    run = _scan(workdir, store_location, "--record", "--record-scope", "clinical-repo", "deploy")
    assert run.code == 1, run.stderr  # the fixtures fail on purpose; recording keeps the exit
    assert "recorded run 1" in run.stderr
    written = (workdir / "out" / "report.json").read_bytes()
    with opened(store_location) as store:
        rec = store.get(1)
        assert rec.kind == "run" and rec.scope == "clinical-repo"
        assert store.blob(rec.blobs["report"]) == written
        report = json.loads(written)
        assert rec.meta["result"] == "fail" and rec.meta["as_of"] == AS_OF
        assert rec.meta["bundle_sha256"] == report["run"]["bundle"]["sha256"]
        assert "files" not in rec.blobs and not rec.meta.get("reproducible")
        indexed = {f["fingerprint"] for f in store.findings([1])[1]}
        assert indexed == {f["fingerprint"] for f in report["findings"]} != set()
        assert store.verify_chain().ok


def test_reproduce_confirms_a_run_recorded_with_its_inputs(store_location, workdir):
    """Inputs from a folder and from stdin, a config naming custom checks and catalogs,
    waivers: all recorded, laid out again, scanned with the recorded bundle and as-of."""
    stdin = next(p for p in sorted(NONCOMPLIANT.iterdir()) if p.suffix == ".yaml").read_text()
    run = _scan(
        workdir,
        store_location,
        "--record-inputs",
        "-c",
        "dxguard/dxguard.yaml",
        "--waivers",
        "waivers.yaml",
        "deploy",
        "-",
        stdin=stdin,
    )
    assert run.code == 1, run.stderr
    assert "with its inputs" in run.stderr
    shutil.rmtree(workdir)  # nothing of the checkout is needed any more
    again = dxguard("reproduce", "1", "--store", store_location, "--format", "json", timeout=300)
    assert again.code == 0, again.stderr
    result = again.json()
    assert result["same"] is True and result["differences"] == []
    assert result["as_of"] == AS_OF and result["result"]["reproduced"] == "fail"
    with opened(store_location) as store:
        files = json.loads(store.blob(store.get(1).blobs["files"]))
        roles = {f["role"] for f in files["files"]}
        assert {"input", "stdin", "config", "waivers", "policy", "catalog", "bundle"} <= roles
        assert store.verify_chain().ok


def test_reproduce_lists_each_verdict_that_differs(store_location, workdir, tmp_path):
    """A run whose recorded verdicts this dxguard does not give again (as a run recorded by an
    older, faulty release would): every difference is listed, exit 1."""
    first = _scan(workdir, store_location, "deploy")  # not recorded: only its report is used
    assert first.code == 1, first.stderr
    report = json.loads((workdir / "out" / "report.json").read_text())
    recorded = json.loads(json.dumps(report))
    control = recorded["frameworks"][0]["controls"][0]
    control_status = control["status"]
    control["status"] = "satisfied" if control_status != "satisfied" else "not-satisfied"
    dropped = recorded["findings"].pop(0)
    recorded["summary"]["result"] = "pass"
    command = ScanCommand(paths=["deploy"], cwd=str(workdir))
    with opened(store_location) as store:
        record_run(
            store,
            recorded,
            json.dumps(recorded),
            scope="repo",
            command=command,
            with_files=True,
        )
    again = dxguard("reproduce", "1", "--store", store_location, timeout=300)
    assert again.code == 1, again.stderr
    lines = again.stdout.splitlines()
    assert "result: recorded pass, now fail" in lines
    assert (
        f"control {control['id']} ({recorded['frameworks'][0]['id']}): recorded "
        f"{control['status']}, now {control_status}" in lines
    )
    assert any(
        line.startswith(f"finding {dropped['id']} ") and "new (failed" in line for line in lines
    )
    assert len(lines) == 3
    assert "3 difference(s)" in again.stderr


def test_reproduce_refuses_another_bundle_and_runs_without_inputs(
    store_location, workdir, project_copy
):
    assert _scan(workdir, store_location, "--record", "deploy").code == 1
    assert _scan(workdir, store_location, "--record-inputs", "deploy").code == 1
    no_inputs = dxguard("reproduce", "1", "--store", store_location)
    assert no_inputs.code == 2
    assert "run 1 was recorded without its inputs" in no_inputs.stderr
    assert "--record-inputs" in no_inputs.stderr
    changed = next(project_copy.glob("rego/k8s/*.rego"))
    changed.write_text(changed.read_text() + "\n# an edit: another bundle\n")
    other = dxguard(
        "reproduce", "2", "--store", store_location, "--policy-dir", str(project_copy / "rego")
    )
    assert other.code == 2
    assert "the policy bundle differs from run 2's" in other.stderr
    assert "--policy-dir" in other.stderr
    same = dxguard("reproduce", "2", "--store", store_location, "--policy-dir", str(ROOT / "rego"))
    assert same.code == 0, same.stderr
    decision = dxguard("reproduce", "99", "--store", store_location)
    assert decision.code == 2 and "record 99 is not in the store" in decision.stderr


def test_an_input_changed_after_the_scan_is_never_recorded_in_its_place(tmp_path, workdir):
    store_file = str(tmp_path / "evidence.sqlite")
    run = _scan(workdir, store_file, "deploy")
    report = json.loads((workdir / "out" / "report.json").read_text())
    victim = workdir / report["run"]["inputs"][0]["path"]
    victim.write_text(victim.read_text() + "\n# edited after the scan\n")
    from checker.errors import StoreError

    with opened(store_file) as store, pytest.raises(StoreError, match="changed since the scan"):
        record_run(
            store,
            report,
            run.stdout or json.dumps(report),
            scope="repo",
            command=ScanCommand(paths=["deploy"], cwd=str(workdir)),
            with_files=True,
        )
    with opened(store_file) as store:
        assert store.head()[0] == 0


def test_an_unreachable_store_fails_the_run_with_nothing_written(tmp_path):
    out = tmp_path / "report.json"
    run = dxguard(
        "scan",
        "--record",
        "--store",
        "postgresql://nobody@127.0.0.1:9/none",
        "-o",
        f"json={out}",
        str(NONCOMPLIANT),
    )
    assert run.code == 2
    assert "store error: cannot open the store at postgresql" in run.stderr
    assert "no report was written" in run.stderr
    assert not out.exists() and run.stdout == ""


def test_evidence_is_attached_listed_and_read_back(store_location, tmp_path):
    sop = tmp_path / "SOP-QA-012 access review.pdf"
    sop.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    attach = dxguard(
        "evidence",
        "attach",
        "21 CFR 11.10(b)",
        str(sop),
        "--by",
        "A. Lindqvist (Head of QA/RA)",
        "--date",
        "2026-10-02",
        "--note",
        "rev 4",
        "--store",
        store_location,
    )
    assert attach.code == 0, attach.stderr
    assert attach.stdout.strip() == "1"
    assert "attached SOP-QA-012 access review.pdf" in attach.stderr
    listed = dxguard("evidence", "list", "--format", "json", "--store", store_location).json()
    assert len(listed) == 1
    (entry,) = listed
    assert entry["control"] == "21 CFR 11.10(b)" and entry["framework"] == "fda-samd"
    assert entry["by"] == "A. Lindqvist (Head of QA/RA)" and entry["date"] == "2026-10-02"
    assert entry["file"]["media_type"] == "application/pdf" and entry["note"] == "rev 4"
    import hashlib

    assert entry["file"]["sha256"] == hashlib.sha256(sop.read_bytes()).hexdigest()
    back = tmp_path / "back.pdf"
    got = dxguard("evidence", "get", "1", "-o", str(back), "--store", store_location)
    assert got.code == 0, got.stderr and back.read_bytes() == sop.read_bytes()
    assert back.read_bytes() == sop.read_bytes()
    status = dxguard(
        "evidence", "status", "-f", "fda-samd", "--format", "json", "--store", store_location
    )
    assert status.code == 1  # other fda-samd controls still lack evidence
    rows = {r["control"]: r for r in status.json()}
    assert rows["21 CFR 11.10(b)"]["status"] == "attached"
    assert rows["21 CFR 820.10(a)"]["status"] == "missing"
    assert all(r["evidence_kind"] in ("manual", "partial") for r in rows.values())
    # what the catalog says an auditor expects is listed with each control
    from checker.bundle import load_all_catalogs

    fda = next(fw for fw in load_all_catalogs([]).frameworks if fw.id == "fda-samd")
    expects = {c.id: list(c.evidence_to_attach) for c in fda.controls}
    assert all(r["expected"] == expects[r["control"]] for r in rows.values())
    assert any(r["expected"] for r in rows.values())
    before = dxguard(
        "evidence",
        "status",
        "--as-of",
        "2026-10-01",
        "--format",
        "json",
        "--store",
        store_location,
    ).json()
    assert {r["control"]: r["status"] for r in before}["21 CFR 11.10(b)"] == "missing"
    verify = dxguard("store", "verify", "--store", store_location)
    assert verify.code == 0 and "chain intact" in verify.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["21 CFR 11.10(z)"], "control '21 CFR 11.10(z)' is not in any catalog"),
        (["21 CFR 11.10(b)", "--framework", "eu-ivdr"], "is not in framework eu-ivdr"),
        (["21 CFR 11.10(b)", "--date", "2999-01-01"], "is in the future"),
        (["21 CFR 11.10(b)", "--date", "01/10/2026"], "is not a date"),
        (["21 CFR 11.10(b)", "--framework", "nope"], "--framework nope: no such framework"),
    ],
)
def test_evidence_for_an_unknown_control_or_a_bad_date_is_refused(tmp_path, args, message):
    doc = tmp_path / "doc.txt"
    doc.write_text("training record")
    control, *rest = args
    if "--date" not in rest:
        rest += ["--date", "2026-10-02"]
    run = dxguard(
        "evidence",
        "attach",
        control,
        str(doc),
        "--by",
        "QA",
        *rest,
        "--store",
        str(tmp_path / "e.sqlite"),
    )
    assert run.code == 2
    assert message in run.stderr


def test_evidence_attaches_to_a_custom_catalogs_control(tmp_path):
    doc = tmp_path / "acme.txt"
    doc.write_text("ACME SOP")
    catalogs = FIXTURES / "custom" / "controls"
    import yaml

    acme = yaml.safe_load((catalogs / "acme-sop.yaml").read_text())
    control = acme["controls"][0]["id"]
    base = ["evidence", "attach", control, str(doc), "--by", "QA", "--date", "2026-10-02"]
    store = ["--store", str(tmp_path / "e.sqlite")]
    assert dxguard(*base, *store).code == 2  # not a built-in control
    run = dxguard(*base, "--controls", str(catalogs), *store)
    assert run.code == 0, run.stderr


def test_a_report_shows_attached_manual_evidence_per_control(store_location, workdir, tmp_path):
    """The hook the report builder calls: per control needing manual evidence, what is
    attached by the report's as-of time, and which controls still lack it."""
    run = _scan(workdir, store_location, "-f", "fda-samd", "deploy")
    report = json.loads((workdir / "out" / "report.json").read_text())
    doc = tmp_path / "training.pdf"
    doc.write_bytes(b"%PDF training")
    for date in ("2026-09-01", "2026-11-27"):  # the second is dated after the report's as-of
        attach = dxguard(
            "evidence",
            "attach",
            "21 CFR 11.10(b)",
            str(doc),
            "--by",
            "QA",
            "--date",
            date,
            "--store",
            store_location,
        )
        assert attach.code == 0, attach.stderr
    with opened(store_location) as store:
        section = manual_evidence_section(report, evidence_records(store, as_of=AS_OF))
    rows = {c["control"]: c for c in section["controls"]}
    assert rows["21 CFR 11.10(b)"]["status"] == "attached"
    assert [e["date"] for e in rows["21 CFR 11.10(b)"]["evidence"]] == ["2026-09-01"]
    assert rows["21 CFR 820.10(a)"]["status"] == "missing"
    needing = {
        c["id"]
        for fw in report["frameworks"]
        for c in fw["controls"]
        if c["manual_evidence_required"]
    }
    assert set(rows) == needing
    assert section["summary"]["attached"] == 1
    assert section["summary"]["missing"] == len(needing) - 1
    assert run.code == 1


def test_store_list_show_and_verify_name_a_tampered_record(store_location, workdir):
    assert _scan(workdir, store_location, "--record", "--record-scope", "repo", "deploy").code == 1
    listed = dxguard(
        "store", "list", "--kind", "run", "--format", "json", "--store", store_location
    )
    assert [r["seq"] for r in listed.json()] == [1]
    shown = dxguard("store", "show", "1", "--report", "--store", store_location)
    assert shown.stdout == (workdir / "out" / "report.json").read_text()
    raw_execute(store_location, "UPDATE records SET scope = 'other' WHERE seq = 1")
    verify = dxguard("store", "verify", "--store", store_location)
    assert verify.code == 1
    assert "record 1: its scope column says 'other'" in verify.stdout
    assert "NOT intact" in verify.stderr
