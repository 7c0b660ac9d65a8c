"""Read-only views of a built report that several renderers share.

Renderers present the report; they never recompute a status or a verdict. These helpers only
regroup what the report already says (failures once across controls, the scope notes of every
selected framework, labels), so every format tells the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import quote

from checker.report.model import (
    ControlResult,
    Finding,
    Report,
    ResourceEntry,
    ResourceRef,
    WaiverEntry,
)

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}

# Control statuses in words, for people (the report's status values are in checker.controls).
STATUS_LABEL = {
    "not-satisfied": "Not satisfied",
    "satisfied-with-waivers": "Satisfied with waivers",
    "satisfied": "Satisfied",
    "passed-manual-pending": "Checks passed, manual evidence pending",
    "not-applicable": "Not applicable",
    "manual": "Manual evidence required",
}
# What each status means, in one sentence (legends, notes, skip reasons).
STATUS_MEANING = {
    "not-satisfied": "a mapped check failed at least one subject",
    "satisfied-with-waivers": "automated control: examined, no failure left, a waiver in force "
    "covered at least one",
    "satisfied": "automated control: its checks examined at least one subject and none failed",
    "passed-manual-pending": "partial control: its automated checks passed, but the control "
    "also needs manual evidence, so it is not satisfied until that evidence is attached",
    "not-applicable": "the mapped checks examined nothing in scope; never counted as satisfied",
    "manual": "no automated evidence (a manual control, or all its checks disabled): attach "
    "the evidence",
}


@dataclass
class Listed:
    """One failure (or waived failure), with every control of the selected frameworks it affects."""

    failure: Finding
    controls: list[tuple[str, str]] = field(default_factory=list)  # (framework id, control id)

    @property
    def key(self) -> tuple:
        return self.failure.order_key


def findings(report: Report, which: str = "failures") -> list[Listed]:
    """Every failure ("failures") or waived failure ("waived") once, in file/line order, with
    the controls of the selected frameworks that refer to it."""
    status = "waived" if which == "waived" else "failed"
    out = {f.id: Listed(f) for f in report.findings if f.status == status}
    for fw in report.frameworks:
        for c in fw.controls:
            for fid in getattr(c, which):
                out[fid].controls.append((fw.id, c.id))
    return list(out.values())  # report.findings is already in file/line order


def lapsed(f: Finding) -> bool:
    """A failure only an expired waiver selects: it fails the run whatever its severity."""
    return f.status == "failed" and f.waiver is not None and f.waiver.state == "expired"


def attention_rank(f: Finding) -> int:
    """How urgently a reader needs a finding: its severity rank, except that a failure only an
    expired waiver covers ranks with the critical ones (it fails the run at any --fail-on)."""
    return SEVERITY_RANK["critical"] if lapsed(f) else SEVERITY_RANK[f.severity]


def severity_first(items: list[Listed]) -> list[Listed]:
    """Most severe first (lapsed waivers with the critical ones, first among them), then file and
    line: the order for every place that is short of space (PR comments, CI annotations)."""
    return sorted(items, key=lambda i: (-attention_rank(i.failure), not lapsed(i.failure), i.key))


def severity_counts(items: list[Listed]) -> str:
    """'3 critical, 1 with an expired waiver, 12 high' — what a cut list left out."""
    counts = {s: 0 for s in sorted(SEVERITY_RANK, key=SEVERITY_RANK.get, reverse=True)}
    expired = 0
    for i in items:
        if lapsed(i.failure):
            expired += 1
        else:
            counts[i.failure.severity] += 1
    parts = [f"{expired} with an expired waiver"] if expired else []
    parts += [f"{n} {s}" for s, n in counts.items() if n]
    return ", ".join(parts)


def finding_index(report: Report) -> dict[str, Finding]:
    """Finding id → finding, to resolve the ids a control lists."""
    return report.finding_index()


def control_findings(
    c: ControlResult, index: dict[str, Finding], which: str = "failures"
) -> list[Finding]:
    """The failures ("failures") or waived failures ("waived") of one control, resolved."""
    return [index[fid] for fid in getattr(c, which)]


def scope_notes(report: Report) -> list[str]:
    """The report's general notes, then the selected frameworks' caveats (Part 11, 524B, ...).

    A caveat that several catalogs share is listed once, prefixed with the frameworks it comes
    from, or without a prefix when every selected framework has it.
    """
    notes: list[str] = list(dict.fromkeys(report.scope_notes))
    sources: dict[str, list[str]] = {}
    for fw in report.frameworks:
        for note in fw.scope_notes:
            if note not in notes:
                sources.setdefault(note, []).append(fw.id)
    everyone = len(report.frameworks)
    for note, fws in sources.items():
        notes.append(note if len(fws) == everyone and everyone > 1 else f"{', '.join(fws)}: {note}")
    return notes


def resource_label(res: ResourceRef | ResourceEntry) -> str:
    """'Deployment ns/name'; an object without a name (an audit Policy file) says so."""
    ns = f"{res.namespace}/" if res.namespace else ""
    if not res.name:
        return f"{res.kind} {ns}(unnamed)" if ns else f"{res.kind} (unnamed)"
    return f"{res.kind} {ns}{res.name}"


def location(f: Finding) -> str:
    return f.location


def finding_line(f: Finding) -> str:
    """'file:line Kind ns/name field [subject]: message' — one line per finding."""
    subject = f" [{f.subject}]" if f.subject else ""
    return f"{f.location} {resource_label(f.resource)} {f.path}{subject}: {f.message}"


def fails_gate(f: Finding, fail_on: str) -> bool:
    """Whether a finding fails the run: unwaived and at or above --fail-on, or covered only by
    an expired waiver (whatever its severity); never under --fail-on none. The same rule as the
    report's summary.gate, for renderers that mark each finding or control (JUnit, SARIF, the
    GitHub annotations) so that their errors are exactly what fails the run."""
    if f.status != "failed" or fail_on not in SEVERITY_RANK:
        return False
    if f.waiver is not None and f.waiver.state == "expired":
        return True
    return SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on]


def control_fails_gate(c: ControlResult, index: dict[str, Finding], fail_on: str) -> bool:
    return any(fails_gate(index[fid], fail_on) for fid in c.failures)


def not_satisfied_below_gate(report: Report) -> int:
    """Controls that are not satisfied although none of their failures fails the run."""
    index = report.finding_index()
    fail_on = report.summary.gate.fail_on
    return sum(
        1
        for fw in report.frameworks
        for c in fw.controls
        if c.status == "not-satisfied" and not control_fails_gate(c, index, fail_on)
    )


def gate_level(f: Finding, fail_on: str, levels: dict[str, str]) -> str:
    """A finding's level (severity → the format's level words), capped at the second level
    (warning) when it does not fail the run: an error is always a failure that fails the run."""
    level = levels[f.severity]
    if fails_gate(f, fail_on) or level != levels["critical"]:
        return level
    return levels["medium"]


def result_sentence(report: Report) -> str:
    """The run's verdict in words, with what decided it.

    The verdict is the gate's (--fail-on); when the gate passes while controls are not
    satisfied (failures below it), the sentence says both: what passed, and what did not.
    """
    summary = report.summary
    gate = summary.gate
    if summary.result == "pass":
        if summary.subjects.examined == 0:
            return (
                "PASS — but nothing was examined: no check applies to these inputs, so no "
                "control is satisfied (each is not-applicable or manual)"
            )
        if gate.fail_on == "none":
            sentence = "PASS — --fail-on none: findings are reported, never fail the run"
        else:
            sentence = f"PASS — no unwaived failure at or above severity {gate.fail_on}"
        below = not_satisfied_below_gate(report)
        if below:
            sentence += (
                f"; the gate passed, but {below} control(s) are NOT satisfied (their failures "
                "are below the gate)"
            )
        return sentence
    parts = []
    if gate.failing:
        parts.append(f"{gate.failing} unwaived failure(s) at or above severity {gate.fail_on}")
    if gate.lapsed_waivers:
        parts.append(f"{gate.lapsed_waivers} failure(s) covered only by an expired waiver")
    return "FAIL — " + "; ".join(parts)


def waiver_notes(report: Report) -> list[tuple[str, WaiverEntry, str]]:
    """(level, waiver, text) for every waiver worth a reader's attention: expired, pending,
    unused or expiring soon. level is error | warning | notice."""
    out = []
    for w in report.waivers:
        if w.state == "expired":
            what = (
                f"expired since {w.expired_since} and no longer covers its {w.matched} failure(s)"
                if w.matched
                else f"expired since {w.expired_since} (it selects no failure any more)"
            )
            out.append(("error" if w.matched else "warning", w, f"waiver {w.id} {what}"))
        elif w.state == "pending":
            out.append(("warning", w, f"waiver {w.id} is approved from {w.approved}; not in force"))
        elif w.unused:
            out.append(("notice", w, f"waiver {w.id} is unused: it selects no failure"))
        if w.state == "active" and w.expiring:
            out.append(
                ("warning", w, f"waiver {w.id} expires on {w.expires} ({w.days_left} day(s) left)")
            )
    return out


def coverage_warnings(report: Report) -> list[str]:
    """What a user most likely did not mean: a custom catalog the framework selection leaves out,
    a check (not disabled) that no control of any catalog cites."""
    out = []
    custom = [
        f"{f.framework} ({f.file})"
        for f in report.run.frameworks_not_selected
        if f.origin == "custom"
    ]
    if custom:
        out.append(
            f"custom catalog(s) loaded but not reported, excluded by the framework selection: "
            f"{', '.join(custom)}; add them to --framework or the config's frameworks"
        )
    orphans = [
        c.id
        for c in report.checks
        if c.controls_cited_by is not None and c.controls_cited_by.loaded == 0 and not c.disabled
    ]
    if orphans:
        out.append(
            f"check(s) that no control cites: {', '.join(orphans)}; their results reach no "
            "control and cannot fail the run (map them in a catalog, or disable them)"
        )
    return out


SELECTOR_ORDER = ("kind", "namespace", "name", "file")


def waiver_selector(w: WaiverEntry) -> str:
    """'CHECK on kind=…, namespace=…, name=…': the selector's keys in one fixed order, however
    the waiver file or a report's JSON ordered them."""
    order = {k: i for i, k in enumerate(SELECTOR_ORDER)}
    keys = sorted(w.resource, key=lambda k: (order.get(k, len(order)), k))
    sel = ", ".join(f"{k}={w.resource[k]}" for k in keys)
    subject = f", subject={w.subject}" if w.subject else ""
    return f"{w.check} on {sel}{subject}"


def path_uri(path: str) -> str:
    """A URI reference for a reported path: relative paths stay relative (as code-scanning tools
    expect), absolute ones become file URIs, anything else (e.g. <stdin>) is percent-encoded."""
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return "file://" + quote(posix)
    return quote(str(PurePosixPath(posix)) if posix else posix)


def inputs_phrase(report: Report) -> str:
    """What the run read: "12 file(s)", or for an audit the objects listed from its cluster."""
    run = report.run
    if run.cluster is None:
        return f"{len(run.inputs)} file(s)"
    listed = sum(k.objects for k in run.cluster.kinds)
    files = len(run.inputs) - listed
    text = f"{listed} object(s) listed from cluster {run.cluster.name}"
    return text + (f" and {files} file(s)" if files > 0 else "")


def cluster_description(report: Report) -> str | None:
    """An audit's cluster in one line (None for a scan of files)."""
    c = report.run.cluster
    if c is None:
        return None
    uid = f", kube-system uid {c.kube_system_uid}" if c.kube_system_uid else ""
    only = f"; namespace {c.namespace} only" if c.namespace else ""
    absent = [k.kind for k in c.kinds if k.status == "not-served"]
    served = f"; not served there: {', '.join(absent)}" if absent else ""
    return f"{c.name} at {c.server}{uid}{only}{served}"
