"""Grype JSON reports (`grype <image> -o json`) as image evidence.

Recognised by content: an object with `matches` and a `descriptor` named grype. An image scan
(source.type "image") contributes a scan (grype version, descriptor.timestamp), its matches as
vulnerabilities (Grype's fix.state "fixed" gives the fixed versions), the distro, and — when
Grype embedded them — the image configuration and the manifest's annotations, to the record of
target.manifestDigest and every digest in target.repoDigests. Scans of directories or SBOMs are
listed as skipped.
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
    severity,
    skip,
    split_reference,
    valid_digest,
)
from checker.loaders.limits import loads_json
from checker.loaders.yamldocs import Document

FORMAT = "grype"
HINT = "the file must be `grype <image> -o json` output"


def recognise(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "matches" in value
        and isinstance(value.get("descriptor"), dict)
        and value["descriptor"].get("name") == "grype"
    )


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if not recognise(value):
        return None
    where = Where(ctx.file, doc, ctx.text)
    r = Reader(where, "Grype report", HINT)
    source = r.get(value, [], "source", dict)
    source_type = r.get(source, ["source"], "type", str)
    if source_type != "image":
        return skip(ctx.result, where, f"Grype report of a {source_type}, not a container image")
    target = r.get(source, ["source"], "target", dict)
    tpath = ["source", "target"]
    digests, repositories = [], []
    manifest_digest = r.get(target, tpath, "manifestDigest", str, default="")
    if manifest_digest:
        if valid_digest(manifest_digest) is None:
            raise r.fail([*tpath, "manifestDigest"], "is not sha256:<64 hex>")
        digests.append(valid_digest(manifest_digest))
    for i, ref in enumerate(r.strings(target, tpath, "repoDigests")):
        repo, _, digest = split_reference(ref)
        if valid_digest(digest) is None:
            raise r.fail([*tpath, "repoDigests", i], f"{ref!r} is not name@sha256:<64 hex>")
        digests.append(valid_digest(digest))
        repositories.append(repo)
    tags = []
    for ref in r.strings(target, tpath, "tags"):
        repo, tag, _ = split_reference(ref)
        repositories.append(repo)
        if tag:
            tags.append(tag)
    user_input = r.get(target, tpath, "userInput", str, default="")
    image_id = valid_digest(r.get(target, tpath, "imageID", str, default=""))
    if not digests and image_id is None:
        return skip(
            ctx.result,
            where,
            f"Grype report of {user_input or 'an image'} names no manifest or repository digest "
            "and no image ID: scan the pushed image by digest so the report can be matched",
        )
    descriptor = r.get(value, [], "descriptor", dict)
    data: dict[str, Any] = {
        "scan": {
            "scanner": "grype",
            "version": r.get(descriptor, ["descriptor"], "version", str, default=None),
            "time": r.time(descriptor, ["descriptor"], "timestamp"),
            "target": user_input or None,
        },
        "vulnerabilities": _vulnerabilities(r, value),
        "os": _distro(r, value),
    }
    config = _embedded_json(r, target, tpath, "config")
    if config is not None:
        inner = r.get(config, [*tpath, "config"], "config", dict, default={})
        data["config"] = {
            "user": r.get(inner, [*tpath, "config"], "User", str, default=""),
            "labels": r.string_map(inner, [*tpath, "config"], "Labels"),
            "created": r.time(config, [*tpath, "config"], "created"),
        }
    manifest = _embedded_json(r, target, tpath, "manifest")
    if manifest is not None:
        data["annotations"] = r.string_map(manifest, [*tpath, "manifest"], "annotations")
    contributions(ctx.result).append(
        Contribution(
            file=ctx.file,
            document=doc.index,
            line=doc.line,
            format=FORMAT,
            kind="scan",
            digests=tuple(dict.fromkeys(digests)),
            config_digest=image_id,
            repositories=tuple(repositories),
            tags=tuple(tags),
            data=data,
        )
    )
    return []


def _embedded_json(r: Reader, target: dict, tpath: list, key: str) -> dict | None:
    """Grype embeds the raw image config and manifest as base64 (Go []byte); null when absent."""
    raw = r.get(target, tpath, key, str, default="")
    if not raw:
        return None
    try:
        decoded = loads_json(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        raise r.fail([*tpath, key], "is not base64-encoded JSON") from None
    if not isinstance(decoded, dict):
        raise r.fail([*tpath, key], "does not decode to a JSON object")
    return decoded


def _distro(r: Reader, value: dict) -> dict | None:
    distro = r.get(value, [], "distro", dict, default=None)
    if not distro or not distro.get("name"):
        return None
    return {
        "family": r.get(distro, ["distro"], "name", str).lower(),
        "name": r.get(distro, ["distro"], "version", str, default=""),
        "eol": None,  # Grype's JSON carries no end-of-life flag; the configured table decides
    }


def _vulnerabilities(r: Reader, value: dict) -> list[dict]:
    out = []
    for i, match in enumerate(r.get(value, [], "matches", list)):
        path = ["matches", i]
        if not isinstance(match, dict):
            raise r.fail(path, "must be an object")
        vuln = r.get(match, path, "vulnerability", dict)
        artifact = r.get(match, path, "artifact", dict)
        vpath = [*path, "vulnerability"]
        fix = r.get(vuln, vpath, "fix", dict, default={})
        versions = r.strings(fix, [*vpath, "fix"], "versions")
        state = r.get(fix, [*vpath, "fix"], "state", str, default="")
        out.append(
            {
                "id": r.get(vuln, vpath, "id", str),
                "severity": severity(r.get(vuln, vpath, "severity", str, default="Unknown")),
                "package": r.get(artifact, [*path, "artifact"], "name", str),
                "installed": r.get(artifact, [*path, "artifact"], "version", str, default=""),
                "fixed": ", ".join(versions) if state == "fixed" and versions else None,
                "scanner": "grype",
            }
        )
    return out


DOCUMENT_LOADERS.append(load)
