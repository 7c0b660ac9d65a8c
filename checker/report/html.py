"""HTML rendering for an auditor: one self-contained file that can be archived, opened offline and
printed.

Built for the reader, in the order an auditor asks: the verdict and a status chart per framework;
per framework one line per control (status, evidence kind, counts, and links to the failing
checks); then the findings register, where each failure is listed once — grouped by check, the
most severe checks first, with the check's fix — and which every control links into; what was
examined, as counts with the per-resource detail folded; the waiver register; the checks with
their parameters; the run metadata (versions and digests). No scripts, no external fonts,
images or styles; a Content-Security-Policy forbids any fetch, so the page looks the same on an
air-gapped laptop in ten years. All input text is escaped.

Tables have fixed column widths and long tokens (image references with digests, field paths)
get break opportunities at their separators, so nothing runs off the page or the screen; a
location (file:line) breaks only between folders or words of the file name, and its last part
stays on one line with the line number, so `policy.yaml:10` can never read as line 1.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from typing import Any

from checker.report.model import (
    CheckEntry,
    Finding,
    FrameworkResult,
    Report,
    SubjectCounts,
    WaiverEntry,
)
from checker.report.views import (
    SEVERITY_RANK,
    STATUS_LABEL,
    STATUS_MEANING,
    Listed,
    cluster_description,
    findings,
    inputs_phrase,
    lapsed,
    not_satisfied_below_gate,
    resource_label,
    result_sentence,
    scope_notes,
    waiver_notes,
    waiver_selector,
)

STATUS_COLOR = {
    "not-satisfied": "#c62828",
    "satisfied-with-waivers": "#b8860b",
    "satisfied": "#2e7d32",
    "passed-manual-pending": "#00838f",
    "not-applicable": "#78909c",
    "manual": "#1565c0",
}
SEVERITY_ORDER = sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__, reverse=True)
# Beyond these, a large scan's HTML says how many more there are; the JSON report has them all.
MAX_FINDINGS_PER_CHECK = 1000
MAX_RESOURCE_ROWS = 2000

CSS = """
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); margin: 0 auto; max-width: 1180px; padding: 24px 28px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--fg); }
h3 { font-size: 16px; margin: 20px 0 6px; }
h4 { font-size: 14px; margin: 14px 0 4px; }
p { margin: 4px 0; }
a { color: #0b5cad; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 0.86em; }
.nb { white-space: nowrap; }
.muted { color: var(--muted); }
.small { font-size: 0.86em; }
.verdict { display: inline-block; padding: 6px 12px; border-radius: 4px; font-weight: 700;
  color: #fff; margin: 8px 0; }
.verdict.fail { background: #c62828; } .verdict.pass { background: #2e7d32; }
.verdict.pass.below-gate { background: #8d6e00; }
.notes { background: #fff8e1; border-left: 4px solid #b8860b; padding: 6px 12px; margin: 10px 0; }
.notes p { margin: 2px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; table-layout: fixed; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: var(--bg-soft); font-weight: 600; overflow-wrap: normal; }
td.num, th.num { text-align: right; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff;
  font-size: 0.8em; font-weight: 600; line-height: 1.6; }
.sev { font-weight: 600; }
.sev-critical, .sev-high { color: #c62828; }
.sev-medium { color: #8a6100; }
.sev-low { color: var(--muted); }
.problem { color: #c62828; }
.chart svg { display: block; width: 100%; height: 18px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 4px 0 10px; padding: 0;
  list-style: none; }
.legend li { display: flex; gap: 6px; align-items: baseline; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.check-head { margin: 16px 0 2px; padding: 4px 8px; background: var(--bg-soft);
  border-left: 6px solid var(--line); }
.check-head h4 { margin: 0; }
ol.findings { list-style: none; margin: 0; padding: 0; }
.keep + ol.findings { margin-bottom: 10px; }
ol.findings li { border-bottom: 1px solid var(--line); padding: 3px 0 3px 8px; }
ol.findings p { margin: 0; overflow-wrap: anywhere; }
ol.findings p.where { color: var(--muted); font-size: 0.9em; }
ol.findings p.where .loc { color: var(--fg); font-weight: 600; }
td.links { font-size: 0.85em; }
td.links code { font-size: 0.92em; }
.fix code, .check-fix code { background: var(--bg-soft); padding: 0 2px; border-radius: 3px; }
details > summary { cursor: pointer; color: #0b5cad; margin: 6px 0; }
.print-only { display: none; }
dl.meta { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px;
  margin: 6px 0; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
nav ul { margin: 4px 0; padding-left: 20px; }
footer { margin-top: 32px; border-top: 1px solid var(--line); padding-top: 8px; }
@media (max-width: 820px) {
  body { padding: 12px; font-size: 13px; }
  th, td { padding: 2px 4px; }
  th { font-size: 12px; }
}
@page { size: A4; margin: 12mm 11mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 8.5pt; line-height: 1.3; }
  table { font-size: 7.6pt; line-height: 1.25; margin: 3pt 0 8pt; }
  code, .mono { font-size: 0.9em; }
  .check-head { margin: 8pt 0 1pt; padding: 2pt 5pt; }
  .check-head p { margin: 1pt 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h1 { font-size: 15pt; } h2 { font-size: 12.5pt; margin-top: 14pt; } h3 { font-size: 10.5pt; }
  h4 { font-size: 9pt; }
  h2.part { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  .keep { break-inside: avoid; }
  tr, .summary-row, ol.findings li { break-inside: avoid; }
  ol.findings { font-size: 7.8pt; line-height: 1.25; }
  ol.findings li { padding: 1.5pt 0 1.5pt 4pt; }
  thead { display: table-header-group; }
  th, td { padding: 1.5pt 3pt; }
  nav, details > summary { display: none; }
  .print-only { display: block; }
  span.print-only { display: inline; }
  .screen-only { display: none; }
  details:not([open]) { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""

# Where a long token may break: after a folder separator, an at-sign (image@digest), a dot of a
# field path or host name, a colon of a digest, a comma or an equals sign.
_BREAK_AFTER = re.compile(r"([/@.:,=&?])(?=[^\s/@.:,=&?])")
_LONG_TOKEN = re.compile(r"\S{24,}")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _wrap(value: Any) -> str:
    """Escaped text whose long tokens may break after their separators (<wbr>)."""
    text = "" if value is None else str(value)
    out, pos = [], 0
    for m in _LONG_TOKEN.finditer(text):
        out.append(_e(text[pos : m.start()]))
        out.append(
            "<wbr>".join(_e(part) for part in _BREAK_AFTER.sub("\\1\x00", m[0]).split("\x00"))
        )
        pos = m.end()
    out.append(_e(text[pos:]))
    return "".join(out)


def _location(file: str, line: int | None) -> str:
    """file:line that may break between folders and at the hyphens of the file name, never
    inside the last part of the name and its line number."""
    folder, _, name = file.rpartition("/")
    head, sep, tail = max(
        (name.rpartition(ch) for ch in "-_"), key=lambda parts: len(parts[0]) + len(parts[1])
    )
    glued = f"{tail}:{line}" if line is not None else tail
    parts = [f"{_e(p)}/" for p in folder.split("/")] if folder else []
    prefix = "<wbr>".join(parts) + ("<wbr>" if parts else "") + _e(head + sep)
    return f'<code class="loc">{prefix}<span class="nb">{_e(glued)}</span></code>'


def _inline_code(text: str) -> str:
    """Remediation text: `code` spans become <code>, the rest escaped."""
    parts = re.split(r"`([^`]+)`", text or "")
    return "".join(f"<code>{_wrap(p)}</code>" if i % 2 else _wrap(p) for i, p in enumerate(parts))


def _value(value: Any) -> str:
    """A parameter value as a reader writes it: lists comma-separated, maps as key: value (keys
    sorted, so a report read back from its JSON reads the same)."""
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return (
            "; ".join(f"{k}: {_value(v)}" for k, v in sorted(value.items())) if value else "(none)"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(not set)"
    return str(value)


def _cols(*percent: int) -> str:
    """Fixed column widths (tables use table-layout: fixed, so they never outgrow the page)."""
    return "<colgroup>" + "".join(f'<col style="width:{p}%">' for p in percent) + "</colgroup>"


def _badge(status: str) -> str:
    return (
        f'<span class="badge" style="background:{STATUS_COLOR[status]}">'
        f"{_e(STATUS_LABEL[status])}</span>"
    )


def _sev(severity: str) -> str:
    return f'<span class="sev sev-{_e(severity)}">{_e(severity)}</span>'


def _slug(*parts: str) -> str:
    raw = "-".join(parts)
    return "".join(ch if ch.isalnum() else "-" for ch in raw).strip("-").lower()


def _anchor(fw: FrameworkResult, index: int) -> str:
    """A readable anchor that stays unique even when two clause ids slug alike."""
    return f"c-{_slug(fw.id, fw.controls[index].id)}-{index + 1}"


def _check_anchor(check_id: str, which: str = "failures") -> str:
    return f"{'w' if which == 'waived' else 'k'}-{_slug(check_id)}"


def render_html(report: Report) -> str:
    failures = findings(report, "failures")
    waived = findings(report, "waived")
    checks = {c.id: c for c in report.checks}
    control_anchor = {
        (fw.id, c.id): _anchor(fw, i) for fw in report.frameworks for i, c in enumerate(fw.controls)
    }
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>dxguard evidence report — {_e(report.run.as_of)}</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    out += _header(report)
    out += _overview(report)
    out += _scope(report)
    for i, fw in enumerate(report.frameworks):
        out += _framework(fw, failures, waived, first=i == 0)
    out += _register(report, failures, checks, control_anchor, "failures")
    out += _register(report, waived, checks, control_anchor, "waived")
    out += _examined(report)
    out += _waiver_register(report)
    out += _manual_evidence(report)
    out += _checks(report)
    out += _run_metadata(report)
    out.append(
        '<footer class="muted"><p>Generated by dxguard '
        f"{_e(report.tool.version)} (report format {_e(report.report_version)}) as of "
        f"{_e(report.run.as_of)}. Automated evidence; see the scope notes above.</p>"
        "</footer>"
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _header(report: Report) -> list[str]:
    run = report.run
    summary = report.summary
    res = summary.resources
    subj = summary.subjects
    result = summary.result
    if result == "pass" and not_satisfied_below_gate(report):
        result += " below-gate"  # the gate passed, yet controls are not satisfied
    out = [
        "<header>",
        "<h1>dxguard — control-by-control evidence report</h1>",
        f'<p class="muted">As of {_e(run.as_of)} · dxguard {_e(run.dxguard_version)} · '
        f"OPA {_e(run.opa_version)} · policy bundle <code>sha256:"
        f"{_wrap(run.bundle.sha256)}</code></p>",
        f'<div class="verdict {result}">{_e(result_sentence(report))}</div>',
        *(
            [f"<p>Cluster {_e(cluster_description(report) or '')}</p>"]
            if run.cluster is not None
            else []
        ),
        f"<p>{_e(inputs_phrase(report))} · {res.loaded} resource(s), "
        f"{res.examined} examined, {res.not_examined} not examined · subjects: "
        f"{subj.examined} examined, {subj.passed} passed, {subj.failed} failed, "
        f"{subj.waived} waived</p>",
        "</header>",
    ]
    return out


def _scope(report: Report) -> list[str]:
    out = [
        '<section id="scope"><div class="notes"><p><strong>Scope of this evidence</strong></p>',
        *[f"<p>{_e(n)}</p>" for n in scope_notes(report)],
        '<p class="print-only">In this printed copy each control\'s notes and the manual '
        "evidence it expects are left out; they are one click away in the on-screen report and "
        "listed in the JSON report (each control's <code>notes</code> and "
        "<code>evidence_to_attach</code>).</p>",
        "</div>",
    ]
    problems = waiver_notes(report)
    if problems:
        out.append("<p><strong>Waivers needing attention:</strong></p><ul>")
        out += [
            f'<li class="{"problem" if level == "error" else ""}">{_e(text)}</li>'
            for level, _, text in problems
        ]
        out.append("</ul>")
    out.append("<nav><p><strong>Contents</strong></p><ul>")
    for fw in report.frameworks:
        out.append(f'<li><a href="#{_slug("fw", fw.id)}">{_e(fw.title)}</a></li>')
    out += [
        '<li><a href="#findings">Findings register</a></li>',
        '<li><a href="#examined">What was examined</a></li>',
        '<li><a href="#waivers">Waiver register</a></li>',
        '<li><a href="#checks">Checks</a></li>',
        '<li><a href="#run">Run metadata</a></li>',
        "</ul></nav>",
        "</section>",
    ]
    return out


def _bar(summary: dict[str, int]) -> str:
    """One stacked bar of control statuses (the numbers are printed beside it, so the chart
    never relies on colour alone)."""
    total = sum(summary.values())
    parts = ['<svg viewBox="0 0 1000 18" preserveAspectRatio="none" role="img" '
             'aria-label="Control statuses">']  # fmt: skip
    x = 0.0
    for status, n in summary.items():
        if not n:
            continue
        width = 1000 * n / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="18" '
            f'fill="{STATUS_COLOR[status]}"><title>{_e(STATUS_LABEL[status])}: {n}</title></rect>'
        )
        x += width
    if not total:
        parts.append('<rect x="0" y="0" width="1000" height="18" fill="#eef1f4"/>')
    parts.append("</svg>")
    return "".join(parts)


def _counts(summary: dict[str, int]) -> str:
    shown = [
        f'<span class="nb"><span class="swatch" style="background:{STATUS_COLOR[s]}"></span> '
        f"{n} {_e(STATUS_LABEL[s].lower())}</span>"
        for s, n in summary.items()
        if n
    ]
    return " · ".join(shown) or "no controls"


def _overview(report: Report) -> list[str]:
    out = [
        '<section id="overview"><h2>Control status by framework</h2>',
        '<table><colgroup><col style="width:30%"><col style="width:28%"><col></colgroup>'
        "<thead><tr><th>Framework</th><th>Controls</th><th>Statuses</th></tr></thead><tbody>",
    ]
    for fw in report.frameworks:
        out.append(
            f'<tr class="summary-row"><td><a href="#{_slug("fw", fw.id)}">{_e(fw.title)}'
            f'</a><br><code class="small">{_e(fw.id)}</code></td>'
            f'<td class="chart">{_bar(fw.summary)}</td><td>{_counts(fw.summary)}</td></tr>'
        )
    out.append("</tbody></table>")
    used = [s for s in STATUS_LABEL if any(fw.summary.get(s) for fw in report.frameworks)]
    out.append('<ul class="legend small">')
    out += [
        f'<li><span class="swatch" style="background:{STATUS_COLOR[s]}"></span>'
        f"<span><strong>{_e(STATUS_LABEL[s])}</strong> — {_e(STATUS_MEANING[s])}</span></li>"
        for s in used
    ]
    out.append("</ul>")
    out.append(
        '<p class="small muted">The run\'s result is decided by the failures (the gate), not by '
        "the statuses: controls that need manual evidence never fail the run and are never "
        "reported as satisfied.</p></section>"
    )
    return out


def _framework(
    fw: FrameworkResult, failures: list[Listed], waived: list[Listed], *, first: bool
) -> list[str]:
    out = [
        f'<section id="{_slug("fw", fw.id)}">',
        f"<h2{' class=part' if first else ''}>{_e(fw.title)}</h2>",
        f'<p class="muted small">Framework <code>{_e(fw.id)}</code>, catalog version '
        f"{_e(fw.version)} · {_counts(fw.summary)}</p>",
        f"<p class=small>{_e(fw.description)}</p>",
    ]
    if fw.scope_notes:
        out.append('<div class="notes small">')
        out += [f"<p>{_e(n)}</p>" for n in fw.scope_notes]
        out.append("</div>")
    # Per control, the failing (and waived) checks with how many of their findings it cites.
    by_id = {i.failure.id: i.failure for i in (*failures, *waived)}
    out += [
        '<table><colgroup><col style="width:44%"><col style="width:11%">'
        '<col style="width:10%"><col style="width:11%"><col></colgroup>'
        "<thead><tr><th>Control</th><th>Status</th><th>Evidence</th>"
        "<th>Subjects examined / failed / waived</th><th>Findings (in the register)</th>"
        "</tr></thead><tbody>"
    ]
    for i, c in enumerate(fw.controls):
        per_check = {
            "failures": Counter(by_id[fid].check for fid in c.failures),
            "waived": Counter(by_id[fid].check for fid in c.waived),
        }
        links = [
            f'<a href="#{_check_anchor(cid)}"><code class="nb">{_e(cid)}</code></a>&nbsp;×{n}'
            for cid, n in sorted(per_check["failures"].items())
        ]
        links += [
            f'<a href="#{_check_anchor(cid, "waived")}"><code class="nb">{_e(cid)}</code></a>'
            f"&nbsp;×{n} waived"
            for cid, n in sorted(per_check["waived"].items())
        ]
        s = c.subjects
        if c.checks:
            counts = f"{s.examined} / {s.failed} / {s.waived}"
            checks_note = f"{len(c.checks)} check(s)"
            if c.disabled_checks:
                checks_note += f", {len(c.disabled_checks)} disabled by the config"
        else:
            counts, checks_note = "—", "no automated check"
        detail = [f"{_e(c.requirement)}"]
        more = []  # folded: on screen one click away; left out of print (see the scope notes)
        if c.evidence_to_attach:
            items = "".join(f"<li>{_e(x)}</li>" for x in c.evidence_to_attach)
            more.append(f"<strong>Evidence to attach:</strong><ul>{items}</ul>")
        if c.notes:
            more.append(f"<em>{_e(c.notes)}</em>")
        if more:
            detail.append(
                "<details><summary>Notes and evidence to attach</summary>"
                + "<br>".join(more)
                + "</details>"
            )
        out.append(
            f'<tr id="{_anchor(fw, i)}"><td><strong>{_wrap(c.id)}</strong> — '
            f'{_e(c.title)}<br><span class="small muted">{" ".join(detail)}</span></td>'
            f"<td>{_badge(c.status)}</td><td>{_e(c.evidence)}"
            f'<br><span class="small muted">citation {_e(c.citation)}</span></td>'
            f'<td class="num">{counts}<br><span class="small muted">{_e(checks_note)}</span></td>'
            f"<td class=links>{', '.join(links) or '—'}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _groups(items: list[Listed]) -> list[tuple[str, list[Listed]]]:
    """Findings by check, the most severe check first (a check with a failure only a lapsed
    waiver covers counts as critical and leads them), then by check id; in each group the
    lapsed ones first, then file and line order."""
    groups: dict[str, list[Listed]] = defaultdict(list)
    for item in items:
        groups[item.failure.check].append(item)

    def rank(f: Finding) -> int:
        return SEVERITY_RANK["critical"] if lapsed(f) else SEVERITY_RANK[f.severity]

    def order(kv: tuple[str, list[Listed]]) -> tuple:
        rows = kv[1]
        return (
            -max(rank(i.failure) for i in rows),
            not any(lapsed(i.failure) for i in rows),
            kv[0],
        )

    ordered = sorted(groups.items(), key=order)
    return [
        (cid, sorted(rows, key=lambda i: (not lapsed(i.failure), i.key))) for cid, rows in ordered
    ]


def _register(
    report: Report,
    items: list[Listed],
    checks: dict[str, CheckEntry],
    control_anchor: dict[tuple[str, str], str],
    which: str,
) -> list[str]:
    if which == "failures":
        counts = Counter(i.failure.severity for i in items)
        by_sev = ", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts[s])
        out = [
            '<section id="findings"><h2 class=part>Findings register</h2>',
            f"<p>{len(items)} failure(s){': ' + by_sev if by_sev else ''}. Each is listed once, "
            "grouped by check, the most severe checks first; every control above links to the "
            "checks whose failures it cites. A failure that only an expired waiver covered "
            "fails the run whatever its severity and is listed first.</p>",
        ]
        if not items:
            out.append("<p>No failures.</p></section>")
            return out
    else:
        if not items:
            return []
        out = [
            '<section id="waived"><h3>Waived failures</h3>',
            f"<p>{len(items)} failure(s) covered by a waiver in force (see the waiver register); "
            "they do not fail the run.</p>",
        ]
    for cid, rows in _groups(items):
        check = checks[cid]
        affects = _affects(rows, control_anchor)
        # The check's heading and its first finding stay on one page; the rest may break.
        out += [
            '<div class="keep">',
            f'<div class="check-head" id="{_check_anchor(cid, which)}" '
            f'style="border-left-color:{_sev_color(check.severity)}">'
            f"<h4><code>{_e(cid)}</code> {_e(check.title)} · {_sev(check.severity)} · "
            f"{len(rows)} {'waived ' if which == 'waived' else ''}failure(s)</h4>",
            f'<p class="small check-fix"><strong>Fix:</strong> {_inline_code(check.remediation)}'
            "</p>",
            f'<p class="small muted">Affects: {affects}</p></div>',
            f'<ol class="findings">{_finding_row(rows[0].failure)}</ol></div>',
        ]
        if rows[1:]:
            out.append('<ol class="findings">')
            out += [_finding_row(item.failure) for item in rows[1:MAX_FINDINGS_PER_CHECK]]
            out.append("</ol>")
        if len(rows) > MAX_FINDINGS_PER_CHECK:
            out.append(
                f'<p class="muted">… and {len(rows) - MAX_FINDINGS_PER_CHECK} more failure(s) '
                f"of {_e(cid)}; the JSON report lists every one.</p>"
            )
    out.append("</section>")
    return out


def _sev_color(severity: str) -> str:
    return {"critical": "#c62828", "high": "#c62828", "medium": "#b8860b"}.get(severity, "#90a4ae")


def _affects(rows: list[Listed], control_anchor: dict[tuple[str, str], str]) -> str:
    per_fw: dict[str, list[str]] = {}
    for item in rows:
        for fw, cid in item.controls:
            per_fw.setdefault(fw, [])
            if cid not in per_fw[fw]:
                per_fw[fw].append(cid)
    return " · ".join(
        f"{_e(fw)}: "
        + ", ".join(f'<a href="#{control_anchor[(fw, cid)]}">{_wrap(cid)}</a>' for cid in cids)
        for fw, cids in per_fw.items()
    )


def _finding_row(f: Finding) -> str:
    extra = ""
    w = f.waiver
    if w and w.state == "active":
        extra = f"<br><em>waived by {_e(w.id)} until {_e(w.expires)}</em>"
    elif w and w.state == "expired":
        extra = (
            f'<br><strong class="problem">waiver {_e(w.id)} expired since '
            f"{_e(w.expired_since)}: this failure fails the run</strong>"
        )
    elif w:
        extra = f"<br><em>waiver {_e(w.id)} not in force before {_e(w.approved)}</em>"
    subject = f" [<code>{_wrap(f.subject)}</code>]" if f.subject else ""
    return (
        f'<li id="f-{_e(f.id)}"><p class="where">{_location(f.file, f.line)} · '
        f"{_wrap(resource_label(f.resource))}{subject} · "
        f'<code class="field">{_wrap(f.path)}</code></p>'
        f"<p>{_wrap(f.message)}{extra}</p></li>"
    )


def _examined(report: Report) -> list[str]:
    summary = report.summary
    res, subj = summary.resources, summary.subjects
    kinds: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in report.resources:
        k = kinds[(r.family, r.kind)]
        k["loaded"] += 1
        k["examined"] += r.examined
        for counts in r.checks.values():
            k["passed"] += counts.passed
            k["failed"] += counts.failed
            k["waived"] += counts.waived
    out = [
        '<section id="examined"><h2 class=part>What was examined</h2>',
        f"<p>{res.loaded} resource(s) loaded from {len(report.run.inputs)} input "
        f"file(s): {res.examined} examined by at least one check, {res.not_examined} "
        f"not examined (no check applies to their kind). {subj.examined} subject(s) "
        f"examined: {subj.passed} passed, {subj.failed} failed, {subj.waived} waived. "
        "A subject is one thing a check judged (a container, a pod spec, a VM, an image).</p>",
        f"<table>{_cols(11, 34, 11, 11, 11, 11, 11)}<thead><tr><th>Family</th><th>Kind</th>"
        '<th class="num">Resources</th>'
        '<th class="num">Examined</th><th class="num">Subjects passed</th>'
        '<th class="num">Failed</th><th class="num">Waived</th></tr></thead><tbody>',
    ]
    for (family, kind), k in sorted(kinds.items()):
        out.append(
            f"<tr><td>{_e(family)}</td><td>{_wrap(kind)}</td><td class=num>{k['loaded']}</td>"
            f"<td class=num>{k['examined']}</td><td class=num>{k['passed']}</td>"
            f"<td class=num>{k['failed']}</td><td class=num>{k['waived']}</td></tr>"
        )
    out.append("</tbody></table>")
    out += [
        f"<details><summary>Every resource ({len(report.resources)}), with its source "
        "and the subjects its checks examined</summary>",
        f"<table>{_cols(32, 36, 8, 8, 8, 8)}<thead><tr><th>Resource</th><th>Source</th>"
        '<th class="num">Checks</th>'
        '<th class="num">Passed</th><th class="num">Failed</th><th class="num">Waived</th>'
        "</tr></thead><tbody>",
    ]
    for r in report.resources[:MAX_RESOURCE_ROWS]:
        totals = SubjectCounts()
        for counts in r.checks.values():
            totals.passed += counts.passed
            totals.failed += counts.failed
            totals.waived += counts.waived
        src = r.source
        out.append(
            f"<tr><td>{_wrap(resource_label(r))}</td><td>{_location(src.file, src.line)}"
            f"</td><td class=num>{len(r.checks) or '—'}</td>"
            f"<td class=num>{totals.passed}</td><td class=num>{totals.failed}</td>"
            f"<td class=num>{totals.waived}</td></tr>"
        )
    out.append("</tbody></table>")
    if len(report.resources) > MAX_RESOURCE_ROWS:
        out.append(
            f'<p class="muted">… and {len(report.resources) - MAX_RESOURCE_ROWS} more; the '
            "JSON report lists every resource.</p>"
        )
    out.append("</details>")
    if report.skipped:
        out.append(f"<h4>Skipped inputs ({len(report.skipped)})</h4><ul class=small>")
        out += [f"<li>{_location(s.file, s.line)}: {_e(s.reason)}</li>" for s in report.skipped]
        out.append("</ul>")
    out.append("</section>")
    return out


def _waiver_table(waivers: list[WaiverEntry]) -> list[str]:
    out = [
        '<table><colgroup><col style="width:15%"><col style="width:20%"><col>'
        '<col style="width:14%"><col style="width:10%"><col style="width:9%">'
        '<col style="width:14%"></colgroup>'
        "<thead><tr><th>Waiver</th><th>Covers</th><th>Justification</th>"
        "<th>Approved</th><th>Ticket</th><th>Expires</th><th>State</th></tr></thead><tbody>"
    ]
    for w in waivers:
        state = w.state
        if state == "expired":
            state += f" since {w.expired_since}"
        elif w.expiring:
            state += f", expiring ({w.days_left} day(s) left)"
        if w.unused:
            state += ", unused"
        cls = ' class="problem"' if w.state != "active" or w.expiring else ""
        out.append(
            f"<tr><td><code>{_e(w.id)}</code><br>"
            f"{_location(w.source.file, w.source.line)}</td>"
            f"<td>{_wrap(waiver_selector(w))}</td><td>{_e(w.justification)}</td>"
            f"<td>{_e(w.approver)}<br>{_e(w.approved)}</td><td>{_wrap(w.ticket)}</td>"
            f"<td>{_e(w.expires)}</td><td{cls}>{_e(state)}; {w.waived} waived of "
            f"{w.matched} selected</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _waiver_register(report: Report) -> list[str]:
    out = ['<section id="waivers"><h2>Waiver register</h2>']
    run = report.run
    if run.waivers is None:
        out.append("<p>No waiver file was applied to this run.</p></section>")
        return out
    w = report.summary.waivers
    out.append(
        f"<p>Waiver file <code>{_wrap(run.waivers.file)}</code> (sha256 "
        f"<code>{_wrap(run.waivers.sha256)}</code>): {w.total} waiver(s) — "
        f"{w.active} in force, {w.expired} expired, {w.pending} pending approval, "
        f"{w.unused} unused, {w.expiring} expiring within "
        f"{run.waivers.expiry_warning_days} day(s). States are evaluated at the as-of "
        "time of the run.</p>"
    )
    if report.waivers:
        out += _waiver_table(report.waivers)
    out.append("</section>")
    return out


def _manual_evidence(report: Report) -> list[str]:
    """The documents the evidence store holds per control that needs them (a scan given a
    store only)."""
    section = report.manual_evidence
    if section is None:
        return []
    n = section.summary
    out = [
        '<section id="manual-evidence"><h2>Manual evidence</h2>',
        f"<p>{n.controls} control(s) need documents no check can read: {n.attached} have "
        f"documents in the evidence store dated by {_e(section.as_of[:10])}, {n.missing} still "
        "lack them. An attached document does not change a control's status; it is the "
        "evidence to read beside it.</p>",
        "<table><thead><tr><th>Framework</th><th>Control</th><th>Status</th>"
        "<th>Documents (newest first), or what is expected</th></tr></thead><tbody>",
    ]
    for c in section.controls:
        if c.evidence:
            docs = "<br>".join(
                f"{_e(d.file.name)}, dated {_e(d.date)}, attached by {_e(d.by)} (record "
                f"{d.record}, sha256 <code>{_e(d.file.sha256[:16])}…</code>)"
                + (f" — {_e(d.note)}" if d.note else "")
                for d in c.evidence
            )
        else:
            docs = "expected: " + "; ".join(_e(x) for x in c.expected) if c.expected else "—"
        out.append(
            f"<tr><td>{_e(c.framework)}</td><td>{_e(c.control)}</td><td>{_e(c.status)}</td>"
            f"<td>{docs}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _checks(report: Report) -> list[str]:
    out = [
        '<section id="checks"><h2 class=part>Checks</h2>',
        f"<p>{len(report.checks)} check(s) in the policy bundle, with the parameters each "
        "used in this run and how to fix a failure<span class=print-only> (in print, the fix of "
        "each failing check stands in the findings register)</span>.</p>",
        '<table><colgroup><col style="width:26%"><col style="width:9%"><col style="width:11%">'
        '<col style="width:20%"><col class="screen-only"></colgroup><thead><tr><th>Check</th>'
        "<th>Severity</th><th>Subjects examined / failed / waived</th><th>Parameters</th>"
        '<th class="screen-only">Fix</th></tr>'
        "</thead><tbody>",
    ]
    for k in report.checks:
        params = "<br>".join(
            f"<code>{_e(p)}</code>: {_wrap(_value(v))}" for p, v in sorted(k.parameters.items())
        )
        state = ""
        if k.disabled:
            state = f'<br><em class="problem">disabled: {_e(k.disabled.reason)}</em>'
        elif k.origin == "custom":
            state = "<br><em>custom check</em>"
        out.append(
            f'<tr id="check-{_slug(k.id)}"><td><code class="nb">{_e(k.id)}</code><br>'
            f"{_e(k.title)}{state}</td><td>{_sev(k.severity)}<br>"
            f'<span class="small muted">{_e(k.family)}</span></td>'
            f"<td class=num>{k.examined} / {k.failed} / {k.waived}</td>"
            f"<td class=small>{params or '—'}</td>"
            f'<td class="small fix screen-only">{_inline_code(k.remediation)}</td></tr>'
        )
    out.append("</tbody></table></section>")
    return out


def _run_metadata(report: Report) -> list[str]:
    run = report.run
    cfg = run.config
    items = [
        ("Evaluation time (as of)", run.as_of),
        ("dxguard", run.dxguard_version),
        ("OPA", run.opa_version),
        ("Engine", run.engine),
        ("Policy bundle", f"sha256:{run.bundle.sha256} ({run.bundle.modules} modules)"),
        ("Config", f"{cfg.file or '(defaults)'} · effective sha256:{cfg.sha256}"),
        ("Frameworks selected", ", ".join(run.frameworks_selected)),
        ("Fail on", run.fail_on),
    ]
    if run.waivers is not None:
        items.append(("Waiver file", f"{run.waivers.file} sha256:{run.waivers.sha256}"))
    if run.ci:
        items.append(("Commit", f"{run.ci['commit']} (from {run.ci['source']})"))
    for d in run.disabled_checks:
        items.append(("Disabled check", f"{d.id}: {d.reason}"))
    out = ['<section id="run"><h2>Run metadata</h2><dl class="meta small">']
    out += [f"<dt>{_e(k)}</dt><dd class=mono>{_wrap(v)}</dd>" for k, v in items]
    out.append("</dl><h4>Catalogs</h4>")
    out.append(
        '<table class="small"><colgroup><col style="width:16%"><col style="width:10%">'
        '<col style="width:30%"><col></colgroup><thead><tr><th>Framework</th><th>Version</th>'
        "<th>File</th><th>SHA-256</th></tr></thead><tbody>"
    )
    out += [
        f"<tr><td>{_e(c.framework)}</td><td>{_e(c.version)}</td>"
        f"<td>{_location(c.file, None)}</td><td><code>{_wrap(c.sha256)}</code></td></tr>"
        for c in run.catalogs
    ]
    out.append("</tbody></table>")
    out.append(f"<h4>Inputs ({len(run.inputs)})</h4>")
    out.append(
        '<table class="small"><colgroup><col style="width:38%"><col style="width:6%">'
        '<col style="width:6%"><col></colgroup><thead><tr><th>File</th>'
        '<th class="num">Docs</th><th class="num">Res.</th><th>SHA-256</th></tr></thead>'
        "<tbody>"
    )
    out += [
        f"<tr><td>{_location(i.path, None)}</td><td class=num>{i.documents}</td>"
        f"<td class=num>{i.resources}</td><td><code>{_wrap(i.sha256)}</code></td></tr>"
        for i in run.inputs
    ]
    out.append("</tbody></table></section>")
    return out
