"""verify_chain: re-derive every record's hash, link, blobs and index, and say what is wrong.

Reads the tables directly (never through the columns it is checking), record by record in
sequence order, so a 5,000-run store verifies in one pass. Every problem names the record
(its sequence number) and what was found, so an auditor can tell an edit from a deletion.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from checker.store.chain import GENESIS, canonical, decode_blob, from_envelope
from checker.store.schema import blobs as blobs_t
from checker.store.schema import chain_head, records
from checker.store.schema import findings as findings_t

if TYPE_CHECKING:
    from checker.store.store import ChainVerification, Store


def verify(store: Store, *, check_blobs: bool, anchor: tuple[int, str] | None) -> ChainVerification:
    from checker.store.store import FILES_MEDIA_TYPE, ChainProblem, ChainVerification

    result = ChainVerification()
    problems = result.problems
    # digest → [(seq, name, media type)] of every reference, to report a bad blob per record
    referenced: dict[str, list[tuple[int, str, str]]] = {}
    reports: dict[int, str] = {}  # seq → digest of its report blob
    expected_seq = 1
    prev_hash = GENESIS
    prev_time = ""
    hashes: dict[int, str] = {}

    with store.snapshot() as conn:  # one state, whatever other writers append meanwhile
        head = conn.execute(
            sa.select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)
        ).first()
        q = sa.select(records).order_by(records.c.seq)
        for row in conn.execution_options(yield_per=500).execute(q):
            result.records += 1
            seq = row.seq
            if seq != expected_seq:
                if seq > expected_seq:
                    gone = (
                        f"record {expected_seq} is"
                        if seq == expected_seq + 1
                        else f"records {expected_seq}–{seq - 1} are"
                    )
                    problems.append(
                        ChainProblem(
                            expected_seq,
                            "missing",
                            f"{gone} missing: the sequence jumps from {expected_seq - 1} "
                            f"to {seq} (deleted)",
                        )
                    )
                else:
                    problems.append(
                        ChainProblem(seq, "reordered", f"record {seq} appears out of order")
                    )
            try:
                env = orjson.loads(row.envelope)
                rec = from_envelope(env, row.hash)
                digest = hashlib.sha256(canonical(env)).hexdigest()
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
                problems.append(
                    ChainProblem(seq, "malformed", f"record {seq}'s content is not a record: {err}")
                )
                expected_seq, prev_hash = seq + 1, row.hash
                continue
            if digest != row.hash:
                problems.append(
                    ChainProblem(
                        seq,
                        "edited",
                        f"record {seq} ({rec.kind}) was edited: its content hashes to "
                        f"{digest[:16]}…, but its recorded hash is {row.hash[:16]}…",
                    )
                )
            columns = {
                "seq": (row.seq, rec.seq),
                "kind": (row.kind, rec.kind),
                "recorded_at": (row.recorded_at, rec.recorded_at),
                "scope": (row.scope, rec.meta.get("scope")),
                "prev_hash": (row.prev_hash, rec.prev),
            }
            for name, (col, content) in columns.items():
                if col != content:
                    problems.append(
                        ChainProblem(
                            seq,
                            "reordered" if name == "seq" else "edited",
                            f"record {seq}: its {name} column says {col!r} but its hashed "
                            f"content says {content!r}",
                        )
                    )
            if rec.prev != prev_hash and seq == expected_seq:
                before = seq - 1
                problems.append(
                    ChainProblem(
                        seq,
                        "link",
                        f"record {seq} does not follow record {before}: it names "
                        f"{rec.prev[:16]}… as the previous hash, but record {before} hashes "
                        f"to {prev_hash[:16]}… (record {before} was replaced, or records "
                        "were reordered)",
                    )
                )
            if rec.recorded_at < prev_time:
                problems.append(
                    ChainProblem(
                        seq,
                        "reordered",
                        f"record {seq} was recorded at {rec.recorded_at}, before the record "
                        f"preceding it ({prev_time}): records were reordered",
                    )
                )
            prev_time = max(prev_time, rec.recorded_at)
            for name, ref in rec.blobs.items():
                referenced.setdefault(ref.sha256, []).append((seq, name, ref.media_type))
            if "report" in rec.blobs:
                reports[seq] = rec.blobs["report"].sha256
            hashes[seq] = row.hash
            expected_seq, prev_hash = seq + 1, row.hash
        if check_blobs:
            _verify_blobs(conn, referenced, reports, result, FILES_MEDIA_TYPE)

    last = expected_seq - 1
    if head is None:
        problems.append(ChainProblem(None, "head", "the chain head row is missing"))
    else:
        result.head = (int(head.seq), head.hash)
        if head.seq > last:
            problems.append(
                ChainProblem(
                    last + 1,
                    "missing",
                    f"the chain head names record {head.seq}, but the last record is {last}: "
                    f"records {last + 1}–{head.seq} were removed from the end",
                )
            )
        elif head.seq < last:
            problems.append(
                ChainProblem(
                    head.seq + 1,
                    "head",
                    f"records after {head.seq} (the chain head) were added without the head "
                    f"being moved: the last record is {last}",
                )
            )
        elif head.hash != prev_hash:
            problems.append(
                ChainProblem(
                    last,
                    "head",
                    f"the chain head's hash {head.hash[:16]}… is not record {last}'s "
                    f"({prev_hash[:16]}…): the last record was replaced",
                )
            )
    if anchor is not None:
        seq, digest = anchor
        if hashes.get(seq) != digest:
            now = hashes.get(seq)
            problems.append(
                ChainProblem(
                    seq,
                    "anchor",
                    f"record {seq} should hash to {digest[:16]}… (the anchor), but "
                    + (
                        f"it hashes to {now[:16]}…: the chain was rewritten"
                        if now
                        else "it is gone"
                    ),
                )
            )

    return result


def _verify_blobs(
    conn: Connection,
    referenced: dict[str, list[tuple[int, str, str]]],
    reports: dict[int, str],
    result: ChainVerification,
    files_media_type: str,
) -> None:
    from checker.store.store import INDEX_COLUMNS, ChainProblem, index_tuples

    problems = result.problems
    report_of: dict[str, list[int]] = {}
    for seq, d in reports.items():
        report_of.setdefault(d, []).append(seq)
    derived: dict[int, Any] = {}  # seq → the index its report gives (None: not JSON)
    pending = sorted(referenced)
    seen: set[str] = set()
    while pending:
        batch, pending = pending[:16], pending[16:]  # a 10k-resource report is megabytes
        found = {}
        for row in conn.execute(
            sa.select(blobs_t.c.sha256, blobs_t.c.encoding, blobs_t.c.data).where(
                blobs_t.c.sha256.in_(batch)
            )
        ):
            found[row.sha256] = row
        for digest in batch:
            seen.add(digest)
            users = referenced[digest]
            row = found.get(digest)
            if row is None:
                for s, n, _ in users:
                    problems.append(
                        ChainProblem(
                            s, "blob", f"record {s}'s {n} (sha256:{digest[:16]}…) is missing"
                        )
                    )
                continue
            result.blobs += 1
            try:
                data = decode_blob(row.encoding, row.data)
            except Exception as err:  # noqa: BLE001 - zlib and unknown encodings
                data, bad = b"", f"cannot be read ({err})"
            else:
                now = hashlib.sha256(data).hexdigest()
                bad = None if now == digest else f"now hashes to {now[:16]}…"
            if bad:
                for s, n, _ in users:
                    problems.append(
                        ChainProblem(
                            s,
                            "blob",
                            f"record {s}'s {n} (sha256:{digest[:16]}…) was altered: it {bad}",
                        )
                    )
                continue
            lists = [(s, n) for s, n, media in users if media == files_media_type]
            for path, entry in _listed(data) if lists else []:
                if entry not in seen and entry not in referenced:
                    pending.append(entry)
                referenced.setdefault(entry, []).extend(
                    (s, f"recorded file {path}", "") for s, _ in lists
                )
            if digest in report_of:
                try:
                    rows = index_tuples(orjson.loads(data))
                    summary: tuple[str, set] | None = (_digest(rows), {r[:3] for r in rows})
                except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                    summary = None
                for seq in report_of[digest]:
                    derived[seq] = summary
    # The index, streamed in order and summarised per record (a digest, and its entries only
    # where they disagree), so a store of millions of findings verifies in bounded memory.
    indexed: dict[int, str] = {}
    current: int | None = None
    rows_of: list[tuple[str, ...]] = []
    columns = [findings_t.c.seq, *(findings_t.c[c] for c in INDEX_COLUMNS)]
    query = sa.select(*columns).order_by(findings_t.c.seq, findings_t.c.fingerprint)
    for row in conn.execution_options(yield_per=5000).execute(query):
        seq, entry = row[0], tuple(row[1:])
        if seq != current:
            if current is not None:
                indexed[current] = _digest(rows_of)
            current, rows_of = seq, []
        if seq not in reports:
            if not rows_of:
                problems.append(
                    ChainProblem(
                        seq,
                        "index",
                        f"the findings index holds findings (e.g. {entry[1]}) for record {seq}, "
                        "which has no report",
                    )
                )
            rows_of.append(entry)
            continue
        rows_of.append(entry)
    if current is not None:
        indexed[current] = _digest(rows_of)
    empty = _digest([])
    for seq, summary in sorted(derived.items()):
        if summary is None:
            problems.append(ChainProblem(seq, "blob", f"record {seq}'s report is not a report"))
            continue
        want_digest, want_keys = summary
        if indexed.get(seq, empty) == want_digest:
            continue
        have = conn.execute(
            sa.select(*(findings_t.c[c] for c in INDEX_COLUMNS[:3])).where(findings_t.c.seq == seq)
        ).all()
        have_keys = {tuple(r) for r in have}
        extra, gone = len(have_keys - want_keys), len(want_keys - have_keys)
        problems.append(
            ChainProblem(
                seq,
                "index",
                f"record {seq}'s findings index disagrees with its report ({extra} entries "
                f"not in the report, {gone} of the report's missing"
                + ("" if extra or gone else ", entries altered")
                + ")",
            )
        )


def _digest(rows: list[tuple[str, ...]]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update("\x1f".join(r).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def _listed(data: bytes) -> list[tuple[str, str]]:
    """(path, digest) of each file a run's file list names."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return []
    return [
        (str(f.get("path")), f["sha256"])
        for f in doc.get("files", [])
        if isinstance(f, dict) and isinstance(f.get("sha256"), str)
    ]
