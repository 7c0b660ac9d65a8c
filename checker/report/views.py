"""Read-only views of a built report that several renderers share.

Renderers present the report; they never recompute a status or a verdict. These helpers only
regroup what the report already says (failures once across controls, the scope notes of every
selected framework, labels), so every format tells the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

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
class Finding:
    """One failure (or waived failure), with every control of the selected frameworks it affects."""

    failure: dict[str, Any]
    controls: list[tuple[str, str]] = field(default_factory=list)  # (framework id, control id)

    @property
    def key(self) -> tuple:
        f = self.failure
        return (
            f["file"],
            f["line"],
            f["check"],
            f["path"],
            f["resource"]["id"],
            f.get("subject", ""),
        )


def findings(report: dict[str, Any], which: str = "failures") -> list[Finding]:
    """Every failure ("failures") or waived failure ("waived") once, in file/line order, with
    the controls of the selected frameworks that refer to it."""
    status = "waived" if which == "waived" else "failed"
    out = {f["id"]: Finding(f) for f in report["findings"] if f["status"] == status}
    for fw in report["frameworks"]:
        for c in fw["controls"]:
            for fid in c[which]:
                out[fid].controls.append((fw["id"], c["id"]))
    return list(out.values())  # report["findings"] is already in file/line order


def lapsed(f: dict[str, Any]) -> bool:
    """A failure only an expired waiver selects: it fails the run whatever its severity."""
    return f["status"] == "failed" and f.get("waiver", {}).get("state") == "expired"


def attention_rank(f: dict[str, Any]) -> int:
    """How urgently a reader needs a finding: its severity rank, except that a failure only an
    expired waiver covers ranks with the critical ones (it fails the run at any --fail-on)."""
    return SEVERITY_RANK["critical"] if lapsed(f) else SEVERITY_RANK[f["severity"]]


def severity_first(items: list[Finding]) -> list[Finding]:
    """Most severe first (lapsed waivers with the critical ones, first among them), then file and
    line: the order for every place that is short of space (PR comments, CI annotations)."""
    return sorted(items, key=lambda i: (-attention_rank(i.failure), not lapsed(i.failure), i.key))


def severity_counts(items: list[Finding]) -> str:
    """'3 critical, 1 with an expired waiver, 12 high' — what a cut list left out."""
    counts = {s: 0 for s in sorted(SEVERITY_RANK, key=SEVERITY_RANK.get, reverse=True)}
    expired = 0
    for i in items:
        if lapsed(i.failure):
            expired += 1
        else:
            counts[i.failure["severity"]] += 1
    parts = [f"{expired} with an expired waiver"] if expired else []
    parts += [f"{n} {s}" for s, n in counts.items() if n]
    return ", ".join(parts)


def finding_index(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Finding id → finding, to resolve the ids a control lists."""
    return {f["id"]: f for f in report["findings"]}


def control_findings(
    c: dict[str, Any], index: dict[str, dict[str, Any]], which: str = "failures"
) -> list[dict[str, Any]]:
    """The failures ("failures") or waived failures ("waived") of one control, resolved."""
    return [index[fid] for fid in c[which]]


def scope_notes(report: dict[str, Any]) -> list[str]:
    """The report's general notes, then the selected frameworks' caveats (Part 11, 524B, ...).

    A caveat that several catalogs share is listed once, prefixed with the frameworks it comes
    from, or without a prefix when every selected framework has it.
    """
    notes: list[str] = list(dict.fromkeys(report["scope_notes"]))
    sources: dict[str, list[str]] = {}
    for fw in report["frameworks"]:
        for note in fw["scope_notes"]:
            if note not in notes:
                sources.setdefault(note, []).append(fw["id"])
    everyone = len(report["frameworks"])
    for note, fws in sources.items():
        notes.append(note if len(fws) == everyone and everyone > 1 else f"{', '.join(fws)}: {note}")
    return notes


def resource_label(res: dict[str, Any]) -> str:
    """'Deployment ns/name'; an object without a name (an audit Policy file) says so."""
    ns = f"{res['namespace']}/" if res.get("namespace") else ""
    name = res.get("name")
    if not name:
        return f"{res['kind']} {ns}(unnamed)" if ns else f"{res['kind']} (unnamed)"
    return f"{res['kind']} {ns}{name}"


def location(f: dict[str, Any]) -> str:
    return f"{f['file']}:{f['line']}"


def finding_line(f: dict[str, Any]) -> str:
    """'file:line Kind ns/name field [subject]: message' — one line per finding."""
    subject = f" [{f['subject']}]" if f.get("subject") else ""
    return f"{location(f)} {resource_label(f['resource'])} {f['path']}{subject}: {f['message']}"


def result_sentence(report: dict[str, Any]) -> str:
    """The run's verdict in words, with what decided it."""
    summary = report["summary"]
    gate = summary["gate"]
    if summary["result"] == "pass":
        if summary["subjects"]["examined"] == 0:
            return (
                "PASS — but nothing was examined: no check applies to these inputs, so no "
                "control is satisfied (each is not-applicable or manual)"
            )
        if gate["fail_on"] == "none":
            return "PASS — --fail-on none: findings are reported, never fail the run"
        return f"PASS — no unwaived failure at or above severity {gate['fail_on']}"
    parts = []
    if gate["failing"]:
        parts.append(
            f"{gate['failing']} unwaived failure(s) at or above severity {gate['fail_on']}"
        )
    if gate["lapsed_waivers"]:
        parts.append(f"{gate['lapsed_waivers']} failure(s) covered only by an expired waiver")
    return "FAIL — " + "; ".join(parts)


def waiver_notes(report: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(level, waiver, text) for every waiver worth a reader's attention: expired, pending,
    unused or expiring soon. level is error | warning | notice."""
    out = []
    for w in report["waivers"]:
        if w["state"] == "expired":
            what = (
                f"expired since {w['expired_since']} and no longer covers its "
                f"{w['matched']} failure(s)"
                if w["matched"]
                else f"expired since {w['expired_since']} (it selects no failure any more)"
            )
            out.append(("error" if w["matched"] else "warning", w, f"waiver {w['id']} {what}"))
        elif w["state"] == "pending":
            out.append(
                ("warning", w, f"waiver {w['id']} is approved from {w['approved']}; not in force")
            )
        elif w["unused"]:
            out.append(("notice", w, f"waiver {w['id']} is unused: it selects no failure"))
        if w["state"] == "active" and w["expiring"]:
            out.append(
                (
                    "warning",
                    w,
                    f"waiver {w['id']} expires on {w['expires']} ({w['days_left']} day(s) left)",
                )
            )
    return out


def waiver_selector(w: dict[str, Any]) -> str:
    sel = ", ".join(f"{k}={v}" for k, v in w["resource"].items())
    subject = f", subject={w['subject']}" if w.get("subject") else ""
    return f"{w['check']} on {sel}{subject}"


def path_uri(path: str) -> str:
    """A URI reference for a reported path: relative paths stay relative (as code-scanning tools
    expect), absolute ones become file URIs, anything else (e.g. <stdin>) is percent-encoded."""
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return "file://" + quote(posix)
    return quote(str(PurePosixPath(posix)) if posix else posix)
