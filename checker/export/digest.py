"""One stored report, read for the export: inflated, checked against the digest its record
names, and reduced to what the period summary needs (period.py's ReportDigest), with the
CRC-32 and size the zip needs. A top-level function of bytes in and data out, so it runs as
well in a worker process as in the caller's; it touches no store and no file."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

import orjson

from checker.export.period import ReportDigest, digest_report
from checker.store.chain import decode_blob


@dataclass(frozen=True)
class StoredReport:
    seq: int
    size: int
    crc: int
    digest: ReportDigest | None
    problem: str | None = None  # what is wrong with the stored bytes (then digest is None)


def read_stored_report(
    seq: int, sha256: str, encoding: str, stored: bytes, frameworks: tuple[str, ...]
) -> StoredReport:
    try:
        data = decode_blob(encoding, stored)
    except (zlib.error, ValueError) as err:
        return StoredReport(seq, 0, 0, None, f"record {seq}'s report cannot be read: {err}")
    if hashlib.sha256(data).hexdigest() != sha256:
        return StoredReport(
            seq,
            len(data),
            0,
            None,
            f"record {seq}'s report (sha256:{sha256[:16]}…) no longer matches its digest: it "
            "was altered in the store",
        )
    try:
        report = orjson.loads(data)
        digest = digest_report(report, frameworks)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        return StoredReport(
            seq, len(data), 0, None, f"record {seq}'s report is not a report: {err}"
        )
    return StoredReport(seq, len(data), zlib.crc32(data), digest)
