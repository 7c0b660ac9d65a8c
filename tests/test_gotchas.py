"""No silent gotchas in the first hour: each behaviour a user could not guess is either made
right or refused with a clear message (exit 2)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import AS_OF, FIXTURES, dxguard, scan_json

NONCOMPLIANT = FIXTURES / "k8s" / "noncompliant"
NOTEBOOK = NONCOMPLIANT / "research-notebook-pod.yaml"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: research}\n"
POD = (NOTEBOOK).read_text()

# -- -o FILE takes the format its name says, or is refused -------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("dxguard.sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("results.sarif.json", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("evidence.json", lambda t: json.loads(t)["report_version"].startswith("3.")),
        ("evidence.html", lambda t: t.startswith("<!DOCTYPE html>")),
        ("summary.md", lambda t: t.startswith("### ")),
        ("junit.xml", lambda t: ET.fromstring(t.split("\n", 1)[1]).tag == "testsuites"),
        ("log.txt", lambda t: "Result: FAIL" in t),
    ],
)
def test_output_file_takes_the_format_its_extension_names(tmp_path, name, check):
    out = tmp_path / name
    run = dxguard("scan", str(NOTEBOOK), "--as-of", AS_OF, "-q", "-o", str(out))
    assert run.code == 1, run.stderr
    assert check(out.read_text()), f"{name} holds the wrong format"


def test_output_file_whose_name_says_no_format_or_another_format_is_refused(tmp_path):
    run = dxguard("scan", str(NOTEBOOK), "-o", str(tmp_path / "report"))
    assert run.code == 2 and run.stdout == ""
    assert "does not say which format" in run.stderr and "sarif=" in run.stderr
    run = dxguard("scan", str(NOTEBOOK), "--format", "json", "-o", str(tmp_path / "x.sarif"))
    assert run.code == 2
    assert "looks like a sarif file, but --format asks for json" in run.stderr
    assert not list(tmp_path.iterdir())  # refused before anything ran or was written
    # Said explicitly, any name goes.
    run = dxguard("scan", str(NOTEBOOK), "-q", "-o", f"json={tmp_path / 'x.sarif'}")
    assert run.code == 1 and json.loads((tmp_path / "x.sarif").read_text())["summary"]


# -- manifests run together without `---` -------------------------------------------------------


def test_manifests_concatenated_without_a_separator_are_an_input_error():
    run = dxguard("scan", "-", stdin=CONFIGMAP + POD)
    assert run.code == 2 and run.stdout == ""
    second = 4 + POD.splitlines().index(
        next(line for line in POD.splitlines() if line.startswith("apiVersion"))
    )
    assert f"<stdin>:{second}: a second top-level `apiVersion:`" in run.stderr
    assert "without a `---` line between them" in run.stderr
    # With the separator, both are read (and the Pod's findings reported).
    run, report = scan_json("-", stdin=CONFIGMAP + "---\n" + POD)
    assert [r["kind"] for r in report["resources"]] == ["ConfigMap", "Pod"]


def test_a_file_with_two_objects_run_together_is_refused_too_but_indented_keys_are_fine(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(POD + "kind: Pod\n")
    run = dxguard("scan", str(path))
    assert run.code == 2
    assert f"{path}:{len(POD.splitlines()) + 1}: a second top-level `kind:`" in run.stderr
    ok = tmp_path / "ok.yaml"
    ok.write_text(CONFIGMAP + "data:\n  template: |\n    kind: Pod\n    apiVersion: v1\n")
    run, report = scan_json(str(ok))
    assert report["resources"][0]["kind"] == "ConfigMap"


# -- stdin gets a name waivers can select ------------------------------------------------------


def test_stdin_filename_names_stdin_for_findings_and_waivers_file_selector(tmp_path):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "version: 1\nwaivers:\n"
        "  - id: WVR-1\n    check: DXG-K8S-PIN-002\n    resource: {file: charts/notebook/*}\n"
        "    justification: Notebook images are rebuilt daily.\n    approver: QA\n"
        "    approved: 2026-01-01\n    ticket: CHG-1\n    expires: 2027-01-01\n"
    )
    args = ("--waivers", str(waivers), "-")
    _, plain = scan_json(*args, stdin=POD)
    assert {f["file"] for f in plain["findings"]} == {"<stdin>"}
    assert plain["waivers"][0]["unused"]  # `file:` never matches <stdin> ...
    _, named = scan_json("--stdin-filename", "charts/notebook/rendered.yaml", *args, stdin=POD)
    assert {f["file"] for f in named["findings"]} == {"charts/notebook/rendered.yaml"}
    assert named["run"]["inputs"][0]["path"] == "charts/notebook/rendered.yaml"
    waived = [f for f in named["findings"] if f["status"] == "waived"]
    assert waived and {f["check"] for f in waived} == {"DXG-K8S-PIN-002"}  # ... the name does


# -- the gate and the controls, said apart, and every format follows the gate -------------------


def test_a_passing_gate_with_unsatisfied_controls_says_what_passed_and_what_did_not(tmp_path):
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    run = dxguard(
        "scan", str(NOTEBOOK), "--as-of", AS_OF, "--fail-on", "none",
        "-o", f"html={html}", "-o", f"markdown={md}", "--format", "table",
    )  # fmt: skip
    assert run.code == 0
    result = run.stdout.split("Result: ", 1)[1].replace("\n", " ")
    assert result.startswith("PASS")
    assert re.search(r"the gate passed, but \d+ control\(s\) are NOT satisfied", result)
    assert md.read_text().startswith("### ⚠️ dxguard compliance evidence: PASS")
    assert 'class="verdict pass below-gate"' in html.read_text()
    # A clean run keeps its plain PASS.
    stdin = FIXTURES / "stdin"
    clean = dxguard(
        "scan", str(stdin / "kustomize-build.yaml"), str(FIXTURES / "k8s/compliant/cluster"),
        "-c", str(stdin / "pr-check.dxguard.yaml"), "--as-of", AS_OF,
    )  # fmt: skip
    assert clean.code == 0, clean.stdout + clean.stderr
    assert "NOT satisfied" not in clean.stdout


@pytest.mark.parametrize("fail_on", ["low", "high", "critical", "none"])
def test_junit_sarif_and_annotation_errors_are_exactly_what_fails_the_run(tmp_path, fail_on):
    outs = {fmt: tmp_path / f"r.{fmt}" for fmt in ("json", "junit", "sarif", "github")}
    run = dxguard(
        "scan", str(NONCOMPLIANT), "--as-of", AS_OF, "-q", "--fail-on", fail_on,
        *(f"-o{fmt}={path}" for fmt, path in outs.items()),
    )  # fmt: skip
    assert run.code in (0, 1), run.stderr
    report = json.loads(outs["json"].read_text())
    order = ["low", "medium", "high", "critical"]
    gating = [
        f for f in report["findings"]
        if f["status"] == "failed" and fail_on != "none"
        and order.index(f["severity"]) >= order.index(fail_on)
    ]  # fmt: skip
    assert (run.code == 1) == bool(gating)

    suites = ET.parse(outs["junit"]).getroot()
    failed_cases = suites.findall(".//testcase[failure]")
    not_satisfied = sum(
        1 for fw in report["frameworks"] for c in fw["controls"] if c["status"] == "not-satisfied"
    )
    gating_ids = {f["id"] for f in gating}
    expected = sum(
        1
        for fw in report["frameworks"]
        for c in fw["controls"]
        if c["status"] == "not-satisfied" and set(c["failures"]) & gating_ids
    )
    assert len(failed_cases) == expected == int(suites.get("failures"))
    below = suites.findall(".//testcase/skipped[@message]")
    assert sum("below the --fail-on gate" in s.get("message") for s in below) == (
        not_satisfied - expected
    )

    # SARIF and the annotations keep the severity's level, but an error is only ever a failure
    # that fails the run (below the gate, critical and high are warnings).
    sarif = json.loads(outs["sarif"].read_text())
    errors = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    gating_places = {(f["check"], Path(f["file"]).as_uri(), f["line"]) for f in gating}
    for r in errors:
        loc = r["locations"][0]["physicalLocation"]
        place = (r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"])
        assert place in gating_places
    assert bool(errors) == any(f["severity"] in ("high", "critical") for f in gating)
    assert sarif["runs"][0]["properties"]["result"].startswith("PASS" if run.code == 0 else "FAIL")
    annotations = Path(outs["github"]).read_text().splitlines()
    assert any(a.startswith("::error file=") for a in annotations) == bool(errors)


def test_an_output_that_is_a_device_a_fifo_or_a_link_is_written_to_never_replaced(tmp_path):
    """-o json=/dev/null must not turn /dev/null into a file (an atomic replace would), a FIFO
    gets the report, and a link keeps pointing at the report it names."""
    import os
    import stat
    import threading

    run = dxguard(
        "scan", "fixtures/k8s/compliant", "-q", "--format", "json", "-o", "json=/dev/null"
    )
    assert run.code in (0, 1), run.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null was replaced by a file"

    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    run = dxguard("scan", "fixtures/k8s/compliant", "-q", "-o", f"json={fifo}")
    reader.join(timeout=60)
    assert run.code in (0, 1), run.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and '"report_version"' in got[0]

    real = tmp_path / "reports" / "latest.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "report.json"
    link.symlink_to(real)
    run = dxguard("scan", "fixtures/k8s/compliant", "-q", "-o", str(link))
    assert run.code in (0, 1), run.stderr
    assert link.is_symlink() and '"report_version"' in real.read_text()
