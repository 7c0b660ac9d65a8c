"""Sigstore bundles (media types application/vnd.dev.sigstore.bundle…, v0.1 to v0.3).

Recognised by content: mediaType starting with application/vnd.dev.sigstore.bundle. A bundle
holds signature material, not a verification result, so it contributes an UNVERIFIED signature
(with the public-key hint, when the bundle signs with a key, and the transparency-log time) to
the digest it signs: the in-toto subjects of its DSSE envelope, or the artifact digest of its
messageSignature. A DSSE envelope with SLSA provenance also contributes that provenance. dxguard
does not check signatures or certificates itself; `cosign verify` output is the verified form.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from checker.loaders import DOCUMENT_LOADERS, LoadContext
from checker.loaders.images.evidence import (
    Contribution,
    Reader,
    Where,
    contributions,
    skip,
    unix_time,
    valid_digest,
)
from checker.loaders.images.intoto import SLSA_V02, SLSA_V1, add_statement, decode_envelope
from checker.loaders.yamldocs import Document

HINT = "the file must be a Sigstore bundle (JSON, media type application/vnd.dev.sigstore.bundle)"
MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"
PROVENANCE_TYPES = (SLSA_V1, *SLSA_V02)


def recognise(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("mediaType"), str)
        and value["mediaType"].startswith(MEDIA_PREFIX)
    )


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if not recognise(value):
        return None
    where = Where(ctx.file, doc, ctx.text)
    r = Reader(where, "Sigstore bundle", HINT)
    material = r.get(value, [], "verificationMaterial", dict)
    mpath = ["verificationMaterial"]
    public_key = r.get(material, mpath, "publicKey", dict, default=None)
    key = None
    if public_key:
        key = r.get(public_key, [*mpath, "publicKey"], "hint", str, default=None)
    times = []
    for i, entry in enumerate(r.get(material, mpath, "tlogEntries", list, default=[])):
        if not isinstance(entry, dict):
            raise r.fail([*mpath, "tlogEntries", i], "must be an object")
        times.append(unix_time(entry.get("integratedTime")))
    signature = {
        "tool": "sigstore-bundle",
        "verified": False,
        "identity": None,
        "issuer": None,
        "key": key or None,
        "time": next((t for t in times if t), None),
    }
    if "dsseEnvelope" in value:
        envelope = r.get(value, [], "dsseEnvelope", dict)
        statement = decode_envelope(r, envelope, ["dsseEnvelope"])
        if statement.get("predicateType") in PROVENANCE_TYPES:
            inner = r.inner("Sigstore bundle", ["dsseEnvelope", "payload"])
            before = len(contributions(ctx.result))
            add_statement(ctx, doc, where, inner, statement, envelope="sigstore-bundle")
            if len(contributions(ctx.result)) > before:
                contributions(ctx.result)[-1].format = "sigstore-bundle"
        digests = tuple(_subject_digests(statement))
    else:
        message = r.get(value, [], "messageSignature", dict)
        md = r.get(message, ["messageSignature"], "messageDigest", dict)
        mdpath = ["messageSignature", "messageDigest"]
        algorithm = r.get(md, mdpath, "algorithm", str)
        if algorithm != "SHA2_256":
            return skip(
                ctx.result, where, f"Sigstore bundle signs a {algorithm} digest, not SHA-256"
            )
        try:
            raw = base64.b64decode(r.get(md, mdpath, "digest", str), validate=True)
        except binascii.Error:
            raise r.fail([*mdpath, "digest"], "is not base64") from None
        digest = valid_digest(f"sha256:{raw.hex()}")
        if digest is None:
            raise r.fail([*mdpath, "digest"], "is not a 32-byte sha256 digest")
        digests = (digest,)
    if not digests:
        return []
    contributions(ctx.result).append(
        Contribution(
            file=ctx.file,
            document=doc.index,
            line=doc.line,
            format="sigstore-bundle",
            kind="signature",
            digests=digests,
            data={"signatures": [signature]},
        )
    )
    return []


def _subject_digests(statement: dict) -> list[str]:
    out = []
    for subject in statement.get("subject", []):
        if isinstance(subject, dict) and isinstance(subject.get("digest"), dict):
            digest = valid_digest(f"sha256:{subject['digest'].get('sha256', '')}")
            if digest:
                out.append(digest)
    return list(dict.fromkeys(out))


DOCUMENT_LOADERS.append(load)
