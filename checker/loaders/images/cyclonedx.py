"""CycloneDX JSON SBOMs (specVersion 1.4 to 1.6) of container images as image evidence.

Recognised by content: bomFormat "CycloneDX". The image is metadata.component (type
"container"); its digest comes from a pkg:oci purl, Trivy's aquasecurity:trivy:RepoDigest
property, or a sha256 version (as Syft writes it). Every component, nested ones included,
becomes {name, version, purl, supplier} (supplier: supplier.name). Operating-system, file and
data components describe the platform rather than packages; the OS one gives the record's OS
when no scan does. A BOM of something other than an image is listed as skipped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote

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

FORMAT = "cyclonedx"
HINT = "the file must be a CycloneDX JSON BOM (specVersion 1.4, 1.5 or 1.6)"
SPEC_VERSIONS = ("1.4", "1.5", "1.6")
NOT_PACKAGES = {"operating-system", "file", "data"}


def recognise(value: Any) -> bool:
    return isinstance(value, dict) and value.get("bomFormat") == "CycloneDX"


def load(doc: Document, ctx: LoadContext) -> list | None:
    value = doc.value
    if not recognise(value):
        return None
    where = Where(ctx.file, doc, ctx.text)
    r = Reader(where, "CycloneDX BOM", HINT)
    spec = r.get(value, [], "specVersion", str)
    if spec not in SPEC_VERSIONS:
        return skip(
            ctx.result,
            where,
            f"CycloneDX specVersion {spec} is not supported (dxguard reads "
            f"{', '.join(SPEC_VERSIONS)})",
        )
    metadata = r.get(value, [], "metadata", dict, default={})
    component = r.get(metadata, ["metadata"], "component", dict, default=None)
    if component is None or component.get("type") != "container":
        return skip(
            ctx.result,
            where,
            "CycloneDX BOM does not describe a container image (metadata.component.type is not "
            "container)",
        )
    cpath = ["metadata", "component"]
    digests, repositories, config_digest = _image_identity(r, component, cpath)
    if not digests:
        return skip(
            ctx.result,
            where,
            "CycloneDX BOM names no image digest (no pkg:oci purl with a digest, no "
            "aquasecurity:trivy:RepoDigest property, no sha256 version): generate it from the "
            "image by digest",
        )
    components, os_info = [], None
    for path, comp in _walk(r, value, []):
        ctype = r.get(comp, path, "type", str, default="library")
        if ctype == "operating-system" and os_info is None:
            os_info = {
                "family": r.get(comp, path, "name", str, default="").lower(),
                "name": r.get(comp, path, "version", str, default=""),
                "eol": None,
            }
        if ctype in NOT_PACKAGES:
            continue
        supplier = r.get(comp, path, "supplier", dict, default={})
        components.append(
            {
                "name": r.get(comp, path, "name", str, default="") or None,
                "version": r.get(comp, path, "version", str, default="") or None,
                "purl": r.get(comp, path, "purl", str, default="") or None,
                "supplier": r.get(supplier, [*path, "supplier"], "name", str, default="") or None,
            }
        )
    data: dict[str, Any] = {
        "sbom": {
            "format": "CycloneDX",
            "spec_version": spec,
            "created": r.time(metadata, ["metadata"], "timestamp"),
            "tool": _tool(metadata),
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
            config_digest=config_digest,
            repositories=tuple(repositories),
            data=data,
        )
    )
    return []


def _image_identity(r: Reader, component: dict, cpath: list) -> tuple[list, list, str | None]:
    digests: list[str] = []
    repositories: list[str] = []
    config_digest = None
    purl = r.get(component, cpath, "purl", str, default="")
    if purl.startswith("pkg:oci/"):
        digest, repo = oci_purl(purl)
        if digest:
            digests.append(digest)
        if repo:
            repositories.append(repo)
    for i, prop in enumerate(r.get(component, cpath, "properties", list, default=[])):
        if not isinstance(prop, dict):
            raise r.fail([*cpath, "properties", i], "must be an object with name and value")
        name = prop.get("name")
        prop_value = prop.get("value")
        if name == "aquasecurity:trivy:RepoDigest" and isinstance(prop_value, str):
            repo, _, digest = split_reference(prop_value)
            if valid_digest(digest):
                digests.append(valid_digest(digest))
                repositories.append(repo)
        elif name == "aquasecurity:trivy:ImageID" and isinstance(prop_value, str):
            config_digest = valid_digest(prop_value)
    version = valid_digest(r.get(component, cpath, "version", str, default=""))
    if version and not digests:
        digests.append(version)
    name = r.get(component, cpath, "name", str, default="")
    if name and not repositories:
        repositories.append(split_reference(name)[0])
    return list(dict.fromkeys(digests)), repositories, config_digest


def oci_purl(purl: str) -> tuple[str | None, str | None]:
    """pkg:oci/name@sha256%3A…?repository_url=reg/ns/name → (digest, repository)."""
    body, _, query = purl[len("pkg:oci/") :].partition("?")
    _, _, version = body.partition("@")
    digest = valid_digest(unquote(version))
    repo_url = parse_qs(query).get("repository_url", [None])[0]
    return digest, repo_url


def _walk(r: Reader, node: dict, path: list):
    """Every component of the BOM, nested ones included, with its path."""
    for i, comp in enumerate(r.get(node, path, "components", list, default=[])):
        cpath = [*path, "components", i]
        if not isinstance(comp, dict):
            raise r.fail(cpath, "must be an object (a component)")
        yield cpath, comp
        yield from _walk(r, comp, cpath)


def _tool(metadata: dict) -> str | None:
    tools = metadata.get("tools")
    if isinstance(tools, dict):  # 1.5+: {"components": [...], "services": [...]}
        tools = tools.get("components")
    if isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                version = tool.get("version")
                return f"{tool['name']} {version}" if isinstance(version, str) else tool["name"]
    return None


DOCUMENT_LOADERS.append(load)
