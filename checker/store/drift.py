"""Drift between periods, by finding identity: what appeared, what was resolved, what came back.

Findings are compared by their fingerprint (checker/identity.py: check, the resource's own
identity, field path and subject), never by message or file. Runs are compared only with runs
of the same scope (the repository or cluster a run looked at), in chain order. For a period
[since, until) and one scope, each finding seen in the period's runs or open at its start gets
one state:

- `new`: open at the end of the period, never seen in any earlier run of the scope;
- `still-open`: open when the period began (in the last run before it) and in every run of it;
- `regressed`: open at the end, seen before, but absent at some point since (in the last run
  before the period, or in a run within it): it had been resolved and came back;
- `resolved`: absent from the period's last run, though open at its start or seen during it.

`classify` is the pure rule; `drift` reads the runs and the findings index from a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from checker.store.schema import findings as findings_t
from checker.store.schema import records
from checker.store.store import INDEX_COLUMNS

if TYPE_CHECKING:
    from checker.store.store import Store

NEW, STILL_OPEN, REGRESSED, RESOLVED = "new", "still-open", "regressed", "resolved"
STATES = (NEW, REGRESSED, STILL_OPEN, RESOLVED)
REPORT_KINDS = ("run", "audit")  # records that hold a report with findings


@dataclass(frozen=True)
class RunFindings:
    """One run of a scope: its record and the findings its report listed (fingerprint → entry
    of the findings index)."""

    seq: int
    recorded_at: str
    findings: Mapping[str, Mapping[str, Any] | tuple[str, ...]]  # tuples: INDEX_COLUMNS order


@dataclass(frozen=True)
class DriftEntry:
    fingerprint: str
    finding_id: str
    check: str
    severity: str
    resource: str
    state: str
    status: str  # failed | waived: as last seen
    first_seen: tuple[int, str]  # (seq, recorded_at) of the first run that listed it, ever
    last_seen: tuple[int, str]
    open_at_start: bool
    open_at_end: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "id": self.finding_id,
            "check": self.check,
            "severity": self.severity,
            "resource": self.resource,
            "state": self.state,
            "status": self.status,
            "first_seen": {"seq": self.first_seen[0], "recorded_at": self.first_seen[1]},
            "last_seen": {"seq": self.last_seen[0], "recorded_at": self.last_seen[1]},
            "open_at_start": self.open_at_start,
            "open_at_end": self.open_at_end,
        }


@dataclass
class Drift:
    scope: str | None
    since: str
    until: str
    baseline: int | None  # the last run of the scope before the period
    runs: list[int] = field(default_factory=list)  # the scope's runs in the period
    entries: list[DriftEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for e in self.entries if e.state == s) for s in STATES}

    def by_state(self, state: str) -> list[DriftEntry]:
        return [e for e in self.entries if e.state == state]

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "since": self.since,
            "until": self.until,
            "baseline": self.baseline,
            "runs": self.runs,
            "counts": self.counts(),
            "findings": [e.to_json() for e in self.entries],
        }


class Timeline:
    """The drift rule for one scope, fed run by run in chain order: the runs before the period
    (`add(..., before=True)`, or their summary through `seen`) and then the period's runs.
    Memory grows with the distinct findings, not with the runs, so an export can stream a
    quarter of reports through it. `entries()` gives each finding's state (module doc)."""

    def __init__(self) -> None:
        # fingerprint → (seq, recorded_at) of the first run that listed it, ever
        self.first: dict[str, tuple[int, str]] = {}
        # fingerprint → (seq, recorded_at, entry) of the last run that listed it
        self.last: dict[str, tuple[int, str, Any]] = {}
        self.seen_before: set[str] = set()
        self.at_start: set[str] = set()
        self.at_end: set[str] = set()
        self.in_period: dict[str, int] = {}  # fingerprint → how many of the period's runs
        self.runs = 0  # the period's runs

    def seen(self, fingerprint: str, first: tuple[int, str]) -> None:
        """A finding listed by some run before the period, first by the run `first` names
        (the history in summary, when the runs themselves are not read one by one)."""
        self.first[fingerprint] = min(first, self.first.get(fingerprint, first))
        self.seen_before.add(fingerprint)

    def add(self, run: RunFindings, *, before: bool = False) -> None:
        for fp, entry in run.findings.items():
            if fp not in self.first or (run.seq, run.recorded_at) < self.first[fp]:
                self.first[fp] = (run.seq, run.recorded_at)
            self.last[fp] = (run.seq, run.recorded_at, entry)
        if before:
            self.seen_before.update(run.findings)
            self.at_start = set(run.findings)
            return
        for fp in run.findings:
            self.in_period[fp] = self.in_period.get(fp, 0) + 1
        self.at_end = set(run.findings)
        self.runs += 1

    def entries(self) -> list[DriftEntry]:
        if not self.runs:
            return []
        out = []
        for fp in sorted(self.in_period.keys() | self.at_start):
            if fp not in self.at_end:
                state = RESOLVED
            elif fp not in self.seen_before:
                state = NEW
            elif fp in self.at_start and self.in_period.get(fp) == self.runs:
                state = STILL_OPEN
            else:
                state = REGRESSED
            seq, when, entry = self.last[fp]
            if isinstance(entry, tuple):  # an index entry as a tuple, in INDEX_COLUMNS order
                entry = dict(zip(INDEX_COLUMNS, entry, strict=True))
            out.append(
                DriftEntry(
                    fingerprint=fp,
                    finding_id=entry["finding_id"],
                    check=entry["check_id"],
                    severity=entry["severity"],
                    resource=entry["resource"],
                    state=state,
                    status=entry["status"],
                    first_seen=self.first[fp],
                    last_seen=(seq, when),
                    open_at_start=fp in self.at_start,
                    open_at_end=fp in self.at_end,
                )
            )
        order = {s: i for i, s in enumerate(STATES)}
        out.sort(key=lambda e: (order[e.state], e.check, e.resource, e.fingerprint))
        return out


def classify(before: list[RunFindings], during: list[RunFindings]) -> list[DriftEntry]:
    """The drift of one scope: `before` are its runs before the period, `during` those in it,
    both in chain order. Pure."""
    timeline = Timeline()
    for run in before:
        timeline.add(run, before=True)
    for run in during:
        timeline.add(run)
    return timeline.entries()


def drift(
    store: Store,
    since: str,
    until: str,
    *,
    scope: str | None = None,
    kinds: Iterable[str] = REPORT_KINDS,
) -> list[Drift]:
    """Drift in [since, until) for each scope with runs in the period (or just `scope`), from
    the store's findings index. Scopes are sorted; runs without a scope form their own."""
    kinds = list(kinds)
    scopes: list[str | None]
    if scope is not None:
        scopes = [scope]
    else:
        with store.snapshot() as conn:
            scopes = sorted(
                set(
                    conn.execute(
                        sa.select(records.c.scope)
                        .where(records.c.kind.in_(kinds))
                        .where(records.c.recorded_at >= since, records.c.recorded_at < until)
                        .distinct()
                    ).scalars()
                ),
                key=lambda s: (s is not None, s or ""),
            )
    return [_one(store, since, until, s, kinds) for s in scopes]


def _one(store: Store, since: str, until: str, scope: str | None, kinds: list[str]) -> Drift:
    same_scope = records.c.scope.is_(None) if scope is None else records.c.scope == scope
    runs_q = (
        sa.select(records.c.seq, records.c.recorded_at)
        .where(records.c.kind.in_(kinds), same_scope, records.c.recorded_at < until)
        .order_by(records.c.seq)
    )
    rows_q = (
        sa.select(findings_t)
        .join(records, records.c.seq == findings_t.c.seq)
        .where(records.c.kind.in_(kinds), same_scope, records.c.recorded_at < until)
    )
    with store.snapshot() as conn:  # runs and their findings as of one moment
        runs = conn.execute(runs_q).all()
        found: dict[int, dict[str, dict[str, Any]]] = {r.seq: {} for r in runs}
        for row in conn.execute(rows_q).mappings():
            entry = dict(row)
            found[entry.pop("seq")][entry["fingerprint"]] = entry
    timeline = [RunFindings(r.seq, r.recorded_at, found[r.seq]) for r in runs]
    before = [r for r in timeline if r.recorded_at < since]
    during = [r for r in timeline if r.recorded_at >= since]
    return Drift(
        scope=scope,
        since=since,
        until=until,
        baseline=before[-1].seq if before else None,
        runs=[r.seq for r in during],
        entries=classify(before, during),
    )
