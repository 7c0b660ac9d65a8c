"""Merge every contribution about the same image digest into ONE normalized image record.

Runs once after all inputs are loaded (a FINALIZER). Evidence that names only a config digest
(an image manifest from `skopeo inspect --raw`, a report of an image that was never pushed)
joins the manifest digest(s) another input links to that config digest; evidence that stays
unlinked is listed as skipped with its reason. Each record is validated against
schemas/image-record.schema.json and becomes a resource of family "image" whose id is
"image:<digest>"; its source is its first scan report (else SBOM, signature, provenance,
configuration), and every contributing file stays in the record. Pure merging: no judging.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

import jsonschema

from checker.errors import InputError
from checker.loaders import FINALIZERS
from checker.loaders.images.evidence import EXTRAS_KEY, Contribution
from checker.model import LoadResult, Resource, Skipped, Source
from checker.schema_util import first_error, load_schema

KIND_ORDER = ("scan", "sbom", "signature", "provenance", "config", "manifest")
KIND = "Image"
API_VERSION = "dxguard.io/v1"


def finalize(result: LoadResult) -> None:
    contribs: list[Contribution] = result.extras.get(EXTRAS_KEY) or []
    if not contribs:
        return
    linked: dict[str, set[str]] = defaultdict(set)
    for c in contribs:
        if c.config_digest and c.digests:
            linked[c.config_digest].update(c.digests)
    groups: dict[str, list[Contribution]] = defaultdict(list)
    for c in contribs:
        targets = set(c.digests)
        if c.config_digest:
            targets |= linked.get(c.config_digest, set())
        if not targets:
            result.skipped.append(
                Skipped(
                    c.file,
                    f"{c.format} evidence names only the image config digest {c.config_digest}, "
                    "and no other input links that config to a manifest digest (add a scan "
                    "report or `docker inspect` output of the image)",
                    c.document,
                    c.line,
                )
            )
            continue
        for digest in targets:
            groups[digest].append(c)
    for digest in sorted(groups):
        parts = sorted(groups[digest], key=_order)
        record = build_record(digest, parts)
        _validate(record)
        first = parts[0]
        result.resources.append(
            Resource(
                id=f"image:{digest}",
                family="image",
                kind=KIND,
                api_version=API_VERSION,
                name=f"{record['repository']}@{digest}" if record["repository"] else digest,
                namespace=None,
                source=Source(first.file, first.document, first.line),
                object={"digest": digest},
                normalized=record,
            )
        )


def _order(c: Contribution) -> tuple:
    return (KIND_ORDER.index(c.kind), c.file, c.document)


def build_record(digest: str, parts: list[Contribution]) -> dict[str, Any]:
    """The record of one digest from its contributions (already in precedence order)."""
    repositories = list(dict.fromkeys(r for c in parts for r in c.repositories if r))
    record: dict[str, Any] = {
        "digest": digest,
        "repository": repositories[0] if repositories else None,
        "repositories": repositories,
        "tags": sorted({t for c in parts for t in c.tags}),
        "config_digests": sorted({c.config_digest for c in parts if c.config_digest}),
        "created": None,
        "labels": None,
        "annotations": None,
        "user": None,
        "os": None,
        "scans": [],
        "vulnerabilities": [],
        "sboms": [],
        "signatures": [],
        "provenance": [],
        "sources": [],
    }
    sbom_os = None
    for c in parts:
        data = c.data
        record["sources"].append(
            {"file": c.file, "document": c.document, "format": c.format, "kind": c.kind}
        )
        if "scan" in data:
            record["scans"].append({**data["scan"], "file": c.file})
        for v in data.get("vulnerabilities", []):
            record["vulnerabilities"].append({**v, "file": c.file})
        os_info = data.get("os")
        if os_info and record["os"] is None:
            record["os"] = {**os_info, "file": c.file}
        elif os_info and os_info.get("eol") and record["os"]["family"] == os_info["family"]:
            record["os"]["eol"] = True
        if data.get("os_from_sbom") and sbom_os is None:
            sbom_os = {**data["os_from_sbom"], "file": c.file}
        if "sbom" in data:
            record["sboms"].append({**data["sbom"], "file": c.file})
        for s in data.get("signatures", []):
            record["signatures"].append({**s, "file": c.file})
        for p in data.get("provenance", []):
            record["provenance"].append({**p, "file": c.file})
        config = data.get("config")
        if config is not None:
            record["labels"] = {**config["labels"], **(record["labels"] or {})}
            if record["user"] is None and config["user"] is not None:
                record["user"] = config["user"]
            record["created"] = record["created"] or config["created"]
        if "annotations" in data:
            record["annotations"] = {**data["annotations"], **(record["annotations"] or {})}
    if record["os"] is None and sbom_os is not None:
        record["os"] = sbom_os
    record["vulnerabilities"].sort(key=lambda v: (v["id"], v["package"], v["scanner"], v["file"]))
    return record


@cache
def _validator() -> jsonschema.Validator:
    return jsonschema.Draft202012Validator(load_schema("image-record.schema.json"))


def _validate(record: dict[str, Any]) -> None:
    err = first_error(_validator(), record)
    if err is not None:
        where = ".".join(str(p) for p in err.absolute_path) or "(record)"
        files = ", ".join(sorted({s["file"] for s in record["sources"]}))
        raise InputError(
            f"{files}: the evidence for image {record['digest']} does not form a valid image "
            f"record at {where}: {err.message}",
            hint="check that these files are unmodified scanner, SBOM and signer output",
        )


FINALIZERS.append(finalize)
