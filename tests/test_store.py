"""The evidence store's chain on SQLite and on a real PostgreSQL server: appends, links,
append-only guards, every kind of tampering named by record, concurrent writers, migrations."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import rfc8785

from checker.errors import StoreError
from checker.store import Blob, opened
from checker.store.chain import GENESIS
from checker.store.db import default_location, migrate, parse_location, resolve_location

from store_sql import raw_execute, raw_query

pytest_plugins = ("pg_cluster",)  # store_location: each test on SQLite and on PostgreSQL
ROOT = Path(__file__).resolve().parent.parent


def _report(*fingerprints: str, status: str = "failed") -> dict:
    return {
        "findings": [
            {
                "fingerprint": fp,
                "id": "F" + fp[:16],
                "status": status,
                "check": "DXG-K8S-ISO-001",
                "severity": "high",
                "resource": {"kind": "Pod", "namespace": "lab", "name": f"p-{fp[:4]}"},
            }
            for fp in fingerprints
        ]
    }


def _fp(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def _run_blob(report: dict) -> dict:
    return {"report": Blob(json.dumps(report).encode(), "application/json")}


def _fill(location: str) -> None:
    """Five records of three kinds: a decision, two runs with reports, evidence, a decision."""
    with opened(location) as store:
        store.append("decision", {"scope": "cluster-a", "allowed": False})
        store.append("run", {"scope": "repo"}, _run_blob(_report(_fp(1), _fp(2))))
        store.append("run", {"scope": "repo"}, _run_blob(_report(_fp(2))))
        store.append("evidence", {"control": "X"}, {"file": Blob(b"%PDF-1.7 sop" * 200)})
        store.append("decision", {"scope": "cluster-a", "allowed": True})


def _problems(location: str, **kw) -> list[tuple[int | None, str]]:
    with opened(location) as store:
        result = store.verify_chain(**kw)
    return [(p.seq, p.kind) for p in result.problems]


def _whats(location: str) -> str:
    with opened(location) as store:
        return "\n".join(p.what for p in store.verify_chain().problems)


def test_appended_records_form_a_chain_anyone_can_recompute(store_location):
    _fill(store_location)
    with opened(store_location) as store:
        recs = list(store.records())
        assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
        assert recs[0].prev == GENESIS
        for before, after in zip(recs, recs[1:], strict=False):
            assert after.prev == before.hash
            assert after.recorded_at >= before.recorded_at
        # The hash is SHA-256 over the RFC 8785 form of the envelope, recomputable without dxguard
        stored = raw_query(store_location, "SELECT envelope, hash FROM records ORDER BY seq")
        for text, digest in stored:
            assert hashlib.sha256(rfc8785.dumps(json.loads(text))).hexdigest() == digest
            assert rfc8785.dumps(json.loads(text)).decode() == text
        assert store.head() == (5, recs[-1].hash)
        result = store.verify_chain()
        assert result.ok, result.problems
        assert result.records == 5 and result.blobs == 3


def test_blobs_are_stored_once_per_digest_and_read_back_checked(store_location):
    with opened(store_location) as store:
        same = Blob(b"x" * 5000)
        a = store.append("evidence", {"n": 1}, {"file": same})
        b = store.append("evidence", {"n": 2}, {"file": same})
        assert a.blobs["file"] == b.blobs["file"]
        assert store.blob(a.blobs["file"]) == b"x" * 5000
    assert raw_query(store_location, "SELECT count(*) FROM blobs") == [(1,)]
    # compressed on disk (5000 bytes of one letter), intact when read
    ((size, encoding),) = raw_query(store_location, "SELECT size, encoding FROM blobs")
    assert (size, encoding) == (5000, "zlib")


def test_records_are_refused_updates_and_deletes_by_the_database(store_location):
    _fill(store_location)
    if store_location.startswith("postgresql://"):
        import psycopg

        for sql in ("UPDATE records SET kind = 'x' WHERE seq = 2", "DELETE FROM records"):
            with psycopg.connect(store_location) as conn, pytest.raises(psycopg.Error) as err:
                conn.execute(sql)
            assert "append-only" in str(err.value)
    else:
        import sqlite3

        conn = sqlite3.connect(store_location)
        for sql in (
            "UPDATE records SET kind = 'x' WHERE seq = 2",
            "DELETE FROM records",
            "DELETE FROM blobs",
            "UPDATE findings SET status = 'waived'",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
        conn.close()
    assert _problems(store_location) == []


def test_an_edited_record_is_named(store_location):
    _fill(store_location)
    (text,) = raw_query(store_location, "SELECT envelope FROM records WHERE seq = 3")[0]
    edited = text.replace('"scope":"repo"', '"scope":"repo2"')
    assert edited != text
    raw_execute(
        store_location,
        f"UPDATE records SET envelope = '{edited}', scope = 'repo2' WHERE seq = 3",
    )
    assert _problems(store_location) == [(3, "edited")]
    assert "record 3 (run) was edited" in _whats(store_location)


def test_an_edited_record_with_its_hash_recomputed_breaks_the_next_link(store_location):
    _fill(store_location)
    (text,) = raw_query(store_location, "SELECT envelope FROM records WHERE seq = 1")[0]
    env = json.loads(text)
    env["meta"]["allowed"] = True  # the admission decision rewritten after the fact
    new = rfc8785.dumps(env).decode()
    digest = hashlib.sha256(new.encode()).hexdigest()
    raw_execute(
        store_location, f"UPDATE records SET envelope = '{new}', hash = '{digest}' WHERE seq = 1"
    )
    assert _problems(store_location) == [(2, "link")]
    assert "record 2 does not follow record 1" in _whats(store_location)


def test_a_deleted_record_is_named(store_location):
    _fill(store_location)
    raw_execute(
        store_location, "DELETE FROM findings WHERE seq = 3", "DELETE FROM records WHERE seq = 3"
    )
    problems = _problems(store_location)
    assert (3, "missing") in problems
    assert "record 3 is missing" in _whats(store_location)


def test_records_removed_from_the_end_are_detected_by_the_head(store_location):
    _fill(store_location)
    raw_execute(store_location, "DELETE FROM records WHERE seq >= 4")
    assert _problems(store_location) == [(4, "missing")]
    assert "records 4–5 were removed from the end" in _whats(store_location)


def test_reordered_records_are_detected(store_location):
    _fill(store_location)
    # swap records 2 and 3 (both runs, same scope): their positions, not their content
    raw_execute(
        store_location,
        "UPDATE records SET seq = 1000 WHERE seq = 2",
        "UPDATE records SET seq = 2 WHERE seq = 3",
        "UPDATE records SET seq = 3 WHERE seq = 1000",
    )
    problems = _problems(store_location, check_blobs=False)
    assert {(2, "reordered"), (3, "reordered")} <= set(problems)


def test_an_altered_or_missing_blob_is_named_with_its_record(store_location):
    _fill(store_location)
    with opened(store_location) as store:
        ref = store.get(4).blobs["file"]
    raw_execute(
        store_location,
        f"UPDATE blobs SET data = {_bytes_literal(store_location, b'forged')}, "
        f"encoding = 'identity' WHERE sha256 = '{ref.sha256}'",
    )
    assert _problems(store_location) == [(4, "blob")]
    assert "record 4's file" in _whats(store_location) and "was altered" in _whats(store_location)
    with opened(store_location) as store, pytest.raises(StoreError, match="altered"):
        store.blob(ref)
    raw_execute(store_location, f"DELETE FROM blobs WHERE sha256 = '{ref.sha256}'")
    assert _problems(store_location) == [(4, "blob")]
    assert "is missing" in _whats(store_location)


def test_a_tampered_findings_index_is_named(store_location):
    _fill(store_location)
    raw_execute(store_location, "UPDATE findings SET status = 'waived' WHERE seq = 2")
    assert _problems(store_location) == [(2, "index")]
    raw_execute(store_location, "DELETE FROM findings WHERE seq = 3")
    assert set(_problems(store_location)) == {(2, "index"), (3, "index")}


def test_a_rewritten_chain_fails_against_an_anchor(store_location):
    _fill(store_location)
    with opened(store_location) as store:
        anchor = (2, store.get(2).hash)
    # rewrite everything from record 2 on consistently, as an owner of the database could
    rows = raw_query(store_location, "SELECT seq, envelope FROM records ORDER BY seq")
    prev = raw_query(store_location, "SELECT hash FROM records WHERE seq = 1")[0][0]
    statements = []
    for seq, text in rows[1:]:
        env = json.loads(text)
        env["prev"] = prev
        if seq == 2:
            env["meta"]["note"] = "forged"
        new = rfc8785.dumps(env).decode()
        prev = hashlib.sha256(new.encode()).hexdigest()
        statements.append(
            f"UPDATE records SET envelope = '{new}', hash = '{prev}', "
            f"prev_hash = '{env['prev']}' WHERE seq = {seq}"
        )
    statements.append(f"UPDATE chain_head SET hash = '{prev}'")
    raw_execute(store_location, *statements)
    assert _problems(store_location) == []  # consistent on its own …
    assert _problems(store_location, anchor=anchor) == [(2, "anchor")]  # … not with the anchor


def test_records_are_found_by_number_and_hash_prefix(store_location):
    _fill(store_location)
    with opened(store_location) as store:
        rec = store.get(3)
        assert store.find("3") == rec and store.find("#3") == rec
        assert store.find(rec.hash[:10]) == rec
        with pytest.raises(StoreError, match="record 99 is not in the store"):
            store.find("99")
        with pytest.raises(StoreError, match="no record"):
            store.find("zz-not-a-ref")
        runs = list(store.records(kinds=["run"], scope="repo"))
        assert [r.seq for r in runs] == [2, 3]
        assert store.findings([2, 3])[3][0]["fingerprint"] == _fp(2)
        assert store.scopes() == ["cluster-a", "repo"]


WRITER = textwrap.dedent(
    """
    import json, os, sys, time
    from checker.store import Blob, opened
    location, start, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    while not os.path.exists(start):
        time.sleep(0.005)
    # blobs every writer stores too (new to the store, in different orders): deduplicated
    shared = [Blob(f"shared-{k}-{i}".encode() * 40) for i in range(count) for k in range(3)]
    runs = len(sys.argv) > 5 and sys.argv[5] == "runs"
    with opened(location) as store:
        for i in range(count):
            common = shared[3 * i : 3 * i + 3]
            blobs = {"object": Blob(f"{name}-{i}".encode() * 50)}
            if runs:  # with a report, so the findings index is written too
                findings = [{"fingerprint": f"{name}{i}{k}".ljust(64, "0"), "id": f"F{k}",
                             "status": "failed", "check": "C", "severity": "low",
                             "resource": {"kind": "Pod", "name": f"p{k}"}} for k in range(20)]
                blobs["report"] = Blob(json.dumps({"findings": findings}).encode())
            store.append("run" if runs else "decision", {"writer": name, "n": i}, blobs,
                         attached=common if int(name[1:]) % 2 else common[::-1])
    """
)


def test_concurrent_writer_processes_never_fork_the_chain(store_location, tmp_path):
    """Many processes open a store that does not exist yet (so they race on creating its
    schema too) and append at once; every record lands once, in one unbroken chain."""
    writers, each = 8, 15
    start = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store_location, str(start), f"w{n}", str(each)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    time.sleep(0.5)
    start.touch()
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with opened(store_location) as store:
        result = store.verify_chain()
        assert result.ok, result.problems
        recs = list(store.records())
    assert [r.seq for r in recs] == list(range(1, writers * each + 1))
    assert raw_query(store_location, "SELECT count(*) FROM blobs") == [(writers * each + 3 * each,)]
    got = sorted((r.meta["writer"], r.meta["n"]) for r in recs)
    assert got == sorted((f"w{n}", i) for n in range(writers) for i in range(each))
    # every writer's own records are in its own order
    for n in range(writers):
        mine = [r.meta["n"] for r in recs if r.meta["writer"] == f"w{n}"]
        assert mine == list(range(each))


def test_concurrent_writer_threads_sharing_one_store_never_fork_the_chain(store_location):
    threads, each = 6, 10
    errors: list[BaseException] = []
    with opened(store_location) as store:
        barrier = threading.Barrier(threads)

        def write(name: str) -> None:
            try:
                barrier.wait()
                for i in range(each):
                    store.append("decision", {"writer": name, "n": i})
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)

        workers = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        assert not errors
        result = store.verify_chain()
        assert result.ok, result.problems
        assert store.head()[0] == threads * each


def test_a_store_of_the_first_schema_revision_upgrades_and_keeps_its_chain(store_location):
    """A store written at revision 0001 (no findings index) is upgraded on open: its runs'
    findings are indexed from their reports, and the chain still verifies."""
    loc = parse_location(store_location)
    from checker.store.db import _sqlite_engine

    if loc.backend == "sqlite":
        engine = _sqlite_engine(loc)
    else:
        import sqlalchemy as sa

        engine = sa.create_engine(loc.url)
    migrate(engine, "0001")
    tables = raw_query(
        store_location,
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        if loc.backend == "sqlite"
        else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    )
    assert "findings" not in {t[0] for t in tables}
    # what a dxguard of revision 0001 wrote: records and blobs, no index
    from checker.store.chain import encode_blob, envelope
    from checker.store.chain import timestamp as ts

    report = json.dumps(_report(_fp(7), _fp(8))).encode()
    ref = Blob(report, "application/json").ref()
    env = envelope(1, "run", ts(), GENESIS, {"scope": "repo"}, {"report": ref})
    text = rfc8785.dumps(env).decode()
    digest = hashlib.sha256(text.encode()).hexdigest()
    enc, stored = encode_blob(report)
    with engine.begin() as conn:
        import sqlalchemy as sa

        conn.execute(
            sa.text("INSERT INTO blobs (sha256, size, encoding, data) VALUES (:d, :s, :e, :b)"),
            {"d": ref.sha256, "s": len(report), "e": enc, "b": stored},
        )
        conn.execute(
            sa.text(
                "INSERT INTO records (seq, kind, recorded_at, scope, prev_hash, hash, envelope) "
                "VALUES (1, 'run', :t, 'repo', :p, :h, :e)"
            ),
            {"t": env["recorded_at"], "p": GENESIS, "h": digest, "e": text},
        )
        conn.execute(
            sa.text("UPDATE chain_head SET seq = 1, hash = :h, recorded_at = :t"),
            {"h": digest, "t": env["recorded_at"]},
        )
    engine.dispose()
    with opened(store_location) as store:  # upgraded to the head revision on open
        assert raw_query(store_location, "SELECT version_num FROM alembic_version") == [("0002",)]
        assert [f["fingerprint"] for f in store.findings([1])[1]] == sorted([_fp(7), _fp(8)])
        store.append("run", {"scope": "repo"}, _run_blob(_report(_fp(8))))
        result = store.verify_chain()
        assert result.ok, result.problems


def test_the_migrated_schema_matches_the_tables_dxguard_queries(store_location):
    import sqlalchemy as sa

    from checker.store.schema import metadata

    with opened(store_location) as store:
        inspector = sa.inspect(store.engine)
        for table in metadata.tables.values():
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name


def test_a_store_from_a_newer_dxguard_is_refused(store_location):
    _fill(store_location)
    raw_execute(store_location, "UPDATE alembic_version SET version_num = '0999'")
    with pytest.raises(StoreError, match="revision 0999, which this dxguard does not know"):
        opened(store_location).__enter__()


def test_the_store_location_comes_from_flag_then_environment_then_config(monkeypatch, tmp_path):
    monkeypatch.delenv("DXGUARD_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_location() == str(tmp_path / "xdg" / "dxguard" / "evidence.sqlite")
    assert resolve_location(None, None) == default_location()
    assert resolve_location(None, "cfg.sqlite") == "cfg.sqlite"
    monkeypatch.setenv("DXGUARD_STORE", "env.sqlite")
    assert resolve_location(None, "cfg.sqlite") == "env.sqlite"
    assert resolve_location("flag.sqlite", "cfg.sqlite") == "flag.sqlite"
    pg = parse_location("postgresql://qm:secret@db.example:5432/evidence")
    assert pg.backend == "postgresql" and pg.url.drivername == "postgresql+psycopg"
    assert "secret" not in pg.display
    with pytest.raises(StoreError, match="is a folder"):
        parse_location(str(tmp_path))
    with pytest.raises(StoreError, match="unknown scheme"):
        parse_location("mysql://x/y")


def test_an_unreachable_postgresql_server_is_a_clear_store_error():
    with pytest.raises(StoreError, match="cannot open the store at postgresql"):
        opened("postgresql://nobody@127.0.0.1:9/none").__enter__()


def _bytes_literal(location: str, data: bytes) -> str:
    if location.startswith("postgresql://"):
        return f"'\\x{data.hex()}'::bytea"
    return f"X'{data.hex()}'"


def test_a_webhook_decision_is_recorded_with_its_review(store_location):
    from checker.store.runs import record_decision

    review = b'{"kind": "AdmissionReview", "request": {"uid": "u-1"}}'
    with opened(store_location) as store:
        rec = record_decision(
            store,
            {"uid": "u-1", "allowed": False, "kind": "Pod", "namespace": "clinical-a"},
            scope="cluster-eu-1",
            review=review,
        )
        again = store.get(rec.seq)
        assert again.kind == "decision" and again.scope == "cluster-eu-1"
        assert again.meta["allowed"] is False
        assert store.blob(again.blobs["review"]) == review
        assert [r.seq for r in store.records(kinds=["decision"], scope="cluster-eu-1")] == [1]
        assert store.verify_chain().ok


def test_metadata_that_is_not_canonical_json_is_refused_before_anything_is_written(
    store_location,
):
    with opened(store_location) as store:
        with pytest.raises(StoreError, match="not canonical JSON"):
            store.append("decision", {"ratio": float("nan")})
        with pytest.raises(StoreError, match="not a lowercase word"):
            store.append("Run Record", {})
        assert store.head() == (0, GENESIS)


def test_a_recorded_file_altered_behind_a_runs_file_list_is_named(store_location):
    from checker.store.store import FILES_MEDIA_TYPE

    kept = Blob(b"apiVersion: v1\nkind: Pod\n" * 100)
    listing = {"files": [{"role": "input", "path": "deploy/pod.yaml", "sha256": kept.ref().sha256}]}
    with opened(store_location) as store:
        store.append(
            "run",
            {"scope": "repo"},
            {
                **_run_blob(_report(_fp(1))),
                "files": Blob(json.dumps(listing).encode(), FILES_MEDIA_TYPE),
            },
            attached=[kept],
        )
        assert store.verify_chain().ok
    raw_execute(
        store_location,
        f"UPDATE blobs SET data = {_bytes_literal(store_location, b'kind: Pod')}, "
        f"encoding = 'identity' WHERE sha256 = '{kept.ref().sha256}'",
    )
    assert _problems(store_location) == [(1, "blob")]
    assert "record 1's recorded file deploy/pod.yaml" in _whats(store_location)


def test_verifying_while_writers_append_sees_one_consistent_chain(store_location, tmp_path):
    """verify_chain reads one state of the store: records (and their findings) appended by
    other processes while it runs never look like tampering."""
    with opened(store_location) as store:
        store.append("decision", {"n": -1})  # the schema exists before the writers start
    start = tmp_path / "go"
    start.touch()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store_location, str(start), f"w{n}", "25", "runs"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    checked = 0
    with opened(store_location) as store:
        while any(p.poll() is None for p in procs) or checked == 0:
            result = store.verify_chain()
            assert result.ok, result.problems
            checked += 1
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        final = store.verify_chain()
        assert final.ok and final.records == 101
    assert checked >= 2


def test_the_known_revisions_are_the_shipped_migrations_in_order():
    """schema.REVISIONS (what opening a store checks against, without importing Alembic) and
    the migrations shipped in the package are the same list, with one head."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from checker.store.db import MIGRATIONS
    from checker.store.schema import HEAD, REVISIONS

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(cfg)
    assert scripts.get_heads() == [HEAD]
    walked = [s.revision for s in scripts.walk_revisions()]
    assert walked[::-1] == list(REVISIONS)
