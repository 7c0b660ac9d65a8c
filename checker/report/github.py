"""GitHub Actions workflow-command annotations (`::error file=…,line=…::…`) for CI logs.

One annotation per unwaived failure at its file and line (critical/high → error, medium →
warning, low → notice; an error only when it fails the run, so below the --fail-on gate a
critical or high failure is a warning); waiver problems (expired, pending, unused, expiring)
annotate the waiver file at the waiver's line; then plain log lines with the result and the
scope notes. Values are escaped as the runner requires, so a message cannot inject a command of
its own.
"""

from __future__ import annotations

from typing import Any

from checker.report.views import (
    findings,
    gate_level,
    resource_label,
    result_sentence,
    scope_notes,
    waiver_notes,
)

COMMAND = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **props: Any) -> str:
    args = ",".join(f"{k}={_prop(str(v))}" for k, v in props.items() if v is not None)
    return f"::{kind} {args}::{_data(message)}" if args else f"::{kind}::{_data(message)}"


def render_github(report: dict[str, Any]) -> str:
    lines: list[str] = []
    fail_on = report["summary"]["gate"]["fail_on"]
    for item in findings(report, "failures"):
        f = item.failure
        subject = f" [{f['subject']}]" if f.get("subject") else ""
        message = (
            f"{f['message']}\n{resource_label(f['resource'])} · {f['path']}{subject}\n"
            f"affects: {', '.join(f'{fw}: {c}' for fw, c in item.controls)}"
        )
        waiver = f.get("waiver")
        if waiver and waiver["state"] == "expired":
            message += f"\nwaiver {waiver['id']} expired since {waiver['expired_since']}"
        lines.append(
            _command(
                gate_level(f, fail_on, COMMAND),
                message,
                file=f["file"],
                line=f["line"],
                title=f"{f['check']} ({f['severity']})",
            )
        )
    for level, w, text in waiver_notes(report):
        lines.append(
            _command(
                level,
                text,
                file=w["source"]["file"],
                line=w["source"]["line"],
                title=f"dxguard waiver {w['id']}",
            )
        )
    waived = findings(report, "waived")
    if waived:
        lines.append(f"dxguard: {len(waived)} failure(s) waived by waivers in force")
    for fw in report["frameworks"]:
        counts = ", ".join(f"{n} {s}" for s, n in fw["summary"].items() if n)
        lines.append(f"dxguard: {fw['id']}: {counts}")
    run = report["run"]
    lines.append(
        f"dxguard: as of {run['as_of']} · dxguard {run['dxguard_version']} · OPA "
        f"{run['opa_version']} · bundle sha256:{run['bundle']['sha256']}"
    )
    lines.append(f"dxguard: result: {result_sentence(report)}")
    for note in scope_notes(report):
        lines.append(f"dxguard: note: {note}")
    return "\n".join(lines) + "\n"
