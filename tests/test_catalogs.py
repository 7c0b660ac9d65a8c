"""Catalogs are contracts: schema errors and dangling check ids stop the run with file and line."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from checker.controls import (
    MANUAL,
    NOT_APPLICABLE,
    NOT_SATISFIED,
    PASSED_MANUAL_PENDING,
    SATISFIED,
    CheckStats,
    control_status,
    load_catalogs,
)
from checker.errors import CatalogError
from checker.model import Control

from conftest import FIXTURES, ROOT, dxguard

COMPLIANT = FIXTURES / "k8s" / "compliant"


def _control(evidence="partial", checks=("A-B-C",)):
    return Control("X 1", "t", "requirement text", evidence, tuple(checks), "verified")


def test_status_rules():
    for evidence in ("automated", "partial"):
        c = _control(evidence)
        assert control_status(c, {}) == NOT_APPLICABLE
        assert control_status(c, {"A-B-C": CheckStats(passed=0, failed=0)}) == NOT_APPLICABLE
        assert control_status(c, {"A-B-C": CheckStats(passed=3, failed=1)}) == NOT_SATISFIED
    assert control_status(_control("automated"), {"A-B-C": CheckStats(passed=3)}) == SATISFIED
    assert control_status(_control("manual", ()), {"A-B-C": CheckStats(passed=3)}) == MANUAL


def test_partial_control_whose_checks_passed_is_pending_manual_evidence_not_satisfied():
    passed = {"A-B-C": CheckStats(passed=3)}
    assert control_status(_control("partial"), passed) == PASSED_MANUAL_PENDING
    waived = {"A-B-C": CheckStats(passed=3, waived=1)}
    assert control_status(_control("partial"), waived) == PASSED_MANUAL_PENDING
    failed = {"A-B-C": CheckStats(passed=3, failed=1)}
    assert control_status(_control("partial"), failed) == NOT_SATISFIED


def test_a_control_whose_checks_are_all_disabled_needs_manual_evidence_whatever_they_found():
    both = _control("automated", ("A-B-C", "D-E-F"))
    stats = {"A-B-C": CheckStats(passed=3)}
    assert control_status(both, stats, disabled={"A-B-C", "D-E-F"}) == MANUAL
    assert control_status(both, {}, disabled={"A-B-C", "D-E-F"}) == MANUAL  # not n/a either
    assert control_status(both, stats, disabled={"D-E-F"}) == SATISFIED  # one check left
    assert control_status(_control("partial"), stats, disabled={"A-B-C"}) == MANUAL


def test_shipped_catalogs_validate_and_cite_existing_checks():
    catalogs = load_catalogs(ROOT / "controls", display_root=ROOT)
    assert {"fda-samd", "eu-ivdr", "iso-13485", "iec-62304", "iec-81001-5-1", "eu-ai-act"} <= {
        f.id for f in catalogs.frameworks
    }
    run = dxguard("checks", "list", "--format", "json")
    assert run.code == 0, run.stderr
    ids = {c["id"] for c in json.loads(run.stdout)}
    catalogs.validate_references(ids)  # raises on a dangling reference


def test_every_check_gives_evidence_for_at_least_one_control():
    run = dxguard("checks", "list", "--format", "json")
    for check in json.loads(run.stdout):
        assert check["controls"], f"{check['id']} serves no control"


def test_catalog_schema_is_itself_valid():
    schema = json.loads((ROOT / "controls/catalog.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)


def _edit_catalog(home, name, edit):
    path = home / "controls" / name
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_schema_error_names_file_line_and_control(project_copy):
    def edit(data):
        data["controls"][2]["evidence"] = "sort-of"

    _edit_catalog(project_copy, "fda-samd.yaml", edit)
    run = dxguard("scan", str(COMPLIANT), env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2
    assert "catalog error" in run.stderr
    assert "controls/fda-samd.yaml:" in run.stderr
    assert "controls[2] (21 CFR 11.10(d)).evidence" in run.stderr
    assert "'sort-of' is not one of" in run.stderr


def test_reference_to_unknown_check_names_file_line_and_control(project_copy):
    def edit(data):
        data["controls"][0]["checks"].append("DXG-K8S-ISO-999")

    path = _edit_catalog(project_copy, "eu-ivdr.yaml", edit)
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "DXG-K8S-ISO-999" in text)
    run = dxguard("scan", str(COMPLIANT), env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2
    assert (
        f"controls/eu-ivdr.yaml:{line}: control 'IVDR Annex I 16.1' cites check "
        "'DXG-K8S-ISO-999'" in run.stderr
    )


def test_manual_control_may_not_cite_checks(tmp_path):
    schema = (ROOT / "controls/catalog.schema.json").read_text()
    (tmp_path / "catalog.schema.json").write_text(schema)
    (tmp_path / "x.yaml").write_text(
        "framework: {id: x, title: Xxx, version: '1', description: a framework here}\n"
        "controls:\n"
        "  - {id: X 1, title: Xxx, requirement: something required, evidence: manual,\n"
        "     citation: verified, checks: [DXG-K8S-ISO-001]}\n"
    )
    with pytest.raises(CatalogError, match=r"x\.yaml:4: controls\[0\] \(X 1\)"):
        load_catalogs(tmp_path)


def test_malformed_catalog_yaml_is_exit_2(project_copy):
    (project_copy / "controls" / "iso-13485.yaml").write_text("framework: [unclosed\n")
    run = dxguard("controls", "list", env={"DXGUARD_HOME": str(project_copy)})
    assert run.code == 2
    assert "iso-13485.yaml:2" in run.stderr


def test_controls_list_shows_clauses_and_checks():
    run = dxguard("controls", "list", "-f", "fda-samd", "--format", "json")
    assert run.code == 0
    (fw,) = json.loads(run.stdout)
    by_id = {c["id"]: c for c in fw["controls"]}
    assert "DXG-K8S-ISO-011" in by_id["21 CFR 11.10(d)"]["checks"]  # RBAC limits access
    assert "DXG-K8S-ISO-001" in by_id["FD&C 524B(b)(2)"]["checks"]  # hardening is cybersecurity
    assert by_id["21 CFR 11.10(e)"]["evidence"] == "partial"
    assert {"DXG-VM-LOG-002", "DXG-K8S-LOG-003"} <= set(by_id["21 CFR 11.10(e)"]["checks"])
    table = dxguard("controls", "list")
    assert table.code == 0 and "21 CFR 11.10(d)" in table.stdout


def test_controls_list_json_carries_notes_evidence_to_attach_and_sources_as_the_catalog_gives():
    run = dxguard("controls", "list", "--format", "json")
    assert run.code == 0, run.stderr
    listed = {(fw["framework"], c["id"]): c for fw in run.json() for c in fw["controls"]}
    for name in ("fda-samd.yaml", "eu-ivdr.yaml", "iso-13485.yaml"):
        catalog = yaml.safe_load((ROOT / "controls" / name).read_text())
        for raw in catalog["controls"]:
            c = listed[(catalog["framework"]["id"], raw["id"])]
            assert c.get("notes") == (" ".join(raw["notes"].split()) if "notes" in raw else None)
            assert c.get("evidence_to_attach") == (
                [" ".join(e.split()) for e in raw["evidence_to_attach"]]
                if "evidence_to_attach" in raw
                else None
            )
            assert c.get("sources") == (
                [" ".join(s.split()) for s in raw["sources"]] if "sources" in raw else None
            )
    access = listed[("fda-samd", "21 CFR 11.10(d)")]
    assert "access review records" in " ".join(access["evidence_to_attach"]).lower()
