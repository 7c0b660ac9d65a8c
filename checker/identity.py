"""Finding identity, defined once.

A finding is the same finding when it is the same check, on the same resource, at the same field
path, about the same subject: never its message, the input path as it was typed, or a document
index. The resource's own identity is apiVersion/kind/namespace/name for Kubernetes objects and
VM templates (a VM's name is its Terraform address, Packer source or KubeVirt name), and the
digest for image evidence. JSON finding ids, SARIF fingerprints and OSCAL uuids derive from it,
and the evidence store tells first-seen, resolved and regressed findings apart by it.

Pure functions: no I/O. Imports nothing from the pipeline but the Resource record.
"""

from __future__ import annotations

import hashlib
import os

import orjson

from checker.model import Resource

SEP = "\x1f"


def resource_identity(res: Resource) -> str:
    """The resource's own identity, the same in every run, machine and input folder."""
    if res.released_identity is not None:  # its object is gone; this is what it was
        return res.released_identity
    if res.family == "image" and isinstance(res.normalized, dict):
        digest = res.normalized.get("digest")
        if isinstance(digest, str) and digest:
            return SEP.join(("image", digest))
    if isinstance(res.name, str) and res.name:
        name = res.name
    else:  # an unnamed object (e.g. an audit Policy file) is known by its content
        body = orjson.dumps(res.object, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        name = "sha256:" + hashlib.sha256(body).hexdigest()
    return SEP.join((res.family, res.api_version or "", res.kind, res.namespace or "", name))


def finding_identity(check: str, res: Resource, path: str, subject: str | None) -> str:
    return SEP.join((check, resource_identity(res), path, subject or ""))


def finding_digest(check: str, res: Resource, path: str, subject: str | None) -> str:
    """SHA-256 (hex) of the finding identity: SARIF's fingerprint, the store's key."""
    return hashlib.sha256(finding_identity(check, res, path, subject).encode()).hexdigest()


def finding_id(digest: str) -> str:
    """The short id reports print: F + 16 hex digits of the identity digest."""
    return "F" + digest[:16]


def occurrence_key(res: Resource) -> tuple[str, int, int]:
    """Orders two copies of the same object in one run (the same manifest in two files): by the
    file's real path, then document and item. Used only to tell such copies apart."""
    src = res.source
    real = os.path.realpath(src.file) if src.file != "-" else src.file
    return (real, src.document, src.item if src.item is not None else -1)
