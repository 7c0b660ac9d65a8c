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

from typing import Any

# Imported on first use, so `dxguard` starts without SQLAlchemy unless a store is opened.
_EXPORTS = {
    "Blob": "checker.store.chain",
    "BlobRef": "checker.store.chain",
    "Record": "checker.store.chain",
    "ChainProblem": "checker.store.store",
    "ChainVerification": "checker.store.store",
    "Store": "checker.store.store",
    "index_rows": "checker.store.store",
    "open_store": "checker.store.store",
    "opened": "checker.store.store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
