"""Waivers as controlled records, end to end on the real OPA: in force, expired, unused, expiring,
pending and per-CVE waivers; the fail-on gate; invalid waiver files stop the run with file,
line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from checker.controls import CheckStats, control_status
from checker.model import Control
from checker.waivers import _path_matches

from conftest import AS_OF, FIXTURES, dxguard, failures_of, scan_json

K8S = FIXTURES / "k8s"
NONCOMPLIANT = K8S / "noncompliant"
NOTEBOOK = NONCOMPLIANT / "research-notebook-pod.yaml"
NODE_AGENT = NONCOMPLIANT / "node-agent-daemonset.yaml"
WAIVERS = FIXTURES / "waivers" / "research-waivers.yaml"


def control(report: dict, framework: str, control_id: str) -> dict:
    fw = next(f for f in report["frameworks"] if f["id"] == framework)
    return next(c for c in fw["controls"] if c["id"] == control_id)


def waiver(report: dict, waiver_id: str) -> dict:
    return next(w for w in report["waivers"] if w["id"] == waiver_id)


def waived_of(report: dict, check: str) -> list[dict]:
    seen = {}
    for f in report["findings"]:
        if f["status"] == "waived" and f["check"] == check:
            seen[(f["resource"]["id"], f["path"], f.get("subject", ""))] = f
    return [seen[k] for k in sorted(seen)]


def write_waivers(path: Path, body: str) -> Path:
    path.write_text("version: 1\nwaivers:\n" + textwrap.dedent(body))
    return path


ENTRY = """\
  - id: {id}
    check: {check}
    resource: {{namespace: research-ml, name: notebook-jdoe}}
    justification: Accepted for the research sandbox; no patient data reaches it.
    approver: A. Lindqvist (Head of QA/RA)
    approved: 2026-10-01
    ticket: RISK-0200
    expires: {expires}
"""


@pytest.fixture(scope="module")
def full():
    return scan_json(str(K8S), "--waivers", str(WAIVERS))


@pytest.fixture(scope="module")
def notebook():
    return scan_json(str(NOTEBOOK), "--waivers", str(WAIVERS))


def test_waiver_in_force_turns_the_failure_into_waived_with_every_field_listed(notebook):
    _, report = notebook
    assert failures_of(report, "DXG-K8S-ISO-004") == []
    (waived,) = waived_of(report, "DXG-K8S-ISO-004")
    assert waived["waiver"] == {"id": "WVR-2026-002", "state": "active", "expires": "2026-12-10"}
    assert (waived["file"].rsplit("/", 1)[-1], waived["line"]) == ("research-notebook-pod.yaml", 12)
    robustness = control(report, "eu-ai-act", "EU AI Act Art. 15(4)")
    # A partial control: its checks passed once waived, manual evidence is still pending.
    assert robustness["evidence"] == "partial"
    assert robustness["status"] == "passed-manual-pending"
    assert robustness["subjects"]["waived"] == 1 and robustness["subjects"]["failed"] == 0
    (record,) = robustness["waivers"]
    assert record["id"] == "WVR-2026-002"
    assert record["resource"] == {"namespace": "research-ml", "name": "notebook-*"}
    assert record["approver"] == "A. Lindqvist (Head of QA/RA)"
    assert record["approved"] == "2026-06-01"
    assert record["ticket"] == "CHG-2291"
    assert record["expires"] == "2026-12-10"
    assert record["justification"].startswith("Interactive research notebooks")
    assert record["source"]["line"] == 22
    assert report["summary"]["subjects"]["waived"] == 1


def test_waived_failures_never_fail_the_run(tmp_path):
    unwaived, before = scan_json(str(NOTEBOOK))
    assert unwaived.code == 1
    failed = before["summary"]["subjects"]["failed"]
    checks = sorted({c["id"] for c in before["checks"] if c["failed"]})
    assert failed > 0 and checks
    body = "".join(
        ENTRY.format(id=f"W-{i}", check=c, expires="2027-01-31") for i, c in enumerate(checks)
    )
    file = write_waivers(tmp_path / "all.yaml", body)
    run, report = scan_json(str(NOTEBOOK), "--waivers", str(file))
    assert run.code == 0
    assert report["summary"]["result"] == "pass"
    assert report["summary"]["subjects"]["failed"] == 0
    assert report["summary"]["subjects"]["waived"] == failed
    statuses = {
        (fw["id"], c["id"]): c["status"] for fw in report["frameworks"] for c in fw["controls"]
    }
    assert "not-satisfied" not in statuses.values()
    failing_before = [
        (fw["id"], c["id"])
        for fw in before["frameworks"]
        for c in fw["controls"]
        if c["status"] == "not-satisfied"
    ]
    assert failing_before
    evidence = {
        (fw["id"], c["id"]): c["evidence"] for fw in report["frameworks"] for c in fw["controls"]
    }
    assert all(
        statuses[key]
        == ("satisfied-with-waivers" if evidence[key] == "automated" else "passed-manual-pending")
        for key in failing_before
    )


def test_expired_waiver_leaves_the_failure_failing_and_says_since_when(full):
    run, report = full
    assert run.code == 1
    lapsed = [f for f in failures_of(report, "DXG-K8S-ISO-002") if "waiver" in f]
    assert {f["path"] for f in lapsed} == {
        "spec.template.spec.hostNetwork",
        "spec.template.spec.hostPID",
    }
    for f in lapsed:
        assert f["waiver"] == {
            "id": "WVR-2026-003",
            "state": "expired",
            "expires": "2026-10-31",
            "expired_since": "2026-11-01",
        }
    record = waiver(report, "WVR-2026-003")
    assert record["state"] == "expired" and record["expired_since"] == "2026-11-01"
    assert record["matched"] == 2 and record["waived"] == 0 and record["days_left"] == -26
    assert report["summary"]["gate"]["lapsed_waivers"] == 2
    assert control(report, "fda-samd", "FD&C 524B(b)(2)")["status"] == "not-satisfied"


def test_expired_waiver_fails_the_run_even_below_the_fail_on_threshold(tmp_path):
    # Node agent: privileged (critical) is waived by WVR-2026-001; host namespaces (high) are
    # covered only by the expired WVR-2026-003. No unwaived critical failure remains.
    run, report = scan_json(str(NODE_AGENT), "--waivers", str(WAIVERS), "--fail-on", "critical")
    assert report["summary"]["gate"] == {"fail_on": "critical", "failing": 0, "lapsed_waivers": 2}
    assert run.code == 1 and report["summary"]["result"] == "fail"
    # Without the lapsed waiver the same failures are ordinary high findings: below critical.
    kept = WAIVERS.read_text().split("  - id: WVR-2026-003")[0]
    (tmp_path / "current.yaml").write_text(kept)
    run, report = scan_json(
        str(NODE_AGENT), "--waivers", str(tmp_path / "current.yaml"), "--fail-on", "critical"
    )
    assert report["summary"]["gate"]["lapsed_waivers"] == 0
    assert run.code == 0 and report["summary"]["result"] == "pass"


def test_unused_waiver_is_reported(full):
    _, report = full
    record = waiver(report, "WVR-2026-004")
    assert record["unused"] is True and record["matched"] == 0 and record["state"] == "active"
    assert report["summary"]["waivers"]["unused"] == 1
    run = dxguard("scan", str(K8S), "--waivers", str(WAIVERS), "--as-of", AS_OF)
    assert "waiver WVR-2026-004 is unused" in run.stderr


def test_waiver_expiring_within_the_window_is_flagged_and_the_window_is_configurable(notebook):
    _, report = notebook
    record = waiver(report, "WVR-2026-002")
    assert record["expiring"] is True and record["days_left"] == 14
    assert report["run"]["waivers"]["expiry_warning_days"] == 30
    assert not waiver(report, "WVR-2026-001")["expiring"]  # 125 days left
    _, narrow = scan_json(str(NOTEBOOK), "--waivers", str(WAIVERS), "--waiver-warning-days", "7")
    assert waiver(narrow, "WVR-2026-002")["expiring"] is False
    assert narrow["summary"]["waivers"]["expiring"] == 0


def test_waiver_approved_after_the_as_of_time_is_not_in_force():
    run, report = scan_json(str(NOTEBOOK), "--waivers", str(WAIVERS), "--as-of", "2026-05-01")
    record = waiver(report, "WVR-2026-002")
    assert record["state"] == "pending" and record["waived"] == 0 and record["matched"] == 1
    (f,) = failures_of(report, "DXG-K8S-ISO-004")
    assert f["waiver"]["state"] == "pending" and f["waiver"]["approved"] == "2026-06-01"
    assert run.code == 1


def test_waiver_states_follow_the_as_of_time_not_the_clock():
    _, later = scan_json(str(NODE_AGENT), "--waivers", str(WAIVERS), "--as-of", "2027-04-01")
    record = waiver(later, "WVR-2026-001")
    assert record["state"] == "expired" and record["expired_since"] == "2027-04-01"
    _, last_day = scan_json(str(NODE_AGENT), "--waivers", str(WAIVERS), "--as-of", "2027-03-31")
    assert waiver(last_day, "WVR-2026-001")["state"] == "active"  # in force on its expiry date
    assert waiver(last_day, "WVR-2026-001")["days_left"] == 0


# -- per-CVE waivers -------------------------------------------------------------------------

# A test-only check that emits one failure per CVE listed in a Pod annotation, with the CVE id
# as the result's subject — the shape the image-scanning checks use for scan findings.
CVE_CHECK = """\
# METADATA
# title: Test fixture - known vulnerabilities listed on a pod
# description: |
#   Test-only stand-in for an image-scan check: one failure per CVE id listed in the
#   fixture.dxguard/cves annotation, with the CVE id as the result's subject.
# scope: package
# custom:
#   id: DXG-K8S-SCN-901
#   family: scanning
#   severity: high
#   targets:
#     k8s: [Pod]
#   remediation: Rebuild the image on a base without the vulnerable packages.
#   scope: object
package dxguard.checks.k8s.cve_fixture

import data.lib.check

meta := check.meta(rego.metadata.chain())

subjects contains check.named_subject(r.id, "metadata.annotations", cve, msg) if {
	some r in input.resources
	r.kind == "Pod"
	some cve in split(r.object.metadata.annotations["fixture.dxguard/cves"], ",")
	msg := sprintf("the image has the known vulnerability %s; rebuild it", [cve])
}

subjects contains check.subject(r.id, "metadata.annotations", "") if {
	some r in input.resources
	r.kind == "Pod"
	not r.object.metadata.annotations["fixture.dxguard/cves"]
}
"""

CVE_POD = """\
# A pod whose image (per the test-only annotation) has two known vulnerabilities.
apiVersion: v1
kind: Pod
metadata:
  name: dicom-anonymiser
  namespace: clinical-imaging
  annotations:
    fixture.dxguard/cves: CVE-2026-1111,CVE-2026-2222
spec:
  securityContext:
    runAsNonRoot: true
  containers:
    - name: anonymiser
      image: "registry.dx.example/imaging/anonymiser:3.1.0@sha256:{digest}"
      resources:
        requests: {cpu: 500m, memory: 512Mi}
        limits: {cpu: 500m, memory: 512Mi}
""".replace("{digest}", "0a1b2c3d4e5f6071" * 4)


@pytest.fixture()
def cve_home(project_copy: Path) -> Path:
    (project_copy / "rego" / "k8s" / "cve_fixture.rego").write_text(CVE_CHECK)
    catalog = project_copy / "controls" / "fda-samd.yaml"
    data = yaml.safe_load(catalog.read_text())
    (control,) = [c for c in data["controls"] if c["id"] == "FD&C 524B(b)(2)"]
    control["checks"].append("DXG-K8S-SCN-901")
    catalog.write_text(yaml.safe_dump(data, sort_keys=False))
    return project_copy


def test_per_cve_waiver_waives_only_that_subject(cve_home, tmp_path):
    pod = tmp_path / "anonymiser-pod.yaml"
    pod.write_text(CVE_POD)
    file = write_waivers(
        tmp_path / "cve-waivers.yaml",
        """\
          - id: WVR-CVE-1111
            check: DXG-K8S-SCN-901
            resource: {kind: Pod, namespace: clinical-imaging, name: dicom-anonymiser}
            subject: CVE-2026-1111
            justification: The vulnerable TIFF parser is not reachable from DICOM input.
            approver: M. Okafor (Security Officer)
            approved: 2026-11-02
            ticket: RISK-0177
            expires: 2027-01-15
        """,
    )
    run, report = scan_json(
        str(pod), "--waivers", str(file), "-f", "fda-samd", env={"DXGUARD_HOME": str(cve_home)}
    )
    assert [f["subject"] for f in waived_of(report, "DXG-K8S-SCN-901")] == ["CVE-2026-1111"]
    (still,) = failures_of(report, "DXG-K8S-SCN-901")
    assert still["subject"] == "CVE-2026-2222" and "waiver" not in still
    record = waiver(report, "WVR-CVE-1111")
    assert record["subject"] == "CVE-2026-1111" and record["waived"] == 1
    assert control(report, "fda-samd", "FD&C 524B(b)(2)")["status"] == "not-satisfied"
    assert run.code == 1


# -- the fail-on gate and framework selection ----------------------------------------------


def test_fail_on_threshold_decides_the_exit_code():
    # The notebook pod fails high (run as root, digest) and medium (limits, latest) checks.
    for threshold, code in [("low", 1), ("medium", 1), ("high", 1), ("critical", 0), ("none", 0)]:
        run, report = scan_json(str(NOTEBOOK), "--fail-on", threshold)
        assert run.code == code, threshold
        assert report["summary"]["gate"]["fail_on"] == threshold
        assert report["run"]["fail_on"] == threshold
        # The threshold decides the verdict, never the control statuses.
        assert control(report, "fda-samd", "FD&C 524B(b)(2)")["status"] == "not-satisfied"


def test_framework_selection_and_fail_on_decide_the_exit_code_together(tmp_path):
    # With the digest failures waived, IEC 62304 keeps only medium findings on the notebook,
    # IEC 81001-5-1 keeps a high one (runs as root).
    file = write_waivers(
        tmp_path / "pin.yaml",
        ENTRY.format(id="W-PIN", check="DXG-K8S-PIN-001", expires="2027-01-31"),
    )
    args = (str(NOTEBOOK), "--waivers", str(file), "--fail-on", "high")
    assert scan_json(*args, "-f", "iec-62304")[0].code == 0
    assert scan_json(*args, "-f", "iec-81001-5-1")[0].code == 1


# -- invalid waiver files -------------------------------------------------------------------

VALID = """\
version: 1
waivers:
  - id: W-1
    check: DXG-K8S-ISO-004
    resource:
      name: notebook-jdoe
    justification: Sized per session.
    approver: A. Lindqvist
    approved: 2026-06-01
    ticket: CHG-1
    expires: 2026-12-10
"""


@pytest.mark.parametrize(
    ("change", "line", "expected"),
    [
        (
            ("    justification: Sized per session.\n", ""),
            3,
            "'justification' is a required property",
        ),
        (("expires: 2026-12-10", "expires: next month"), 11, "expires: 'next month' is not a date"),
        (("expires: 2026-12-10", "expires: 2026-13-01"), 11, "is not a date in the calendar"),
        (
            ("expires: 2026-12-10", "expires: 2026-05-01"),
            11,
            "expires (2026-05-01) before it was approved",
        ),
        (
            ("approved: 2026-06-01", 'approved: "2026-02-30"'),
            9,
            "approved '2026-02-30' is not a date",
        ),
        (("    resource:\n      name: notebook-jdoe\n", "    resource: {}\n"), 5, "resource"),
        (
            ("      name: notebook-jdoe\n", "      name: notebook-jdoe\n      image: x\n"),
            7,
            "'image' was unexpected",
        ),
        (
            ("check: DXG-K8S-ISO-004", "check: DXG-K8S-ISO-999"),
            4,
            "names check 'DXG-K8S-ISO-999', which does not exist",
        ),
        (("version: 1", "version: 2"), 1, "version"),
        (("  - id: W-1", "  - id: W-1\n    id2: x"), 4, "'id2' was unexpected"),
    ],
)
def test_invalid_waiver_file_exits_2_naming_file_line_and_key(tmp_path, change, line, expected):
    old, new = change
    assert old in VALID
    file = tmp_path / "waivers.yaml"
    file.write_text(VALID.replace(old, new, 1))
    run = dxguard("scan", str(NOTEBOOK), "--waivers", str(file), "--as-of", AS_OF)
    assert run.code == 2, run.stderr
    assert f"{file}:{line}:" in run.stderr
    assert expected in run.stderr
    assert run.stdout == ""  # no report from a run with an invalid waiver file


def test_duplicate_waiver_ids_and_unreadable_files_exit_2(tmp_path):
    file = tmp_path / "dup.yaml"
    file.write_text(VALID + VALID.split("waivers:\n", 1)[1])
    run = dxguard("scan", str(NOTEBOOK), "--waivers", str(file))
    assert run.code == 2 and f"{file}:12:" in run.stderr and "already used on line 3" in run.stderr
    missing = dxguard("scan", str(NOTEBOOK), "--waivers", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "cannot read waiver file" in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nwaivers: [\n")
    run = dxguard("scan", str(NOTEBOOK), "--waivers", str(broken))
    assert run.code == 2 and f"{broken}:3" in run.stderr and "malformed YAML" in run.stderr


def test_file_globs_match_the_path_or_any_trailing_part_of_it():
    path = "/work/repo/deploy/research/notebook.yaml"
    assert _path_matches(path, "deploy/research/*.yaml")
    assert _path_matches(path, "research/notebook.yaml")
    assert _path_matches(path, "*.yaml")
    assert _path_matches("deploy/research/notebook.yaml", "deploy/*")
    assert not _path_matches(path, "clinical/*.yaml")
    assert not _path_matches(path, "search/notebook.yaml")  # only whole path segments


def test_status_rules_with_waivers():
    c = Control("X 1", "t", "requirement text", "automated", ("A-B-C", "D-E-F"), "verified")
    waived = {"A-B-C": CheckStats(passed=2, waived=1)}
    assert control_status(c, waived) == "satisfied-with-waivers"
    assert control_status(c, {**waived, "D-E-F": CheckStats(failed=1)}) == "not-satisfied"
    assert control_status(c, {"A-B-C": CheckStats(waived=1)}) == "satisfied-with-waivers"
    assert control_status(c, {"A-B-C": CheckStats(passed=1)}) == "satisfied"
