"""Image evidence loaders: formats recognised by content, one record per digest across files,
and malformed evidence refused with file, line and what to fix."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from checker.errors import InputError
from checker.loaders import load

from conftest import FIXTURES, ROOT

COMPLIANT = FIXTURES / "images" / "compliant"
RECORD_SCHEMA = json.loads((ROOT / "checker/schemas/image-record.schema.json").read_text())
SLIDE = "sha256:0dbd5b043d5cb208bc19ef50fe6407a7eaaeac9b65284509b02282fdfbd68970"
ROUTER = "sha256:16aebc740d26b37fd1ee8f9bd916c21053edda9caec37518803cfe34cba35116"
INDEXER = "sha256:5a14b7b44ffcfdcce6c2dd220fad23e57da6ecd58d05efddb9194a5b7afadff3"
CALLER = "sha256:40261957f315fd3e9a58a1c3faba108b2825939e96de9501ba93764613716cc0"
VERIFIER = "sha256:2b4387758ae4258a8e1cf8baea76694acb1db4845a7ea5c05d3c4428c2b581ac"
INFERENCE = "sha256:cb4bfdec5ab1c535720085db9351c63365e27a883db0e356afe37a52a657b98c"


def records(*paths: Path) -> dict[str, dict]:
    result = load([str(p) for p in paths])
    return {r.normalized["digest"]: r for r in result.resources if r.family == "image"}


@pytest.fixture(scope="module")
def compliant():
    result = load([str(COMPLIANT)])
    return result, {r.normalized["digest"]: r for r in result.resources if r.family == "image"}


def test_every_file_about_a_digest_merges_into_one_valid_record(compliant):
    result, by_digest = compliant
    assert sorted(by_digest) == sorted([SLIDE, ROUTER, INDEXER, CALLER, VERIFIER, INFERENCE])
    assert result.skipped == []
    for digest, res in by_digest.items():
        jsonschema.validate(res.normalized, RECORD_SCHEMA)
        assert res.id == f"image:{digest}" and res.kind == "Image"
        rec = res.normalized
        folder = COMPLIANT / res.name.split("@")[0].rsplit("/", 1)[-1]
        files = {Path(s["file"]).name for s in rec["sources"]}
        assert files == {p.name for p in folder.iterdir()}, digest
        assert rec["scans"] and rec["sboms"] and rec["signatures"] and rec["provenance"]


def test_trivy_report_gives_scan_vulnerabilities_os_and_config(compliant):
    rec = compliant[1][SLIDE].normalized
    (scan,) = rec["scans"]
    assert scan == {
        "scanner": "trivy",
        "version": "0.57.1",
        "time": "2026-11-24T06:12:40Z",
        "target": f"registry.dx.example/pathology/slide-viewer@{SLIDE}",
        "file": str(COMPLIANT / "slide-viewer/trivy.json"),
    }
    assert {(v["id"], v["severity"], v["fixed"]) for v in rec["vulnerabilities"]} == {
        ("CVE-2026-31001", "MEDIUM", "2.36-9+deb12u10"),
        ("CVE-2026-31877", "HIGH", None),
        ("CVE-2026-29411", "LOW", None),
    }
    assert rec["os"]["family"] == "debian" and rec["os"]["name"] == "12.12"
    assert rec["user"] == "10001:10001"
    assert rec["labels"]["org.opencontainers.image.version"] == "2.4.1"
    assert rec["repository"] == "registry.dx.example/pathology/slide-viewer"
    assert rec["tags"] == ["2.4.1"]


def test_grype_report_decodes_the_embedded_config_and_manifest(compliant):
    rec = compliant[1][ROUTER].normalized
    assert rec["scans"][0]["scanner"] == "grype"
    assert rec["scans"][0]["time"] == "2026-11-25T03:44:19Z"  # Go nanoseconds, in UTC seconds
    assert {(v["id"], v["severity"], v["fixed"]) for v in rec["vulnerabilities"]} == {
        ("CVE-2026-40112", "MEDIUM", "1.37.0-r19"),
        ("CVE-2026-38820", "HIGH", None),
    }
    assert rec["user"] == "30001"
    assert rec["annotations"] == {
        "org.opencontainers.image.source": "https://git.dx.example/imaging/dicom-router"
    }


def test_spdx_sbom_components_exclude_the_image_and_its_os(compliant):
    rec = compliant[1][ROUTER].normalized
    (sbom,) = rec["sboms"]
    assert (sbom["format"], sbom["spec_version"], sbom["tool"]) == ("SPDX", "2.3", "trivy-0.57.1")
    names = {c["name"] for c in sbom["components"]}
    assert names == {"musl", "busybox", "libcrypto3", "zlib", "dicom-router"}
    assert all(c["supplier"] and c["purl"] and c["version"] for c in sbom["components"])


def test_cyclonedx_1_4_to_1_6_are_read(compliant):
    specs = {d: [s["spec_version"] for s in r.normalized["sboms"]] for d, r in compliant[1].items()}
    assert specs == {
        SLIDE: ["1.6"],
        ROUTER: ["2.3"],
        INDEXER: ["1.5"],
        CALLER: ["1.4"],
        VERIFIER: ["1.6"],
        INFERENCE: ["1.6"],
    }
    comps = compliant[1][SLIDE].normalized["sboms"][0]["components"]
    assert {"name": "openssl", "version": "3.0.15-1~deb12u1", "supplier": "Debian"}.items() <= {
        **next(c for c in comps if c["name"] == "openssl")
    }.items()


def test_cosign_output_is_a_verified_keyless_signature(compliant):
    sigs = compliant[1][SLIDE].normalized["signatures"]
    assert sigs == [
        {
            "tool": "cosign",
            "verified": True,
            "identity": "https://git.dx.example/platform/release-pipelines/.ci/release.yml"
            "@refs/tags/v2.4.1",
            "issuer": "https://oidc.ci.dx.example",
            "key": None,
            "time": "2026-11-18T14:06:20Z",
            "file": str(COMPLIANT / "slide-viewer/cosign-verify.json"),
        }
    ]


def test_sigstore_bundle_is_unverified_material_that_carries_provenance(compliant):
    rec = compliant[1][INDEXER].normalized
    assert sorted((s["tool"], s["verified"]) for s in rec["signatures"]) == [
        ("cosign", True),
        ("sigstore-bundle", False),
    ]
    (prov,) = rec["provenance"]
    assert prov["envelope"] == "sigstore-bundle"
    assert prov["builder"] == "https://ci.dx.example/builders/hosted-runner/v3"


def test_provenance_from_statements_envelopes_and_jsonl(compliant):
    by = compliant[1]
    assert by[SLIDE].normalized["provenance"][0]["envelope"] == "none"
    assert by[ROUTER].normalized["provenance"][0]["envelope"] == "dsse"
    v02 = by[CALLER].normalized["provenance"][0]
    assert v02["predicate_type"] == "https://slsa.dev/provenance/v0.2"
    assert all(m["digest"] for m in v02["materials"])


def test_manifest_without_its_own_digest_joins_through_the_config_digest(compliant):
    rec = compliant[1][CALLER].normalized
    assert {"format": "oci-manifest", "kind": "manifest"}.items() <= next(
        s for s in rec["sources"] if s["format"] == "oci-manifest"
    ).items()
    assert rec["annotations"]["org.opencontainers.image.revision"]
    assert rec["user"] == "20001:20001"  # from docker inspect
    assert len(rec["config_digests"]) == 1


def test_unlinked_manifest_is_listed_as_skipped(tmp_path):
    shutil.copy(COMPLIANT / "variant-caller/manifest.oci.json", tmp_path / "manifest.json")
    result = load([str(tmp_path)])
    assert [r for r in result.resources if r.family == "image"] == []
    (skipped,) = result.skipped
    assert "names only the image config digest" in skipped.reason


def test_formats_are_recognised_by_content_not_file_name(tmp_path):
    shutil.copy(COMPLIANT / "slide-viewer/trivy.json", tmp_path / "deployment.yaml")
    shutil.copy(COMPLIANT / "slide-viewer/sbom.cdx.json", tmp_path / "notes.json")
    by_digest = records(tmp_path)
    rec = by_digest[SLIDE].normalized
    assert rec["scans"] and rec["sboms"]


def test_one_digest_from_many_files_and_folders_is_one_record(tmp_path):
    one, two = tmp_path / "scans", tmp_path / "signatures"
    one.mkdir()
    two.mkdir()
    shutil.copy(COMPLIANT / "slide-viewer/trivy.json", one / "a.json")
    shutil.copy(COMPLIANT / "slide-viewer/cosign-verify.json", two / "b.json")
    by_digest = records(one, two)
    assert list(by_digest) == [SLIDE]
    assert [s["kind"] for s in by_digest[SLIDE].normalized["sources"]] == ["scan", "signature"]


def test_non_image_documents_are_skipped_with_reasons(tmp_path):
    (tmp_path / "fs.json").write_text(
        json.dumps({"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem"})
    )
    (tmp_path / "old.cdx.json").write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.3", "components": []})
    )
    (tmp_path / "vsa.json").write_text(
        json.dumps(
            {
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": "x", "digest": {"sha256": "a" * 64}}],
                "predicateType": "https://slsa.dev/verification_summary/v1",
                "predicate": {},
            }
        )
    )
    result = load([str(tmp_path)])
    reasons = sorted(s.reason for s in result.skipped)
    assert any("CycloneDX specVersion 1.3 is not supported" in r for r in reasons)
    assert any("Trivy report of a filesystem" in r for r in reasons)
    assert any("verification_summary" in r for r in reasons)


def _pretty(obj) -> str:
    return json.dumps(obj, indent=2) + "\n"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_wrong_type_in_a_trivy_report_names_file_line_and_field(tmp_path):
    report = json.loads((COMPLIANT / "slide-viewer/trivy.json").read_text())
    report["Results"][0]["Vulnerabilities"][1]["Severity"] = 7
    text = _pretty(report)
    path = tmp_path / "trivy.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load([str(path)])
    line = _line_of(text, '"Severity": 7')
    assert str(err.value).startswith(
        f"{path}:{line}: Trivy report: Results[0].Vulnerabilities[1].Severity must be a string, "
        "not a number"
    )


def test_missing_digest_in_cosign_output_names_the_field(tmp_path):
    entries = json.loads((COMPLIANT / "slide-viewer/cosign-verify.json").read_text())
    entries[0]["critical"]["image"]["docker-manifest-digest"] = "sha256:short"
    path = tmp_path / "verify.json"
    path.write_text(_pretty(entries))
    with pytest.raises(InputError, match=r"verify\.json:\d+: cosign verify output: "):
        load([str(path)])


def test_malformed_dsse_payload_points_at_the_payload_field(tmp_path):
    statement = json.loads((COMPLIANT / "slide-viewer/provenance.intoto.json").read_text())
    statement["predicate"]["runDetails"]["builder"]["id"] = ["not", "a", "string"]
    envelope = {
        "payloadType": "application/vnd.in-toto+json",
        "payload": base64.b64encode(json.dumps(statement).encode()).decode(),
        "signatures": [{"keyid": "", "sig": "MEUCIQ=="}],
    }
    text = _pretty(envelope)
    path = tmp_path / "att.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load([str(path)])
    line = _line_of(text, '"payload":')
    assert str(err.value).startswith(
        f"{path}:{line}: DSSE envelope: payload (decoded) "
        "predicate.runDetails.builder.id must be a string"
    )


def test_malformed_json_line_names_line_and_column(tmp_path):
    good = (COMPLIANT / "dicom-router/provenance.intoto.jsonl").read_text()
    path = tmp_path / "att.intoto.jsonl"
    path.write_text(good + '{"payloadType": \n')
    with pytest.raises(InputError, match=r"att\.intoto\.jsonl:2:\d+: malformed JSON line"):
        load([str(path)])


def test_record_is_deterministic_whatever_the_input_order():
    folders = sorted(p for p in COMPLIANT.iterdir() if p.is_dir())
    forward = records(*folders)
    backward = records(*reversed(folders))
    assert {d: r.normalized for d, r in forward.items()} == {
        d: r.normalized for d, r in backward.items()
    }


def test_message_signature_bundle_signs_the_digest_it_names_with_its_key_hint(tmp_path):
    raw = bytes.fromhex(SLIDE.split(":")[1])
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "publicKey": {"hint": "release-2026"},
            "tlogEntries": [{"logIndex": "7", "integratedTime": "1795003200"}],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(raw).decode()},
            "signature": "MEUCIQ==",
        },
    }
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (sig,) = records(tmp_path)[SLIDE].normalized["signatures"]
    assert (sig["tool"], sig["verified"], sig["key"]) == ("sigstore-bundle", False, "release-2026")
    assert sig["time"] == "2026-11-18T12:00:00Z"
