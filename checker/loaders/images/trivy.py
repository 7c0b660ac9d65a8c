"""Trivy JSON reports (`trivy image --format json`, SchemaVersion 2) as image evidence.

Recognised by content: an object with SchemaVersion and ArtifactName. A report of a container
image contributes a scan (scanner, version, CreatedAt), its vulnerabilities, the detected OS with
Trivy's end-of-support flag (Metadata.OS.EOSL) and the image configuration (user, labels,
created) to the record of every digest in Metadata.RepoDigests. Reports of other artifacts
(filesystems, repositories) are listed as skipped. Wrong types are input errors with a line.
"""

from __future__ import annotations

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
from checker.loaders.yamldocs import Document

FORMAT = "trivy"
HINT = "the file must be `trivy image --format json` output (SchemaVersion 2)"


def recognise(value: Any) -> bool:
    return isinstance(value, dict) and "SchemaVersion" in value and "ArtifactName" in value


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if not recognise(value):
        return None
    where = Where(ctx.file, doc, ctx.text)
    r = Reader(where, "Trivy report", HINT)
    version = r.get(value, [], "SchemaVersion", int)
    if version != 2:
        raise r.fail(["SchemaVersion"], f"is {version}; dxguard reads Trivy's SchemaVersion 2")
    name = r.get(value, [], "ArtifactName", str)
    artifact_type = r.get(value, [], "ArtifactType", str, default="container_image")
    if artifact_type != "container_image":
        return skip(
            ctx.result, where, f"Trivy report of a {artifact_type} ({name}), not a container image"
        )
    meta = r.get(value, [], "Metadata", dict, default={})
    digests, repositories = [], []
    for i, ref in enumerate(r.strings(meta, ["Metadata"], "RepoDigests")):
        repo, _, digest = split_reference(ref)
        if valid_digest(digest) is None:
            raise r.fail(["Metadata", "RepoDigests", i], f"{ref!r} is not name@sha256:<64 hex>")
        digests.append(valid_digest(digest))
        repositories.append(repo)
    tags = []
    for ref in r.strings(meta, ["Metadata"], "RepoTags"):
        repo, tag, _ = split_reference(ref)
        repositories.append(repo)
        if tag:
            tags.append(tag)
    image_id = valid_digest(r.get(meta, ["Metadata"], "ImageID", str, default=""))
    if not digests and image_id is None:
        return skip(
            ctx.result,
            where,
            f"Trivy report of {name} names no repository digest (Metadata.RepoDigests) and no "
            "image ID: scan the pushed image by digest so the report can be matched",
        )
    tool = r.get(value, [], "Trivy", dict, default={})
    scan = {
        "scanner": "trivy",
        "version": r.get(tool, ["Trivy"], "Version", str, default=None),
        "time": r.time(value, [], "CreatedAt"),
        "target": name,
    }
    data: dict[str, Any] = {
        "scan": scan,
        "vulnerabilities": _vulnerabilities(r, value),
        "os": _os(r, meta),
    }
    config = _config(r, meta)
    if config is not None:
        data["config"] = config
    contributions(ctx.result).append(
        Contribution(
            file=ctx.file,
            document=doc.index,
            line=doc.line,
            format=FORMAT,
            kind="scan",
            digests=tuple(digests),
            config_digest=image_id,
            repositories=tuple(repositories),
            tags=tuple(tags),
            data=data,
        )
    )
    return []


def _os(r: Reader, meta: dict) -> dict | None:
    os_info = r.get(meta, ["Metadata"], "OS", dict, default=None)
    if os_info is None:
        return None
    path = ["Metadata", "OS"]
    eosl = r.get(os_info, path, "EOSL", bool, default=False)
    return {
        "family": r.get(os_info, path, "Family", str).lower(),
        "name": r.get(os_info, path, "Name", str, default=""),
        "eol": True if eosl else None,  # Trivy omits the flag when it is false or unknown
    }


def _config(r: Reader, meta: dict) -> dict | None:
    image_config = r.get(meta, ["Metadata"], "ImageConfig", dict, default=None)
    if not image_config or "config" not in image_config:
        return None
    path = ["Metadata", "ImageConfig"]
    inner = r.get(image_config, path, "config", dict, default={})
    return {
        "user": r.get(inner, [*path, "config"], "User", str, default=""),
        "labels": r.string_map(inner, [*path, "config"], "Labels"),
        "created": r.time(image_config, path, "created"),
    }


def _vulnerabilities(r: Reader, value: dict) -> list[dict]:
    out = []
    for i, result in enumerate(r.get(value, [], "Results", list, default=[])):
        if not isinstance(result, dict):
            raise r.fail(["Results", i], "must be an object")
        path = ["Results", i]
        for j, vuln in enumerate(r.get(result, path, "Vulnerabilities", list, default=[])):
            vpath = [*path, "Vulnerabilities", j]
            if not isinstance(vuln, dict):
                raise r.fail(vpath, "must be an object")
            fixed = r.get(vuln, vpath, "FixedVersion", str, default="")
            out.append(
                {
                    "id": r.get(vuln, vpath, "VulnerabilityID", str),
                    "severity": severity(r.get(vuln, vpath, "Severity", str, default="UNKNOWN")),
                    "package": r.get(vuln, vpath, "PkgName", str),
                    "installed": r.get(vuln, vpath, "InstalledVersion", str, default=""),
                    "fixed": fixed or None,
                    "scanner": "trivy",
                }
            )
    return out


DOCUMENT_LOADERS.append(load)
