"""`cosign verify` output (the JSON array it prints on success) as verified-signature evidence.

Recognised by content: an array of objects whose `critical` block names
image.docker-manifest-digest (the "simple signing" claims cosign checked). cosign prints these
only for signatures it verified, so each entry is a verified signature of that digest. Keyless
signatures carry the certificate's Subject and Issuer in `optional` (newer cosign also the
Fulcio extension OIDs); key-based ones name no key in this output, so their signer is recorded
as unknown. The Rekor integratedTime, when present, gives the signing time.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from checker.loaders import DOCUMENT_LOADERS, LoadContext
from checker.loaders.images.evidence import (
    Contribution,
    Reader,
    Where,
    contributions,
    split_reference,
    unix_time,
    valid_digest,
)
from checker.loaders.yamldocs import Document

FORMAT = "cosign"
HINT = "the file must be the JSON that `cosign verify <image>` prints on standard output"
ISSUER_OIDS = ("1.3.6.1.4.1.57264.1.8", "1.3.6.1.4.1.57264.1.1")


def recognise(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and isinstance(value[0], dict)
        and isinstance(value[0].get("critical"), dict)
        and "image" in value[0]["critical"]
    )


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if not recognise(value):
        return None
    where = Where(ctx.file, doc, ctx.text)
    r = Reader(where, "cosign verify output", HINT)
    by_digest: dict[str, list[dict]] = defaultdict(list)
    repositories: dict[str, list[str]] = defaultdict(list)
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise r.fail([i], "must be an object with critical and optional")
        critical = r.get(entry, [i], "critical", dict)
        image = r.get(critical, [i, "critical"], "image", dict)
        raw = r.get(image, [i, "critical", "image"], "docker-manifest-digest", str)
        digest = valid_digest(raw)
        if digest is None:
            raise r.fail([i, "critical", "image", "docker-manifest-digest"], "is not sha256:<hex>")
        identity = r.get(critical, [i, "critical"], "identity", dict, default={})
        ref = r.get(identity, [i, "critical", "identity"], "docker-reference", str, default="")
        if ref:
            repositories[digest].append(split_reference(ref)[0])
        optional = r.get(entry, [i], "optional", dict, default={})
        opath = [i, "optional"]
        issuer = r.get(optional, opath, "Issuer", str, default=None)
        for oid in ISSUER_OIDS:
            issuer = issuer or r.get(optional, opath, oid, str, default=None)
        bundle = r.get(optional, opath, "Bundle", dict, default={})
        payload = r.get(bundle, [*opath, "Bundle"], "Payload", dict, default={})
        by_digest[digest].append(
            {
                "tool": "cosign",
                "verified": True,
                "identity": r.get(optional, opath, "Subject", str, default=None) or None,
                "issuer": issuer or None,
                "key": None,
                "time": unix_time(payload.get("integratedTime")),
            }
        )
    for digest, signatures in by_digest.items():
        contributions(ctx.result).append(
            Contribution(
                file=ctx.file,
                document=doc.index,
                line=doc.line,
                format=FORMAT,
                kind="signature",
                digests=(digest,),
                repositories=tuple(repositories[digest]),
                data={"signatures": signatures},
            )
        )
    return []


DOCUMENT_LOADERS.append(load)
