"""Build the period's export bundle from the evidence store: read, check, summarise, sign.

One consistent snapshot of the store is read (records appended meanwhile are not seen):

1. the period's records ([since, until), in chain order), each scope's baseline run (its last
   run or audit before the period), the evidence attached before the period and, per scope,
   which findings earlier runs had listed (for drift), all from the same snapshot;
2. the chain segment from the oldest of those records to the period's last: every record's
   hash and link is checked while it is read (a broken chain is refused, never signed); the
   records the export includes go into records.jsonl as their exact canonical JSON, the others
   (another scope's, with --scope) as stubs that keep the chain linked: seq, kind, time, prev,
   hash;
3. every included run's report, streamed: its stored bytes are inflated, checked against the
   SHA-256 its record names and reduced to what the period summary needs (digest.py) — in
   worker processes when the caller asks for them (`processes`: parsing a report holds
   Python's GIL, so threads would not share the work) — and go into the zip as the DEFLATE
   data the store already keeps (zipout.py), never compressed a second time;
4. the summary (period.json, assessment-results.json, summary.html, README.txt), SHA256SUMS,
   the in-toto Statement naming every file, and its DSSE envelope signed with the key.

The bundle is written to a temporary file beside the target and renamed when complete: it is
whole or absent. The same store, period, filters and key give the same bytes (Ed25519
signatures are deterministic; zip members carry a fixed date). Blobs are not re-verified
beyond the ones read (`dxguard store verify` checks every blob of the store).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from checker import __version__
from checker.errors import DxguardError, StoreError
from checker.export import manifest as mf
from checker.export.digest import StoredReport, read_stored_report
from checker.export.html import render_summary
from checker.export.oscal import render_period_oscal
from checker.export.period import REPORT_KINDS, ControlMeta, Period, PeriodBuilder
from checker.export.zipout import BundleWriter, raw_deflate
from checker.signing import Signer
from checker.store.chain import Record, canonical, decode_blob, from_envelope
from checker.store.evidence import KIND as EVIDENCE_KIND
from checker.store.evidence import Evidence
from checker.store.schema import blobs as blobs_t
from checker.store.schema import findings as findings_t
from checker.store.schema import records
from checker.store.store import Store

BATCH = 24  # blobs fetched per query
IN_FLIGHT = 16  # reports being read at once (each ~150 kB stored, ~1 MB inflated)
PROCESS_FROM = 48  # fewer reports than this are read in the caller: no worker start-up


@dataclass(frozen=True)
class ExportRequest:
    period: str  # as the user named it (2026-Q3, 2026-07-01..2026-10-01)
    since: str
    until: str
    scopes: tuple[str, ...] = ()
    frameworks: tuple[str, ...] = ()
    warning_days: int = 30


@dataclass
class ExportResult:
    path: Path
    period: Period
    files: int
    size: int
    chain: dict[str, Any]
    fingerprint: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Row:
    seq: int
    kind: str
    scope: str | None
    recorded_at: str
    prev: str
    hash: str
    envelope: str


def export_bundle(
    store: Store,
    request: ExportRequest,
    signer: Signer,
    out: Path,
    *,
    catalog_controls: Iterable[ControlMeta] = (),
    progress: Callable[[int, int], None] | None = None,
    processes: int = 0,
) -> ExportResult:
    """Write the bundle for `request` to `out` (see the module doc)."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with store.snapshot() as conn, BundleWriter(tmp) as zw:
            result = _export(
                conn, store, request, signer, zw, catalog_controls, progress, processes
            )
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    result.path = out
    result.size = out.stat().st_size
    return result


def _wanted_scope(request: ExportRequest, scope: str | None) -> bool:
    return not request.scopes or scope in request.scopes


def _export(
    conn: Connection,
    store: Store,
    request: ExportRequest,
    signer: Signer,
    zw: BundleWriter,
    catalog_controls: Iterable[ControlMeta],
    progress: Callable[[int, int], None] | None,
    processes: int,
) -> ExportResult:
    since, until = request.since, request.until
    period_rows = _rows(conn, records.c.recorded_at >= since, records.c.recorded_at < until)
    report_scopes = sorted(
        {
            r.scope
            for r in period_rows
            if r.kind in REPORT_KINDS and _wanted_scope(request, r.scope)
        },
        key=lambda s: (s is not None, s or ""),
    )
    baselines = {s: b for s in report_scopes if (b := _baseline(conn, s, since)) is not None}
    earlier_evidence = _rows(conn, records.c.kind == EVIDENCE_KIND, records.c.recorded_at < since)
    needed = [r.seq for r in period_rows] + list(baselines.values())
    needed += [r.seq for r in earlier_evidence]
    if not needed:
        raise StoreError(
            f"the store {store.location.display} holds no record of {request.period} "
            f"({since[:10]} to {until[:10]}, UTC) and no evidence before it: nothing to export",
            hint="`dxguard store list` shows what the store holds",
        )
    first, last = min(needed), max(needed)
    segment = _rows(conn, records.c.seq >= first, records.c.seq <= last)
    _check_segment(segment, first, last, store)

    builder = PeriodBuilder(
        request.period,
        since,
        until,
        scopes=request.scopes,
        frameworks=request.frameworks,
        warning_days=request.warning_days,
    )
    for scope in baselines:
        for fp, first_seq, first_at in _history(conn, scope, since):
            builder.history(scope, fp, (first_seq, first_at))

    baseline_seqs = set(baselines.values())
    lines: list[bytes] = []
    reports: list[tuple[Record, bool]] = []
    evidence: list[Record] = []
    for row in segment:
        in_period = since <= row.recorded_at < until
        rec = from_envelope(orjson.loads(row.envelope), row.hash)
        include, reason = _included(rec, in_period, row.seq in baseline_seqs, request)
        if not include:
            lines.append(
                canonical(
                    {
                        "excluded": reason,
                        "hash": row.hash,
                        "kind": row.kind,
                        "prev": row.prev,
                        "recorded_at": row.recorded_at,
                        "seq": row.seq,
                    }
                )
            )
            continue
        lines.append(row.envelope.encode())
        if rec.kind in REPORT_KINDS and "report" in rec.blobs:
            reports.append((rec, row.seq in baseline_seqs))
        elif rec.kind == EVIDENCE_KIND and "file" in rec.blobs:
            evidence.append(rec)
        elif rec.kind == "decision" and in_period:
            builder.add_decision(rec)

    digests: dict[str, str] = {}
    total = len(reports)
    with _executor(processes if total >= PROCESS_FROM else 0) as pool:
        for done, (rec, got, stored) in enumerate(
            _read_reports(conn, store, reports, pool, request.frameworks), 1
        ):
            path = mf.report_path(rec.seq)
            assert got.digest is not None
            builder.add_run(
                rec, got.digest, path=path, size=got.size, baseline=rec.seq in baseline_seqs
            )
            _add_stored(zw, path, stored, got.size, got.crc)
            digests[path] = rec.blobs["report"].sha256
            if progress is not None:
                progress(done, total)
    for rec in evidence:
        ev = Evidence.from_record(rec)
        if request.frameworks and ev.framework not in request.frameworks:
            continue
        path = mf.evidence_path(rec.seq, ev.file_name)
        data = _blob(conn, store, rec, "file")
        zw.add(path, data)
        digests[path] = rec.blobs["file"].sha256
        builder.add_evidence(ev, path)

    period = builder.build(catalog_controls)
    chain = {
        "first": {"seq": segment[0].seq, "prev": segment[0].prev},
        "last": {"seq": segment[-1].seq, "hash": segment[-1].hash},
        "records": len(segment),
        "file": mf.RECORDS,
    }
    key = {"fingerprint": signer.public.fingerprint, "display": signer.public.display}

    def add(name: str, data: bytes) -> None:
        zw.add(name, data)
        digests[name] = hashlib.sha256(data).hexdigest()

    add(mf.RECORDS, b"\n".join(lines) + b"\n")
    period_json = (
        orjson.dumps(
            {**period.to_json(), "chain": chain}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        )
        + b"\n"
    )
    add(mf.PERIOD, period_json)
    add(mf.OSCAL, render_period_oscal(period, period_json))
    add(mf.SUMMARY, render_summary(period, chain, key))
    add(mf.README, mf.readme(request.period, signer.public.fingerprint))
    add(mf.KEY, signer.public.pem)
    add(mf.SUMS, mf.sha256sums(digests))
    predicate = {
        "period": {"name": request.period, "since": since, "until": until},
        "filters": {"scopes": sorted(request.scopes), "frameworks": sorted(request.frameworks)},
        "chain": chain,
        "runs": [{"seq": r.seq, "hash": r.hash, "report": r.report_path} for r in period.runs],
        "generator": {"name": "dxguard", "version": __version__},
        "store": {"backend": store.location.backend},
        "key": {"fingerprint": signer.public.fingerprint, "algorithm": "ed25519"},
    }
    statement = mf.statement(digests, predicate)
    zw.add(mf.MANIFEST, statement)
    zw.add(mf.ENVELOPE, orjson.dumps(signer.sign_envelope(statement), option=orjson.OPT_INDENT_2))
    warnings = []
    if not period.period_runs():
        warnings.append(f"no run or audit of the selected scopes was recorded in {request.period}")
    return ExportResult(
        path=zw.path,
        period=period,
        files=len(zw.names),
        size=0,
        chain=chain,
        fingerprint=signer.public.fingerprint,
        warnings=warnings,
    )


def _included(
    rec: Record, in_period: bool, baseline: bool, request: ExportRequest
) -> tuple[bool, str]:
    """Whether a segment record goes into the bundle whole (else: why it is a stub)."""
    if rec.kind == EVIDENCE_KIND:
        fw = rec.meta.get("framework")
        if request.frameworks and fw not in request.frameworks:
            return False, "evidence for another framework (--framework)"
        return True, ""
    if baseline:
        return True, ""
    if not in_period:
        return False, "before the period"
    if not _wanted_scope(request, rec.scope):
        return False, "another scope (--scope)"
    return True, ""


def _rows(conn: Connection, *where: Any) -> list[_Row]:
    q = (
        sa.select(
            records.c.seq,
            records.c.kind,
            records.c.scope,
            records.c.recorded_at,
            records.c.prev_hash,
            records.c.hash,
            records.c.envelope,
        )
        .where(*where)
        .order_by(records.c.seq)
    )
    return [_Row(*row) for row in conn.execution_options(yield_per=2000).execute(q)]


def _same_scope(scope: str | None) -> Any:
    return records.c.scope.is_(None) if scope is None else records.c.scope == scope


def _baseline(conn: Connection, scope: str | None, since: str) -> int | None:
    q = sa.select(sa.func.max(records.c.seq)).where(
        records.c.kind.in_(REPORT_KINDS), _same_scope(scope), records.c.recorded_at < since
    )
    return conn.execute(q).scalar()


def _history(conn: Connection, scope: str | None, since: str) -> Iterator[tuple[str, int, str]]:
    """Each finding the scope's runs listed before the period, with the first run that did."""
    q = (
        sa.select(
            findings_t.c.fingerprint,
            sa.func.min(findings_t.c.seq),
            sa.func.min(records.c.recorded_at),
        )
        .join(records, records.c.seq == findings_t.c.seq)
        .where(records.c.kind.in_(REPORT_KINDS), _same_scope(scope), records.c.recorded_at < since)
        .group_by(findings_t.c.fingerprint)
    )
    for fp, seq, at in conn.execute(q):
        yield fp, int(seq), at


def _check_segment(segment: list[_Row], first: int, last: int, store: Store) -> None:
    """Every record of the segment present, hashing to its hash and naming the one before: a
    broken chain is not exported (and signed) as if it were whole."""
    hint = "`dxguard store verify` names every problem; the export signs only an intact chain"
    where = store.location.display
    expected, prev = first, None
    for row in segment:
        if row.seq != expected:
            raise StoreError(
                f"the store {where} is missing record {expected} (the chain jumps from "
                f"{expected - 1} to {row.seq}); the bundle was not written",
                hint=hint,
            )
        if hashlib.sha256(row.envelope.encode()).hexdigest() != row.hash:
            raise StoreError(
                f"record {row.seq} in the store {where} no longer hashes to its hash (it was "
                "edited); the bundle was not written",
                hint=hint,
            )
        if prev is not None and row.prev != prev:
            raise StoreError(
                f"record {row.seq} in the store {where} does not follow record {row.seq - 1} "
                "(its previous hash differs); the bundle was not written",
                hint=hint,
            )
        expected, prev = row.seq + 1, row.hash
    if expected != last + 1:
        raise StoreError(
            f"the store {where} is missing records {expected}–{last}; the bundle was not written",
            hint=hint,
        )


class _Inline(Executor):
    """Runs each task at once in the caller (small exports; and what `processes=0` asks)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _executor(processes: int) -> Executor:
    if processes < 2:
        return _Inline()
    # forkserver: workers start from a clean interpreter, never a fork of this process's
    # threads and open database connections.
    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("forkserver"))


def _read_reports(
    conn: Connection,
    store: Store,
    reports: list[tuple[Record, bool]],
    pool: Executor,
    frameworks: tuple[str, ...],
) -> Iterator[tuple[Record, StoredReport, tuple[str, bytes]]]:
    """Each report, in chain order, read and summarised by the pool while the caller adds
    the previous ones to the bundle; a report that is missing or altered stops the export."""
    pending: deque[tuple[Record, tuple[str, bytes], Future]] = deque()

    def finish() -> tuple[Record, StoredReport, tuple[str, bytes]]:
        rec, stored, fut = pending.popleft()
        try:
            got = fut.result()
        except BrokenProcessPool as err:
            raise DxguardError(
                f"the export's worker processes stopped ({err}); the bundle was not written",
                hint="run it again, or with --jobs 1 to read the reports in one process",
            ) from None
        if got.problem:
            raise StoreError(
                f"{got.problem}; the bundle was not written",
                hint="`dxguard store verify` lists every record affected",
            )
        return rec, got, stored

    for start in range(0, len(reports), BATCH):
        chunk = [rec for rec, _ in reports[start : start + BATCH]]
        wanted = sorted({rec.blobs["report"].sha256 for rec in chunk})
        found = {
            row.sha256: (row.encoding, bytes(row.data))
            for row in conn.execute(
                sa.select(blobs_t.c.sha256, blobs_t.c.encoding, blobs_t.c.data).where(
                    blobs_t.c.sha256.in_(wanted)
                )
            )
        }
        for rec in chunk:
            ref = rec.blobs["report"]
            got = found.get(ref.sha256)
            if got is None:
                raise StoreError(
                    f"record {rec.seq}'s report (sha256:{ref.sha256[:16]}…) is missing from "
                    f"the store {store.location.display}; the bundle was not written",
                    hint="`dxguard store verify` lists every record affected",
                )
            fut = pool.submit(read_stored_report, rec.seq, ref.sha256, *got, frameworks)
            pending.append((rec, got, fut))
            while len(pending) > IN_FLIGHT:
                yield finish()
    while pending:
        yield finish()


def _blob(conn: Connection, store: Store, rec: Record, name: str) -> bytes:
    ref = rec.blobs[name]
    row = conn.execute(
        sa.select(blobs_t.c.encoding, blobs_t.c.data).where(blobs_t.c.sha256 == ref.sha256)
    ).first()
    if row is None:
        raise StoreError(
            f"record {rec.seq}'s {name} (sha256:{ref.sha256[:16]}…) is missing from the store "
            f"{store.location.display}; the bundle was not written",
            hint="`dxguard store verify` lists every record affected",
        )
    data = decode_blob(row.encoding, bytes(row.data))
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise StoreError(
            f"record {rec.seq}'s {name} (sha256:{ref.sha256[:16]}…) no longer matches its "
            "digest: it was altered in the store; the bundle was not written",
            hint="`dxguard store verify` lists every record affected",
        )
    return data


def _add_stored(
    zw: BundleWriter, name: str, stored: tuple[str, bytes], size: int, crc: int
) -> None:
    """A blob into the zip as it is stored: zlib data as the DEFLATE stream it holds."""
    encoding, raw = stored
    deflated = raw_deflate(raw) if encoding == "zlib" else None
    if deflated is not None:
        zw.add_deflated(name, deflated, size=size, crc=crc)
    else:
        zw.add(name, decode_blob(encoding, raw))
