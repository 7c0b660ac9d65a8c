"""Image checks end to end on the real OPA: manifests plus scan reports, SBOMs, signatures and
provenance give per-image evidence, joined to workloads by digest, control by control."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import AS_OF, FIXTURES, ROOT, dxguard, failures_of, results_of, scan_json

IMAGES = FIXTURES / "images"
SCENARIO = IMAGES / "supply-chain"
CONFIG = ("-c", str(IMAGES / "dxguard.yaml"))
K8S_COMPLIANT = FIXTURES / "k8s" / "compliant"
REPORT_SCHEMA = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
IMAGE_CHECKS = [
    "DXG-IMG-SCN-001",
    "DXG-IMG-SCN-002",
    "DXG-IMG-SCN-003",
    "DXG-IMG-SCN-004",
    "DXG-IMG-SCN-005",
    "DXG-IMG-SCN-006",
    "DXG-IMG-PIN-001",
    "DXG-IMG-PIN-002",
    "DXG-IMG-ISO-001",
]
DIGEST = {
    "report-renderer": "sha256:072ab45557f5a79e05770661815244a7c724e80669814bd81494ae34b895a504",
    "qc-dashboard": "sha256:f67c5a5ddfeb71eba117ddee75e4d284f793d63d5998bafb77dfc03288fecb94",
    "wsi-tiler": "sha256:d11ca9bc63b590e21c9b835b59f3f290c5a263b46bec5673ab9bf9c8bc47f5bb",
    "hl7-bridge": "sha256:23dc1c85c22056acece67e00fd49552096b6bd8f55b3d9435686bfcbd73ee722",
    "dicom-anonymizer": "sha256:6828d17b4f4b365db691584cb5741166f26366f812480fd9158abf7f257b4a41",
    "legacy-converter": "sha256:976c39260dfbca4ddb6a8e18c2ac09c55f763a7bea8ae77e0f2e73d1bd09c489",
}
IMAGE_OF = {f"image:{d}": name for name, d in DIGEST.items()}


@pytest.fixture(scope="module")
def scenario():
    run, report = scan_json(str(SCENARIO), *CONFIG)
    return run, report


@pytest.fixture(scope="module")
def compliant():
    return scan_json(str(K8S_COMPLIANT), str(IMAGES / "compliant"), *CONFIG)


def _subjects(report, check):
    """(image or workload name, path, subject) of every failure of a check."""
    out = set()
    by_id = {r["id"]: r for r in report["resources"]}
    for f in failures_of_all(report, check):
        rid = f["resource"]["id"]
        name = IMAGE_OF.get(rid) or by_id[rid]["name"]
        out.add((name, f["path"], f.get("subject")))
    return out


def failures_of_all(report, check):
    """Every failure of a check (subject-aware: one row per CVE)."""
    seen = {}
    for f in report["findings"]:
        if f["status"] == "failed" and f["check"] == check:
            seen[(f["resource"]["id"], f["path"], f.get("subject"))] = f
    return [seen[k] for k in sorted(seen, key=str)]


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (
            "DXG-IMG-SCN-001",
            {
                ("slide-viewer-canary", "spec.template.spec.containers[0].image", None),
                ("orthanc-proxy", "spec.template.spec.containers[0].image", None),
            },
        ),
        ("DXG-IMG-SCN-002", {("qc-dashboard", "normalized.scans", None)}),
        (
            "DXG-IMG-SCN-003",
            {
                ("wsi-tiler", "normalized.vulnerabilities[3]", "CVE-2026-41999"),
                ("wsi-tiler", "normalized.vulnerabilities[2]", "CVE-2026-40321"),
            },
        ),
        ("DXG-IMG-SCN-004", {("dicom-anonymizer", "normalized.sboms[0]", None)}),
        ("DXG-IMG-SCN-005", {("legacy-converter", "normalized.os", None)}),
        (
            "DXG-IMG-SCN-006",
            {
                ("hl7-bridge", "normalized.signatures", None),
                ("legacy-converter", "normalized.signatures", None),
            },
        ),
        ("DXG-IMG-PIN-001", {("legacy-converter", "normalized.annotations", None)}),
        ("DXG-IMG-PIN-002", {("legacy-converter", "normalized.provenance[0]", None)}),
        ("DXG-IMG-ISO-001", {("legacy-converter", "normalized.user", None)}),
    ],
)
def test_each_finding_fails_exactly_its_check(scenario, check, expected):
    run, report = scenario
    assert run.code == 1
    assert _subjects(report, check) == expected


def test_clean_fresh_image_passes_every_image_check(scenario):
    _, report = scenario
    (entry,) = [r for r in report["resources"] if r["id"] == f"image:{DIGEST['report-renderer']}"]
    per_image = [c for c in IMAGE_CHECKS if c != "DXG-IMG-SCN-001"]
    assert {c: entry["checks"][c] for c in per_image} == {
        c: {"passed": 1, "failed": 0, "waived": 0} for c in per_image
    }


def test_tag_only_and_unknown_digest_fail_at_the_manifest_line(scenario):
    _, report = scenario
    by_name = {f["resource"]["name"]: f for f in failures_of(report, "DXG-IMG-SCN-001")}
    canary, proxy = by_name["slide-viewer-canary"], by_name["orthanc-proxy"]
    assert canary["file"].endswith("deploy/pathology.yaml") and canary["line"] == 99
    assert "referenced by tag only" in canary["message"]
    assert "cannot be matched" in canary["message"]
    assert proxy["file"].endswith("deploy/imaging-and-interfaces.yaml") and proxy["line"] == 68
    assert "has no evidence" in proxy["message"]


def test_research_workload_without_evidence_is_not_examined_by_the_join(scenario):
    _, report = scenario
    (pod,) = [r for r in report["resources"] if r["name"] == "pathology-notebook"]
    # The notebook container has no evidence and is not required to; the renderer container
    # reuses the clean digest and is matched.
    assert pod["checks"]["DXG-IMG-SCN-001"] == {"passed": 1, "failed": 0, "waived": 0}


def test_one_digest_used_by_many_workloads_is_one_record_examined_once(scenario):
    _, report = scenario
    images = [r for r in report["resources"] if r["family"] == "image"]
    assert sorted(IMAGE_OF[r["id"]] for r in images) == sorted(DIGEST)
    users = {
        r["name"]
        for r in report["resources"]
        if r["family"] == "k8s" and r["checks"].get("DXG-IMG-SCN-001", {}).get("passed")
    }
    assert {
        "report-renderer",
        "report-renderer-nightly",
        "report-renderer-backfill",
        "pathology-notebook",
    } <= users
    stats = {c["id"]: c for c in report["checks"]}
    assert stats["DXG-IMG-SCN-002"]["resources_examined"] == len(DIGEST)


def test_cve_failures_carry_the_cve_as_subject_and_name_the_report(scenario):
    _, report = scenario
    (critical,) = [
        f for f in failures_of_all(report, "DXG-IMG-SCN-003") if f["subject"] == "CVE-2026-41999"
    ]
    assert critical["severity"] == "critical"
    assert "CVE-2026-41999 (CRITICAL) in libopenjp2-7" in critical["message"]
    assert "wsi-tiler/grype.json" in critical["message"]
    assert "waiver" in critical["message"]


def test_report_gives_per_image_evidence(scenario):
    _, report = scenario
    jsonschema.validate(report, REPORT_SCHEMA)
    by_id = {r["id"]: r for r in report["resources"]}
    qc = by_id[f"image:{DIGEST['qc-dashboard']}"]["image"]
    assert qc["digest"] == DIGEST["qc-dashboard"]
    assert [(s["scanner"], s["age_days"]) for s in qc["scans"]] == [("trivy", 36)]
    assert qc["signatures"][0]["verified"] is True
    assert qc["signatures"][0]["signer"].startswith("https://git.dx.example/platform/")
    tiler = by_id[f"image:{DIGEST['wsi-tiler']}"]["image"]
    assert tiler["vulnerabilities"]["CRITICAL"] == ["CVE-2026-41999"]
    assert any(f.endswith("wsi-tiler/sbom.cdx.json") for f in tiler["files"])


def test_parameters_are_recorded_with_the_checks(scenario):
    _, report = scenario
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["DXG-IMG-SCN-002"]["parameters"] == {"image_scan_max_age_days": 7}
    assert checks["DXG-IMG-SCN-006"]["parameters"]["image_signers"][0]["issuer"] == (
        "https://oidc.ci.dx.example"
    )


def test_compliant_stack_with_its_evidence_passes_every_image_check(compliant):
    run, report = compliant
    assert run.code == 0
    for check in IMAGE_CHECKS:
        rows = results_of(report, check)
        assert rows and all(r["failed"] == 0 and r["passed"] > 0 for r in rows), check
    statuses = {
        (fw["id"], c["id"]): c["status"] for fw in report["frameworks"] for c in fw["controls"]
    }
    # Partial controls: the image checks passed, the rest of the evidence is manual.
    for key in [
        ("fda-samd", "FD&C 524B(b)(3)"),
        ("iec-62304", "IEC 62304 7.1.3"),
        ("iec-81001-5-1", "IEC 81001-5-1 5.7.3"),
    ]:
        assert statuses[key] == "passed-manual-pending", key


def test_as_of_past_the_freshness_window_flips_the_freshness_control():
    run, report = scan_json(
        str(K8S_COMPLIANT), str(IMAGES / "compliant"), *CONFIG, "--as-of", "2026-12-10"
    )
    assert run.code == 1
    stale = failures_of_all(report, "DXG-IMG-SCN-002")
    assert len(stale) == 6  # every compliant image's newest scan
    assert all("days old as of 2026-12-10T00:00:00Z" in f["message"] for f in stale)
    statuses = {c["id"]: c["status"] for fw in report["frameworks"] for c in fw["controls"]}
    assert statuses["IEC 62304 7.1.3"] == "not-satisfied"


def test_clinical_workloads_without_any_evidence_fail_for_no_evidence():
    run, report = scan_json(str(K8S_COMPLIANT))
    assert run.code == 1
    failures = failures_of(report, "DXG-IMG-SCN-001")
    assert {f["resource"]["name"] for f in failures} == {
        "dicom-router",
        "slide-viewer",
        "variant-calling-nightly",
        "wsi-tumor-inference",
    }
    # the CronJob's and the inference Deployment's init containers and containers
    assert len(failures) == 6
    assert all("has no evidence" in f["message"] for f in failures)


def test_evidence_only_run_examines_every_record():
    run, report = scan_json(str(SCENARIO / "evidence"), *CONFIG)
    assert run.code == 1
    stats = {c["id"]: c for c in report["checks"]}
    assert stats["DXG-IMG-SCN-002"]["resources_examined"] == len(DIGEST)
    assert stats["DXG-IMG-SCN-001"]["examined"] == 0


def test_evidence_for_images_nobody_deploys_is_loaded_but_not_examined():
    run, report = scan_json(
        str(SCENARIO / "evidence"), str(K8S_COMPLIANT), str(IMAGES / "compliant"), *CONFIG
    )
    assert run.code == 0
    assert report["summary"]["resources"]["not_examined_kinds"]["Image"] == len(DIGEST)


def test_same_evidence_and_as_of_give_byte_identical_json():
    args = ("scan", str(SCENARIO), *CONFIG, "--format", "json", "--as-of", AS_OF, "-q")
    assert dxguard(*args).stdout == dxguard(*args).stdout


def test_malformed_evidence_is_exit_2_naming_file_and_line(tmp_path):
    report = json.loads((IMAGES / "compliant/slide-viewer/trivy.json").read_text())
    report["Metadata"]["RepoDigests"] = ["registry.dx.example/pathology/slide-viewer@sha256:12"]
    bad = tmp_path / "trivy.json"
    bad.write_text(json.dumps(report, indent=2))
    run = dxguard("scan", str(bad), str(K8S_COMPLIANT))
    assert run.code == 2
    assert f"{bad}:" in run.stderr and "Metadata.RepoDigests[0]" in run.stderr
    assert run.stdout == ""
