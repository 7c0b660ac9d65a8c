"""`dxguard verify` detects every tampering with an export bundle and says what and where: a
flipped byte in any file (or in the zip itself), a deleted run, reordered runs, runs spliced
in from another store, an added file, another key — also when the forger re-signs the
changed bundle with the real key, where the records' hash chain still tells."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import orjson
import pytest

from checker.export import manifest as mf
from checker.export.build import ExportRequest, export_bundle
from checker.export.verify import verify_bundle
from checker.signing import Signer, generate, load_public_key, write_key_pair
from checker.store import opened
from checker.store.periods import period_bounds

from conftest import dxguard
from export_store import fill, scans


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Two stores with the same kind of history (SQLite), a bundle of each, and two keys."""
    folder = tmp_path_factory.mktemp("verify")
    s = scans(folder)
    keys = {}
    for name in ("qa", "mallory"):
        write_key_pair(generate(), folder / f"{name}.key", folder / f"{name}.pub", force=False)
        keys[name] = (folder / f"{name}.key", folder / f"{name}.pub")
    bundles = {}
    for name in ("ours", "theirs"):
        location = str(folder / f"{name}.sqlite")
        info = fill(location, s, folder / "catalogs")
        since, until = period_bounds(info.period)
        with opened(location) as store:
            export_bundle(
                store,
                ExportRequest(info.period, since, until),
                Signer(keys["qa"][0]),
                folder / f"{name}.zip",
            )
        bundles[name] = (folder / f"{name}.zip", info)
    return folder, bundles, keys


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _resign(members: dict[str, bytes], key: Path, **predicate) -> dict[str, bytes]:
    """What a forger holding `key` would do after changing files: new digests, a new statement
    (its predicate updated as given), a new signature."""
    signer = Signer(key)
    members = dict(members)
    members[mf.KEY] = signer.public.pem
    digests = {
        n: hashlib.sha256(d).hexdigest()
        for n, d in members.items()
        if n not in (*mf.UNSIGNED, mf.SUMS)
    }
    members[mf.SUMS] = mf.sha256sums(digests)
    digests[mf.SUMS] = hashlib.sha256(members[mf.SUMS]).hexdigest()
    old = json.loads(members[mf.MANIFEST])["predicate"]
    old.pop("format")
    statement = mf.statement(digests, {**old, **predicate})
    members[mf.MANIFEST] = statement
    members[mf.ENVELOPE] = orjson.dumps(signer.sign_envelope(statement))
    return members


def _problems(bundle: Path, key: Path) -> list[tuple[str, str, str]]:
    result = verify_bundle(bundle, public_key=load_public_key(key))
    return [(p.where, p.kind, p.what) for p in result.problems]


def _lines(members: dict[str, bytes]) -> list[bytes]:
    return members[mf.RECORDS].splitlines()


def test_the_untouched_bundle_verifies(world):
    _, bundles, keys = world
    result = verify_bundle(bundles["ours"][0], public_key=load_public_key(keys["qa"][1]))
    assert result.ok, result.problems
    assert result.runs == 6 and result.files == len(_members(bundles["ours"][0])) - 2


def test_flipping_a_byte_in_any_file_of_the_bundle_is_detected_and_names_the_file(world, tmp_path):
    _, bundles, keys = world
    original = _members(bundles["ours"][0])
    assert len(original) > 15
    for name, data in original.items():
        members = dict(original)
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0x01
        members[name] = bytes(flipped)
        problems = _problems(_write(tmp_path / "t.zip", members), keys["qa"][1])
        assert problems, f"a flipped byte in {name} went unnoticed"
        if name == mf.ENVELOPE:
            assert any(kind in ("signature", "manifest") for _, kind, _ in problems), problems
        elif name == mf.MANIFEST:
            assert (
                mf.MANIFEST,
                "manifest",
                f"{mf.MANIFEST} is not the statement that was signed",
            ) in problems
        else:
            assert any(where == name and "was altered" in what for where, _, what in problems), (
                name,
                problems,
            )


def test_a_damaged_zip_is_detected(world, tmp_path):
    _, bundles, keys = world
    data = bytearray(bundles["ours"][0].read_bytes())
    with zipfile.ZipFile(bundles["ours"][0]) as zf:
        info = zf.getinfo(mf.report_path(bundles["ours"][1].seqs["app-1"]))
    data[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF  # inside its deflate data
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    problems = _problems(damaged, keys["qa"][1])
    assert any(where == info.filename and kind == "file" for where, kind, _ in problems), problems
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    assert _problems(truncated, keys["qa"][1])[0][1] == "file"


def test_deleting_a_run_is_detected_even_when_the_bundle_is_re_signed_with_the_real_key(
    world, tmp_path
):
    _, bundles, keys = world
    bundle, info = bundles["ours"]
    gone = info.seqs["app-1"]
    members = _members(bundle)
    # without re-signing: the records file and the missing report are named
    cut = dict(members)
    cut.pop(mf.report_path(gone))
    cut[mf.RECORDS] = (
        b"\n".join(line for line in _lines(members) if json.loads(line)["seq"] != gone) + b"\n"
    )
    problems = _problems(_write(tmp_path / "a.zip", cut), keys["qa"][1])
    wheres = {where for where, _, _ in problems}
    assert {mf.RECORDS, mf.report_path(gone)} <= wheres, problems
    # re-signed with the real key, the statement and every digest agree: the chain does not
    predicate = json.loads(members[mf.MANIFEST])["predicate"]
    runs = [r for r in predicate["runs"] if r["seq"] != gone]
    resigned = _resign(cut, keys["qa"][0], runs=runs)
    problems = _problems(_write(tmp_path / "b.zip", resigned), keys["qa"][1])
    assert (
        f"record {gone + 1}",
        "chain",
        f"record {gone} is missing: {mf.RECORDS} jumps from record {gone - 1} to {gone + 1} "
        "(line " + str(gone + 1 - predicate["chain"]["first"]["seq"]) + ")",
    ) in problems, problems
    assert any("does not follow the record before it" in what for _, _, what in problems)


def test_reordering_runs_is_detected_even_when_re_signed(world, tmp_path):
    _, bundles, keys = world
    bundle, info = bundles["ours"]
    members = _members(bundle)
    lines = _lines(members)
    a = next(
        i for i, line in enumerate(lines) if json.loads(line)["seq"] == info.seqs["platform-1"]
    )
    b = next(i for i, line in enumerate(lines) if json.loads(line)["seq"] == info.seqs["app-1"])
    lines[a], lines[b] = lines[b], lines[a]
    members[mf.RECORDS] = b"\n".join(lines) + b"\n"
    problems = _problems(_write(tmp_path / "r.zip", _resign(members, keys["qa"][0])), keys["qa"][1])
    assert any("out of order" in what for _, _, what in problems), problems
    assert any("does not follow" in what for _, _, what in problems), problems


def test_runs_spliced_in_from_another_store_are_detected_even_when_re_signed(world, tmp_path):
    _, bundles, keys = world
    ours, info = bundles["ours"]
    theirs, _ = bundles["theirs"]
    mine, other = _members(ours), _members(theirs)
    seq = info.seqs["platform-1"]  # the same position in both stores' chains
    line = next(x for x in _lines(other) if json.loads(x)["seq"] == seq)
    assert line not in _lines(mine), "the two stores' records must differ (their times do)"
    mine[mf.RECORDS] = (
        b"\n".join(line if json.loads(x)["seq"] == seq else x for x in _lines(mine)) + b"\n"
    )
    mine[mf.report_path(seq)] = other[mf.report_path(seq)]
    predicate = json.loads(mine[mf.MANIFEST])["predicate"]
    runs = [
        {**r, "hash": hashlib.sha256(line).hexdigest()} if r["seq"] == seq else r
        for r in predicate["runs"]
    ]
    problems = _problems(
        _write(tmp_path / "s.zip", _resign(mine, keys["qa"][0], runs=runs)), keys["qa"][1]
    )
    assert (f"record {seq}", "chain") in {(w, k) for w, k, _ in problems}, problems
    assert (f"record {seq + 1}", "chain") in {(w, k) for w, k, _ in problems}, problems
    assert any("spliced in from another store" in what for _, _, what in problems)


def test_a_bundle_re_signed_with_another_key_is_refused_by_key_and_by_fingerprint(world, tmp_path):
    _, bundles, keys = world
    members = _members(bundles["ours"][0])
    forged = _write(tmp_path / "f.zip", _resign(members, keys["mallory"][0]))
    problems = _problems(forged, keys["qa"][1])
    assert [k for _, k, _ in problems] == ["signature"]
    assert "not by the trusted key" in problems[0][2]
    ours = load_public_key(keys["qa"][1]).fingerprint
    by_fp = verify_bundle(forged, fingerprint=ours)
    assert not by_fp.ok and by_fp.problems[0].kind == "key"
    # the forger also keeps our key id on the signature: it still does not verify
    env = json.loads(_members(forged)[mf.ENVELOPE])
    env["signatures"][0]["keyid"] = ours
    stolen_id = _resign(members, keys["mallory"][0])
    stolen_id[mf.ENVELOPE] = orjson.dumps(env)
    problems = _problems(_write(tmp_path / "g.zip", stolen_id), keys["qa"][1])
    assert any("does not verify" in what for _, _, what in problems), problems


def test_a_file_added_to_the_bundle_is_detected(world, tmp_path):
    _, bundles, keys = world
    members = _members(bundles["ours"][0])
    members["runs/99999999/report.json"] = b"{}"
    problems = _problems(_write(tmp_path / "x.zip", members), keys["qa"][1])
    assert ("runs/99999999/report.json", "extra") in {(w, k) for w, k, _ in problems}


def test_without_a_trusted_key_the_bundle_is_not_called_verified(world):
    _, bundles, keys = world
    bundle = str(bundles["ours"][0])
    run = dxguard("verify", bundle)
    assert run.code == 1 and "NOT verified" in run.stderr and "--fingerprint" in run.stderr
    fp = load_public_key(keys["qa"][1]).display
    assert dxguard("verify", bundle, "--fingerprint", fp).code == 0
    wrong = load_public_key(keys["mallory"][1]).fingerprint
    run = dxguard("verify", bundle, "--fingerprint", wrong)
    assert run.code == 1 and "signed by someone else" in run.stdout


def test_verify_names_each_problem_in_json_and_exits_1(world, tmp_path):
    _, bundles, keys = world
    members = _members(bundles["ours"][0])
    members[mf.SUMMARY] = members[mf.SUMMARY].replace(b"Evidence for", b"Evidence 4")
    bad = _write(tmp_path / "j.zip", members)
    run = dxguard("verify", str(bad), "--public-key", str(keys["qa"][1]), "--format", "json")
    assert run.code == 1
    doc = json.loads(run.stdout)
    assert doc["ok"] is False and doc["trusted_key"] is True
    assert [(p["where"], p["kind"]) for p in doc["problems"]] == [(mf.SUMMARY, "file")]
    missing = dxguard("verify", str(tmp_path / "nope.zip"), "--public-key", str(keys["qa"][1]))
    assert missing.code == 2 and "no such bundle" in missing.stderr
    not_a_key = dxguard("verify", str(bad), "--public-key", str(keys["qa"][0]))
    assert not_a_key.code == 2 and "private key" in not_a_key.stderr
