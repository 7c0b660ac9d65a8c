"""The hash chain, defined once: what a record is, how it is hashed, how blobs are named.

A record's envelope is a small JSON object:

    {"v": 1, "seq": 12, "kind": "run", "recorded_at": "2026-12-01T10:00:00.123456Z",
     "prev": "<hash of record 11>", "meta": {...}, "blobs": {"report": {"sha256": ...,
     "size": ..., "media_type": "application/json"}, ...}}

Its hash is the SHA-256 of its RFC 8785 canonical JSON (the `rfc8785` library), so anyone can
recompute it with any JCS implementation. Large content (a report, input files, an evidence
document) is a blob named by the SHA-256 of its bytes: the envelope carries the digest, so
editing a blob changes nothing the chain hashes yet is still detected by its digest.

Pure functions and records; no database.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import rfc8785

ENVELOPE_VERSION = 1
GENESIS = "0" * 64
# Blobs at least this large are stored compressed when that saves space (JSON shrinks ~10x).
COMPRESS_FROM = 1024


@dataclass(frozen=True)
class BlobRef:
    """A blob as a record names it."""

    sha256: str
    size: int
    media_type: str

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type}


@dataclass(frozen=True)
class Blob:
    """Bytes to store with a record, and what they are."""

    data: bytes
    media_type: str = "application/octet-stream"

    @cached_property
    def _ref(self) -> BlobRef:  # a report can be tens of megabytes: hashed once
        return BlobRef(hashlib.sha256(self.data).hexdigest(), len(self.data), self.media_type)

    def ref(self) -> BlobRef:
        return self._ref


@dataclass(frozen=True)
class Record:
    """One record of the chain, as read back (blobs are fetched separately by digest)."""

    seq: int
    kind: str
    recorded_at: str
    prev: str
    hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    blobs: dict[str, BlobRef] = field(default_factory=dict)

    @property
    def scope(self) -> str | None:
        return self.meta.get("scope")

    def envelope(self) -> dict[str, Any]:
        return envelope(self.seq, self.kind, self.recorded_at, self.prev, self.meta, self.blobs)

    def to_json(self) -> dict[str, Any]:
        """The record as exports and `dxguard store show` present it."""
        return {**self.envelope(), "hash": self.hash}


def envelope(
    seq: int,
    kind: str,
    recorded_at: str,
    prev: str,
    meta: dict[str, Any],
    blobs: dict[str, BlobRef],
) -> dict[str, Any]:
    return {
        "v": ENVELOPE_VERSION,
        "seq": seq,
        "kind": kind,
        "recorded_at": recorded_at,
        "prev": prev,
        "meta": meta,
        "blobs": {name: ref.to_json() for name, ref in sorted(blobs.items())},
    }


def canonical(value: Any) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of a JSON value."""
    return rfc8785.dumps(value)


def record_hash(env: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(env)).hexdigest()


def from_envelope(env: dict[str, Any], hash_: str) -> Record:
    return Record(
        seq=env["seq"],
        kind=env["kind"],
        recorded_at=env["recorded_at"],
        prev=env["prev"],
        hash=hash_,
        meta=env.get("meta", {}),
        blobs={
            name: BlobRef(b["sha256"], b["size"], b["media_type"])
            for name, b in env.get("blobs", {}).items()
        },
    )


def timestamp(moment: datetime | None = None) -> str:
    """UTC with microseconds, fixed width, so the text sorts as the time does."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_blob(data: bytes) -> tuple[str, bytes]:
    """(encoding, stored bytes): zlib when it saves space, else the bytes as they are."""
    if len(data) >= COMPRESS_FROM:
        packed = zlib.compress(data, 1)
        if len(packed) < len(data):
            return "zlib", packed
    return "identity", data


def decode_blob(encoding: str, stored: bytes) -> bytes:
    if encoding == "zlib":
        return zlib.decompress(stored)
    if encoding == "identity":
        return bytes(stored)
    raise ValueError(f"unknown blob encoding {encoding!r}")
