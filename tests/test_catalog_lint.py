"""The catalog lint (checker/catalog_lint.py): the shipped catalogs pass it, and each rule fires
on the mistake it exists for, naming the file, line and control."""

from __future__ import annotations

from pathlib import Path

import yaml

from checker.catalog_lint import IMPLIED_BY, lint_catalog_files, lint_catalog_text

from conftest import ROOT, failures_of, scan_json

CATALOGS = sorted((ROOT / "controls").glob("*.yaml"))

HEAD = "framework: {id: x, title: Xxx, version: '1', description: a framework here}\ncontrols:\n"


def _control(**fields) -> dict:
    base = {
        "id": "X 1",
        "title": "Xxx",
        "requirement": "something required",
        "evidence": "partial",
        "citation": "secondary",
        "checks": ["DXG-K8S-ISO-001"],
        "evidence_to_attach": ["the SOP"],
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _lint(*controls: dict) -> list:
    text = HEAD + yaml.safe_dump(list(controls), sort_keys=False)
    return lint_catalog_text(text, "x.yaml")


def _rules(findings) -> list[str]:
    return [f.rule for f in findings]


def test_shipped_catalogs_pass_the_lint():
    findings = lint_catalog_files(CATALOGS, ROOT)
    assert not findings, "\n".join(str(f) for f in findings)


def test_every_partial_or_manual_shipped_control_names_what_to_attach():
    # The lint rule, restated on the parsed catalogs so a lint bug cannot hide a gap.
    for path in CATALOGS:
        for c in yaml.safe_load(path.read_text())["controls"]:
            if c["evidence"] in ("partial", "manual"):
                assert c.get("evidence_to_attach"), f"{path.name}: {c['id']}"


def test_a_citation_of_a_section_the_qmsr_removed_is_a_finding_with_its_line():
    text = HEAD + (
        "  - id: X 1\n"
        "    title: Design controls\n"
        "    requirement: Design validation as 21 CFR 820.30(g) requires.\n"
        "    evidence: manual\n"
        "    citation: secondary\n"
        "    evidence_to_attach: [design history file]\n"
    )
    (finding,) = lint_catalog_text(text, "x.yaml")
    assert finding.rule == "removed-qmsr-section"
    assert finding.line == 5 and finding.control == "X 1"
    assert "820.30" in finding.message and "820.10" in finding.message
    assert str(finding).startswith("x.yaml:5: control 'X 1': ")


def test_removed_sections_are_found_in_the_id_and_in_what_to_attach():
    findings = _lint(
        _control(id="21 CFR 820.184", evidence_to_attach=["device history record (820.184)"])
    )
    assert _rules(findings) == ["removed-qmsr-section", "removed-qmsr-section"]


def test_sections_the_qmsr_kept_and_other_numbering_are_not_findings():
    findings = _lint(
        _control(id="21 CFR 820.10(c) / ISO 13485:2016 7.3"),
        _control(id="21 CFR 820.35(c)", requirement="UDI records per 820.35 and 820.45 labels"),
        _control(id="ISO 13485:2016 8.2.1", requirement="feedback, see clause 8.2.1 and 1820.30"),
        _control(id="Y", notes="The QMSR removed 820.30; cite 820.10 instead."),
    )
    assert findings == []


def test_a_control_without_a_citation_status_is_a_finding():
    findings = _lint(_control(citation=None), _control(id="X 2", citation="maybe"))
    assert _rules(findings) == ["missing-citation-status", "missing-citation-status"]
    assert [f.control for f in findings] == ["X 1", "X 2"]


def test_a_verified_citation_needs_a_source_and_a_secondary_one_does_not():
    findings = _lint(
        _control(citation="verified"),
        _control(id="X 2", citation="verified", sources=["21 CFR 11.10, eCFR text"]),
        _control(id="X 3", citation="secondary"),
        _control(id="X 4", citation="verified", sources=["   "]),
    )
    assert [(f.control, f.rule) for f in findings] == [
        ("X 1", "verified-without-source"),
        ("X 4", "verified-without-source"),
    ]


def test_partial_and_manual_controls_must_name_the_evidence_to_attach():
    findings = _lint(
        _control(evidence_to_attach=None),
        _control(id="X 2", evidence="manual", checks=None, evidence_to_attach=None),
        _control(id="X 3", evidence="automated", evidence_to_attach=None),
        _control(id="X 4", evidence_to_attach=[]),
    )
    assert [(f.control, f.rule) for f in findings] == [
        ("X 1", "missing-evidence-to-attach"),
        ("X 2", "missing-evidence-to-attach"),
        ("X 4", "missing-evidence-to-attach"),
    ]


def test_a_check_mapped_to_a_control_twice_is_a_finding():
    findings = _lint(_control(checks=["DXG-K8S-ISO-001", "DXG-K8S-ISO-002", "DXG-K8S-ISO-001"]))
    (finding,) = findings
    assert finding.rule == "duplicate-check" and "DXG-K8S-ISO-001" in finding.message


def test_a_check_mapped_beside_the_check_that_implies_it_is_a_finding_in_either_order():
    for checks in (
        ["DXG-K8S-PIN-001", "DXG-K8S-PIN-002"],
        ["DXG-K8S-PIN-002", "DXG-K8S-ISO-001", "DXG-K8S-PIN-001"],
    ):
        (finding,) = _lint(_control(checks=checks))
        assert finding.rule == "implied-check"
        assert "DXG-K8S-PIN-002" in finding.message and "DXG-K8S-PIN-001" in finding.message
    assert _lint(_control(checks=["DXG-K8S-PIN-002", "DXG-K8S-PIN-004"])) == []


def test_the_tag_check_fails_only_where_the_digest_check_fails_on_the_real_opa(tmp_path: Path):
    # What IMPLIED_BY claims, shown on the real policies: every image reference the digest check
    # accepts, the tag check accepts too, so the tag check adds nothing beside it.
    images = [
        "registry.example/app",  # no tag: fails both
        "registry.example/app:latest",  # fails both
        "registry.example/app:1.4.2",  # tag check passes, digest check fails
        "registry.example/app:latest@sha256:" + "a" * 64,  # digest: passes both
        "registry.example/app@sha256:" + "b" * 64,  # passes both
        "registry.example/app:1.4.2@sha256:" + "c" * 64,  # passes both
    ]
    containers = "".join(
        f"        - name: c{i}\n          image: {image}\n" for i, image in enumerate(images)
    )
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: lab}\n"
        "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n"
        "    metadata: {labels: {app: a}}\n    spec:\n      containers:\n" + containers
    )
    _, report = scan_json(str(manifest))
    (implied, implier) = next(iter(IMPLIED_BY.items()))
    tag_fails = {(f["resource"]["id"], f["path"]) for f in failures_of(report, implied)}
    digest_fails = {(f["resource"]["id"], f["path"]) for f in failures_of(report, implier)}
    assert len(tag_fails) == 2 and len(digest_fails) == 3
    assert tag_fails <= digest_fails


def test_the_lint_reads_a_catalog_the_schema_would_reject():
    # A raw catalog is linted without the schema: what the schema would reject is reported as a
    # finding, not a crash.
    assert _rules(_lint({"id": "Z", "evidence": "manual"})) == [
        "missing-citation-status",
        "missing-evidence-to-attach",
    ]
    assert _lint({"title": "no id", "citation": "verified", "sources": "a single string"}) == []
