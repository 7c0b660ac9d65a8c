"""The quarterly export on SQLite and on a real PostgreSQL server: a period of real runs,
audits, decisions and manual evidence becomes one signed bundle that verifies; its drift,
control changes, waivers and manual evidence say what happened in the period; the bundle is
deterministic, its OSCAL valid, its manifest readable by in-toto's own bindings and its
signature and digests checkable with OpenSSL and sha256sum alone."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from checker.export import manifest as mf
from checker.export.build import ExportRequest, export_bundle
from checker.export.verify import verify_bundle
from checker.signing import Signer, generate, load_public_key, write_key_pair
from checker.store import opened
from checker.store.periods import period_bounds

from conftest import dxguard
from export_store import fill, scans
from store_sql import raw_execute

pytest_plugins = ("pg_cluster",)
OSCAL_SCHEMA = Path(__file__).parent / "data" / "oscal_assessment-results_schema-1.1.2.json"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scans")
    return folder / "catalogs", scans(folder)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    pair = generate()
    write_key_pair(pair, folder / "qa.key", folder / "qa.pub", force=False)
    return folder / "qa.key", folder / "qa.pub"


@pytest.fixture()
def filled(store_location, reports):
    catalogs, s = reports
    return store_location, fill(store_location, s, catalogs), s, catalogs


def _export(location, info, keys, out: Path, **kw) -> Path:
    since, until = period_bounds(info.period)
    request = ExportRequest(info.period, since, until, **kw)
    with opened(location) as store:
        export_bundle(store, request, Signer(keys[0]), out)
    return out


def _period(bundle: Path) -> dict:
    with zipfile.ZipFile(bundle) as zf:
        return json.loads(zf.read(mf.PERIOD))


def test_a_period_of_runs_audits_decisions_and_evidence_exports_to_a_bundle_that_verifies(
    filled, keys, tmp_path
):
    location, info, s, catalogs = filled
    out = tmp_path / "q.zip"
    run = dxguard(
        "export", "--period", info.period, "--key", str(keys[0]), "--store", location,
        "--controls", str(catalogs), "-o", str(out),
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == str(out)
    assert "2 run(s), 1 audit(s), 2 decision(s), 2 evidence document(s)" in run.stderr
    checked = dxguard("verify", str(out), "--public-key", str(keys[1]))
    assert checked.code == 0, checked.stdout + checked.stderr
    assert "verified" in checked.stderr and "6 run report(s) match" in checked.stderr

    names = zipfile.ZipFile(out).namelist()
    period = _period(out)
    seqs = info.seqs
    in_period = [seqs[k] for k in ("platform-1", "app-1", "ops-1")]
    baselines = [seqs[k] for k in ("platform-base", "app-base", "ops-base")]
    listed = {r["seq"]: r for r in period["runs"]}
    assert sorted(listed) == sorted(in_period + baselines)
    assert {s for s, r in listed.items() if r["baseline"]} == set(baselines)
    assert seqs["after"] not in listed and seqs["platform-0"] not in listed
    for seq in listed:
        assert mf.report_path(seq) in names
    assert {mf.report_path(seqs["ops-1"])} <= set(names)
    assert listed[seqs["ops-1"]]["kind"] == "audit"
    # the reports are the recorded bytes
    with opened(location) as store:
        for seq in listed:
            rec = store.get(seq)
            assert zipfile.ZipFile(out).read(mf.report_path(seq)) == store.blob(rec.blobs["report"])
    (decisions,) = period["decisions"]
    assert (decisions["scope"], decisions["total"], decisions["denied"]) == ("cluster-eu", 2, 1)
    assert decisions["denials"][0]["name"] == "notebook-1"
    # the chain segment reaches back to the oldest record the export needs, and no further
    first = min(baselines + [seqs["evidence-before"]])
    assert period["chain"]["first"]["seq"] == first
    assert period["chain"]["last"]["seq"] == seqs["evidence-during"]


def test_drift_names_findings_new_still_open_regressed_and_resolved_by_identity(
    filled, keys, tmp_path
):
    location, info, s, _ = filled
    period = _period(_export(location, info, keys, tmp_path / "q.zip"))
    states = {
        d["scope"]: {state: {f["fingerprint"] for f in d["findings"] if f["state"] == state}
                     for state in ("new", "still-open", "regressed", "resolved")}
        for d in period["drift"]
    }  # fmt: skip
    g, x, xy = s["G"].fingerprints, s["X"].fingerprints, s["XY"].fingerprints
    assert x - g and xy - x, "the fixtures must differ for this test to mean anything"
    # platform: X, then G (baseline), then X in the period: X's own findings came back
    assert states["platform"] == {
        "new": set(), "still-open": g, "regressed": x - g, "resolved": set(),
    }  # fmt: skip
    # app: X (baseline), then XY: the rescore deployment's findings are new
    assert states["app"] == {"new": xy - x, "still-open": x, "regressed": set(), "resolved": set()}
    # ops (audits): X (baseline), then G: the notebook's findings were resolved
    assert states["ops"] == {"new": set(), "still-open": g, "regressed": set(), "resolved": x - g}
    platform = next(d for d in period["drift"] if d["scope"] == "platform")
    assert platform["baseline"] == info.seqs["platform-base"]
    back = next(f for f in platform["findings"] if f["state"] == "regressed")
    assert back["first_seen"]["seq"] == info.seqs["platform-0"]
    assert back["last_seen"]["seq"] == info.seqs["platform-1"]


def test_controls_that_went_from_satisfied_to_not_satisfied_are_listed(filled, keys, tmp_path):
    location, info, s, _ = filled
    period = _period(_export(location, info, keys, tmp_path / "q.zip"))
    status = {
        (fw["id"], c["id"]): c["status"]
        for name in ("G", "X") for fw in s[name].report["frameworks"] for c in fw["controls"]
        if name == "G"
    }  # fmt: skip
    assert status[("acme-qms", "QMS-1")] == "satisfied"
    changes = {
        (g["scope"], g["control"], g["from_run"], g["to_run"]) for g in period["regressions"]
    }
    assert ("platform", "QMS-1", info.seqs["platform-base"], info.seqs["platform-1"]) in changes
    # ops went the other way (not satisfied → satisfied): no regression there
    assert not any(g["scope"] == "ops" for g in period["regressions"])
    qms1 = next(c for c in period["controls"] if c["control"] == "QMS-1")
    by_scope = {sc["scope"]: sc for sc in qms1["scopes"]}
    assert (by_scope["platform"]["at_start"], by_scope["platform"]["at_end"]) == (
        "satisfied", "not-satisfied",
    )  # fmt: skip
    assert (by_scope["ops"]["at_start"], by_scope["ops"]["at_end"]) == (
        "not-satisfied",
        "satisfied",
    )
    assert by_scope["app"]["runs"] == {"not-satisfied": 1}
    assert qms1["at_end"] == "not-satisfied"  # a failure in any scope comes first


def test_waivers_used_expired_and_expiring_in_the_period_are_listed(filled, keys, tmp_path):
    location, info, _, _ = filled
    period = _period(_export(location, info, keys, tmp_path / "q.zip", warning_days=400))
    by_id: dict[str, set] = {}
    for w in period["waivers"]:
        by_id.setdefault(w["id"], set()).update(w["categories"])
    assert "used" in by_id["WVR-2026-002"]  # it waived the notebook's missing limits
    assert "expired" in by_id["WVR-2026-003"]  # lapsed on 2026-10-31, before the period's end
    assert "expiring" in by_id["WVR-2026-001"]  # expires 2027-03-31: within 400 days
    assert "used" not in by_id["WVR-2026-004"]  # it never selected a failure
    used = next(
        w for w in period["waivers"] if w["id"] == "WVR-2026-002" and "used" in w["categories"]
    )
    assert used["approver"] and used["ticket"] and used["runs_waiving"] >= 1


def test_manual_evidence_in_force_at_the_period_end_is_in_the_bundle_per_control(
    filled, keys, tmp_path
):
    location, info, _, _ = filled
    out = _export(location, info, keys, tmp_path / "q.zip")
    section = _period(out)["manual_evidence"]
    by_control = {(c["framework"], c["control"]): c for c in section["controls"]}
    qms3 = by_control[("acme-qms", "QMS-3")]  # attached before the period, still in force
    assert qms3["status"] == "attached"
    (doc,) = qms3["evidence"]
    assert (doc["by"], doc["date"], doc["record"]) == (
        "CISO",
        "2026-06-30",
        info.seqs["evidence-before"],
    )
    with zipfile.ZipFile(out) as zf:
        data = zf.read(doc["bundle_path"])
    assert hashlib.sha256(data).hexdigest() == doc["file"]["sha256"]
    sop = by_control[("fda-samd", "21 CFR 11.10(b)")]
    assert sop["status"] == "attached" and sop["evidence"][0]["note"] == "SOP-QA-012 rev 4"
    missing = [c for c in section["controls"] if c["status"] == "missing"]
    assert missing and section["summary"]["missing"] == len(missing)
    assert all(not c["evidence"] for c in missing)


def test_the_same_store_period_and_key_give_the_same_bundle_bytes(filled, keys, tmp_path):
    location, info, _, _ = filled
    a = _export(location, info, keys, tmp_path / "a.zip").read_bytes()
    b = _export(location, info, keys, tmp_path / "b.zip").read_bytes()
    assert a == b


def test_a_scope_filter_keeps_other_scopes_records_as_linked_stubs(filled, keys, tmp_path):
    location, info, _, _ = filled
    out = _export(location, info, keys, tmp_path / "q.zip", scopes=("app",))
    assert verify_bundle(out, public_key=load_public_key(keys[1])).ok
    period = _period(out)
    assert {r["scope"] for r in period["runs"]} == {"app"}
    assert [d["scope"] for d in period["drift"]] == ["app"] and period["decisions"] == []
    with zipfile.ZipFile(out) as zf:
        lines = [json.loads(line) for line in zf.read(mf.RECORDS).splitlines()]
        names = zf.namelist()
    stubs = {r["seq"]: r for r in lines if "excluded" in r}
    assert info.seqs["platform-1"] in stubs and "meta" not in stubs[info.seqs["platform-1"]]
    assert mf.report_path(info.seqs["platform-1"]) not in names
    for before, after in zip(lines, lines[1:], strict=False):
        assert after["seq"] == before["seq"] + 1


def test_period_oscal_validates_against_the_official_schema(filled, keys, tmp_path):
    from test_formats import OscalValidator

    location, info, _, _ = filled
    out = _export(location, info, keys, tmp_path / "q.zip")
    with zipfile.ZipFile(out) as zf:
        doc = json.loads(zf.read(mf.OSCAL))
    schema = json.loads(OSCAL_SCHEMA.read_text())
    errors = sorted(OscalValidator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    results = doc["assessment-results"]["results"]
    qms = next(r for r in results if r["title"].startswith("acme-qms in platform"))
    finding = next(f for f in qms["findings"] if f["title"].startswith("QMS-1"))
    assert finding["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    hrefs = {link["href"] for r in doc["assessment-results"]["back-matter"]["resources"]
             for link in r.get("rlinks", [])}  # fmt: skip
    assert mf.report_path(info.seqs["platform-1"]) in hrefs


def test_the_manifest_is_an_in_toto_statement_that_in_totos_own_bindings_accept(
    filled, keys, tmp_path
):
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    location, info, _, _ = filled
    out = _export(location, info, keys, tmp_path / "q.zip")
    with zipfile.ZipFile(out) as zf:
        envelope = json.loads(zf.read(mf.ENVELOPE))
        names = set(zf.namelist())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    payload = base64.b64decode(envelope["payload"])
    pb = json_format.Parse(payload, statement_pb2.Statement())
    Statement.copy_from_pb(pb).validate()  # in-toto's own rules for a v1 Statement
    assert pb.type == "https://in-toto.io/Statement/v1"
    assert {s.name for s in pb.subject} == names - set(mf.UNSIGNED)


def test_standard_tools_alone_check_the_signature_and_every_file(filled, keys, tmp_path):
    """OpenSSL verifies the DSSE signature over its PAE, sha256sum checks the files: no dxguard
    and no securesystemslib involved."""
    location, info, _, _ = filled
    out = _export(location, info, keys, tmp_path / "q.zip")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(folder)
    env = json.loads((folder / mf.ENVELOPE).read_text())
    payload = base64.b64decode(env["payload"])
    kind = env["payloadType"].encode()
    pae = b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)
    (tmp_path / "pae.bin").write_bytes(pae)
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(env["signatures"][0]["sig"]))
    ok = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(keys[1]), "-rawin",
         "-in", str(tmp_path / "pae.bin"), "-sigfile", str(tmp_path / "sig.bin")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, ok.stderr
    (tmp_path / "pae.bin").write_bytes(pae.replace(b"sha256", b"sha257", 1))
    bad = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(keys[1]), "-rawin",
         "-in", str(tmp_path / "pae.bin"), "-sigfile", str(tmp_path / "sig.bin")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode != 0
    sums = subprocess.run(["sha256sum", "--strict", "-c", mf.SUMS], cwd=folder, capture_output=True)
    assert sums.returncode == 0, sums.stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(keys[1]), "-outform", "DER"], capture_output=True
    ).stdout
    assert hashlib.sha256(der).hexdigest() == env["signatures"][0]["keyid"]
    assert json.loads(payload)["predicate"]["key"]["fingerprint"] == env["signatures"][0]["keyid"]
    unzip = subprocess.run(["unzip", "-tq", str(out)], capture_output=True, text=True)
    assert unzip.returncode == 0, unzip.stdout


def test_the_export_refuses_a_store_whose_chain_is_broken_and_writes_nothing(
    filled, keys, tmp_path
):
    location, info, _, _ = filled
    raw_execute(
        location,
        f"DELETE FROM findings WHERE seq = {info.seqs['app-1']}",
        f"DELETE FROM records WHERE seq = {info.seqs['app-1']}",
    )
    out = tmp_path / "q.zip"
    run = dxguard("export", "--period", info.period, "--key", str(keys[0]), "--store", location,
                  "-o", str(out))  # fmt: skip
    assert run.code == 2
    assert (
        f"missing record {info.seqs['app-1']}" in run.stderr
        and "dxguard store verify" in run.stderr
    )
    assert not out.exists() and not list(tmp_path.glob(".q.zip*"))


def test_a_period_without_records_is_a_clear_error(store_location, keys, tmp_path):
    run = dxguard("export", "--quarter", "2026Q1", "--key", str(keys[0]), "--store", store_location,
                  "-o", str(tmp_path / "q.zip"))  # fmt: skip
    assert run.code == 2 and "holds no record of 2026-Q1" in run.stderr


def test_the_period_is_named_once_and_dates_mean_whole_days(keys, tmp_path):
    from checker.export.commands import _period

    assert _period("2026Q3", None, None, None) == ("2026-Q3", *period_bounds("2026-Q3"))
    name, since, until = _period(None, None, "2026-07-01", "2026-09-30")
    assert (since, until) == period_bounds("2026-Q3")
    run = dxguard("export", "--quarter", "2026Q3", "--from", "2026-07-01", "--key", str(keys[0]))
    assert run.code == 2 and "name the period once" in run.stderr
    run = dxguard("export", "--quarter", "2026Q5", "--key", str(keys[0]))
    assert run.code == 2 and "not a quarter" in run.stderr


def test_keygen_writes_a_private_key_only_its_owner_reads_and_prints_the_openssl_fingerprint(
    tmp_path,
):
    run = dxguard("keygen", "-o", str(tmp_path / "qa"))
    assert run.code == 0, run.stderr
    private, public = tmp_path / "qa.key", tmp_path / "qa.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(public), "-outform", "DER"], capture_output=True
    ).stdout
    assert f"sha256:{hashlib.sha256(der).hexdigest()}" in run.stdout.splitlines()
    assert b"BEGIN PRIVATE KEY" in private.read_bytes()
    kept = private.read_bytes()
    again = dxguard("keygen", "-o", str(tmp_path / "qa"))
    assert again.code == 2 and "already exists" in again.stderr
    assert private.read_bytes() == kept  # never overwritten without --force


def test_an_encrypted_key_needs_its_passphrase(filled, tmp_path):
    location, info, _, _ = filled
    env = {"QA_PASS": "correct horse"}
    assert dxguard("keygen", "-o", str(tmp_path / "enc"), "--passphrase-env", "QA_PASS",
                   env=env).code == 0  # fmt: skip
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "enc.key").read_bytes()
    args = ("export", "--period", info.period, "--key", str(tmp_path / "enc.key"), "--store",
            location, "-o", str(tmp_path / "q.zip"))  # fmt: skip
    run = dxguard(*args)
    assert run.code == 2 and "encrypted and no passphrase" in run.stderr
    wrong = dxguard(*args, "--passphrase-env", "QA_PASS", env={"QA_PASS": "wrong"})
    assert wrong.code == 2 and "passphrase is wrong" in wrong.stderr
    assert dxguard(*args, "--passphrase-env", "QA_PASS", env=env).code == 0
    assert (
        dxguard("verify", str(tmp_path / "q.zip"), "--public-key", str(tmp_path / "enc.pub")).code
        == 0
    )


def test_the_summary_renders_in_headless_chromium_with_every_section(filled, keys, tmp_path):
    from test_html import run_chromium

    from screenshot_png import read_png

    location, info, _, _ = filled
    out = _export(location, info, keys, tmp_path / "q.zip")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(folder)
    page = folder / mf.SUMMARY
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri()).stdout.decode()
    for heading in (
        "Control status over the period", "Controls that went from satisfied to not satisfied",
        "Drift by finding identity", "Waivers", "Manual evidence", "Admission decisions",
        "Runs included", "Verifying this bundle",
    ):  # fmt: skip
        assert f">{heading}</h2>" in dom, heading
    assert "access-review-2026-q2.pdf" in dom and "QMS-1" in dom
    shot = tmp_path / "summary.png"
    run_chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri())
    image = read_png(shot.read_bytes())
    colours = {image.pixel(x, y) for y in range(0, image.height, 40) for x in range(0, 1280, 40)}
    assert len(colours) > 3, "the screenshot is blank"
    if os.environ.get("DXGUARD_KEEP_SCREENSHOT"):
        shot.replace(os.environ["DXGUARD_KEEP_SCREENSHOT"])


def test_reading_the_reports_in_worker_processes_gives_the_same_bundle(
    reports, keys, tmp_path, monkeypatch
):
    """The worker processes read no store (the caller hands them bytes): one backend shows it."""
    import checker.export.build as build

    catalogs, s = reports
    location = str(tmp_path / "evidence.sqlite")
    info = fill(location, s, catalogs)
    since, until = period_bounds(info.period)
    request = ExportRequest(info.period, since, until)
    monkeypatch.setattr(build, "PROCESS_FROM", 1)
    with opened(location) as store:
        export_bundle(store, request, Signer(keys[0]), tmp_path / "one.zip", processes=0)
        export_bundle(store, request, Signer(keys[0]), tmp_path / "two.zip", processes=2)
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
