"""The evidence report as typed records: what the report builder produces and every renderer,
the evidence store and the export read.

One dataclass per part of the report (checker/schemas/report.schema.json is its JSON contract).
`Report.to_json()` gives the JSON document that `--format json` writes and the store keeps;
`Report.from_json()` reads one back (a stored run, a report file), so a recorded report renders
exactly like a fresh one. Plain data only: no I/O, no status logic — control statuses are decided
in checker.controls and the run's verdict by the builder; renderers present what is here.

Field names are the JSON keys, except where JSON spells a key in camelCase (`apiVersion`): the
field's metadata names the key. Optional parts that the JSON leaves out when absent are marked
`omit="none"` (left out when None) or `omit="empty"` (left out when empty).
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from checker.controls import STATUSES

T = TypeVar("T")


def _opt(default: Any = None, *, omit: str = "none", key: str | None = None) -> Any:
    meta: dict[str, str] = {"omit": omit}
    if key:
        meta["key"] = key
    if isinstance(default, list | dict):
        factory = type(default)
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _key(name: str) -> Any:
    return field(metadata={"key": name})


# -- counts ---------------------------------------------------------------------------------------


@dataclass
class SubjectCounts:
    examined: int = 0
    passed: int = 0
    failed: int = 0
    waived: int = 0


@dataclass
class ResultCounts:
    """One check's subjects on one resource."""

    passed: int = 0
    failed: int = 0
    waived: int = 0


# -- run metadata ---------------------------------------------------------------------------------


@dataclass
class BundleInfo:
    sha256: str
    modules: int


@dataclass
class CatalogFile:
    framework: str
    version: str
    file: str
    sha256: str
    origin: str = _opt("builtin")


@dataclass
class ExcludedFramework:
    framework: str
    file: str
    origin: str


@dataclass
class ConfigInfo:
    file: str | None
    file_sha256: str | None
    sha256: str


@dataclass
class InputFileInfo:
    path: str
    sha256: str
    size: int
    documents: int
    resources: int


@dataclass
class WaiverFileInfo:
    file: str
    sha256: str
    expiry_warning_days: int


@dataclass
class Reason:
    """A check left out of the run (disabled by the config, or out of the repository's scope)."""

    id: str
    reason: str


@dataclass
class CustomPolicy:
    file: str
    sha256: str
    package: str


@dataclass
class ListedKind:
    """One kind an audit asked the cluster for (dxguard audit): how and with what outcome."""

    kind: str
    api_version: str  # the group/version it was listed through ("" when no API serves it)
    status: str  # listed | not-served
    objects: int = 0
    resource: str = _opt("", omit="empty")  # the API resource (plural), e.g. deployments
    namespaced: bool | None = _opt()


@dataclass
class ClusterInfo:
    """The cluster an audit examined: what it is called, where its API server is, and the UID
    of its kube-system namespace (a cluster's stable identity) where readable."""

    name: str
    server: str
    kinds: list[ListedKind]
    kube_system_uid: str | None = _opt()
    context: str | None = _opt()
    namespace: str | None = _opt()  # the one namespace audited (--namespace), else every one


@dataclass
class RunMeta:
    as_of: str
    dxguard_version: str
    opa_version: str
    engine: str
    bundle: BundleInfo
    catalogs: list[CatalogFile]
    frameworks_selected: list[str]
    config: ConfigInfo
    inputs: list[InputFileInfo]
    frameworks_not_selected: list[ExcludedFramework] = _opt([], omit="never")
    fail_on: str = _opt("low", omit="never")
    waivers: WaiverFileInfo | None = _opt()
    disabled_checks: list[Reason] = _opt([], omit="never")
    custom_policies: list[CustomPolicy] = _opt([], omit="never")
    repository_scope: str = _opt("platform", omit="never")
    out_of_scope_checks: list[Reason] = _opt([], omit="never")
    ci: dict[str, str] = _opt({}, omit="empty")
    cluster: ClusterInfo | None = _opt()  # an audit's cluster (dxguard audit); since 3.1


# -- summary --------------------------------------------------------------------------------------


@dataclass
class Gate:
    """What fails the run: unwaived failures at or above fail_on, and lapsed waivers."""

    fail_on: str
    failing: int
    lapsed_waivers: int


@dataclass
class ResourceCounts:
    loaded: int
    examined: int
    not_examined: int
    not_examined_kinds: dict[str, int]


@dataclass
class WaiverCounts:
    total: int = 0
    active: int = 0
    expired: int = 0
    pending: int = 0
    unused: int = 0
    expiring: int = 0


@dataclass
class Summary:
    result: str  # pass | fail: the gate's verdict (the exit code follows it)
    gate: Gate
    frameworks: dict[str, dict[str, int]]  # framework id → control status → count
    resources: ResourceCounts
    subjects: SubjectCounts
    waivers: WaiverCounts
    skipped_inputs: int


# -- waivers --------------------------------------------------------------------------------------


@dataclass
class SourceLine:
    file: str
    line: int


@dataclass
class WaiverEntry:
    """A waiver record and its state at the run's as-of time."""

    id: str
    check: str
    resource: dict[str, str]  # the selector: kind, namespace, name, file
    justification: str
    approver: str
    approved: str
    ticket: str
    expires: str
    source: SourceLine
    state: str  # active | expired | pending
    days_left: int
    expiring: bool
    matched: int
    waived: int
    unused: bool
    subject: str | None = _opt()
    expired_since: str | None = _opt()


@dataclass
class WaiverRef:
    """What a finding says about the waiver that selected it (the record is listed once)."""

    id: str
    state: str
    expires: str
    expired_since: str | None = _opt()
    approved: str | None = _opt()


# -- findings -------------------------------------------------------------------------------------


@dataclass
class ResourceRef:
    id: str
    kind: str
    name: str | None
    namespace: str | None


@dataclass
class Finding:
    """One failure or waived failure, written once however many controls it serves."""

    id: str
    fingerprint: str
    status: str  # failed | waived
    check: str
    severity: str
    resource: ResourceRef
    file: str
    line: int
    path: str
    message: str
    subject: str | None = _opt()
    waiver: WaiverRef | None = _opt()

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def order_key(self) -> tuple:
        """File and line order (the report's order of findings)."""
        return (
            self.file,
            self.line,
            self.check,
            self.path,
            self.resource.id,
            self.subject or "",
        )


# -- frameworks and controls ----------------------------------------------------------------------


@dataclass
class ControlCheck:
    """A check as one control cites it, with what it examined in the whole run."""

    id: str
    title: str
    severity: str
    examined: int
    passed: int
    failed: int
    waived: int
    resources_examined: int
    disabled: bool | None = _opt()
    out_of_scope: bool | None = _opt()


@dataclass
class ControlResult:
    id: str
    title: str
    requirement: str
    evidence: str  # automated | partial | manual
    citation: str
    status: str  # decided by checker.controls.control_status
    manual_evidence_required: bool
    checks: list[ControlCheck]
    subjects: SubjectCounts
    failures: list[str]  # finding ids, in report order
    waived: list[str]
    waivers: list[WaiverEntry]
    notes: str | None = _opt()
    evidence_to_attach: list[str] = _opt([], omit="empty")
    sources: list[str] = _opt([], omit="empty")
    disabled_checks: list[str] = _opt([], omit="empty")
    out_of_scope_checks: list[str] = _opt([], omit="empty")
    catalog: str | None = _opt()


@dataclass
class FrameworkResult:
    id: str
    title: str
    version: str
    description: str
    scope_notes: list[str]
    summary: dict[str, int]  # control status → count, every status listed
    controls: list[ControlResult]

    def __post_init__(self) -> None:
        # Statuses in their own order (most severe first), however the JSON sorted its keys.
        order = {s: i for i, s in enumerate(STATUSES)}
        self.summary = dict(sorted(self.summary.items(), key=lambda kv: order.get(kv[0], 99)))


# -- checks and resources -------------------------------------------------------------------------


@dataclass
class CitedBy:
    selected: int
    loaded: int


@dataclass
class ReasonOnly:
    reason: str


@dataclass
class CheckEntry:
    id: str
    title: str
    family: str
    severity: str
    description: str
    package: str
    targets: dict[str, list[str]]
    remediation: str
    parameters: dict[str, Any]
    examined: int
    passed: int
    failed: int
    waived: int
    resources_examined: int
    resources_failed: int
    failures: int
    waived_failures: int
    origin: str = _opt("builtin", omit="never")
    controls_cited_by: CitedBy | None = _opt()
    disabled: ReasonOnly | None = _opt()
    out_of_scope: ReasonOnly | None = _opt()


@dataclass
class ResourceSource:
    file: str
    document: int
    line: int
    item: int | None = _opt()


@dataclass
class ScanInfo:
    scanner: str
    version: str | None
    time: str | None
    age_days: int | None
    file: str


@dataclass
class SbomInfo:
    format: str
    spec_version: str
    components: int
    file: str


@dataclass
class SignatureInfo:
    tool: str
    verified: bool
    signer: str | None
    file: str


@dataclass
class ProvenanceInfo:
    builder: str
    file: str


@dataclass
class ImageEvidence:
    """What the run holds about one image digest: files, scans and their age, CVEs by
    severity, SBOMs, signers, builders."""

    digest: str
    repository: str | None
    tags: list[str]
    files: list[str]
    scans: list[ScanInfo]
    vulnerabilities: dict[str, list[str]]
    sboms: list[SbomInfo]
    signatures: list[SignatureInfo]
    provenance: list[ProvenanceInfo]
    os: str | None
    user: str | None


@dataclass
class ResourceEntry:
    id: str
    family: str
    kind: str
    api_version: str = _key("apiVersion")
    name: str | None = _key("name")
    namespace: str | None = _key("namespace")
    source: ResourceSource = _key("source")
    examined: bool = _key("examined")
    checks: dict[str, ResultCounts] = _key("checks")  # check id → its subjects here
    image: ImageEvidence | None = _opt()

    @property
    def label(self) -> str:
        """'Deployment ns/name'; an object without a name (an audit Policy file) says so."""
        ns = f"{self.namespace}/" if self.namespace else ""
        if not self.name:
            return f"{self.kind} {ns}(unnamed)" if ns else f"{self.kind} (unnamed)"
        return f"{self.kind} {ns}{self.name}"


@dataclass
class SkippedInput:
    file: str
    reason: str
    document: int | None = _opt()
    line: int | None = _opt()


@dataclass
class Tool:
    name: str
    version: str


# -- the report -----------------------------------------------------------------------------------


@dataclass
class EvidenceFile:
    name: str
    sha256: str
    size: int
    media_type: str


@dataclass
class AttachedDocument:
    """A document attached to a control in the evidence store (checker/store/evidence.py)."""

    record: int
    hash: str
    recorded_at: str
    framework: str
    control: str
    file: EvidenceFile
    by: str
    date: str
    note: str | None = _opt()


@dataclass
class ControlEvidence:
    """A control that needs manual evidence (or has some): what is attached, or missing."""

    framework: str
    control: str
    evidence_kind: str
    status: str  # attached | missing
    expected: list[str]
    evidence: list[AttachedDocument]


@dataclass
class EvidenceCounts:
    controls: int = 0
    attached: int = 0
    missing: int = 0


@dataclass
class ManualEvidence:
    """The manual evidence the store held as of the run: present only when a store was given."""

    as_of: str
    controls: list[ControlEvidence]
    summary: EvidenceCounts


@dataclass
class Report:
    report_version: str
    tool: Tool
    run: RunMeta
    scope_notes: list[str]
    summary: Summary
    frameworks: list[FrameworkResult]
    findings: list[Finding]
    checks: list[CheckEntry]
    resources: list[ResourceEntry]
    waivers: list[WaiverEntry]
    skipped: list[SkippedInput]
    manual_evidence: ManualEvidence | None = _opt()

    def to_json(self) -> dict[str, Any]:
        """The JSON document (checker/schemas/report.schema.json)."""
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        """A report read back from its JSON document (a stored run, a report file)."""
        return from_json(cls, data)

    # Lookups that several renderers need; the report itself is the only source.
    def finding_index(self) -> dict[str, Finding]:
        return {f.id: f for f in self.findings}

    def findings_of(self, control: ControlResult, which: str = "failures") -> list[Finding]:
        """The failures ("failures") or waived failures ("waived") of one control."""
        index = self.finding_index()
        return [index[fid] for fid in getattr(control, which)]


# -- JSON codec -----------------------------------------------------------------------------------


_SCALARS = frozenset({str, int, float, bool, type(None)})


def to_json(value: Any) -> Any:
    """A typed record (or a list or dict of them) as plain JSON values."""
    cls = type(value)
    if cls in _SCALARS:  # most values of a report: returned before any other test
        return value
    if _plan(cls) is not None:
        return {k: to_json(v) for k, v in record_fields(value).items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def record_fields(value: Any) -> dict[str, Any]:
    """One typed record's own JSON fields, their values as they are (not converted): for an
    encoder that converts what it meets (orjson's `default`, with OPT_PASSTHROUGH_DATACLASS).
    Serialised, the same document as to_json(value). TypeError for anything but a record."""
    plan = _plan(type(value))
    if plan is None:
        raise TypeError(f"{type(value).__name__} is not a report record")
    keys, values, optional = plan
    out = dict(zip(keys, values(value), strict=True))
    for key, omit in optional:
        item = out[key]
        if (omit == "none" and item is None) or (omit == "empty" and not item):
            del out[key]
    return out


@cache
def _plan(cls: type) -> tuple[tuple[str, ...], Callable[[Any], tuple], tuple] | None:
    """A dataclass's JSON keys, a function giving its field values in their order, and the
    (key, rule) of each field left out when None ("none") or empty ("empty"); None for any
    other class (a dataclass's class object itself is not a record: its type is `type`)."""
    if not dataclasses.is_dataclass(cls):
        return None
    fields = _fields(cls)
    names = [f.name for f in fields]
    getter = operator.attrgetter(*names) if names else (lambda _value: ())
    values = getter if len(names) != 1 else (lambda value: (getter(value),))
    keys = tuple(f.metadata.get("key", f.name) for f in fields)
    optional = tuple(
        (key, f.metadata["omit"])
        for key, f in zip(keys, fields, strict=True)
        if f.metadata.get("omit") in ("none", "empty")
    )
    return keys, values, optional


def from_json(cls: type[T], data: Any) -> T:
    """A typed record from plain JSON values, by the dataclass's type hints."""
    return _decode(cls, data)


@cache
def _fields(cls: type) -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(cls)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(hint: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(inner[0], data) if len(inner) == 1 else data
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_decode(item, v) for v in data]
    if origin is dict:
        _, item = typing.get_args(hint)
        return {k: _decode(item, v) for k, v in data.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        kwargs = {}
        for f in _fields(hint):
            key = f.metadata.get("key", f.name)
            if key in data:
                kwargs[f.name] = _decode(hints[f.name], data[key])
        return hint(**kwargs)
    return data
