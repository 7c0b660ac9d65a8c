"""A deterministic zip writer for the export bundle, on the standard library's zipfile.

Every member gets the same timestamp and permissions, so the same content gives the same bytes.
`add_deflated` stores a member whose raw DEFLATE stream already exists — the store keeps its
blobs zlib-compressed, and a zlib stream is a DEFLATE stream between a 2-byte header and a
4-byte Adler-32 trailer — so thousands of megabyte reports go into the bundle without being
compressed a second time (compressing them again would take most of the export's time). The
caller gives the CRC-32 and size of the uncompressed bytes, which it computes while checking
their SHA-256; any reader (zipfile, unzip, 7-Zip) then checks the member as usual.

zipfile has no public call for pre-compressed data, so `add_deflated` gives its member writer a
compressor that passes the bytes through and then sets the sizes and CRC it writes into the
headers; if a future Python changes those internals, it compresses the member itself instead
(slower, same result for every reader). Nothing here knows what the bundle holds.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any

EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: a fixed stamp on every member
MODE = 0o644 << 16


def raw_deflate(zlib_stream: bytes) -> bytes | None:
    """The DEFLATE data inside a zlib stream (RFC 1950), or None if it is not a plain one."""
    if len(zlib_stream) < 6:
        return None
    cmf, flg = zlib_stream[0], zlib_stream[1]
    if cmf & 0x0F != 8 or (cmf << 8 | flg) % 31 or flg & 0x20:  # deflate, valid, no dictionary
        return None
    return zlib_stream[2:-4]


class _PassThrough:
    """A 'compressor' for bytes that are already DEFLATE data."""

    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class BundleWriter:
    """Members in the order they are added; `close()` writes the central directory."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path, "w", allowZip64=True)
        self.names: list[str] = []

    def _info(self, name: str, compress: int) -> zipfile.ZipInfo:
        if name in self.names:
            raise ValueError(f"{name} is already in the bundle")
        self.names.append(name)
        info = zipfile.ZipInfo(name, EPOCH)
        info.compress_type = compress
        info.external_attr = MODE
        info.create_system = 3  # Unix, whatever the exporting machine: the same bytes anywhere
        return info

    def add(self, name: str, data: bytes, *, compress: bool = True) -> None:
        info = self._info(name, zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        self.zip.writestr(info, data, compresslevel=6 if compress else None)

    def add_deflated(self, name: str, deflated: bytes, *, size: int, crc: int) -> None:
        """A member whose DEFLATE data is `deflated`; `size` and `crc` are the uncompressed
        bytes' length and CRC-32."""
        info = self._info(name, zipfile.ZIP_DEFLATED)
        info.file_size = size  # zipfile decides on zip64 headers from it
        with self.zip.open(info, "w") as member:
            if not _passes_through(member):
                member.write(zlib.decompress(deflated, -15))
                return
            member._compressor = _PassThrough()
            member.write(deflated)
            member._file_size = size
            member._crc = crc

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()


def _passes_through(member: Any) -> bool:
    return all(hasattr(member, a) for a in ("_compressor", "_file_size", "_crc", "_compress_size"))
