"""The scan pipeline end to end on the real OPA: evidence, statuses, exit codes, determinism."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from conftest import AS_OF, FIXTURES, ROOT, dxguard, failures_of, results_of, scan_json

K8S = FIXTURES / "k8s"
COMPLIANT = K8S / "compliant"
NONCOMPLIANT = K8S / "noncompliant"
# Clinical workloads need supply-chain evidence for their image digests, and the image checks the
# organisation's trusted signers and builders: the compliant scan includes both.
COMPLIANT_EVIDENCE = (
    str(FIXTURES / "images" / "compliant"),
    "-c",
    str(FIXTURES / "images" / "dxguard.yaml"),
)
REPORT_SCHEMA = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())

ALL_CHECKS = [
    "DXG-K8S-ISO-001",
    "DXG-K8S-ISO-002",
    "DXG-K8S-ISO-003",
    "DXG-K8S-ISO-004",
    "DXG-K8S-PIN-001",
    "DXG-K8S-PIN-002",
    *(f"DXG-K8S-ISO-{n:03d}" for n in range(5, 20)),
    "DXG-K8S-PIN-004",
    "DXG-K8S-PIN-005",
    *(f"DXG-K8S-LOG-{n:03d}" for n in range(1, 6)),
    "DXG-K8S-SCN-001",
]


@pytest.fixture(scope="module")
def compliant_report():
    run, report = scan_json(str(COMPLIANT), *COMPLIANT_EVIDENCE)
    return run, report


@pytest.fixture(scope="module")
def full_report():
    run, report = scan_json(str(K8S))
    return run, report


def test_compliant_fixtures_pass_every_check_and_exit_zero(compliant_report):
    run, report = compliant_report
    assert run.code == 0
    assert report["summary"]["result"] == "pass"
    for cid in ALL_CHECKS:
        rows = results_of(report, cid)
        assert rows, f"{cid} examined nothing in the compliant fixtures"
        assert all(r["failed"] == 0 and r["passed"] > 0 for r in rows), cid


def test_compliant_controls_are_satisfied_or_manual_never_unexamined(compliant_report):
    """Passing checks satisfy an automated control; a partial one waits for its manual
    evidence (passed-manual-pending), and the run still passes."""
    _, report = compliant_report
    assert report["summary"]["result"] == "pass"
    passed = {"automated": "satisfied", "partial": "passed-manual-pending", "manual": "manual"}
    for fw in report["frameworks"]:
        for c in fw["controls"]:
            expected = passed[c["evidence"]]
            if expected != "manual" and not any(
                ch["id"].startswith(("DXG-K8S-", "DXG-IMG-")) for ch in c["checks"]
            ):
                # Only VM checks serve it: these Kubernetes manifests and their image
                # evidence give it nothing to examine, which is never reported as satisfied.
                expected = "not-applicable"
            assert c["status"] == expected, (fw["id"], c["id"])
            if expected in ("satisfied", "passed-manual-pending"):
                assert c["subjects"]["examined"] > 0


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (
            "DXG-K8S-ISO-001",
            {
                (
                    "node-agent-daemonset.yaml",
                    23,
                    "spec.template.spec.containers[0].securityContext.privileged",
                )
            },
        ),
        (
            "DXG-K8S-ISO-002",
            {
                ("node-agent-daemonset.yaml", 17, "spec.template.spec.hostNetwork"),
                ("node-agent-daemonset.yaml", 18, "spec.template.spec.hostPID"),
                ("inference-list.yaml", 19, "spec.template.spec.hostIPC"),
            },
        ),
        (
            "DXG-K8S-ISO-003",
            {
                (
                    "node-agent-daemonset.yaml",
                    24,
                    "spec.template.spec.containers[0].securityContext.runAsUser",
                ),
                (
                    "research-notebook-pod.yaml",
                    12,
                    "spec.containers[0].securityContext.runAsNonRoot",
                ),
                (
                    "research-notebook-pod.yaml",
                    17,
                    "spec.ephemeralContainers[0].securityContext.runAsNonRoot",
                ),
                (
                    "model-retrain-cronjob.yaml",
                    26,
                    "spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsUser",
                ),
            },
        ),
        (
            "DXG-K8S-ISO-004",
            {
                ("research-notebook-pod.yaml", 12, "spec.containers[0].resources.limits"),
                (
                    "model-retrain-cronjob.yaml",
                    28,
                    "spec.jobTemplate.spec.template.spec.containers[0].resources.limits",
                ),
                ("inference-list.yaml", 41, "spec.template.spec.containers[0].resources.limits"),
            },
        ),
        (
            "DXG-K8S-PIN-001",
            {
                ("node-agent-daemonset.yaml", 21, "spec.template.spec.containers[0].image"),
                ("research-notebook-pod.yaml", 13, "spec.containers[0].image"),
                ("research-notebook-pod.yaml", 18, "spec.ephemeralContainers[0].image"),
                (
                    "model-retrain-cronjob.yaml",
                    19,
                    "spec.jobTemplate.spec.template.spec.initContainers[0].image",
                ),
                (
                    "model-retrain-cronjob.yaml",
                    24,
                    "spec.jobTemplate.spec.template.spec.containers[0].image",
                ),
                ("inference-list.yaml", 25, "spec.template.spec.containers[0].image"),
            },
        ),
        (
            "DXG-K8S-PIN-002",
            {
                ("research-notebook-pod.yaml", 13, "spec.containers[0].image"),
                ("research-notebook-pod.yaml", 18, "spec.ephemeralContainers[0].image"),
                (
                    "model-retrain-cronjob.yaml",
                    19,
                    "spec.jobTemplate.spec.template.spec.initContainers[0].image",
                ),
            },
        ),
    ],
)
def test_noncompliant_fixtures_fail_each_check_at_file_line_and_field(full_report, check, expected):
    run, report = full_report
    assert run.code == 1
    got = {(f["file"].rsplit("/", 1)[-1], f["line"], f["path"]) for f in failures_of(report, check)}
    assert got == expected
    for f in failures_of(report, check):
        assert f["file"].startswith(str(NONCOMPLIANT)) or "noncompliant/" in f["file"]
        assert f["message"]


def test_report_validates_against_its_schema(full_report):
    _, report = full_report
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)


def test_report_records_run_metadata(full_report):
    _, report = full_report
    run = report["run"]
    assert run["as_of"] == AS_OF
    assert run["opa_version"].startswith("1.")
    assert len(run["bundle"]["sha256"]) == 64
    assert {"fda-samd", "eu-ivdr", "iso-13485", "iec-62304"} <= {
        c["framework"] for c in run["catalogs"]
    }
    inputs = {i["path"].rsplit("/", 1)[-1]: i for i in run["inputs"]}
    assert inputs["imaging-stack.yaml"]["documents"] == 4
    assert all(len(i["sha256"]) == 64 for i in run["inputs"])
    assert run["config"]["file"] is None and len(run["config"]["sha256"]) == 64


def test_not_examined_resources_and_skipped_documents_are_listed(full_report):
    _, report = full_report
    summary = report["summary"]["resources"]
    assert summary["not_examined_kinds"] == {"ConfigMap": 1, "Service": 2}
    (skipped,) = report["skipped"]
    assert skipped["file"].endswith("inference-list.yaml")
    assert skipped["line"] == 44


def test_same_inputs_and_as_of_give_byte_identical_json():
    first = dxguard("scan", str(K8S), "--format", "json", "--as-of", AS_OF, "-q")
    second = dxguard("scan", str(K8S), "--format", "json", "--as-of", AS_OF, "-q")
    assert first.code == second.code == 1
    assert first.stdout == second.stdout
    other_time = dxguard("scan", str(K8S), "--format", "json", "--as-of", "2026-12-01", "-q")
    assert other_time.stdout != first.stdout


def test_table_fits_80_columns_and_points_at_file_and_line():
    run = dxguard("scan", str(K8S), "--as-of", AS_OF, env={"COLUMNS": "80"})
    assert run.code == 1
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("node-agent-daemonset.yaml:23" in line for line in lines)
    assert "Result: FAIL" in run.stdout


def test_framework_selection_limits_the_report_and_decides_the_exit_code(tmp_path):
    run, report = scan_json(str(NONCOMPLIANT / "research-notebook-pod.yaml"), "-f", "eu-ivdr")
    assert [fw["id"] for fw in report["frameworks"]] == ["eu-ivdr"]
    assert run.code == 1
    bad = dxguard("scan", str(COMPLIANT), "-f", "no-such-framework")
    assert bad.code == 2
    assert "unknown framework no-such-framework" in bad.stderr


def test_nothing_examined_is_not_applicable_never_satisfied(tmp_path):
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n")
    run, report = scan_json(str(cm))
    assert run.code == 0
    statuses = {c["status"] for fw in report["frameworks"] for c in fw["controls"]}
    assert statuses == {"not-applicable", "manual"}
    assert report["summary"]["resources"]["examined"] == 0


def test_stdin_pipeline_is_scanned():
    text = (NONCOMPLIANT / "node-agent-daemonset.yaml").read_text()
    run, report = scan_json("-", stdin=text)
    assert run.code == 1
    (f,) = failures_of(report, "DXG-K8S-ISO-001")
    assert (f["file"], f["line"]) == ("<stdin>", 23)


def test_output_file_is_written_and_exit_code_kept(tmp_path):
    out = tmp_path / "reports" / "evidence.json"
    run = dxguard(
        "scan",
        str(COMPLIANT),
        *COMPLIANT_EVIDENCE,
        "--format",
        "json",
        "-o",
        str(out),
        "--as-of",
        AS_OF,
    )
    assert run.code == 0
    assert json.loads(out.read_text())["summary"]["result"] == "pass"
    assert f"report written to {out}" in run.stderr


def test_python_m_checker_and_console_script_agree():
    import shutil
    import subprocess

    exe = shutil.which("dxguard") or str(ROOT / ".venv/bin/dxguard")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == dxguard("--version").stdout.strip()


def test_progress_lines_say_what_each_step_did_and_quiet_silences_them():
    path = str(FIXTURES / "k8s" / "compliant")
    run = dxguard("scan", path, "--progress", "--format", "json", "--as-of", AS_OF)
    assert run.code in (0, 1), run.stderr
    report = run.json()
    lines = [line for line in run.stderr.splitlines() if line.startswith("dxguard: ")]
    loaded = report["summary"]["resources"]["loaded"]
    expected = [
        rf"dxguard: scanning {re.escape(path)} …",
        rf"dxguard: read {loaded} resource\(s\) from \d+ file\(s\) in \d+\.\d s",
        rf"dxguard: evaluating \d+ check\(s\) on {loaded} resource\(s\) with OPA \S+, "
        r"\d+ job\(s\) …",
        rf"dxguard: OPA answered in \d+\.\d s: {report['summary']['subjects']['examined']:,} "
        r"subject\(s\) examined, \d+ failure\(s\); mapping them to controls …",
    ]
    assert len(lines) >= len(expected)
    for pattern, line in zip(expected, lines, strict=False):
        assert re.fullmatch(pattern, line), (pattern, line)
    # Not a terminal and no --progress: no progress; -q wins over --progress.
    assert "evaluating" not in dxguard("scan", path, "--as-of", AS_OF).stderr
    quiet = dxguard("scan", path, "--progress", "-q", "--as-of", AS_OF)
    assert quiet.stderr == ""


def test_a_scan_leaves_its_process_at_once_yet_runs_its_exit_handlers(tmp_path):
    """The CLI skips the interpreter's teardown (checker.cli.end_process): the report on stdout
    is complete, the exit code kept, and the exit handlers ran (the timings file is written)."""
    timings = tmp_path / "timings.json"
    run = dxguard(
        "scan", str(NONCOMPLIANT), "--format", "json", "--as-of", AS_OF, "-q",
        env={"DXGUARD_TIMINGS": str(timings)},
    )  # fmt: skip
    assert run.code == 1, run.stderr
    assert run.json()["summary"]["result"] == "fail"
    assert {"load", "engine", "mapping", "render"} <= set(json.loads(timings.read_text())["stages"])


def test_end_process_exits_at_once_only_in_a_process_the_command_owns(monkeypatch):
    import atexit
    import os

    from checker import cli

    calls: list[str] = []

    class Exited(Exception):
        pass

    def fake_exit(code: int) -> None:
        calls.append(f"_exit {code}")
        raise Exited

    monkeypatch.setattr(os, "_exit", fake_exit)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: calls.append("handlers"))
    with pytest.raises(SystemExit) as ordinary:  # called in-process (tests, CliRunner)
        cli.end_process(1)
    assert ordinary.value.code == 1 and calls == []
    monkeypatch.setattr(cli, "_OWNS_PROCESS", True)
    with pytest.raises(SystemExit):
        cli.end_process(0, fast=False)  # e.g. a run that records: its store closes as usual
    assert calls == []
    with pytest.raises(Exited):
        cli.end_process(1)
    assert calls == ["handlers", "_exit 1"]
