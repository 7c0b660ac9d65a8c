"""Markdown rendering for a pull-request comment: the verdict and status counts first, details
folded in <details>, and a bounded length (GitHub refuses comments over 65,536 characters).

Failures are listed most severe first (failures only an expired waiver covered with the critical
ones), so a cut list keeps what matters. When the details do not fit, rows are cut from the end
of a section and the comment says how many, of which severities, and where the full evidence
is; the verdict, the counts and the scope notes are never cut (so the limit must leave room for
them: a few thousand characters for every catalog).
Every piece of input text is escaped, so a resource name cannot inject markup or break a table.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from checker.report.model import Report
from checker.report.views import (
    findings,
    not_satisfied_below_gate,
    resource_label,
    result_sentence,
    scope_notes,
    severity_counts,
    severity_first,
    waiver_notes,
    waiver_selector,
)

DEFAULT_MAX_CHARS = 60_000
OMITTED_RESERVE = 400  # room for the line naming the sections left out
CUT_DETAIL_RESERVE = 100  # room for the severities of the rows a cut left out
MAX_WAIVER_NOTES = 10  # waiver problems listed in the summary; the Waivers section has all
STATUS_ICON = {
    "not-satisfied": "❌",
    "satisfied-with-waivers": "☑️",
    "satisfied": "✅",
    "passed-manual-pending": "⏳",
    "not-applicable": "➖",
    "manual": "📝",
}
_ENTITIES = {"|": "&#124;", "*": "&#42;", "_": "&#95;", "`": "&#96;", "[": "&#91;", "]": "&#93;"}


def _text(value: Any) -> str:
    """Literal text inside Markdown (and table cells): HTML-escaped, Markdown-inert, one line."""
    out = html.escape(" ".join(str(value).split()), quote=False)
    return "".join(_ENTITIES.get(ch, ch) for ch in out)


def _code(value: Any) -> str:
    return "<code>" + html.escape(str(value), quote=False).replace("|", "&#124;") + "</code>"


def render_markdown(report: Report, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    head = _head(report)
    notes = _notes(report)
    budget = max_chars - len(head) - len(notes) - OMITTED_RESERVE
    sections: dict[str, str] = {}
    omitted: list[str] = []
    builders: list[tuple[str, Callable[[Report, int, list[str]], str]]] = [
        ("failures", _failures),
        ("waivers", _waivers),
        ("controls", _controls),
        ("run", _run),
    ]
    for name, build in builders:
        text = build(report, budget, omitted)
        sections[name] = text
        budget -= len(text)
    body = "".join(sections[name] for name in ("failures", "controls", "waivers", "run"))
    if omitted:
        names = ", ".join(omitted)
        if len(names) > OMITTED_RESERVE - 120:
            names = names[: OMITTED_RESERVE - 121] + "…"
        body += (
            f"_Not shown to keep this comment short: {names}; the HTML or JSON report has "
            "them._\n\n"
        )
    return head + body + notes


def _head(report: Report) -> str:
    summary = report.summary
    run = report.run
    icon = "❌" if summary.result == "fail" else "✅"
    if icon == "✅" and not_satisfied_below_gate(report):
        icon = "⚠️"  # the gate passed, yet controls are not satisfied
    subj = summary.subjects
    res = summary.resources
    lines = [
        f"### {icon} dxguard compliance evidence: {_text(result_sentence(report))}",
        "",
        f"As of {_text(run.as_of)} · {res.examined} of {res.loaded} resource(s) "
        f"examined · subjects: {subj.examined} examined, {subj.passed} passed, "
        f"{subj.failed} failed, {subj.waived} waived",
        "",
        "| Framework | ❌ not satisfied | ☑️ with waivers | ✅ satisfied "
        "| ⏳ checks passed, manual evidence pending | ➖ not applicable | 📝 manual |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for fw in report.frameworks:
        s = fw.summary
        lines.append(
            f"| {_text(fw.title)} (<code>{_text(fw.id)}</code>) | {s['not-satisfied']} | "
            f"{s['satisfied-with-waivers']} | {s['satisfied']} | {s['passed-manual-pending']} | "
            f"{s['not-applicable']} | {s['manual']} |"
        )
    w = summary.waivers
    if w.total:
        warning_days = run.waivers.expiry_warning_days if run.waivers else 0
        lines += [
            "",
            f"**Waivers:** {w.active} in force ({subj.waived} failure(s) waived), "
            f"{w.expired} expired, {w.pending} pending approval, {w.unused} unused, "
            f"{w.expiring} expiring within {warning_days} day(s)",
        ]
        notes = waiver_notes(report)
        for level, _, text in notes[:MAX_WAIVER_NOTES]:
            mark = {"error": "❌", "warning": "⚠️", "notice": "ℹ️"}[level]
            lines.append(f"- {mark} {_text(text)}")
        if len(notes) > MAX_WAIVER_NOTES:
            lines.append(f"- … and {len(notes) - MAX_WAIVER_NOTES} more (see Waivers below)")
    return "\n".join(lines) + "\n\n"


def _notes(report: Report) -> str:
    lines = ["> **Scope.** " + _text(n) for n in scope_notes(report)]
    return "\n>\n".join(lines) + "\n"


def _folded(
    summary: str,
    header: list[str],
    rows: list[str],
    budget: int,
    what: str,
    omitted: list[str],
    describe_cut: Callable[[int], str] | None = None,
) -> str:
    """A <details> block with as many rows as fit in budget; says how many were cut (and, with
    describe_cut(rows shown), which). A block that does not fit at all is left out and named in
    `omitted`."""
    start = f"<details><summary>{summary}</summary>\n\n" + "\n".join(header) + "\n"
    end = "\n</details>\n\n"
    cut_note = (
        "\n_… {n} more {what}{detail} cut to keep this comment short; "
        "the HTML or JSON report has all of them._\n"
    )
    reserve = len(end) + len(cut_note) + 20 + (CUT_DETAIL_RESERVE if describe_cut else 0)
    if len(start) + reserve > budget:
        omitted.append(summary)
        return ""
    out = [start]
    used = len(start)
    shown = 0
    for row in rows:
        if used + len(row) + 1 + reserve > budget:
            break
        out.append(row + "\n")
        used += len(row) + 1
        shown += 1
    if shown < len(rows):
        detail = f" ({describe_cut(shown)})" if describe_cut else ""
        out.append(cut_note.format(n=len(rows) - shown, what=what, detail=detail))
    out.append(end)
    return "".join(out)


def _failures(report: Report, budget: int, omitted: list[str]) -> str:
    items = severity_first(findings(report, "failures"))
    if not items:
        return ""
    rows = []
    for item in items:
        f = item.failure
        subject = f" ({_text(f.subject)})" if f.subject else ""
        waiver = ""
        if f.waiver is not None and f.waiver.state == "expired":
            waiver = f" — waiver {_text(f.waiver.id)} expired since {f.waiver.expired_since}"
        rows.append(
            f"| {_code(f.location)} | {_text(f.check)} "
            f"({f.severity}) | {_text(resource_label(f.resource))}{subject} | "
            f"{_code(f.path)} | {_text(f.message)}{waiver} |"
        )
    header = ["| Location | Check | Resource | Field | What to fix |", "|---|---|---|---|---|"]
    counts = severity_counts(items)
    return _folded(
        f"❌ Failures ({len(items)}: {counts}), most severe first",
        header,
        rows,
        budget,
        "failures",
        omitted,
        lambda shown: severity_counts(items[shown:]),
    )


def _controls(report: Report, budget: int, omitted: list[str]) -> str:
    out = []
    for fw in report.frameworks:
        rows = [
            f"| {_text(c.id)} | {STATUS_ICON[c.status]} {c.status} | "
            f"{c.subjects.examined} | {c.subjects.failed} | "
            f"{c.subjects.waived} | {c.evidence} |"
            for c in fw.controls
        ]
        header = [
            "| Control | Status | Examined | Failed | Waived | Evidence |",
            "|---|---|---:|---:|---:|---|",
        ]
        left = budget - sum(map(len, out))
        block = _folded(f"{_text(fw.id)} controls", header, rows, left, "controls", omitted)
        out.append(block)
    return "".join(out)


def _waivers(report: Report, budget: int, omitted: list[str]) -> str:
    if not report.waivers:
        return ""
    rows = []
    for w in report.waivers:
        state = w.state + (" (unused)" if w.unused else "")
        if w.state == "expired":
            state += f", since {w.expired_since}"
        elif w.expiring:
            state += f", {w.days_left} day(s) left"
        rows.append(
            f"| {_text(w.id)} | {_text(waiver_selector(w))} | {_text(state)} | "
            f"{w.waived} | {_text(w.justification)} | {_text(w.approver)}, "
            f"{w.approved} | {_text(w.ticket)} | {w.expires} |"
        )
    header = [
        "| Waiver | Covers | State | Waived | Justification | Approved | Ticket | Expires |",
        "|---|---|---|---:|---|---|---|---|",
    ]
    return _folded(f"Waivers ({len(rows)})", header, rows, budget, "waivers", omitted)


def _run(report: Report, budget: int, omitted: list[str]) -> str:
    run = report.run
    rows = [
        f"| dxguard | {_text(run.dxguard_version)} |",
        f"| OPA | {_text(run.opa_version)} |",
        f"| Policy bundle | {_code('sha256:' + run.bundle.sha256)} |",
        f"| Config | {_code('sha256:' + run.config.sha256)} |",
        f"| Fail on | {_text(run.fail_on)} |",
    ]
    if run.waivers is not None:
        rows.append(
            f"| Waivers | {_code(run.waivers.file)} {_code('sha256:' + run.waivers.sha256)} |"
        )
    if run.ci:
        rows.append(f"| Commit | {_code(run.ci['commit'])} |")
    rows += [f"| Input | {_code(i.path)} {_code('sha256:' + i.sha256)} |" for i in run.inputs]
    return _folded("Run metadata", ["| | |", "|---|---|"], rows, budget, "rows", omitted)
