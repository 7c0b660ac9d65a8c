"""The period's evidence, summarised from its records: what the export's summary, period JSON
and OSCAL say. Pure: records and reports in, a `Period` out; no store, no files.

`PeriodBuilder` is fed in chain order — each scope's baseline run (its last run before the
period) first, then the period's runs and audits, decisions and attached evidence — and keeps
only what the summary needs, so a quarter of thousands of reports streams through it:

- control status over the period, per scope: at the start (the baseline), at the end (the
  scope's last run), and how many runs gave each status; controls that went from satisfied
  (with or without waivers) to not satisfied between two consecutive runs of a scope;
- drift by stable finding identity (checker/store/drift.py's rule, one Timeline per scope);
- waivers seen in the period's runs: used (they turned a failure into waived), expired (their
  last day in force was before the period's last day), expiring (within the warning window
  after the period);
- admission decisions per scope, and the manual evidence in force at the period's end.

Statuses are the reports' own; nothing is re-decided here. No runs in a scope means no status
for it: "nothing recorded" is never shown as satisfied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from checker.controls import NOT_SATISFIED, SATISFIED, SATISFIED_WITH_WAIVERS, STATUSES
from checker.store.chain import Record
from checker.store.drift import STATES, DriftEntry, RunFindings, Timeline
from checker.store.evidence import Evidence, manual_evidence_section
from checker.store.store import index_tuples

FORMAT = "dxguard-period/1"
REPORT_KINDS = ("run", "audit")
SATISFIED_STATES = (SATISFIED, SATISFIED_WITH_WAIVERS)
# How scopes' end statuses combine into one line per control (first present wins): a failure
# anywhere first; "nothing examined" only when no scope examined anything.
OVERALL_ORDER = (
    NOT_SATISFIED,
    "passed-manual-pending",
    "manual",
    SATISFIED_WITH_WAIVERS,
    SATISFIED,
    "not-applicable",
)
MAX_LISTED_DECISIONS = 1000


@dataclass(frozen=True)
class RunInfo:
    """A run or audit the export includes, with where its report sits in the bundle."""

    seq: int
    hash: str
    kind: str
    scope: str | None
    recorded_at: str
    as_of: str
    result: str
    bundle_sha256: str
    dxguard_version: str | None
    opa_version: str | None
    frameworks: tuple[str, ...]
    findings: int
    report_path: str
    report_sha256: str
    report_size: int
    baseline: bool = False  # the scope's last run before the period, for comparison

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "kind": self.kind,
            "scope": self.scope,
            "recorded_at": self.recorded_at,
            "as_of": self.as_of,
            "result": self.result,
            "bundle_sha256": self.bundle_sha256,
            "dxguard_version": self.dxguard_version,
            "opa_version": self.opa_version,
            "frameworks": list(self.frameworks),
            "findings": self.findings,
            "report": {
                "path": self.report_path,
                "sha256": self.report_sha256,
                "size": self.report_size,
            },
            "baseline": self.baseline,
        }


@dataclass
class ControlMeta:
    framework: str
    control: str
    title: str
    evidence_kind: str
    manual_evidence_required: bool
    evidence_to_attach: tuple[str, ...]


@dataclass
class ScopeControl:
    """One control in one scope over the period."""

    at_start: str | None = None  # the baseline run's status (None: no run before the period)
    at_end: str | None = None  # the scope's last run in the period (None: none in the period)
    last_run: int | None = None
    runs: dict[str, int] = field(default_factory=dict)  # status → runs in the period

    def to_json(self, scope: str | None) -> dict[str, Any]:
        return {
            "scope": scope,
            "at_start": self.at_start,
            "at_end": self.at_end,
            "last_run": self.last_run,
            "runs": {s: self.runs[s] for s in STATUSES if s in self.runs},
        }


@dataclass(frozen=True)
class Regression:
    """A control that went from satisfied to not satisfied between two runs of one scope."""

    scope: str | None
    framework: str
    control: str
    before: str
    before_run: int
    after_run: int
    recorded_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "framework": self.framework,
            "control": self.control,
            "from": self.before,
            "to": NOT_SATISFIED,
            "from_run": self.before_run,
            "to_run": self.after_run,
            "recorded_at": self.recorded_at,
        }


@dataclass
class WaiverUse:
    """One waiver (by scope and id) across the period's runs, as last seen."""

    scope: str | None
    waiver: dict[str, Any]
    first_run: int
    last_run: int
    runs_waiving: int = 0  # runs in which it turned a failure into waived
    waived_max: int = 0
    states: set[str] = field(default_factory=set)

    def categories(self, last_day: date, warning_days: int) -> list[str]:
        out = []
        if self.runs_waiving:
            out.append("used")
        expires = _day(self.waiver.get("expires"))
        if "expired" in self.states or (expires is not None and expires < last_day):
            out.append("expired")
        elif expires is not None and expires <= last_day + timedelta(days=warning_days):
            out.append("expiring")
        return out

    def to_json(self, last_day: date, warning_days: int) -> dict[str, Any]:
        w = self.waiver
        return {
            "scope": self.scope,
            "id": w.get("id"),
            "check": w.get("check"),
            "resource": w.get("resource", {}),
            **({"subject": w["subject"]} if w.get("subject") else {}),
            "justification": w.get("justification"),
            "approver": w.get("approver"),
            "approved": w.get("approved"),
            "ticket": w.get("ticket"),
            "expires": w.get("expires"),
            "state_at_last_run": w.get("state"),
            "categories": self.categories(last_day, warning_days),
            "first_run": self.first_run,
            "last_run": self.last_run,
            "runs_waiving": self.runs_waiving,
            "waived_max": self.waived_max,
        }


@dataclass
class DecisionCounts:
    total: int = 0
    allowed: int = 0
    denied: int = 0
    warned: int = 0
    denials: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, scope: str | None) -> dict[str, Any]:
        return {
            "scope": scope,
            "total": self.total,
            "allowed": self.allowed,
            "denied": self.denied,
            "warned": self.warned,
            "denials": self.denials,
            "denials_listed": len(self.denials),
        }


@dataclass
class Period:
    """Everything the export says about the period (see the module doc)."""

    name: str
    since: str
    until: str
    scopes_filter: tuple[str, ...]
    frameworks_filter: tuple[str, ...]
    runs: list[RunInfo]
    controls: dict[tuple[str, str], ControlMeta]
    by_scope: dict[tuple[str, str], dict[str | None, ScopeControl]]
    regressions: list[Regression]
    drift: dict[str | None, list[DriftEntry]]
    baselines: dict[str | None, int]
    waivers: list[WaiverUse]
    decisions: dict[str | None, DecisionCounts]
    manual_evidence: dict[str, Any]
    evidence_paths: dict[int, str]
    warning_days: int

    @property
    def last_day(self) -> date:
        return _day(self.until[:10]) - timedelta(days=1)  # type: ignore[operator]

    def period_runs(self) -> list[RunInfo]:
        return [r for r in self.runs if not r.baseline]

    def scopes(self) -> list[str | None]:
        found = {r.scope for r in self.period_runs()} | set(self.decisions)
        return sorted(found, key=lambda s: (s is not None, s or ""))

    def overall(self, key: tuple[str, str]) -> str | None:
        ends = {sc.at_end for sc in self.by_scope.get(key, {}).values() if sc.at_end}
        return next((s for s in OVERALL_ORDER if s in ends), None)

    def frameworks(self) -> list[str]:
        return sorted({fw for fw, _ in self.controls})

    def control_rows(self) -> list[dict[str, Any]]:
        rows = []
        for key in sorted(self.controls, key=_control_order(self.controls)):
            meta = self.controls[key]
            scopes = self.by_scope.get(key, {})
            rows.append(
                {
                    "framework": meta.framework,
                    "control": meta.control,
                    "title": meta.title,
                    "evidence_kind": meta.evidence_kind,
                    "at_end": self.overall(key),
                    "scopes": [
                        scopes[s].to_json(s)
                        for s in sorted(scopes, key=lambda s: (s is not None, s or ""))
                    ],
                }
            )
        return rows

    def drift_counts(self, scope: str | None) -> dict[str, int]:
        entries = self.drift.get(scope, [])
        return {s: sum(1 for e in entries if e.state == s) for s in STATES}

    def waivers_in(self, category: str) -> list[WaiverUse]:
        return [
            w for w in self.waivers if category in w.categories(self.last_day, self.warning_days)
        ]

    def summary(self) -> dict[str, Any]:
        runs = self.period_runs()
        return {
            "runs": sum(1 for r in runs if r.kind == "run"),
            "audits": sum(1 for r in runs if r.kind == "audit"),
            "decisions": sum(d.total for d in self.decisions.values()),
            "evidence_documents": len(self.evidence_paths),
            "scopes": len(self.scopes()),
            "regressions": len(self.regressions),
            "drift": {s: sum(self.drift_counts(sc)[s] for sc in self.drift) for s in STATES},
            "waivers": {c: len(self.waivers_in(c)) for c in ("used", "expired", "expiring")},
            "manual_evidence": self.manual_evidence["summary"],
        }

    def to_json(self) -> dict[str, Any]:
        scopes = sorted(self.drift, key=lambda s: (s is not None, s or ""))
        return {
            "format": FORMAT,
            "period": {"name": self.name, "since": self.since, "until": self.until},
            "filters": {
                "scopes": list(self.scopes_filter),
                "frameworks": list(self.frameworks_filter),
            },
            "summary": self.summary(),
            "runs": [r.to_json() for r in self.runs],
            "controls": self.control_rows(),
            "regressions": [r.to_json() for r in self.regressions],
            "drift": [
                {
                    "scope": s,
                    "baseline": self.baselines.get(s),
                    "runs": sum(1 for r in self.period_runs() if r.scope == s),
                    "counts": self.drift_counts(s),
                    "findings": [e.to_json() for e in self.drift[s]],
                }
                for s in scopes
            ],
            "waivers": [w.to_json(self.last_day, self.warning_days) for w in self.waivers],
            "decisions": [
                self.decisions[s].to_json(s)
                for s in sorted(self.decisions, key=lambda s: (s is not None, s or ""))
            ],
            "manual_evidence": self.manual_evidence,
        }


def _control_order(controls: Mapping[tuple[str, str], ControlMeta]) -> Any:
    order = {key: i for i, key in enumerate(controls)}  # first seen: the reports' own order
    return lambda key: (key[0], order[key])


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def last_moment(until: str) -> str:
    """The period's last microsecond (`until` is exclusive), as an as-of time."""
    from datetime import datetime

    from checker.store.chain import timestamp

    moment = datetime.fromisoformat(until.replace("Z", "+00:00")) - timedelta(microseconds=1)
    return timestamp(moment)


@dataclass(frozen=True)
class ControlStatus:
    """A control as one report states it."""

    framework: str
    control: str
    status: str
    title: str
    evidence_kind: str
    manual_evidence_required: bool
    evidence_to_attach: tuple[str, ...]


@dataclass(frozen=True)
class ReportDigest:
    """What the period needs of one run's report: small enough to pass between processes."""

    as_of: str
    result: str
    bundle_sha256: str
    dxguard_version: str | None
    opa_version: str | None
    frameworks: tuple[str, ...]
    controls: tuple[ControlStatus, ...]
    waivers: tuple[dict[str, Any], ...]
    findings: tuple[tuple[str, ...], ...]  # the findings index entries (INDEX_COLUMNS order)


def digest_report(report: Mapping[str, Any], frameworks: Iterable[str] = ()) -> ReportDigest:
    """The ReportDigest of a parsed report, its controls limited to `frameworks` (all: none
    given). Pure."""
    wanted = set(frameworks)
    run = report.get("run", {})
    controls = tuple(
        ControlStatus(
            fw["id"],
            c["id"],
            c["status"],
            c.get("title", ""),
            c.get("evidence", ""),
            bool(c.get("manual_evidence_required")),
            tuple(c.get("evidence_to_attach", ())),
        )
        for fw in report.get("frameworks", [])
        if not wanted or fw["id"] in wanted
        for c in fw.get("controls", [])
    )
    return ReportDigest(
        as_of=str(run.get("as_of", "")),
        result=str(report.get("summary", {}).get("result", "")),
        bundle_sha256=str(run.get("bundle", {}).get("sha256", "")),
        dxguard_version=run.get("dxguard_version"),
        opa_version=run.get("opa_version"),
        frameworks=tuple(run.get("frameworks_selected", [])),
        controls=controls,
        waivers=tuple(report.get("waivers", [])),
        findings=tuple(index_tuples(report)),
    )


class PeriodBuilder:
    """Feed records in chain order (see the module doc), then `build()`."""

    def __init__(
        self,
        name: str,
        since: str,
        until: str,
        *,
        scopes: Iterable[str] = (),
        frameworks: Iterable[str] = (),
        warning_days: int = 30,
    ):
        self.name, self.since, self.until = name, since, until
        self.scopes_filter = tuple(sorted(scopes))
        self.frameworks_filter = tuple(sorted(frameworks))
        self.warning_days = warning_days
        self.runs: list[RunInfo] = []
        self.controls: dict[tuple[str, str], ControlMeta] = {}
        self.control_src: dict[tuple[str, str], ControlStatus] = {}
        self.by_scope: dict[tuple[str, str], dict[str | None, ScopeControl]] = {}
        self.last_status: dict[str | None, dict[tuple[str, str], tuple[str, int]]] = {}
        self.regressions: list[Regression] = []
        self.timelines: dict[str | None, Timeline] = {}
        self.baselines: dict[str | None, int] = {}
        self.waivers: dict[tuple[str | None, str], WaiverUse] = {}
        self.decisions: dict[str | None, DecisionCounts] = {}
        self.evidence: list[Evidence] = []
        self.evidence_paths: dict[int, str] = {}

    def wants_framework(self, framework: str) -> bool:
        return not self.frameworks_filter or framework in self.frameworks_filter

    def timeline(self, scope: str | None) -> Timeline:
        return self.timelines.setdefault(scope, Timeline())

    def history(self, scope: str | None, fingerprint: str, first: tuple[int, str]) -> None:
        """A finding some run of the scope listed before the period (first by run `first`)."""
        self.timeline(scope).seen(fingerprint, first)

    def add_run(
        self, rec: Record, digest: ReportDigest, *, path: str, size: int, baseline: bool = False
    ) -> RunInfo:
        """A run or audit record and the digest of its report (`digest_report`)."""
        scope = rec.scope
        info = RunInfo(
            seq=rec.seq,
            hash=rec.hash,
            kind=rec.kind,
            scope=scope,
            recorded_at=rec.recorded_at,
            as_of=digest.as_of or str(rec.meta.get("as_of", "")),
            result=digest.result or str(rec.meta.get("result", "")),
            bundle_sha256=digest.bundle_sha256,
            dxguard_version=digest.dxguard_version,
            opa_version=digest.opa_version,
            frameworks=digest.frameworks,
            findings=len(digest.findings),
            report_path=path,
            report_sha256=rec.blobs["report"].sha256,
            report_size=size,
            baseline=baseline,
        )
        self.runs.append(info)
        if baseline:
            self.baselines[scope] = rec.seq
        self._controls(rec, digest, scope, baseline)
        if not baseline:
            self._waivers(rec, digest, scope)
        entries = {t[0]: t for t in digest.findings}
        self.timeline(scope).add(RunFindings(rec.seq, rec.recorded_at, entries), before=baseline)
        return info

    def add_report(self, rec: Record, report: Mapping[str, Any], **kw: Any) -> RunInfo:
        """add_run with the parsed report itself."""
        return self.add_run(rec, digest_report(report, self.frameworks_filter), **kw)

    def _controls(
        self, rec: Record, digest: ReportDigest, scope: str | None, baseline: bool
    ) -> None:
        last = self.last_status.setdefault(scope, {})
        for c in digest.controls:
            key = (c.framework, c.control)
            status = c.status
            self.control_src[key] = c  # the latest run's word on the control
            sc = self.by_scope.setdefault(key, {}).setdefault(scope, ScopeControl())
            before = last.get(key)
            if baseline:
                sc.at_start = status
            else:
                sc.at_end, sc.last_run = status, rec.seq
                sc.runs[status] = sc.runs.get(status, 0) + 1
                if before and before[0] in SATISFIED_STATES and status == NOT_SATISFIED:
                    self.regressions.append(
                        Regression(
                            scope, key[0], key[1], before[0], before[1], rec.seq, rec.recorded_at
                        )
                    )
            last[key] = (status, rec.seq)

    def _waivers(self, rec: Record, digest: ReportDigest, scope: str | None) -> None:
        for w in digest.waivers:
            key = (scope, str(w.get("id")))
            use = self.waivers.get(key)
            if use is None:
                use = self.waivers[key] = WaiverUse(scope, w, rec.seq, rec.seq)
            use.waiver, use.last_run = w, rec.seq
            use.states.add(str(w.get("state")))
            waived = int(w.get("waived") or 0)
            if waived:
                use.runs_waiving += 1
                use.waived_max = max(use.waived_max, waived)

    def add_decision(self, rec: Record) -> None:
        counts = self.decisions.setdefault(rec.scope, DecisionCounts())
        counts.total += 1
        m = rec.meta
        if m.get("allowed") is False:
            counts.denied += 1
            if len(counts.denials) < MAX_LISTED_DECISIONS:
                counts.denials.append(
                    {
                        "seq": rec.seq,
                        "recorded_at": rec.recorded_at,
                        **{
                            k: m[k]
                            for k in ("operation", "kind", "namespace", "name", "tier", "uid")
                            if isinstance(m.get(k), str | int)
                        },
                    }
                )
        elif m.get("allowed") is True:
            counts.allowed += 1
        if m.get("warnings"):
            counts.warned += 1

    def add_evidence(self, ev: Evidence, path: str) -> None:
        self.evidence.append(ev)
        self.evidence_paths[ev.seq] = path

    def build(self, catalog_controls: Iterable[ControlMeta] = ()) -> Period:
        """The period. `catalog_controls` fill in the manual and partial controls of the
        selected frameworks when no run of the period reported on them."""
        for key, c in self.control_src.items():
            self.controls[key] = ControlMeta(
                c.framework, c.control, c.title, c.evidence_kind, c.manual_evidence_required,
                c.evidence_to_attach,
            )  # fmt: skip
        for meta in catalog_controls:
            key = (meta.framework, meta.control)
            needs_documents = meta.evidence_kind in ("manual", "partial")
            if (
                self.wants_framework(meta.framework)
                and key not in self.controls
                and (needs_documents or meta.manual_evidence_required)
            ):
                self.controls[key] = meta
        manual = manual_evidence_section(self._report_view(), self.evidence)
        for c in manual["controls"]:
            for e in c["evidence"]:
                e["bundle_path"] = self.evidence_paths.get(e["record"])
        drift = {scope: t.entries() for scope, t in self.timelines.items() if t.runs}
        return Period(
            name=self.name,
            since=self.since,
            until=self.until,
            scopes_filter=self.scopes_filter,
            frameworks_filter=self.frameworks_filter,
            runs=sorted(self.runs, key=lambda r: r.seq),
            controls=self.controls,
            by_scope=self.by_scope,
            regressions=self.regressions,
            drift=drift,
            baselines=self.baselines,
            waivers=sorted(
                self.waivers.values(),
                key=lambda w: (w.scope is not None, w.scope or "", str(w.waiver.get("id"))),
            ),
            decisions=self.decisions,
            manual_evidence=manual,
            evidence_paths=self.evidence_paths,
            warning_days=self.warning_days,
        )

    def _report_view(self) -> dict[str, Any]:
        """The controls as manual_evidence_section reads a report's, as of the period's end."""
        frameworks: dict[str, list[dict[str, Any]]] = {}
        for meta in self.controls.values():
            frameworks.setdefault(meta.framework, []).append(
                {
                    "id": meta.control,
                    "evidence": meta.evidence_kind,
                    "manual_evidence_required": meta.manual_evidence_required
                    or meta.evidence_kind in ("manual", "partial"),
                    "evidence_to_attach": list(meta.evidence_to_attach),
                }
            )
        return {
            "run": {"as_of": last_moment(self.until)},
            "frameworks": [{"id": fw, "controls": cs} for fw, cs in sorted(frameworks.items())],
        }
