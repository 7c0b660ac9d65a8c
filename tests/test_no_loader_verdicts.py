"""Every verdict lives in the policy bundle (issue 12, point 3).

The VM and image loaders report what an input says (values and where they were read); whether
that is good enough (a pinned base image, WORM log storage, an exact version constraint, a
dedicated tenancy, an encrypting StorageClass) is decided in rego/lib/vm.rego and the checks, so
the bundle digest covers every rule a report depends on. These tests keep it that way from three
sides, so that a verdict cannot creep back in through any one of them:

1. the published model schemas declare no verdict-named field (and every object in them closes
   with additionalProperties: false, so a loader cannot emit a field the schema does not name);
2. the models the loaders build from every VM and image fixture, and from inputs written here to
   reach every way a format names a base image, hold no verdict-named key;
3. the loaders' source code builds no dict key, assigns no variable and defines no function
   whose name is a verdict (`pinned = ...`, `"worm": ...`, `def exact_version`), read with the
   Python parser, not with a text search, so comments and messages do not count.

A name is a verdict when one of its words (split at '_', '-' and case changes) is in
VERDICT_WORDS. Facts whose names say what the platform does rather than whether it is enough
(secure_boot, tokens_required, auditd, a signature's `verified` as reported by `cosign verify`,
Trivy's end-of-support flag `eol`) are not verdicts and are not listed. `dedicated` is a verdict
only where it classified a placement (tenancy.dedicated); cpu.dedicated is KubeVirt's own
dedicatedCpuPlacement value, so that word is checked by path (VERDICT_FIELDS), not everywhere.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.loaders import load

from conftest import FIXTURES, ROOT

VERDICT_WORDS = frozenset(
    {
        "pinned",
        "unpinned",
        "worm",
        "exact",
        "compliant",
        "compliance",
        "noncompliant",
        "allowed",
        "permitted",
        "trusted",
        "validated",
        "protected",
        "acceptable",
        "passes",
        "passed",
        "fails",
        "failed",
        "verdict",
        "why",
        "ok",
    }
)
# Model fields (dotted, array items collapsed) that once held a verdict under an ambiguous name.
VERDICT_FIELDS = frozenset({"tenancy.dedicated", "log_storage.mode_ok", "disks.encrypts"})

SCHEMAS = [
    ROOT / "checker/schemas/vm-model.schema.json",
    ROOT / "checker/schemas/image-record.schema.json",
]
LOADER_SOURCES = sorted((ROOT / "checker/loaders/vm").glob("*.py")) + sorted(
    (ROOT / "checker/loaders/images").glob("*.py")
)


def words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {w.lower() for w in re.split(r"[\s_\-.]+", spaced) if w}


def is_verdict(name: str) -> bool:
    return bool(words(name) & VERDICT_WORDS)


def test_the_verdict_test_recognises_verdict_names_and_spares_facts():
    assert is_verdict("pinned") and is_verdict("digest_pinned") and is_verdict("isCompliant")
    assert is_verdict("exact_version") and is_verdict("worm") and is_verdict("why")
    assert not is_verdict("secure_boot") and not is_verdict("tokens_required")
    assert not is_verdict("most_recent") and not is_verdict("retention_policy")


# -- 1. the schemas ------------------------------------------------------------------------------


def schema_fields(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted field path, the object schema holding it) for every declared property."""
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            field = f"{path}.{key}" if path else key
            yield field, node
            yield from schema_fields(sub, field)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from schema_fields(node[key], path)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(key) or []:
                yield from schema_fields(sub, path)
        for sub in (node.get("$defs") or {}).values():
            yield from schema_fields(sub, path)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda p: p.name)
def test_model_schemas_declare_no_verdict_field(schema):
    doc = json.loads(schema.read_text())
    fields = [f for f, _ in schema_fields(doc)]
    assert fields, "the schema declares no fields: the walk is broken"
    bad = [f for f in fields if is_verdict(f.rsplit(".", 1)[-1]) or f in VERDICT_FIELDS]
    assert bad == [], (
        f"{schema.name} declares verdict fields {bad}; emit the facts, decide in rego/lib"
    )


def test_vm_model_schema_is_closed_so_loaders_cannot_add_undeclared_fields():
    doc = json.loads(SCHEMAS[0].read_text())
    open_objects = sorted(
        {
            f.rsplit(".", 1)[0] if "." in f else "(model)"
            for f, holder in schema_fields(doc)
            if holder.get("additionalProperties") is not False
        }
    )
    # storage_class_parameters is the StorageClass's own parameter map, copied as given
    assert open_objects == [], f"objects without additionalProperties: false: {open_objects}"


# -- 2. the models the loaders build -------------------------------------------------------------


def model_keys(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, sub in value.items():
            field = f"{path}.{key}" if path else str(key)
            yield field
            if field.endswith("storage_class_parameters") or field == "labels":
                continue  # maps copied from the input as given: their keys are the user's
            yield from model_keys(sub, field)
    elif isinstance(value, list):
        for item in value:
            yield from model_keys(item, path)


# Inputs that reach every way the loaders name a base image, beside the fixtures.
PACKER_ALL_BUILDERS = """
source "amazon-ebs" "by-filter" {
  region = "eu-central-1"
  source_ami_filter {
    filters = { name = "rocky-9-*" }
    owners = ["792107900819"]
    most_recent = true
  }
}
source "amazon-ebs" "by-id" {
  source_ami = "ami-0123456789abcdef0"
  imds_support = "v2.0"
}
source "googlecompute" "family" {
  project_id = "p"
  source_image_family = "rocky-linux-9"
  zone = "europe-west3-a"
}
source "azure-arm" "marketplace" {
  image_publisher = "resf"
  image_offer = "rockylinux-x86_64"
  image_sku = "9-base"
  image_version = "latest"
}
source "qemu" "iso" {
  iso_url = "https://mirror.example/rocky.iso"
  iso_checksum = "file:https://mirror.example/CHECKSUM"
}
build {
  sources = ["source.amazon-ebs.by-filter", "source.amazon-ebs.by-id",
             "source.googlecompute.family", "source.azure-arm.marketplace", "source.qemu.iso"]
}
"""


def loaded_models(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    (tmp_path / "all.pkr.hcl").write_text(PACKER_ALL_BUILDERS)
    roots = [FIXTURES / "vm", FIXTURES / "images", FIXTURES / "checks", tmp_path]
    result = load([str(p) for p in roots if p.exists()])
    return [
        (r.id, r.normalized)
        for r in result.resources
        if r.family in ("vm", "image") and isinstance(r.normalized, dict)
    ]


def test_models_built_from_every_vm_and_image_input_hold_facts_only(tmp_path):
    models = loaded_models(tmp_path)
    kinds = {img["kind"] for _, m in models for img in m.get("images", []) if isinstance(img, dict)}
    # the inputs reach every way a base image is named, so a verdict on any of them would show
    assert {"container-disk", "ami", "gce-image", "azure-image", "iso"} <= kinds
    assert any(m.get("log_storage") for _, m in models) and any(
        m.get("providers") for _, m in models
    )
    assert any(m.get("digest") for _, m in models)  # image evidence records too
    bad = sorted(
        {
            (rid, key)
            for rid, m in models
            for key in model_keys(m)
            if is_verdict(key.rsplit(".", 1)[-1]) or key in VERDICT_FIELDS
        }
    )
    assert bad == [], f"loaders emit verdicts (decide them in rego/lib instead): {bad[:10]}"


def test_loaders_report_the_raw_facts_the_decisions_need(tmp_path):
    images = {
        (rid.split("/")[-1], img["kind"]): img
        for rid, m in loaded_models(tmp_path)
        for img in m.get("images", [])
    }
    by_kind = {}
    for (_, kind), img in images.items():
        by_kind.setdefault(kind, []).append(img)
    assert any(
        i.get("filters") == ["name"] and i.get("most_recent") is True for i in by_kind["ami"]
    )
    assert any(i.get("family") == "rocky-linux-9" for i in by_kind["gce-image"])
    assert any(i.get("version") == "latest" for i in by_kind["azure-image"])
    assert any(str(i.get("checksum", "")).startswith("file:") for i in by_kind["iso"])


# -- 3. the loaders' source ----------------------------------------------------------------------


def verdict_names_in_source(path: Path, root: Path = ROOT) -> list[str]:
    """Dict keys, subscript keys, assigned names and function names that are verdicts."""
    tree = ast.parse(path.read_text(), str(path))
    found = []

    def note(name: str, node: ast.AST) -> None:
        if is_verdict(name):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {name}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    note(key.value, key)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                note(node.slice.value, node)
        elif isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg:
                    note(kw.arg, kw)
            # d.setdefault("pinned", ...) / d.update(pinned=...)
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "setdefault"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                note(node.args[0].value, node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            note(node.name, node)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            note(node.id, node)
        elif isinstance(node, ast.arg):
            note(node.arg, node)
    return found


def test_the_source_scan_catches_a_verdict_put_back(tmp_path):
    sample = tmp_path / "loader.py"
    sample.write_text(
        "def digest_pinned(ref):\n    return '@sha256:' in ref\n"
        "def build(v):\n    ok = v == 'COMPLIANCE'\n    m = {'worm': ok}\n    m['exact'] = 1\n"
        "    return dict(m, pinned=True)\n"
    )
    found = verdict_names_in_source(sample, tmp_path)
    assert {f.rsplit(": ", 1)[1] for f in found} == {
        "digest_pinned",
        "ok",
        "worm",
        "exact",
        "pinned",
    }


@pytest.mark.parametrize("path", LOADER_SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_loader_source_computes_no_verdict(path):
    assert verdict_names_in_source(path) == []
