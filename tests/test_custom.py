"""The team's own checks and catalogs join a scan on the real OPA; bad ones stop it with file:line.

Custom policies (--policy), custom catalogs (--controls) and checks disabled in the config, end
to end through the command line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import FIXTURES, ROOT, dxguard, scan_json

CUSTOM = FIXTURES / "custom"
COMPLIANT = FIXTURES / "k8s" / "compliant"

TWO_DEPLOYMENTS = """\
# Two workloads: one names its owning team, one does not.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tiler
  namespace: research-pathology
  labels: {acme.example/team: pathology-platform}
spec:
  selector: {matchLabels: {app: tiler}}
  template:
    metadata: {labels: {app: tiler}}
    spec:
      containers:
        - name: tiler
          image: registry.dx.example/pathology/tiler@DIGEST1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: viewer
  namespace: research-pathology
spec:
  selector: {matchLabels: {app: viewer}}
  template:
    metadata: {labels: {app: viewer}}
    spec:
      containers:
        - name: viewer
          image: registry.dx.example/pathology/viewer@DIGEST2
""".replace("DIGEST1", "sha256:" + "1" * 64).replace("DIGEST2", "sha256:" + "2" * 64)

META = """\
# METADATA
# title: A team check
# description: |
#   A check a team wrote for its own rules.
# scope: package
# custom:
#   id: {id}
#   family: logging
#   severity: {severity}
#   targets:
#     k8s: [Deployment]
#   remediation: Do what the team's SOP says.
#   scope: object
"""

BODY = """\
import data.lib.check

meta := check.meta(rego.metadata.chain())

subjects contains check.subject(r.id, "metadata", "") if {
	some r in input.resources
	r.kind == "Deployment"
}
"""


def custom_check(
    folder: Path,
    name: str = "team_check",
    *,
    check_id: str = "TEAM-K8S-LOG-001",
    severity: str = "low",
    package: str | None = None,
    metadata: bool = True,
    body: str = BODY,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    head = META.format(id=check_id, severity=severity) if metadata else ""
    pkg = package or f"dxguard.checks.k8s.{name}"
    path = folder / f"{name}.rego"
    path.write_text(f"{head}package {pkg}\n\n{body}")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


@pytest.fixture()
def workloads(tmp_path: Path) -> Path:
    path = tmp_path / "deploy.yaml"
    path.write_text(TWO_DEPLOYMENTS)
    return path


# -- a custom check and a custom catalog, end to end ------------------------------------------


def test_custom_check_and_catalog_take_part_in_a_scan_end_to_end(tmp_path, workloads):
    policy = tmp_path / "policy"
    controls = tmp_path / "controls"
    shutil.copytree(CUSTOM / "policy", policy)
    shutil.copytree(CUSTOM / "controls", controls)
    run, report = scan_json(str(workloads), "--policy", str(policy), "--controls", str(controls))
    schema = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)

    check = next(c for c in report["checks"] if c["id"] == "ACME-K8S-LOG-001")
    assert check["origin"] == "custom"
    assert (check["passed"], check["failed"]) == (1, 1)
    failures = [
        f for f in report["findings"] if f["status"] == "failed" if f["check"] == "ACME-K8S-LOG-001"
    ]
    assert {f["resource"]["name"] for f in failures} == {"viewer"}
    assert failures[0]["file"] == str(workloads) and failures[0]["line"] == 19

    # A new framework from the custom catalog, reported control by control.
    acme = next(fw for fw in report["frameworks"] if fw["id"] == "acme-sop")
    by_id = {c["id"]: c for c in acme["controls"]}
    assert by_id["SOP-IT-014 §4.2"]["status"] == "not-satisfied"
    # Both images pinned by digest; the release record is manual evidence (partial control).
    assert by_id["SOP-IT-021 §3.1"]["status"] == "passed-manual-pending"

    # The overlay replaced the mapping of one built-in control and left the others alone.
    iso = next(fw for fw in report["frameworks"] if fw["id"] == "iso-13485")
    infra = next(c for c in iso["controls"] if c["id"] == "ISO 13485:2016 6.3")
    assert "ACME-K8S-LOG-001" in [c["id"] for c in infra["checks"]]
    assert infra["catalog"] == f"{controls}/iso-13485-acme.yaml"
    assert all("catalog" not in c for c in iso["controls"] if c["id"] != "ISO 13485:2016 6.3")

    # Run metadata names every catalog file and custom policy file with its digest.
    catalogs = {c["file"]: c for c in report["run"]["catalogs"]}
    for name in ("acme-sop.yaml", "iso-13485-acme.yaml"):
        entry = catalogs[f"{controls}/{name}"]
        assert entry["origin"] == "custom"
        assert entry["sha256"] == hashlib.sha256((controls / name).read_bytes()).hexdigest()
    assert catalogs["controls/iso-13485.yaml"]["origin"] == "builtin"
    (pol,) = report["run"]["custom_policies"]
    assert pol["file"] == f"{policy}/acme_team_label.rego"
    assert pol["package"] == "dxguard.checks.k8s.acme_team_label"
    assert (
        pol["sha256"] == hashlib.sha256((policy / "acme_team_label.rego").read_bytes()).hexdigest()
    )

    # The bundle digest covers the custom module: it differs from a run without it.
    _, plain = scan_json(str(workloads))
    assert plain["run"]["bundle"]["modules"] == report["run"]["bundle"]["modules"] - 1
    assert plain["run"]["bundle"]["sha256"] != report["run"]["bundle"]["sha256"]
    assert plain["run"]["custom_policies"] == []


def test_config_brings_policies_catalogs_and_disabled_checks_relative_to_itself(workloads):
    _, report = scan_json(str(workloads), "-c", str(CUSTOM / "dxguard.yaml"))
    assert "acme-sop" in [fw["id"] for fw in report["frameworks"]]
    assert report["run"]["custom_policies"][0]["file"] == f"{CUSTOM}/policy/acme_team_label.rego"
    (disabled,) = report["run"]["disabled_checks"]
    assert disabled["id"] == "DXG-K8S-PIN-002" and "RA-2026-031" in disabled["reason"]
    pin2 = next(c for c in report["checks"] if c["id"] == "DXG-K8S-PIN-002")
    assert pin2["disabled"]["reason"].startswith("Risk assessment RA-2026-031")
    assert pin2["examined"] == 0
    assert all("DXG-K8S-PIN-002" not in r["checks"] for r in report["resources"])


def test_custom_checks_are_listed_and_explained_with_their_controls():
    run = dxguard("checks", "list", "--format", "json", "-c", str(CUSTOM / "dxguard.yaml"))
    assert run.code == 0, run.stderr
    rows = {r["id"]: r for r in json.loads(run.stdout)}
    assert rows["ACME-K8S-LOG-001"]["origin"] == "custom"
    assert "acme-sop: SOP-IT-014 §4.2" in rows["ACME-K8S-LOG-001"]["controls"]
    assert "iso-13485: ISO 13485:2016 6.3" in rows["ACME-K8S-LOG-001"]["controls"]
    assert rows["DXG-K8S-PIN-002"]["disabled"]["reason"].startswith("Risk assessment")

    text = dxguard("explain", "ACME-K8S-LOG-001", "--policy", str(CUSTOM / "policy"))
    assert text.code == 0, text.stderr
    assert f"{CUSTOM}/policy/acme_team_label.rego" in text.stdout
    assert "How to fix a failure" in text.stdout and "acme.example/team" in text.stdout


# -- bad custom policies: exit 2 naming file and line -----------------------------------------


def _scan_with_policy(policy: Path, *extra: str):
    return dxguard("scan", str(COMPLIANT), "--policy", str(policy), *extra)


def test_rego_syntax_error_is_exit_2_with_file_and_line(tmp_path):
    path = custom_check(tmp_path / "p", body=BODY.replace("r.kind ==", "r.kind == =="))
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert "policy error" in run.stderr
    assert f"{path}:{line_of(path, 'r.kind ==')}: rego_parse_error" in run.stderr
    assert run.stdout == ""


def test_compile_error_is_exit_2_with_file_and_line(tmp_path):
    body = BODY.replace('r.kind == "Deployment"', "acme_is_workload(r)")
    path = custom_check(tmp_path / "p", body=body)
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert f"{path}:{line_of(path, 'acme_is_workload')}: rego_type_error: undefined function" in (
        run.stderr
    )


def test_missing_metadata_is_exit_2_with_file_and_line(tmp_path):
    path = custom_check(tmp_path / "p", metadata=False)
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert (
        f"{path}:1: check package dxguard.checks.k8s.team_check has no METADATA block" in run.stderr
    )


def test_invalid_metadata_names_the_line_of_the_key(tmp_path):
    path = custom_check(tmp_path / "p", severity="urgent")
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert f"{path}:{line_of(path, 'severity: urgent')}: METADATA custom.severity" in run.stderr
    assert "'urgent' is not one of" in run.stderr


def test_id_clash_with_a_built_in_check_names_file_and_line(tmp_path):
    path = custom_check(tmp_path / "p", check_id="DXG-K8S-ISO-001")
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert f"{path}:{line_of(path, 'id: DXG-K8S-ISO-001')}: check id DXG-K8S-ISO-001" in run.stderr
    assert "dxguard.checks.k8s.privileged" in run.stderr


def test_id_clash_between_two_custom_checks_names_both(tmp_path):
    first = custom_check(tmp_path / "p", "first")
    second = custom_check(tmp_path / "p", "second")
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    line = line_of(second, "id: TEAM")
    assert f"{second}:{line}: check id TEAM-K8S-LOG-001 is also declared by {first}:" in run.stderr


def test_a_package_dxguard_never_evaluates_is_an_error_naming_the_file(tmp_path):
    path = custom_check(tmp_path / "p", package="acme.checks.team_check")
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert f"{path}:{line_of(path, 'package ')}: package acme.checks.team_check is not one" in (
        run.stderr
    )
    assert "dxguard.checks.<target>.<name>" in run.stderr


def test_a_custom_file_may_not_add_rules_to_a_built_in_check(tmp_path):
    sneaky = tmp_path / "p" / "privileged_extra.rego"
    sneaky.parent.mkdir()
    sneaky.write_text(
        "package dxguard.checks.k8s.privileged\n\n"
        "import data.lib.check\n\n"
        'subjects contains {"resource": r.id, "path": "", "problem": ""} if {\n'
        "\tsome r in input.resources\n}\n"
    )
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert f"{sneaky}:1: package dxguard.checks.k8s.privileged overlaps the built-in" in run.stderr


def test_a_check_without_meta_or_subjects_rule_is_an_error(tmp_path):
    no_meta = custom_check(
        tmp_path / "a",
        body='subjects contains {"resource": r.id, "path": "", "problem": ""} if {\n'
        "\tsome r in input.resources\n}\n",
    )
    run = _scan_with_policy(tmp_path / "a")
    assert run.code == 2
    assert f"{no_meta}:{line_of(no_meta, 'package ')}: check package" in run.stderr
    assert "defines no `meta` rule" in run.stderr

    no_results = custom_check(
        tmp_path / "b",
        body="import data.lib.check\n\nmeta := check.meta(rego.metadata.chain())\n",
    )
    run = _scan_with_policy(tmp_path / "b")
    assert run.code == 2
    assert f"{no_results}:{line_of(no_results, 'package ')}: check package" in run.stderr
    assert "defines no `subjects` rule" in run.stderr


def test_unknown_parameter_in_custom_metadata_is_an_error(tmp_path):
    path = custom_check(tmp_path / "p")
    text = path.read_text().replace(
        "#   remediation:", "#   parameters: [team_names]\n#   remediation:"
    )
    path.write_text(text)
    run = _scan_with_policy(tmp_path / "p")
    assert run.code == 2
    assert f"{path}:{line_of(path, 'parameters:')}: METADATA custom.parameters" in run.stderr


def test_missing_or_empty_policy_folder_is_a_usage_error(tmp_path):
    run = _scan_with_policy(tmp_path / "nowhere")
    assert run.code == 2 and "--policy" in run.stderr and "no such folder" in run.stderr
    (tmp_path / "empty").mkdir()
    run = _scan_with_policy(tmp_path / "empty")
    assert run.code == 2 and "holds no .rego checks" in run.stderr


def test_custom_policies_are_refused_with_an_external_opa(tmp_path):
    custom_check(tmp_path / "p")
    run = _scan_with_policy(tmp_path / "p", "--opa-url", "http://127.0.0.1:9")
    assert run.code == 2
    assert "usage error" in run.stderr and "cannot be used with --opa-url" in run.stderr


def test_test_files_and_helper_libraries_beside_custom_checks_are_fine(tmp_path, workloads):
    folder = tmp_path / "p"
    custom_check(
        folder,
        body=BODY.replace(
            "import data.lib.check", "import data.lib.check\nimport data.lib.acme"
        ).replace('r.kind == "Deployment"', "acme.workload(r)"),
    )
    (folder / "lib.rego").write_text(
        'package lib.acme\n\nworkload(r) if r.kind in {"Deployment", "StatefulSet"}\n'
    )
    (folder / "team_check_test.rego").write_text(
        "package dxguard.checks.k8s.team_check_test\n\ntest_nothing if true\n"
    )
    (folder / "data.yaml").write_text("not: [loaded\n")  # OPA would choke on it; dxguard skips it
    _, report = scan_json(str(workloads), "--policy", str(folder))
    check = next(c for c in report["checks"] if c["id"] == "TEAM-K8S-LOG-001")
    assert check["passed"] == 2
    assert {p["package"] for p in report["run"]["custom_policies"]} == {
        "dxguard.checks.k8s.team_check",
        "lib.acme",
    }


# -- disabled checks --------------------------------------------------------------------------

# Evaluating this check's results with more than one Deployment is a runtime conflict (a complete
# rule with two values), which makes OPA fail the whole query.
EXPLODING = """\
import data.lib.check

meta := check.meta(rego.metadata.chain())

name := r.name if {
	some r in input.resources
}

subjects contains check.subject(r.id, "metadata", "") if {
	some r in input.resources
	name != ""
}
"""


def test_a_disabled_check_is_not_evaluated(tmp_path, workloads):
    custom_check(tmp_path / "p", body=EXPLODING)
    enabled = dxguard("scan", str(workloads), "--policy", str(tmp_path / "p"))
    assert enabled.code == 2 and "engine error" in enabled.stderr  # proof that it explodes

    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text(
        "version: 1\nchecks:\n  disabled:\n"
        "    - {id: TEAM-K8S-LOG-001, reason: Replaced by the platform team's admission policy.}\n"
    )
    _, report = scan_json(str(workloads), "--policy", str(tmp_path / "p"), "-c", str(cfg))
    check = next(c for c in report["checks"] if c["id"] == "TEAM-K8S-LOG-001")
    assert check["disabled"] == {"reason": "Replaced by the platform team's admission policy."}
    assert check["examined"] == 0


def test_a_control_whose_checks_are_all_disabled_is_never_satisfied(tmp_path):
    evidence = str(FIXTURES / "images" / "compliant")
    trust = yaml.safe_load((FIXTURES / "images" / "dxguard.yaml").read_text())
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump({**trust, "frameworks": ["iso-13485"]}))
    _, before = scan_json(str(COMPLIANT), evidence, "-c", str(base))
    was = {c["id"]: c for c in before["frameworks"][0]["controls"]}
    # 7.5.9.1 passed on the compliant fixtures; disable every check it cites.
    assert was["ISO 13485:2016 7.5.9.1"]["status"] == "passed-manual-pending"
    cited = [c["id"] for c in was["ISO 13485:2016 7.5.9.1"]["checks"]]
    disabled = [{"id": cid, "reason": "Covered by the registry's admission rules (RA-12)."}
                for cid in cited]  # fmt: skip
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text(yaml.safe_dump({**trust, "frameworks": ["iso-13485"],
                                   "checks": {"disabled": disabled}}))  # fmt: skip
    _, report = scan_json(str(COMPLIANT), evidence, "-c", str(cfg))
    iso = {c["id"]: c for c in report["frameworks"][0]["controls"]}
    traceability = iso["ISO 13485:2016 7.5.9.1"]
    assert traceability["status"] == "manual"
    assert traceability["manual_evidence_required"] is True
    assert traceability["disabled_checks"] == cited
    assert all(c["disabled"] for c in traceability["checks"])
    # A control that keeps other checks takes its status from them and says which were disabled.
    (partly,) = [
        c for c in iso.values()
        if c.get("disabled_checks") and len(c["disabled_checks"]) < len(c["checks"])
        and c["id"] == "ISO 13485:2016 7.5.6"
    ]  # fmt: skip
    assert partly["status"] == "passed-manual-pending"
    assert set(partly["disabled_checks"]) == set(cited) & {c["id"] for c in partly["checks"]}


def test_disabling_an_unknown_check_names_the_config_line(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text(
        "version: 1\nchecks:\n  disabled:\n"
        "    - id: DXG-K8S-ISO-999\n      reason: A typo in the check id here.\n"
    )
    run = dxguard("scan", str(COMPLIANT), "-c", str(cfg))
    assert run.code == 2
    assert f"{cfg}:4: checks.disabled names DXG-K8S-ISO-999" in run.stderr


def test_a_disabled_check_without_a_reason_is_a_config_error(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nchecks:\n  disabled:\n    - id: DXG-K8S-ISO-001\n")
    run = dxguard("scan", str(COMPLIANT), "-c", str(cfg))
    assert run.code == 2
    assert f"{cfg}:4: invalid config at checks.disabled.0" in run.stderr
    assert "'reason' is a required property" in run.stderr


# -- bad custom catalogs: exit 2 naming file and line -----------------------------------------

CATALOG = """\
framework:
  id: nb-checklist
  title: Notified body checklist
  version: "1"
  description: The technical documentation checklist of our notified body.
controls:
  - id: NB-TD-7
    title: Software versions are identified
    requirement: Every deployed software item is identified by an immutable version.
    evidence: automated
    citation: verified
    checks: [DXG-K8S-PIN-001]
"""


def _scan_with_controls(folder: Path):
    return dxguard("scan", str(COMPLIANT), "--controls", str(folder))


def test_custom_catalog_schema_error_names_file_and_line(tmp_path):
    path = tmp_path / "c" / "nb.yaml"
    path.parent.mkdir()
    path.write_text(CATALOG.replace("evidence: automated", "evidence: mostly"))
    run = _scan_with_controls(tmp_path / "c")
    assert run.code == 2
    assert f"{path}:10: controls[0] (NB-TD-7).evidence: 'mostly' is not one of" in run.stderr


def test_custom_catalog_citing_an_unknown_check_names_file_and_line(tmp_path):
    path = tmp_path / "c" / "nb.yaml"
    path.parent.mkdir()
    path.write_text(CATALOG.replace("[DXG-K8S-PIN-001]", "[DXG-K8S-PIN-001, TEAM-K8S-LOG-404]"))
    run = _scan_with_controls(tmp_path / "c")
    assert run.code == 2
    assert f"{path}:12: control 'NB-TD-7' cites check 'TEAM-K8S-LOG-404'" in run.stderr


def test_two_custom_catalogs_overriding_one_control_is_an_error(tmp_path):
    one = tmp_path / "c" / "a.yaml"
    one.parent.mkdir()
    one.write_text((CUSTOM / "controls" / "iso-13485-acme.yaml").read_text())
    two = tmp_path / "c" / "b.yaml"
    two.write_text(one.read_text())
    run = _scan_with_controls(tmp_path / "c")
    assert run.code == 2
    line = line_of(two, '- id: "ISO 13485:2016 6.3"')
    assert f"{two}:{line}: control 'ISO 13485:2016 6.3' of framework 'iso-13485' is also " in (
        run.stderr
    )
    assert f"defined by {one}:{line}" in run.stderr


def test_malformed_custom_catalog_yaml_and_missing_folder_are_exit_2(tmp_path):
    path = tmp_path / "c" / "nb.yaml"
    path.parent.mkdir()
    path.write_text("framework: [unclosed\n")
    run = _scan_with_controls(tmp_path / "c")
    assert run.code == 2 and f"{path}:2" in run.stderr
    run = _scan_with_controls(tmp_path / "nowhere")
    assert run.code == 2 and "--controls" in run.stderr and "no such folder" in run.stderr
