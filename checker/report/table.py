"""Terminal rendering of the evidence report, readable on an 80-column terminal.

Per framework: a line of status counts and a table of controls. Then every failure once, grouped
by check, with file:line, resource, field and the fix, and the controls it affects.
"""

from __future__ import annotations

import io
from collections import defaultdict

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from checker.report.model import Finding, FrameworkResult, Report
from checker.report.views import (
    cluster_description,
    control_findings,
    finding_index,
    findings,
    inputs_phrase,
    not_satisfied_below_gate,
    resource_label,
    result_sentence,
    scope_notes,
    waiver_notes,
)

STATUS_STYLE = {
    "not-satisfied": ("✗", "bold red"),
    "satisfied-with-waivers": ("~", "yellow"),
    "satisfied": ("✓", "green"),
    "passed-manual-pending": ("◐", "blue"),
    "not-applicable": ("–", "dim"),
    "manual": ("?", "cyan"),
}


def render_table(report: Report, *, width: int = 80, color: bool = False) -> str:
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    _header(console, report)
    for fw in report.frameworks:
        _framework(console, fw)
    _failures(console, report)
    _waived(console, report)
    _footer(console, report)
    return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())


def _say(console: Console, text: str, indent: int = 0, style: str = "") -> None:
    """A paragraph whose wrapped lines keep the indent of its first line."""
    console.print(
        Padding(Text(text, style=style, overflow="fold"), (0, 0, 0, indent), expand=False)
    )


def _header(console: Console, report: Report) -> None:
    run = report.run
    summary = report.summary
    res = summary.resources
    _say(console, "dxguard — control-by-control evidence report", style="bold")
    _say(
        console,
        f"as of {run.as_of} · dxguard {run.dxguard_version} · OPA {run.opa_version} · "
        f"bundle sha256:{run.bundle.sha256[:12]}",
    )
    cluster = cluster_description(report)
    if cluster is not None:
        _say(console, f"cluster: {cluster}")
    line = (
        f"inputs: {inputs_phrase(report)}, {res.loaded} resource(s) "
        f"({res.examined} examined, {res.not_examined} not examined)"
    )
    if summary.skipped_inputs:
        line += f", {summary.skipped_inputs} input(s) skipped"
    _say(console, line)
    subj = summary.subjects
    _say(
        console,
        f"subjects: {subj.examined} examined, {subj.passed} passed, {subj.failed} "
        f"failed, {subj.waived} waived",
    )


def _framework(console: Console, fw: FrameworkResult) -> None:
    console.print()
    _say(console, f"{fw.title} [{fw.id}]", style="bold")
    counts = " · ".join(f"{n} {s}" for s, n in fw.summary.items() if n)
    _say(console, counts)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True)
    table.add_column("Control", ratio=1, overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Subjects", no_wrap=True, justify="right")
    table.add_column("Failed", no_wrap=True, justify="right")
    table.add_column("Evidence", no_wrap=True)
    for c in fw.controls:
        mark, style = STATUS_STYLE[c.status]
        manual = c.evidence == "manual"
        table.add_row(
            c.id,
            Text(f"{mark} {c.status}", style=style),
            "" if manual else str(c.subjects.examined),
            "" if manual else str(c.subjects.failed),
            c.evidence,
        )
    console.print(table)


def _failures(console: Console, report: Report) -> None:
    controls_of: dict[str, list[str]] = defaultdict(list)
    failures: dict[str, dict[str, Finding]] = {}
    index = finding_index(report)
    for fw in report.frameworks:
        for c in fw.controls:
            for f in control_findings(c, index):
                failures.setdefault(f.check, {})[f.id] = f
            for chk in c.checks:
                if chk.failed:
                    controls_of[chk.id].append(c.id)
    if not failures:
        return
    checks = {c.id: c for c in report.checks}
    total = sum(len(v) for v in failures.values())
    console.print()
    _say(console, f"Failures ({total})", style="bold red")
    for cid in sorted(failures):
        meta = checks[cid]
        console.print()
        _say(console, f"{cid} {meta.title} [{meta.severity}]", style="bold")
        _say(console, f"affects: {', '.join(dict.fromkeys(controls_of[cid]))}", 2, "dim")
        rows = sorted(failures[cid].values(), key=lambda f: (f.file, f.line, f.path))
        for f in rows:
            _say(console, f"{f.location}  {resource_label(f.resource)}", 2)
            subject = f"  [{f.subject}]" if f.subject else ""
            _say(console, f.path + subject, 4, "dim")
            _say(console, f.message, 4)
            waiver = f.waiver
            if waiver and waiver.state == "expired":
                _say(console, f"waiver {waiver.id} expired since {waiver.expired_since}", 4)
            elif waiver:
                _say(console, f"waiver {waiver.id} not in force before {waiver.approved}", 4)
        _say(console, f"fix: {meta.remediation}", 2, "italic")


def _waived(console: Console, report: Report) -> None:
    items = findings(report, "waived")
    if items:
        console.print()
        _say(console, f"Waived failures ({len(items)})", style="bold yellow")
    for item in items:
        f = item.failure
        subject = f" [{f.subject}]" if f.subject else ""
        _say(console, f"{f.location}  {resource_label(f.resource)}{subject}", 2)
        waiver = f"waived by {f.waiver.id} until {f.waiver.expires}" if f.waiver else "waived"
        _say(console, f"{f.check} {waiver}", 4, "dim")
    notes = waiver_notes(report)
    if notes:
        console.print()
        _say(console, "Waivers needing attention", style="bold yellow")
    for level, _, text in notes:
        style = {"error": "bold red", "warning": "yellow", "notice": "dim"}[level]
        _say(console, text, 2, style)


def _footer(console: Console, report: Report) -> None:
    console.print()
    res = report.summary.resources
    if res.not_examined:
        kinds = ", ".join(f"{k}×{n}" for k, n in res.not_examined_kinds.items())
        _say(console, f"not examined (no check applies): {kinds}")
    for s in report.skipped[:10]:
        where = s.file + (f":{s.line}" if s.line is not None else "")
        _say(console, f"skipped {where}: {s.reason}")
    if len(report.skipped) > 10:
        _say(console, f"… and {len(report.skipped) - 10} more skipped (see the JSON report)")
    if report.manual_evidence is not None:
        n = report.manual_evidence.summary
        _say(
            console,
            f"manual evidence in the store: {n.attached} of {n.controls} control(s) that need "
            f"documents have them, {n.missing} still lack them (dxguard evidence status)",
        )
    for d in report.run.disabled_checks:
        _say(console, f"disabled by the config (not evaluated): {d.id} — {d.reason}")
    out_of_scope = [d.id for d in report.run.out_of_scope_checks]
    if out_of_scope:
        _say(
            console,
            f"out of scope for this repository (scope: application, not evaluated): "
            f"{', '.join(out_of_scope)}",
        )
    custom = report.run.custom_policies
    custom_catalogs = [c for c in report.run.catalogs if c.origin == "custom"]
    if custom or custom_catalogs:
        _say(
            console,
            f"custom: {len(custom)} policy file(s), {len(custom_catalogs)} catalog file(s) "
            "(listed with their digests in the JSON report)",
        )
    for note in scope_notes(report):
        _say(console, f"Note: {note}", style="dim")
    style = "bold red" if report.summary.result == "fail" else "bold green"
    if style == "bold green" and not_satisfied_below_gate(report):
        style = "bold yellow"  # the gate passed, yet controls are not satisfied
    _say(console, f"Result: {result_sentence(report)}", style=style)
