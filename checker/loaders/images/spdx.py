"""SPDX 2.3 JSON SBOMs of container images as image evidence.

Recognised by content: spdxVersion "SPDX-…". The image is the package the document DESCRIBES
(documentDescribes or a DESCRIBES relationship) with purpose CONTAINER or a pkg:oci purl; its
digest comes from that purl, a "RepoDigest: …" annotation (Trivy) or a sha256 versionInfo
(Syft). Every other package becomes {name, version, purl, supplier}; a NOASSERTION supplier is
no supplier. The OPERATING-SYSTEM package gives the record's OS when no scan does. Other SPDX
versions and documents about something other than an image are listed as skipped.
"""

from __future__ import annotations

import re
from typing import Any

from checker.loaders import DOCUMENT_LOADERS, LoadContext
from checker.loaders.images.cyclonedx import oci_purl
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

FORMAT = "spdx"
HINT = "the file must be an SPDX 2.3 JSON document"
SUPPORTED = ("SPDX-2.3",)
_ACTOR = re.compile(r"^(Organization|Person|Tool):\s*(.*)$")
NOT_PACKAGES = {"OPERATING-SYSTEM", "FILE"}


def recognise(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("spdxVersion"), str)
        and value["spdxVersion"].startswith("SPDX-")
    )


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if not recognise(value):
        return None
    where = Where(ctx.file, doc, ctx.text)
    r = Reader(where, "SPDX document", HINT)
    version = value["spdxVersion"]
    if version not in SUPPORTED:
        return skip(ctx.result, where, f"{version} is not supported (dxguard reads SPDX-2.3 JSON)")
    packages = r.get(value, [], "packages", list, default=[])
    for i, pkg in enumerate(packages):
        if not isinstance(pkg, dict):
            raise r.fail(["packages", i], "must be an object (a package)")
        r.get(pkg, ["packages", i], "SPDXID", str)
    described = set(r.strings(value, [], "documentDescribes"))
    for i, rel in enumerate(r.get(value, [], "relationships", list, default=[])):
        if not isinstance(rel, dict):
            raise r.fail(["relationships", i], "must be an object")
        if rel.get("relationshipType") == "DESCRIBES" and rel.get("spdxElementId") == value.get(
            "SPDXID"
        ):
            described.add(str(rel.get("relatedSpdxElement")))
    image_index, digests, repositories = None, [], []
    for i, pkg in enumerate(packages):
        if pkg["SPDXID"] not in described:
            continue
        found, repos = _image_identity(r, pkg, ["packages", i])
        if found or pkg.get("primaryPackagePurpose") == "CONTAINER":
            image_index, digests, repositories = i, found, repos
            break
    if image_index is None or not digests:
        return skip(
            ctx.result,
            where,
            "SPDX document does not describe a container image by digest (no described "
            "package with a pkg:oci purl, a RepoDigest annotation or a sha256 version)",
        )
    components, os_info = [], None
    for i, pkg in enumerate(packages):
        if i == image_index:
            continue
        path = ["packages", i]
        purpose = r.get(pkg, path, "primaryPackagePurpose", str, default="")
        if purpose == "OPERATING-SYSTEM" and os_info is None:
            os_info = {
                "family": r.get(pkg, path, "name", str, default="").lower(),
                "name": r.get(pkg, path, "versionInfo", str, default=""),
                "eol": None,
            }
        if purpose in NOT_PACKAGES:
            continue
        components.append(
            {
                "name": r.get(pkg, path, "name", str, default="") or None,
                "version": _assertion(r.get(pkg, path, "versionInfo", str, default="")),
                "purl": _purl(r, pkg, path),
                "supplier": _supplier(r.get(pkg, path, "supplier", str, default="")),
            }
        )
    creation = r.get(value, [], "creationInfo", dict, default={})
    tools = [
        m.group(2)
        for c in r.strings(creation, ["creationInfo"], "creators")
        if (m := _ACTOR.match(c)) and m.group(1) == "Tool"
    ]
    data: dict[str, Any] = {
        "sbom": {
            "format": "SPDX",
            "spec_version": version.removeprefix("SPDX-"),
            "created": r.time(creation, ["creationInfo"], "created"),
            "tool": tools[0] if tools else None,
            "components": components,
        }
    }
    if os_info is not None and os_info["family"]:
        data["os_from_sbom"] = os_info
    contributions(ctx.result).append(
        Contribution(
            file=ctx.file,
            document=doc.index,
            line=doc.line,
            format=FORMAT,
            kind="sbom",
            digests=tuple(digests),
            repositories=tuple(repositories),
            data=data,
        )
    )
    return []


def _image_identity(r: Reader, pkg: dict, path: list) -> tuple[list[str], list[str]]:
    digests: list[str] = []
    repositories: list[str] = []
    purl = _purl(r, pkg, path)
    if purl and purl.startswith("pkg:oci/"):
        digest, repo = oci_purl(purl)
        if digest:
            digests.append(digest)
        if repo:
            repositories.append(repo)
    for i, note in enumerate(r.get(pkg, path, "annotations", list, default=[])):
        comment = note.get("comment") if isinstance(note, dict) else None
        if not isinstance(comment, str):
            raise r.fail([*path, "annotations", i], "must be an object with a comment")
        if comment.startswith("RepoDigest: "):
            repo, _, digest = split_reference(comment.removeprefix("RepoDigest: "))
            if valid_digest(digest):
                digests.append(valid_digest(digest))
                repositories.append(repo)
    version = valid_digest(r.get(pkg, path, "versionInfo", str, default=""))
    if version and not digests:
        digests.append(version)
    name = r.get(pkg, path, "name", str, default="")
    if name and not repositories and (digests or pkg.get("primaryPackagePurpose") == "CONTAINER"):
        repositories.append(split_reference(name)[0])
    return list(dict.fromkeys(digests)), repositories


def _purl(r: Reader, pkg: dict, path: list) -> str | None:
    for i, ref in enumerate(r.get(pkg, path, "externalRefs", list, default=[])):
        if not isinstance(ref, dict):
            raise r.fail([*path, "externalRefs", i], "must be an object")
        if ref.get("referenceType") == "purl":
            return r.get(ref, [*path, "externalRefs", i], "referenceLocator", str)
    return None


def _assertion(value: str) -> str | None:
    return None if value in ("", "NOASSERTION", "NONE") else value


def _supplier(value: str) -> str | None:
    """'Organization: Acme (ops@acme.example)' → 'Acme (ops@acme.example)'; NOASSERTION → None."""
    if _assertion(value.strip()) is None:
        return None
    m = _ACTOR.match(value.strip())
    name = m.group(2).strip() if m else value.strip()
    return name or None


DOCUMENT_LOADERS.append(load)
