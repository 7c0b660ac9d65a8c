"""Every admission decision as evidence: a JSON Lines decision log and the evidence store.

Decisions are queued by the request handler and written by one background thread, in batches, so
writing never delays an admission response. The log gets one line per decision (flushed after
each batch); the store gets one `decision` record each (checker/store/runs.py record_decision),
in the hash chain that `dxguard export` covers. A record holds who asked for what and why it was
decided — never the object's data. If the queue is full (the store is unreachable for a long
time), decisions still go to the log and the store's backlog is counted, never silently lost:
`dropped` and the metrics say how many.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, TextIO

import orjson

log = logging.getLogger("dxguard.webhook.decisions")

MAX_QUEUE = 100_000
BATCH = 500


class DecisionSink:
    def __init__(self, log_path: str | None = None, store_location: str | None = None,
                 scope: str = "cluster"):  # fmt: skip
        self.log_path = log_path
        self.store_location = store_location
        self.scope = scope
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(MAX_QUEUE)
        self._file: TextIO | None = None
        self._store: Any = None
        self.written = 0
        self.recorded = 0
        self.dropped = 0
        self.store_errors = 0
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def open(self) -> DecisionSink:
        if self.log_path:
            self._file = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
        if self.store_location:
            from checker.store import open_store

            self._store = open_store(self.store_location)
        self._thread = threading.Thread(target=self._run, name="decision-sink", daemon=True)
        self._thread.start()
        return self

    def put(self, record: dict[str, Any]) -> None:
        """Queue a decision; never blocks the request."""
        self._idle.clear()
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1
            log.error(
                "decision queue full: a decision was not recorded (uid %s)", record.get("uid")
            )

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued decision is written (tests, shutdown)."""
        if self._queue.empty() and self._idle.is_set():
            return True
        self._idle.clear()
        self._queue.put(None)  # a marker: the writer sets idle when it reaches it
        return self._idle.wait(timeout)

    def close(self) -> None:
        self.flush()
        self._queue.put({"__stop__": True})
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._file is not None:
            self._file.close()
        if self._store is not None:
            self._store.close()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(isinstance(r, dict) and r.get("__stop__") for r in batch)
            records = [r for r in batch if isinstance(r, dict) and not r.get("__stop__")]
            if records:
                self._write(records)
            if self._queue.empty():
                self._idle.set()
            if stop:
                return

    def _write(self, records: list[dict[str, Any]]) -> None:
        if self._file is not None:
            for r in records:
                self._file.write(orjson.dumps(r, option=orjson.OPT_SORT_KEYS).decode() + "\n")
            self._file.flush()
            self.written += len(records)
        if self._store is not None:
            from checker.store.runs import record_decision

            for r in records:
                try:
                    record_decision(self._store, r, scope=self.scope)
                    self.recorded += 1
                except Exception as err:  # noqa: BLE001 - counted and logged, the log has it
                    self.store_errors += 1
                    log.error("decision %s not recorded in the store: %s", r.get("uid"), err)
