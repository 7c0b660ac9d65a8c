"""Typed records that move between pipeline stages (loaders → engine → controls → report).

Plain data only: no I/O and no behaviour beyond small conversions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    """Where a resource came from: file as the user named it, document index, 1-based line."""

    file: str
    document: int
    line: int
    item: int | None = None  # index inside a `kind: List` document
    # Field path from the document's root to the resource's object, for resources that are one
    # part of a larger document (a resource inside a Terraform plan, a Packer builder); the
    # Locator prefixes it to a check's field path. Empty: the object is the document (or item).
    pointer: tuple[str | int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "document": self.document, "line": self.line}
        if self.item is not None:
            out["item"] = self.item
        return out


@dataclass
class Resource:
    id: str
    family: str  # k8s | vm | image
    kind: str
    api_version: str
    name: str | None
    namespace: str | None
    source: Source
    object: dict[str, Any]
    # A format-independent model of the resource (e.g. the normalized VM or image record),
    # validated against its JSON schema by the loader that builds it; None for plain k8s objects.
    normalized: dict[str, Any] | None = None
    # Set by release(): the resource's identity (checker.identity), kept because an unnamed
    # object's identity is a digest of the object it no longer holds.
    released_identity: str | None = field(default=None, compare=False, repr=False)

    def release(self, identity: str) -> None:
        """Forget the parsed object (and a VM's normalized model) once every check has judged
        it: what a report needs afterwards (ids, names, source, an image record's evidence,
        the identity) stays. A scan of 100k resources would otherwise hold every object until
        the report is written. A released resource cannot be judged again."""
        self.released_identity = identity
        self.object = {}
        if self.family != "image":
            self.normalized = None

    def to_input(self) -> dict[str, Any]:
        """The record as the policies see it in input.resources."""
        if self.released_identity is not None:
            raise RuntimeError(f"{self.id} was released after it was judged")
        out = {
            "id": self.id,
            "family": self.family,
            "kind": self.kind,
            "apiVersion": self.api_version,
            "name": self.name,
            "namespace": self.namespace,
            "object": self.object,
        }
        if self.normalized is not None:
            out["normalized"] = self.normalized
        return out

    @property
    def display_name(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name or '(unnamed)'}"


@dataclass(frozen=True)
class InputFile:
    path: str
    sha256: str
    size: int
    documents: int
    resources: int


@dataclass(frozen=True)
class Skipped:
    """An input (file or document) that was not turned into a resource, and why."""

    file: str
    reason: str
    document: int | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "reason": self.reason}
        if self.document is not None:
            out["document"] = self.document
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass
class LoadResult:
    resources: list[Resource] = field(default_factory=list)
    inputs: list[InputFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Raw text of inputs that cannot be re-read from disk (stdin), for locating lines later.
    texts: dict[str, str] = field(default_factory=dict)
    # Start line of every document of every YAML/JSON input (for locating failures later).
    doc_lines: dict[str, list[int]] = field(default_factory=dict)
    # Lines of field paths for formats the Locator cannot re-read as YAML or JSON (e.g. HCL):
    # resource id → field path inside the resource's object → 1-based line.
    line_tables: dict[str, dict[str, int]] = field(default_factory=dict)
    # Cross-file state that format loaders keep for their FINALIZERS, by loader name.
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckMeta:
    id: str
    title: str
    description: str
    family: str
    severity: str
    targets: dict[str, list[str]]
    remediation: str
    package: str
    parameters: tuple[str, ...] = ()
    scope: str = "object"  # object: judges each object under review; cluster: the inventory
    inventory: tuple[str, ...] = ()  # what it reads from the inventory (see checker/inventory.py)


@dataclass(frozen=True)
class CheckResult:
    check: str
    resource: str
    path: str
    status: str  # pass | fail | waived (a failure a waiver in force covers; see waivers.py)
    message: str | None = None
    subject: str | None = None  # a named subject inside the resource (e.g. a CVE id)
    # The waiver that selected this failure: it waived it (status waived) or had lapsed (fail).
    waiver: str | None = None


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    requirement: str
    evidence: str  # automated | partial | manual
    checks: tuple[str, ...]
    citation: str  # verified | secondary | unverified
    notes: str | None = None
    # Documents or records an auditor expects beside the automated evidence.
    evidence_to_attach: tuple[str, ...] = ()
    # Where the cited text was read (a verified citation names at least one).
    sources: tuple[str, ...] = ()
    # The custom catalog that defined this control in a built-in framework (an override or an
    # addition); None when the control comes from its framework's own file.
    catalog: str | None = None


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    version: str
    description: str
    scope_notes: tuple[str, ...]
    controls: tuple[Control, ...]
    file: str
    sha256: str
    origin: str = "builtin"  # builtin (controls/) | custom (--controls)
    # Custom catalogs merged into this framework: (file, version, sha256) each.
    overlays: tuple[tuple[str, str, str], ...] = ()
    # Line of each control's id in `file` (for error messages).
    control_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
