"""AdmissionReview (admission.k8s.io/v1) in and out: read a request strictly, write a response.

Pure: bytes in, typed request out (or a ReviewError naming what is wrong, which the server
answers with HTTP 400 — a malformed review is never allowed); a decision in, the response body
out. It judges nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

API_VERSION = "admission.k8s.io/v1"
OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")
# Largest AdmissionReview the webhook reads. The API server's own request limit is 3 MiB (an
# object in etcd at most 1.5 MiB); a review carries the object and, on UPDATE, the old one.
MAX_REVIEW_BYTES = 8 * 1024 * 1024


class ReviewError(ValueError):
    """A request that is not a well-formed AdmissionReview: answered with HTTP 400."""


@dataclass(frozen=True)
class Request:
    uid: str
    operation: str
    kind: dict[str, str]  # group, version, kind of the object
    namespace: str | None
    name: str | None
    object: dict[str, Any] | None
    dry_run: bool
    subresource: str | None
    user: dict[str, Any] = field(default_factory=dict)  # userInfo: username, groups, uid

    @property
    def identity(self) -> dict[str, str | None]:
        """Who the object is, for the decision record (never its data)."""
        obj = self.object or {}
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        group = self.kind.get("group") or ""
        version = self.kind.get("version") or ""
        return {
            "apiVersion": obj.get("apiVersion") or (f"{group}/{version}" if group else version),
            "kind": obj.get("kind") or self.kind.get("kind"),
            "namespace": self.namespace or meta.get("namespace"),
            "name": self.name or meta.get("name") or meta.get("generateName"),
        }


def parse_review(body: bytes) -> Request:
    """The request of an AdmissionReview, or ReviewError saying what is wrong with it."""
    if len(body) > MAX_REVIEW_BYTES:
        raise ReviewError(
            f"the AdmissionReview is {len(body):,} bytes, over the webhook's limit of "
            f"{MAX_REVIEW_BYTES:,}"
        )
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise ReviewError(f"the body is not JSON: {err}") from None
    if not isinstance(doc, dict):
        raise ReviewError("the body is not a JSON object (an AdmissionReview)")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "AdmissionReview":
        raise ReviewError(
            f"expected apiVersion {API_VERSION} and kind AdmissionReview, got "
            f"{doc.get('apiVersion')!r} and {doc.get('kind')!r} (register the webhook with "
            "admissionReviewVersions: [v1])"
        )
    req = doc.get("request")
    if not isinstance(req, dict):
        raise ReviewError("the AdmissionReview has no request object")
    uid = req.get("uid")
    if not isinstance(uid, str) or not uid:
        raise ReviewError("request.uid is missing or not a string")
    operation = req.get("operation")
    if operation not in OPERATIONS:
        raise ReviewError(f"request.operation {operation!r} is not one of {', '.join(OPERATIONS)}")
    kind = req.get("kind")
    if not isinstance(kind, dict) or not isinstance(kind.get("kind"), str):
        raise ReviewError("request.kind must be an object with group, version and kind")
    obj = req.get("object")
    if operation in ("CREATE", "UPDATE") and not isinstance(obj, dict):
        raise ReviewError(f"request.object must be an object for {operation}")
    for key in ("namespace", "name", "subResource"):
        if req.get(key) is not None and not isinstance(req[key], str):
            raise ReviewError(f"request.{key} must be a string")
    dry_run = req.get("dryRun", False)
    if not isinstance(dry_run, bool):
        raise ReviewError("request.dryRun must be true or false")
    user = req.get("userInfo") if isinstance(req.get("userInfo"), dict) else {}
    return Request(
        uid=uid,
        operation=operation,
        kind={k: str(v) for k, v in kind.items() if isinstance(v, str)},
        namespace=req.get("namespace") or None,
        name=req.get("name") or None,
        object=obj if isinstance(obj, dict) else None,
        dry_run=dry_run,
        subresource=req.get("subResource") or None,
        user={k: user[k] for k in ("username", "uid", "groups") if k in user},
    )


def response(
    uid: str,
    *,
    allowed: bool,
    message: str | None = None,
    code: int = 403,
    warnings: list[str] | None = None,
    annotations: dict[str, str] | None = None,
) -> bytes:
    """The AdmissionReview response body."""
    resp: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed:
        resp["status"] = {"code": code, "message": message or "denied by dxguard"}
    elif message:
        resp["status"] = {"code": 200, "message": message}
    if warnings:
        resp["warnings"] = warnings
    if annotations:
        resp["auditAnnotations"] = annotations
    return orjson.dumps({"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": resp})
