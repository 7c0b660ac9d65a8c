"""GitHub Actions workflow-command annotations (`::error file=…,line=…::…`) for CI logs.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job), so
what comes first matters: annotations are ordered by severity — waivers that lapsed and the
failures only they covered with the critical ones, then critical, high (errors), medium
(warnings), low (notices); an error only when it fails the run, so below the --fail-on gate a
critical or high failure is a warning — and each level stops at what GitHub shows. When a level
has more, its last shown annotation says how many were left out, of which severities, and where:
every finding is still printed as a plain log line below the annotations, and is in the HTML,
JSON and SARIF reports. Then plain log lines with the result and the scope notes. Values are
escaped as the runner requires, so a message cannot inject a command of its own.
"""

from __future__ import annotations

from typing import Any

from checker.report.model import Report
from checker.report.views import (
    STATUS_MEANING,
    Listed,
    finding_line,
    findings,
    gate_level,
    lapsed,
    resource_label,
    result_sentence,
    scope_notes,
    severity_counts,
    severity_first,
    waiver_notes,
)

COMMAND = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}
LEVELS = ("error", "warning", "notice")
ANNOTATIONS_PER_LEVEL = 10  # GitHub shows 10 annotations of each level per step


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **props: Any) -> str:
    args = ",".join(f"{k}={_prop(str(v))}" for k, v in props.items() if v is not None)
    return f"::{kind} {args}::{_data(message)}" if args else f"::{kind}::{_data(message)}"


def render_github(report: Report, *, per_level: int = ANNOTATIONS_PER_LEVEL) -> str:
    """per_level: annotations of one level GitHub shows in a step (10); a level with more gets
    per_level - 1 annotations and one that names what was left out."""
    items = severity_first(findings(report, "failures"))
    fail_on = report.summary.gate.fail_on
    waiver_items = waiver_notes(report)
    # Per level, (annotation, finding or None, log line) in the order a reader needs them;
    # waiver problems lead their level.
    by_level: dict[str, list[tuple[str, Listed | None, str]]] = {lvl: [] for lvl in LEVELS}
    for level, w, text in waiver_items:
        by_level[level].append(
            (
                _command(
                    level,
                    text,
                    file=w.source.file,
                    line=w.source.line,
                    title=f"dxguard waiver {w.id}",
                ),
                None,
                f"{level} {w.source.file}:{w.source.line} {text}",
            )
        )
    for item in items:
        f = item.failure
        level = "error" if lapsed(f) else gate_level(f, fail_on, COMMAND)
        log = f"{f.severity} {f.check} {finding_line(f)}"
        by_level[level].append((_annotation(item, level), item, log))
    lines: list[str] = []
    unannotated: list[str] = []
    for level in LEVELS:
        queue = by_level[level]
        if len(queue) <= per_level:
            lines += [cmd for cmd, _, _ in queue]
            continue
        shown, rest = queue[: per_level - 1], queue[per_level - 1 :]
        lines += [cmd for cmd, _, _ in shown]
        left = [item for _, item, _ in rest if item is not None]
        waivers_left = sum(1 for _, item, _ in rest if item is None)
        what = [severity_counts(left)] if left else []
        if waivers_left:
            what.append(f"{waivers_left} waiver problem(s)")
        lines.append(
            _command(
                level,
                f"{len(rest)} more {level}-level finding(s) not annotated here ("
                + "; ".join(what)
                + f"): GitHub shows {per_level} {level} annotations per step. Every finding is "
                "listed in this step's log below, and in the HTML, JSON and SARIF reports.",
                title=f"dxguard: {len(rest)} more {level}(s) in the log",
            )
        )
        unannotated += [log for _, _, log in rest]
    if unannotated:
        lines.append(
            f"dxguard: {len(unannotated)} finding(s) without an annotation (GitHub's limit per "
            "step), most severe first:"
        )
        lines += [f"dxguard:   {log}" for log in unannotated]
    waived = findings(report, "waived")
    if waived:
        lines.append(f"dxguard: {len(waived)} failure(s) waived by waivers in force")
    for fw in report.frameworks:
        counts = ", ".join(f"{n} {s}" for s, n in fw.summary.items() if n)
        lines.append(f"dxguard: {fw.id}: {counts}")
    used = {s for fw in report.frameworks for s, n in fw.summary.items() if n}
    for status in ("passed-manual-pending", "manual", "not-applicable"):
        if status in used:
            lines.append(f"dxguard: {status}: {STATUS_MEANING[status]}")
    run = report.run
    lines.append(
        f"dxguard: as of {run.as_of} · dxguard {run.dxguard_version} · OPA "
        f"{run.opa_version} · bundle sha256:{run.bundle.sha256}"
    )
    lines.append(f"dxguard: result: {result_sentence(report)}")
    for note in scope_notes(report):
        lines.append(f"dxguard: note: {note}")
    return "\n".join(lines) + "\n"


def _annotation(item: Listed, level: str) -> str:
    f = item.failure
    subject = f" [{f.subject}]" if f.subject else ""
    message = (
        f"{f.message}\n{resource_label(f.resource)} · {f.path}{subject}\n"
        f"affects: {', '.join(f'{fw}: {c}' for fw, c in item.controls)}"
    )
    waiver = f.waiver
    if waiver and waiver.state == "expired":
        message += f"\nwaiver {waiver.id} expired since {waiver.expired_since}"
    return _command(level, message, file=f.file, line=f.line, title=f"{f.check} ({f.severity})")
