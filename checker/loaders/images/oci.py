"""Image configuration and manifests as `skopeo inspect` and `docker inspect` print them.

Recognised by content:
- `skopeo inspect docker://…`: an object with Name, Digest and Layers. Gives the digest, the
  config labels and the created time (skopeo prints no user; its RepoTags are every tag of the
  repository, not this image's, so they are not recorded).
- `docker inspect <image>`: an array of objects with Id, RepoDigests and Config. Gives the
  digests, the config digest (Id), tags, user, labels and created time.
- `skopeo inspect --raw` of an image manifest (OCI or Docker v2 schema 2): gives the manifest
  annotations. A manifest does not contain its own digest, so it joins the record whose config
  digest it names (known from a scan report or docker inspect); an image index is skipped.
"""

from __future__ import annotations

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
from checker.loaders.yamldocs import Document

HINT = "the file must be `skopeo inspect` or `docker inspect` output for an image"


def is_skopeo(value: Any) -> bool:
    return isinstance(value, dict) and {"Name", "Digest", "Layers"} <= value.keys()


def is_docker(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and isinstance(value[0], dict)
        and {"Id", "RepoDigests", "Config"} <= value[0].keys()
    )


def is_manifest(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("schemaVersion") == 2
        and ("layers" in value or "manifests" in value)
    )


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if is_skopeo(value):
        return _skopeo(doc, ctx, value)
    if is_docker(value):
        return _docker(doc, ctx, value)
    if is_manifest(value):
        return _manifest(doc, ctx, value)
    return None


def _skopeo(doc: Document, ctx: LoadContext, value: dict) -> list:
    r = Reader(Where(ctx.file, doc, ctx.text), "skopeo inspect output", HINT)
    digest = valid_digest(r.get(value, [], "Digest", str))
    if digest is None:
        raise r.fail(["Digest"], "is not sha256:<64 hex>")
    name = r.get(value, [], "Name", str)
    _add(
        ctx,
        doc,
        "skopeo",
        digests=(digest,),
        repositories=(split_reference(name)[0],),
        data={
            "config": {
                "user": None,  # skopeo inspect does not print the config's User
                "labels": r.string_map(value, [], "Labels"),
                "created": r.time(value, [], "Created"),
            }
        },
    )
    return []


def _docker(doc: Document, ctx: LoadContext, value: list) -> list:
    r = Reader(Where(ctx.file, doc, ctx.text), "docker inspect output", HINT)
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise r.fail([i], "must be an object (an image)")
        config_digest = valid_digest(r.get(item, [i], "Id", str))
        digests, repositories, tags = [], [], []
        for j, ref in enumerate(r.strings(item, [i], "RepoDigests")):
            repo, _, digest = split_reference(ref)
            if valid_digest(digest) is None:
                raise r.fail([i, "RepoDigests", j], f"{ref!r} is not name@sha256:<64 hex>")
            digests.append(valid_digest(digest))
            repositories.append(repo)
        for ref in r.strings(item, [i], "RepoTags"):
            repo, tag, _ = split_reference(ref)
            repositories.append(repo)
            if tag:
                tags.append(tag)
        config = r.get(item, [i], "Config", dict, default={})
        _add(
            ctx,
            doc,
            "docker-inspect",
            digests=tuple(dict.fromkeys(digests)),
            config_digest=config_digest,
            repositories=tuple(repositories),
            tags=tuple(tags),
            data={
                "config": {
                    "user": r.get(config, [i, "Config"], "User", str, default=""),
                    "labels": r.string_map(config, [i, "Config"], "Labels"),
                    "created": r.time(item, [i], "Created"),
                }
            },
        )
    return []


def _manifest(doc: Document, ctx: LoadContext, value: dict) -> list:
    where = Where(ctx.file, doc, ctx.text)
    r = Reader(where, "image manifest", HINT)
    if "manifests" in value:
        return skip(
            ctx.result,
            where,
            "an image index (multi-platform manifest list): its own digest is not in it and "
            "dxguard matches evidence to the platform manifest; inspect the platform image",
        )
    config = r.get(value, [], "config", dict)
    config_digest = valid_digest(r.get(config, ["config"], "digest", str))
    if config_digest is None:
        raise r.fail(["config", "digest"], "is not sha256:<64 hex>")
    _add(
        ctx,
        doc,
        "oci-manifest",
        config_digest=config_digest,
        kind="manifest",
        data={"annotations": r.string_map(value, [], "annotations")},
    )
    return []


def _add(ctx: LoadContext, doc: Document, fmt: str, kind: str = "config", **kw: Any) -> None:
    contributions(ctx.result).append(
        Contribution(file=ctx.file, document=doc.index, line=doc.line, format=fmt, kind=kind, **kw)
    )


DOCUMENT_LOADERS.append(load)
