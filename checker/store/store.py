"""The evidence store: append records to the hash chain, read them back, verify the chain.

`open_store(location)` → Store. Appends are serialised (one chain, never forked, whatever the
number of writing processes, threads or machines); reads never block writers. Everything a
caller records goes through `append` (records of any kind) or the typed helpers built on it
(checker/store/runs.py for runs, evidence.py for manual evidence). `verify_chain` re-derives
every hash, link, blob digest and index entry and names each problem by record.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from checker.errors import StoreError
from checker.store import db
from checker.store.chain import (
    GENESIS,
    Blob,
    BlobRef,
    Record,
    canonical,
    decode_blob,
    encode_blob,
    envelope,
    from_envelope,
    record_hash,
    timestamp,
)
from checker.store.schema import blobs as blobs_t
from checker.store.schema import chain_head, records
from checker.store.schema import findings as findings_t

KIND = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# A blob of this media type lists other blobs (a run's recorded files); verify follows it.
FILES_MEDIA_TYPE = "application/vnd.dxguard.files+json"
REPORT_MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong with the chain: the record it concerns (None: the chain as a whole),
    what kind of tampering it points at, and a sentence that says exactly what."""

    seq: int | None
    kind: str  # edited | missing | reordered | link | blob | index | head | anchor | malformed
    what: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "what": self.what}


@dataclass
class ChainVerification:
    records: int = 0
    blobs: int = 0
    head: tuple[int, str] = (0, GENESIS)
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "blobs": self.blobs,
            "head": {"seq": self.head[0], "hash": self.head[1]},
            "problems": [p.to_json() for p in self.problems],
        }


INDEX_COLUMNS = ("fingerprint", "finding_id", "status", "check_id", "severity", "resource")


def _encode_rows(items: list[Blob]) -> list[dict[str, Any]]:
    rows = []
    for blob in items:
        encoding, stored = encode_blob(blob.data)
        rows.append(
            {
                "sha256": blob.ref().sha256,
                "size": len(blob.data),
                "encoding": encoding,
                "data": stored,
            }
        )
    return rows


def index_tuples(report: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The findings index entries of a report (its finding identities, checker/identity.py)
    as tuples in INDEX_COLUMNS order, sorted by fingerprint."""
    out: dict[str, tuple[str, ...]] = {}
    for f in report.get("findings", []):
        res = f.get("resource") or {}
        resource = f"{res.get('kind') or ''}/{res.get('namespace') or ''}/{res.get('name') or ''}"
        fp = f["fingerprint"]
        out[fp] = (fp, f["id"], f["status"], f["check"], f["severity"], resource)
    return [out[fp] for fp in sorted(out)]


def index_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """index_tuples as dicts (column → value), as `Store.findings` returns them."""
    return [dict(zip(INDEX_COLUMNS, t, strict=True)) for t in index_tuples(report)]


class Store:
    """An open store. Thread-safe: threads may share one Store (each call takes its own
    connection). Close it (or use `with open_store(...)`) to release the connections."""

    def __init__(self, engine: Engine, location: db.Location):
        self.engine = engine
        self.location = location

    # -- writing ---------------------------------------------------------------------------

    def append(
        self,
        kind: str,
        meta: Mapping[str, Any],
        blobs: Mapping[str, Blob] | None = None,
        *,
        report: Mapping[str, Any] | None = None,
        attached: Iterable[Blob] = (),
    ) -> Record:
        """Append one record and return it (with its sequence number and hash).

        `meta` is small JSON (it is canonicalised and hashed as it is); `blobs` are the large
        contents, stored once per digest. A record with a "report" blob is indexed by its
        findings' identities: pass the parsed report as `report` (else the blob is parsed).
        `attached` blobs are stored without being named in the envelope: a blob that lists
        files (media type FILES_MEDIA_TYPE, e.g. a run's "files") names them instead.
        """
        if not KIND.match(kind):
            raise StoreError(f"record kind {kind!r} is not a lowercase word (e.g. run, decision)")
        meta = dict(meta)
        blobs = dict(blobs or {})
        try:
            canonical(meta)  # refuse what JSON canonicalisation cannot hash before locking
        except Exception as err:  # noqa: BLE001 - rfc8785 raises several types
            raise StoreError(f"the {kind} record's metadata is not canonical JSON: {err}") from None
        refs = {name: blob.ref() for name, blob in blobs.items()}
        # New blobs are compressed in a thread (zlib lets go of the GIL) while this one builds
        # the findings index: for a 10k-resource report the two take about as long.
        missing = self._missing([*blobs.values(), *attached])
        big = sum(len(b.data) for b in missing) > 1 << 20
        with ThreadPoolExecutor(max_workers=1) if big else contextlib.nullcontext() as pool:
            encoded = pool.submit(_encode_rows, missing) if pool is not None else None
            rows: list[tuple[Any, ...]] = []
            if "report" in blobs:
                if report is None:
                    report = orjson.loads(blobs["report"].data)
                rows = index_tuples(report)
            new_blobs = encoded.result() if encoded is not None else _encode_rows(missing)
        with db.write_transaction(self.engine) as conn:  # one commit per record
            self._insert_blobs(conn, new_blobs)
            head = conn.execute(
                sa.select(chain_head.c.seq, chain_head.c.hash, chain_head.c.recorded_at)
                .where(chain_head.c.id == 1)
                .with_for_update()
            ).one()
            seq = head.seq + 1
            when = max(self._now(conn), head.recorded_at)  # never earlier than the last record
            env = envelope(seq, kind, when, head.hash, meta, refs)
            text = canonical(env)
            digest = hashlib.sha256(text).hexdigest()
            conn.execute(
                records.insert().values(
                    seq=seq,
                    kind=kind,
                    recorded_at=when,
                    scope=meta.get("scope"),
                    prev_hash=head.hash,
                    hash=digest,
                    envelope=text.decode(),
                )
            )
            if rows:  # tens of thousands of rows: straight to the driver, as tuples
                mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
                conn.exec_driver_sql(
                    f"INSERT INTO findings (seq, {', '.join(INDEX_COLUMNS)}) "
                    f"VALUES ({', '.join([mark] * (len(INDEX_COLUMNS) + 1))})",
                    [(seq, *r) for r in rows],
                )
            conn.execute(
                chain_head.update()
                .where(chain_head.c.id == 1)
                .values(seq=seq, hash=digest, recorded_at=when)
            )
        return Record(seq, kind, when, head.hash, digest, meta, refs)

    def _now(self, conn: Connection) -> str:
        """One clock for every writer: the PostgreSQL server's; SQLite's writers share a host."""
        if self.engine.dialect.name == "postgresql":
            return timestamp(conn.execute(sa.text("SELECT clock_timestamp()")).scalar())
        return timestamp()

    def _missing(self, items: Iterable[Blob]) -> list[Blob]:
        """The blobs not stored yet (content-addressed: each digest once)."""
        wanted = {b.ref().sha256: b for b in items}
        if not wanted:
            return []
        have: set[str] = set()
        digests = list(wanted)
        with self.engine.connect() as conn:
            for start in range(0, len(digests), 500):
                chunk = digests[start : start + 500]
                have.update(
                    conn.execute(
                        sa.select(blobs_t.c.sha256).where(blobs_t.c.sha256.in_(chunk))
                    ).scalars()
                )
            conn.rollback()
        return [b for d, b in wanted.items() if d not in have]

    def _insert_blobs(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Insert blob rows (another writer may have stored the same digest meanwhile)."""
        if not rows:
            return
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(blobs_t).on_conflict_do_nothing()
        batch: list[dict[str, Any]] = []
        size = 0
        # In digest order: two writers storing the same new blobs wait for each other in one
        # order, never in a cycle (PostgreSQL would otherwise abort one as a deadlock).
        for row in sorted(
            rows, key=lambda r: r["sha256"]
        ):  # batches of up to ~8 MB: a report alone can be tens of megabytes
            batch.append(row)
            size += len(row["data"])
            if size >= 8 << 20:
                conn.execute(statement, batch)
                batch, size = [], 0
        if batch:
            conn.execute(statement, batch)

    # -- reading ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A connection that sees one consistent state of the store across several queries:
        records appended meanwhile by other writers are not seen (PostgreSQL: REPEATABLE
        READ; SQLite: one read transaction). Read-only: rolled back at the end."""
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            try:
                yield conn
            finally:
                conn.rollback()

    def head(self) -> tuple[int, str]:
        """(sequence number, hash) of the last record; (0, GENESIS) for an empty store."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)
            ).one()
            conn.rollback()
        return int(row.seq), row.hash

    def get(self, seq: int) -> Record:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(records.c.envelope, records.c.hash).where(records.c.seq == seq)
            ).first()
            conn.rollback()
        if row is None:
            raise StoreError(
                f"record {seq} is not in the store {self.location.display}",
                hint="`dxguard store list` shows the records it holds",
            )
        return from_envelope(orjson.loads(row.envelope), row.hash)

    def find(self, ref: str | int) -> Record:
        """A record by sequence number (12 or #12) or by a unique hash prefix (8+ hex digits)."""
        text = str(ref).strip().lstrip("#")
        if text.isdigit():
            return self.get(int(text))
        if re.fullmatch(r"[0-9a-fA-F]{8,64}", text):
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(records.c.seq).where(records.c.hash.startswith(text.lower())).limit(2)
                ).all()
                conn.rollback()
            if len(rows) == 1:
                return self.get(rows[0].seq)
            if len(rows) > 1:
                raise StoreError(f"record hash prefix {text} is ambiguous; give more digits")
        raise StoreError(
            f"no record {ref!r} in the store {self.location.display}",
            hint="name a record by its number (e.g. 12) or its hash (8 or more hex digits); "
            "`dxguard store list` shows them",
        )

    def records(
        self,
        *,
        kinds: Iterable[str] | None = None,
        scope: str | None = None,
        since: str | None = None,
        until: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> Iterator[Record]:
        """Records in chain order, filtered: kinds, scope, recorded in [since, until) (ISO
        times as `period_bounds` gives them), sequence numbers in [first, last]."""
        q = sa.select(records.c.envelope, records.c.hash).order_by(records.c.seq)
        if kinds is not None:
            q = q.where(records.c.kind.in_(list(kinds)))
        if scope is not None:
            q = q.where(records.c.scope == scope)
        if since is not None:
            q = q.where(records.c.recorded_at >= since)
        if until is not None:
            q = q.where(records.c.recorded_at < until)
        if first is not None:
            q = q.where(records.c.seq >= first)
        if last is not None:
            q = q.where(records.c.seq <= last)
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=500).execute(q):
                yield from_envelope(orjson.loads(row.envelope), row.hash)
            conn.rollback()

    def blob(self, ref: BlobRef | str) -> bytes:
        """A blob's bytes, checked against its digest on the way out."""
        digest = ref.sha256 if isinstance(ref, BlobRef) else ref
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(blobs_t.c.encoding, blobs_t.c.data).where(blobs_t.c.sha256 == digest)
            ).first()
            conn.rollback()
        if row is None:
            raise StoreError(
                f"blob sha256:{digest} is missing from the store {self.location.display}",
                hint="`dxguard store verify` lists every record affected",
            )
        data = decode_blob(row.encoding, row.data)
        if hashlib.sha256(data).hexdigest() != digest:
            raise StoreError(
                f"blob sha256:{digest} in the store {self.location.display} no longer matches "
                "its digest: it was altered",
                hint="`dxguard store verify` lists every record affected",
            )
        return data

    def report(self, record: Record) -> dict[str, Any]:
        """The JSON report a run (or audit) record holds."""
        if "report" not in record.blobs:
            raise StoreError(f"record {record.seq} ({record.kind}) holds no report")
        return orjson.loads(self.blob(record.blobs["report"]))

    def findings(self, seqs: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """The findings index of these records: seq → entries (fingerprint, finding_id,
        status, check_id, severity, resource), sorted by fingerprint."""
        wanted = sorted(set(seqs))
        out: dict[int, list[dict[str, Any]]] = {s: [] for s in wanted}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                q = (
                    sa.select(findings_t)
                    .where(findings_t.c.seq.in_(chunk))
                    .order_by(findings_t.c.seq, findings_t.c.fingerprint)
                )
                for row in conn.execute(q).mappings():
                    entry = dict(row)
                    out[entry.pop("seq")].append(entry)
            conn.rollback()
        return out

    def scopes(self, *, since: str | None = None, until: str | None = None) -> list[str]:
        q = sa.select(records.c.scope).where(records.c.scope.is_not(None)).distinct()
        if since is not None:
            q = q.where(records.c.recorded_at >= since)
        if until is not None:
            q = q.where(records.c.recorded_at < until)
        with self.engine.connect() as conn:
            out = sorted(conn.execute(q).scalars())
            conn.rollback()
        return out

    # -- verifying -------------------------------------------------------------------------

    def verify_chain(
        self,
        *,
        check_blobs: bool = True,
        anchor: tuple[int, str] | None = None,
    ) -> ChainVerification:
        """Re-derive the whole chain and name every problem by record.

        Detects an edited record (its content no longer hashes to its hash, or its columns
        disagree with its content), a removed record (a gap in the sequence, or fewer records
        than the chain head names), reordered or replaced records (a broken link to the
        previous hash, time going backwards), altered or missing blobs (including the files a
        run's file list names) and a findings index that disagrees with its report. `anchor`
        (seq, hash) — e.g. from a signed export — also proves that record was not rewritten
        together with everything after it.
        """
        from checker.store.verify import verify

        return verify(self, check_blobs=check_blobs, anchor=anchor)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(location: str | None = None, *, configured: str | None = None) -> Store:
    """Open (creating or upgrading it as needed) the store at `location`: a SQLite path or a
    postgresql:// URL; None → $DXGUARD_STORE, then `configured`, then the default file."""
    loc = db.parse_location(db.resolve_location(location, configured))
    return Store(db.connect(loc), loc)


@contextlib.contextmanager
def opened(location: str | None = None, *, configured: str | None = None) -> Iterator[Store]:
    store = open_store(location, configured=configured)
    try:
        yield store
    finally:
        store.close()


__all__ = [
    "Blob",
    "BlobRef",
    "ChainProblem",
    "ChainVerification",
    "Record",
    "Store",
    "index_rows",
    "open_store",
    "opened",
    "record_hash",
]
