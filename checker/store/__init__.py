"""The evidence store: every run, decision and attached document, kept in a hash chain.

SQLite by default (one file), PostgreSQL by URL for many runners and replicas. Records are
appended, never changed: each holds its kind, metadata and the digests of its blobs (the JSON
report, recorded input and policy files, an evidence document), the previous record's hash and
its own hash over RFC 8785 canonical JSON. `verify_chain` detects any deletion, reordering or
edit and names the record. See docs/evidence-store.md.

The API other parts of dxguard use (the export, the webhook, the audit, the CLI):

    with opened("/path/evidence.sqlite") as store:        # or "postgresql://…", or None
        rec = store.append("decision", meta, {"object": Blob(data, "application/json")})
        rec = record_run(store, report, report_json, scope="repo")       # runs.py
        rec = attach_evidence(store, catalogs, control=…, file=…, …)     # evidence.py
        store.head(); store.get(12); store.find("12" | "3fa9c0d1")
        store.records(kinds=["run"], since=start, until=end, scope=…)
        store.blob(ref); store.report(rec); store.findings([seq, …])
        store.verify_chain(anchor=(seq, hash))
        drift(store, since, until, scope=…)                               # drift.py
        period_bounds("2026-Q4")                                          # periods.py
"""

from checker.store.chain import Blob, BlobRef, Record
from checker.store.store import (
    ChainProblem,
    ChainVerification,
    Store,
    index_rows,
    open_store,
    opened,
)

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
]
