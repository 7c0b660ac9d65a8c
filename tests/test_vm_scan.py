"""VM checks end to end on the real OPA: validated VMs pass, each non-compliant VM template fails
at its file and line, the Packer HCL2 template and its JSON twin agree, and VM and Kubernetes
results share one control-by-control report. Assertions are on the VM checks' own results."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, control_failures, failures_of, results_of, scan_json

VM = FIXTURES / "vm"
CONFIG = str(VM / "dxguard.yaml")
REPORT_SCHEMA = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
VM_CHECKS = [
    *(f"DXG-VM-PIN-00{n}" for n in range(1, 4)),
    *(f"DXG-VM-ISO-00{n}" for n in range(1, 9)),
    *(f"DXG-VM-LOG-00{n}" for n in range(1, 4)),
]


@pytest.fixture(scope="module")
def compliant():
    return scan_json("-c", CONFIG, str(VM / "compliant"))[1]


@pytest.fixture(scope="module")
def noncompliant():
    return scan_json("-c", CONFIG, str(VM / "noncompliant"))[1]


def test_validated_clinical_vms_pass_every_vm_check(compliant):
    for cid in VM_CHECKS:
        rows = results_of(compliant, cid)
        assert rows, f"{cid} examined nothing in the compliant VM fixtures"
        assert all(r["failed"] == 0 for r in rows), (cid, failures_of(compliant, cid))


def test_both_validated_vm_variants_are_examined_by_the_clinical_checks(compliant):
    for cid, kinds in [
        ("DXG-VM-ISO-007", {"VirtualMachine"}),  # KubeVirt dedicated CPUs
        ("DXG-VM-ISO-005", {"aws_instance"}),  # Terraform: no public IP
        ("DXG-VM-ISO-001", {"VirtualMachine", "aws_instance", "PackerSource"}),
    ]:
        examined = {r["id"].split("#")[0] for r in results_of(compliant, cid)}
        seen = {r["kind"] for r in compliant["resources"] if r["id"].split("#")[0] in examined}
        assert kinds <= seen, (cid, seen)


def test_controls_served_by_vm_checks_have_vm_evidence(compliant):
    for fw in compliant["frameworks"]:
        for c in fw["controls"]:
            rows = [ch for ch in c["checks"] if ch["id"].startswith("DXG-VM-")]
            if rows:
                assert sum(ch["examined"] for ch in rows) > 0, (fw["id"], c["id"])
                assert all(ch["failed"] == 0 for ch in rows), (fw["id"], c["id"])


NC = "fixtures/vm/noncompliant/"
KV = NC + "kubevirt-research-style-clinical-vm.yaml"
TF = NC + "terraform-mixed-cloud.plan.json"
PK = NC + "packer/base-latest.pkr.hcl"


@pytest.mark.parametrize(
    ("check", "file", "line", "path", "text"),
    [
        (
            "DXG-VM-PIN-001",
            KV,
            38,
            "spec.template.spec.volumes[0].containerDisk.image",
            "no sha256",
        ),
        ("DXG-VM-PIN-001", PK, 26, "source.source_ami_filter[0].most_recent", "most_recent"),
        ("DXG-VM-PIN-001", PK, 32, "source.iso_checksum", "iso_checksum"),
        ("DXG-VM-PIN-001", TF, 141, "values.source_image_reference[0].version", "latest"),
        ("DXG-VM-PIN-002", TF, 37, "values.tags", "does not declare its OS"),
        ("DXG-VM-PIN-003", TF, 600, "configuration.provider_config.aws", "~> 5.0"),
        ("DXG-VM-PIN-003", PK, 7, "packer.required_plugins.amazon", ">= 1.2.0"),
        ("DXG-VM-ISO-001", KV, 16, "spec.template.spec.domain.firmware", "Secure Boot is off"),
        ("DXG-VM-ISO-001", TF, 82, "values.shielded_instance_config", "Secure Boot is off"),
        ("DXG-VM-ISO-002", KV, 40, "spec.template.spec.volumes[1].hostDisk", "host-disk"),
        ("DXG-VM-ISO-002", KV, 33, "spec.template.spec.domain.devices.gpus[0]", "gpu"),
        ("DXG-VM-ISO-003", TF, 30, "values.root_block_device[0].encrypted", "not encrypted"),
        ("DXG-VM-ISO-004", TF, 22, "values.metadata_options[0].http_tokens", "IMDSv1"),
        ("DXG-VM-ISO-005", TF, 17, "values.associate_public_ip_address", "public IP"),
        ("DXG-VM-ISO-006", TF, 18, "values.tenancy", "default tenancy"),
        ("DXG-VM-ISO-007", KV, 57, "spec.instancetype", "not in the scanned input"),
        ("DXG-VM-ISO-008", KV, 21, "spec.template.spec.domain.devices", "serial console"),
        ("DXG-VM-LOG-001", NC + "cloud-init/viewer-user-data.yaml", 4, "packages", "auditd"),
        ("DXG-VM-LOG-002", TF, 196, "values.object_lock_enabled", "not write-once"),
        ("DXG-VM-LOG-003", TF, 211, "values.enable_log_file_validation", "validation is off"),
    ],
)
def test_noncompliant_vm_templates_fail_each_check_at_file_line_and_field(
    noncompliant, check, file, line, path, text
):
    hits = [
        f
        for f in failures_of(noncompliant, check)
        if f["file"].endswith(file) and f["path"] == path
    ]
    assert hits, (check, [(f["file"], f["path"]) for f in failures_of(noncompliant, check)])
    assert hits[0]["line"] == line
    assert text in hits[0]["message"]


def _vm_results(report: dict) -> list[tuple]:
    """Each VM check's failures, file names left out: what the two twins must agree on."""
    rows = []
    for cid in VM_CHECKS:
        for r in results_of(report, cid):
            kind = next(x["kind"] for x in report["resources"] if x["id"] == r["id"])
            rows.append((cid, kind, r["id"].split("#", 1)[1], r["passed"], r["failed"]))
        for f in failures_of(report, cid):
            rows.append((cid, f["resource"]["kind"], f["path"], f["message"]))
    return sorted(rows, key=str)


def test_packer_hcl2_template_and_its_json_twin_give_the_same_results(tmp_path):
    _, hcl = scan_json("-c", CONFIG, str(VM / "compliant/packer-hcl"))
    _, js = scan_json("-c", CONFIG, str(VM / "compliant/packer-json"))
    assert _vm_results(hcl) == _vm_results(js)
    assert any(row[0] == "DXG-VM-PIN-003" for row in _vm_results(hcl))
    # …and so do their non-compliant variants (the plugin range made a failure in both).
    hcl_text = (VM / "compliant/packer-hcl/clinical-rocky9.pkr.hcl").read_text()
    json_text = (VM / "compliant/packer-json/clinical-rocky9.pkr.json").read_text()
    bad_hcl = Path(tmp_path / "h/base/t.pkr.hcl")  # same folder name: same template name
    bad_json = Path(tmp_path / "j/base/t.pkr.json")
    bad_hcl.parent.mkdir(parents=True)
    bad_json.parent.mkdir(parents=True)
    bad_hcl.write_text(
        hcl_text.replace('"= 1.3.3"', '"~> 1.3"').replace(
            "encrypt_boot  = true", "encrypt_boot  = false"
        )
    )
    bad_json.write_text(
        json_text.replace('"= 1.3.3"', '"~> 1.3"').replace(
            '"encrypt_boot": true', '"encrypt_boot": false'
        )
    )
    _, h = scan_json("-c", CONFIG, str(bad_hcl.parent))
    _, j = scan_json("-c", CONFIG, str(bad_json.parent))
    assert _vm_results(h) == _vm_results(j)
    assert {r[0] for r in _vm_results(h) if len(r) == 4} == {"DXG-VM-PIN-003", "DXG-VM-ISO-003"}


def test_without_a_validated_os_list_the_validated_vm_fails_the_os_check():
    _, report = scan_json(str(VM / "compliant/kubevirt-clinical-vm.yaml"))
    (fail,) = failures_of(report, "DXG-VM-PIN-002")
    assert "not on the validated list" in fail["message"]


def test_unsupported_terraform_types_are_listed_as_not_examined(noncompliant):
    kinds = noncompliant["summary"]["resources"]["not_examined_kinds"]
    assert kinds.get("aws_security_group") == 1
    sg = next(r for r in noncompliant["resources"] if r["kind"] == "aws_security_group")
    assert sg["examined"] is False and sg["checks"] == {}


def test_kubernetes_manifests_terraform_packer_and_kubevirt_share_one_report():
    run, report = scan_json("-c", CONFIG, str(FIXTURES / "k8s"), str(VM))
    jsonschema.validate(report, REPORT_SCHEMA)
    families = {r["family"] for r in report["resources"]}
    assert families >= {"k8s", "vm"}
    fda = next(fw for fw in report["frameworks"] if fw["id"] == "fda-samd")
    control = next(c for c in fda["controls"] if c["id"] == "21 CFR 11.10(d)")
    checks = {ch["id"] for ch in control["checks"] if ch["examined"]}
    assert any(c.startswith("DXG-K8S-") for c in checks)
    assert any(c.startswith("DXG-VM-") for c in checks)
    failures = control_failures(report, control)
    files = {f["file"] for f in failures}
    assert any(f.endswith(".plan.json") for f in files) and any("k8s/" in f for f in files)
    assert all(f["line"] >= 1 for f in failures)


def test_plan_resources_and_packer_builders_are_listed_at_their_own_line(noncompliant):
    """A resource inside a larger document (a Terraform plan's resource, a Packer builder) is
    listed in the examined resources at the line where it starts, not at the document's line 1,
    and its failures lie at or below that line."""
    plan = "terraform-mixed-cloud.plan.json"
    text = (VM / "noncompliant" / plan).read_text().splitlines()
    listed = {
        r["name"]: r["source"]["line"]
        for r in noncompliant["resources"]
        if r["source"]["file"].endswith(plan) and r["kind"] != "TerraformPlan"
    }
    assert len(listed) >= 5
    for address, line in listed.items():
        # The resource's object opens at its line; its address follows within the object.
        assert text[line - 1].strip() == "{", (address, line)
        assert f'"address": "{address}"' in text[line], (address, line)
    for f in noncompliant["findings"]:
        if f["file"].endswith(plan) and f["resource"]["name"] in listed:
            assert f["line"] >= listed[f["resource"]["name"]], f
    packer = [r for r in noncompliant["resources"] if r["kind"] == "PackerSource"]
    assert packer and all(r["source"]["line"] > 1 for r in packer)
