"""in-toto statements with SLSA provenance predicates, plain or in a DSSE envelope.

Recognised by content: an object whose _type is an in-toto Statement (v0.1 or v1), or a DSSE
envelope whose payloadType is application/vnd.in-toto+json (what `cosign verify-attestation`
prints and what *.intoto.jsonl files hold, one per line). SLSA provenance v0.2 and v1 give the
builder id, the build type and the materials (v1: resolvedDependencies) with their digests, for
every sha256 subject. Statements with other predicate types are listed as skipped. dxguard does
not verify DSSE signatures: an envelope records that the statement was signed, not by whom.
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
    split_reference,
    valid_digest,
)
from checker.loaders.limits import loads_json
from checker.loaders.yamldocs import Document

HINT = "the file must hold an in-toto Statement (or a DSSE envelope of one) with SLSA provenance"
STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")
INTOTO_PAYLOAD = "application/vnd.in-toto+json"
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_V02 = ("https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v0.1")


def is_statement(value: Any) -> bool:
    return isinstance(value, dict) and value.get("_type") in STATEMENT_TYPES


def is_envelope(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("payloadType") == INTOTO_PAYLOAD
        and "payload" in value
        and "signatures" in value
    )


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if is_statement(value):
        where = Where(ctx.file, doc, ctx.text)
        reader = Reader(where, "in-toto statement", HINT)
        return add_statement(ctx, doc, where, reader, value, envelope="none")
    if is_envelope(value):
        where = Where(ctx.file, doc, ctx.text)
        reader = Reader(where, "DSSE envelope", HINT)
        statement = decode_envelope(reader, value, [])
        inner = reader.inner("DSSE envelope", ["payload"])
        return add_statement(ctx, doc, where, inner, statement, envelope="dsse")
    return None


def decode_envelope(r: Reader, envelope: dict, path: list) -> dict:
    """The in-toto statement inside a DSSE envelope (base64 payload)."""
    payload = r.get(envelope, path, "payload", str)
    r.get(envelope, path, "signatures", list)
    try:
        statement = loads_json(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        raise r.fail([*path, "payload"], "is not base64-encoded JSON") from None
    if not is_statement(statement):
        raise r.fail([*path, "payload"], "does not decode to an in-toto Statement")
    return statement


def add_statement(
    ctx: LoadContext, doc: Document, where: Where, r: Reader, statement: dict, envelope: str
) -> list:
    predicate_type = r.get(statement, [], "predicateType", str)
    if predicate_type != SLSA_V1 and predicate_type not in SLSA_V02:
        return skip(
            ctx.result,
            where,
            f"in-toto statement with predicateType {predicate_type}: dxguard reads SLSA "
            "provenance predicates",
        )
    digests, repositories = [], []
    for i, subject in enumerate(r.get(statement, [], "subject", list)):
        path = ["subject", i]
        if not isinstance(subject, dict):
            raise r.fail(path, "must be an object with name and digest")
        digest_set = r.get(subject, path, "digest", dict)
        hexdigest = r.get(digest_set, [*path, "digest"], "sha256", str, default=None)
        if hexdigest is None:
            continue
        digest = valid_digest(f"sha256:{hexdigest}")
        if digest is None:
            raise r.fail([*path, "digest", "sha256"], "is not 64 hex characters")
        digests.append(digest)
        name = r.get(subject, path, "name", str, default="")
        if name:
            repositories.append(split_reference(name)[0])
    if not digests:
        return skip(ctx.result, where, "in-toto statement has no sha256 subject digest")
    predicate = r.get(statement, [], "predicate", dict)
    provenance = _slsa_v1(r, predicate) if predicate_type == SLSA_V1 else _slsa_v02(r, predicate)
    provenance |= {"predicate_type": predicate_type, "envelope": envelope}
    contributions(ctx.result).append(
        Contribution(
            file=ctx.file,
            document=doc.index,
            line=doc.line,
            format="in-toto",
            kind="provenance",
            digests=tuple(dict.fromkeys(digests)),
            repositories=tuple(repositories),
            data={"provenance": [provenance]},
        )
    )
    return []


def _slsa_v1(r: Reader, predicate: dict) -> dict:
    build = r.get(predicate, ["predicate"], "buildDefinition", dict)
    run = r.get(predicate, ["predicate"], "runDetails", dict)
    builder = r.get(run, ["predicate", "runDetails"], "builder", dict)
    metadata = r.get(run, ["predicate", "runDetails"], "metadata", dict, default={})
    bpath = ["predicate", "buildDefinition"]
    return {
        "builder": r.get(builder, ["predicate", "runDetails", "builder"], "id", str),
        "build_type": r.get(build, bpath, "buildType", str),
        "materials": _materials(r, build, bpath, "resolvedDependencies"),
        "finished": r.time(metadata, ["predicate", "runDetails", "metadata"], "finishedOn"),
    }


def _slsa_v02(r: Reader, predicate: dict) -> dict:
    builder = r.get(predicate, ["predicate"], "builder", dict)
    metadata = r.get(predicate, ["predicate"], "metadata", dict, default={})
    return {
        "builder": r.get(builder, ["predicate", "builder"], "id", str),
        "build_type": r.get(predicate, ["predicate"], "buildType", str, default=None),
        "materials": _materials(r, predicate, ["predicate"], "materials"),
        "finished": r.time(metadata, ["predicate", "metadata"], "buildFinishedOn"),
    }


def _materials(r: Reader, node: dict, path: list, key: str) -> list[dict]:
    out = []
    for i, item in enumerate(r.get(node, path, key, list, default=[])):
        mpath = [*path, key, i]
        if not isinstance(item, dict):
            raise r.fail(mpath, "must be an object (a resource descriptor)")
        digest = r.get(item, mpath, "digest", dict, default={})
        for alg, value in digest.items():
            if not isinstance(value, str):
                raise r.fail([*mpath, "digest", alg], "must be a string")
        out.append(
            {
                "uri": r.get(item, mpath, "uri", str, default="")
                or r.get(item, mpath, "name", str, default="")
                or None,
                "digest": dict(sorted(digest.items())),
            }
        )
    return out


DOCUMENT_LOADERS.append(load)
