"""VM loaders: KubeVirt, Terraform plan JSON, Packer and cloud-init become VM resources with a
schema-valid model and source lines; malformed input of every format stops with file and line."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import jsonschema
import pytest

from checker.errors import InputError
from checker.loaders import load
from checker.loaders.locate import Locator

from conftest import FIXTURES, ROOT, dxguard

VM = FIXTURES / "vm"
MODEL_SCHEMA = json.loads((ROOT / "checker/schemas/vm-model.schema.json").read_text())


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def by_kind(result, kind):
    return [r for r in result.resources if r.kind == kind]


VM_YAML = """apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: v
  namespace: clinical
spec:
  template:
    spec:
      domain:
        cpu:
          dedicatedCpuPlacement: {dedicated}
        devices: {{}}
      volumes:
        - name: root
          containerDisk:
            image: registry.example/os@sha256:{digest}
"""
DIGEST = "ab" * 32


def test_every_vm_fixture_model_validates_against_the_published_schema():
    result = load([str(VM)])
    models = [r.normalized for r in result.resources if r.normalized is not None]
    assert len(models) > 15
    for model in models:
        jsonschema.validate(model, MODEL_SCHEMA)
    assert {r.family for r in result.resources if r.kind != "StorageClass"} == {"vm"}


def test_kubevirt_vm_is_a_vm_resource_with_kind_name_namespace_line_and_container_disk_image():
    result = load([str(VM / "compliant/kubevirt-clinical-vm.yaml")])
    (vm,) = by_kind(result, "VirtualMachine")
    assert (vm.family, vm.name, vm.namespace, vm.source.line) == (
        "vm",
        "pathology-inference-vm",
        "clinical-pathology",
        47,
    )
    root = vm.normalized["disks"][0]
    assert root["image"].endswith(
        "@sha256:" + "3f9a0d7c1e2b4a6f8d0c2e4b6a8f0d2c4e6b8a0f2d4c6e8b0a2f4d6c8e0b2a4f"
    )
    assert vm.normalized["labels"]["dxguard.io/tier"] == "clinical"


def test_kubevirt_vm_takes_cpu_boot_and_disk_encryption_from_objects_in_the_scan():
    result = load([str(VM / "compliant/kubevirt-clinical-vm.yaml")])
    (vm,) = by_kind(result, "VirtualMachine")
    model = vm.normalized
    assert model["cpu"]["dedicated"] is True and model["cpu"]["isolate_emulator_thread"] is True
    assert model["cpu"]["from"] == "VirtualMachineClusterInstancetype/clinical-dedicated-4c16g"
    assert model["boot"]["secure_boot"] is True and model["boot"]["vtpm"] is True
    assert model["serial_console"]["enabled"] is False
    data = next(d for d in model["disks"] if d["name"] == "data")
    assert data["storage_class"] == "ceph-rbd-encrypted" and data["encrypted"] is None
    # the StorageClass's parameters as given; rego/lib/vm.rego decides that they encrypt
    assert data["storage_class_parameters"]["encrypted"] == "true"


def test_kubevirt_vm_in_a_kind_list_is_claimed_before_the_kubernetes_loader(tmp_path):
    item = VM_YAML.format(dedicated="true", digest=DIGEST).replace("\n", "\n    ").rstrip()
    f = write(tmp_path, "list.yaml", "apiVersion: v1\nkind: List\nitems:\n  - " + item + "\n")
    result = load([str(f)])
    (vm,) = result.resources
    assert vm.family == "vm" and vm.source.item == 0
    assert Locator(result)(vm.id, "spec.template.spec.volumes[0].containerDisk.image") == 19


def test_kubevirt_value_of_the_wrong_type_is_an_input_error_at_its_line(tmp_path):
    f = write(tmp_path, "vm.yaml", VM_YAML.format(dedicated='"yes"', digest=DIGEST))
    with pytest.raises(InputError) as err:
        load([str(f)])
    assert f"{f}:10:" in str(err.value)
    assert "'yes' is not of type 'boolean'" in str(err.value)


def test_terraform_plan_is_detected_by_content_not_file_name(tmp_path):
    text = (VM / "compliant/terraform-clinical-aws.plan.json").read_text()
    f = write(tmp_path, "output.json", text)
    result = load([str(f)])
    kinds = sorted(r.kind for r in result.resources)
    assert "aws_instance" in kinds and "TerraformPlan" in kinds
    (inst,) = by_kind(result, "aws_instance")
    assert inst.source.pointer == ("planned_values", "root_module", "resources", 0)
    assert Locator(result)(inst.id, "values.metadata_options[0].http_tokens") == 28


def test_unsupported_terraform_types_are_kept_without_a_model_so_they_are_not_examined():
    result = load([str(VM / "noncompliant/terraform-mixed-cloud.plan.json")])
    (sg,) = by_kind(result, "aws_security_group")
    assert sg.family == "vm" and sg.normalized is None


def test_terraform_ami_from_a_most_recent_data_source_reports_the_source_not_a_verdict():
    result = load([str(VM / "noncompliant/terraform-mixed-cloud.plan.json")])
    (inst,) = by_kind(result, "aws_instance")
    (image,) = inst.normalized["images"]
    assert image["most_recent"] is True and image["data_source"].startswith("data.aws_ami.")
    assert "pinned" not in image and "why" not in image


def test_terraform_plan_of_an_unsupported_major_format_is_refused(tmp_path):
    f = write(tmp_path, "plan.json", json.dumps({"format_version": "2.0", "planned_values": {}}))
    with pytest.raises(InputError, match=r"plan.json:1: Terraform plan JSON format_version '2.0'"):
        load([str(f)])


def test_packer_hcl_and_json_twin_build_the_same_object_and_model():
    hcl = load([str(VM / "compliant/packer-hcl")])
    js = load([str(VM / "compliant/packer-json")])
    (a,) = by_kind(hcl, "PackerSource")
    (b,) = by_kind(js, "PackerSource")
    assert a.object == b.object
    assert a.normalized == b.normalized
    assert a.normalized["images"][0]["ref"] == "ami-0f3e2d1c0b9a87654"  # var default resolved


def test_packer_hcl_keeps_block_and_attribute_lines():
    result = load([str(VM / "noncompliant/packer")])
    (ami,) = [r for r in by_kind(result, "PackerSource") if r.name == "amazon-ebs.rocky-latest"]
    locate = Locator(result)
    assert ami.source.line == 14
    assert locate(ami.id, "source.source_ami_filter[0].most_recent") == 26
    assert locate(ami.id, "source.no_such_field") == 14
    assert result.inputs[0].resources == 3  # two sources and the template


def test_packer_template_split_over_files_is_one_template(tmp_path):
    write(
        tmp_path,
        "tpl/sources.pkr.hcl",
        'source "amazon-ebs" "a" {\n  source_ami = "ami-0123456789abcdef0"\n}\n',
    )
    write(
        tmp_path,
        "tpl/build.pkr.hcl",
        'build {\n  sources = ["source.amazon-ebs.a"]\n'
        '  provisioner "shell" {\n    inline = ["dnf install -y audit chrony"]\n  }\n}\n',
    )
    write(tmp_path, "tpl/prod.pkrvars.hcl", 'region = "eu-central-1"\n')
    result = load([str(tmp_path)])
    (src,) = by_kind(result, "PackerSource")
    assert src.normalized["guest"]["auditd"] is True and src.normalized["guest"]["time_sync"]
    assert [s.reason for s in result.skipped if s.file.endswith("prod.pkrvars.hcl")]


def test_legacy_packer_json_cannot_pin_plugins(tmp_path):
    f = write(
        tmp_path,
        "legacy.json",
        json.dumps(
            {
                "builders": [{"type": "amazon-ebs", "source_ami": "ami-0123456789abcdef0"}],
                "provisioners": [{"type": "shell", "inline": ["yum install -y audit"]}],
            }
        ),
    )
    result = load([str(f)])
    (tpl,) = by_kind(result, "PackerTemplate")
    assert tpl.normalized["providers"] == [
        {"name": "amazon", "source": None, "constraint": None, "path": "builders"}
    ]
    (src,) = by_kind(result, "PackerSource")
    assert src.normalized["guest"]["auditd"] is True


def test_user_data_in_gzip_base64_mime_multipart_is_read(tmp_path):
    mime = (
        'Content-Type: multipart/mixed; boundary="XX"\nMIME-Version: 1.0\n\n--XX\n'
        "Content-Type: text/cloud-config\n\n#cloud-config\npackages: [chrony]\n--XX\n"
        "Content-Type: text/x-shellscript\n\n#!/bin/sh\nsystemctl enable --now auditd\n--XX--\n"
    )
    encoded = base64.b64encode(gzip.compress(mime.encode())).decode()
    text = VM_YAML.format(dedicated="true", digest=DIGEST) + (
        f"        - name: ci\n          cloudInitNoCloud:\n            userDataBase64: {encoded}\n"
    )
    (vm,) = load([str(write(tmp_path, "vm.yaml", text))]).resources
    assert vm.normalized["guest"]["auditd"] is True and vm.normalized["guest"]["time_sync"] is True


def test_standalone_cloud_config_is_a_guest_config_resource():
    result = load([str(VM / "noncompliant/cloud-init")])
    (cc,) = result.resources
    assert cc.kind == "CloudConfig" and cc.normalized["role"] == "guest-config"
    assert cc.normalized["guest"]["auditd"] is False


# -- malformed input of every format: exit 2 with file and line ------------------------------


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("vm.yaml", "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nspec: [unclosed\n", ":4:"),
        ("plan.json", '{"format_version": "1.2",\n "planned_values": {,}}', ":2:"),
        ("t.pkr.hcl", 'source "qemu" "x" {\n  iso_url = \n}\n', ":2:"),
        (
            "vm.yaml",
            VM_YAML.format(dedicated="true", digest=DIGEST)
            + "        - name: ci\n          cloudInitNoCloud:\n"
            + "            userDataBase64: '%%%'\n",
            ":1:",
        ),
        ("user-data.yaml", "#cloud-config\npackages: [audit\n", ":3:"),
    ],
    ids=["kubevirt-yaml", "terraform-json", "packer-hcl", "kubevirt-bad-base64", "cloud-config"],
)
def test_malformed_vm_input_is_exit_2_naming_file_and_line(tmp_path, name, text, where):
    f = write(tmp_path, name, text)
    run = dxguard("scan", "-q", str(f))
    assert run.code == 2, run.stderr
    assert f"{f}{where}" in run.stderr


def test_malformed_embedded_cloud_config_names_the_vm_and_its_line(tmp_path):
    text = VM_YAML.format(dedicated="true", digest=DIGEST) + (
        "        - name: ci\n          cloudInitNoCloud:\n            userData: |\n"
        "              #cloud-config\n              packages: [audit\n"
    )
    f = write(tmp_path, "vm.yaml", text)
    run = dxguard("scan", "-q", str(f))
    assert run.code == 2
    assert f"{f}:1: VirtualMachine v" in run.stderr
    assert "malformed #cloud-config YAML (user-data line 3)" in run.stderr
