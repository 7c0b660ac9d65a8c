"""HTML rendering for an auditor: one self-contained file that can be archived, opened offline and
printed.

Per framework: a summary with an inline SVG chart of control statuses, then every control with
its clause, paraphrase, checks, examined subjects, failures (file:line and field), waivers, and
finally the waiver register and the run metadata (versions and digests). No scripts, no external
fonts, images or styles; a Content-Security-Policy forbids any fetch, so the page looks the same
on an air-gapped laptop in ten years. All input text is escaped.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Any

from checker.report.views import (
    control_findings,
    finding_index,
    not_satisfied_below_gate,
    resource_label,
    result_sentence,
    scope_notes,
    waiver_notes,
    waiver_selector,
)

MAX_SUBJECT_ROWS = 30  # examined resources listed per control; the JSON report lists all
MAX_FINDING_ROWS = 500  # failures (or waived failures) listed per control; the JSON has all

STATUS_LABEL = {
    "not-satisfied": "Not satisfied",
    "satisfied-with-waivers": "Satisfied with waivers",
    "satisfied": "Satisfied",
    "not-applicable": "Not applicable",
    "manual": "Manual evidence",
}
STATUS_COLOR = {
    "not-satisfied": "#c62828",
    "satisfied-with-waivers": "#b8860b",
    "satisfied": "#2e7d32",
    "not-applicable": "#78909c",
    "manual": "#1565c0",
}

CSS = """
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 24px 32px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--fg); }
h3 { font-size: 16px; margin: 0 0 6px; }
h4 { font-size: 13px; margin: 12px 0 4px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); }
p { margin: 4px 0; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12px; word-break: break-all; }
code.id { white-space: nowrap; word-break: normal; }
.muted { color: var(--muted); }
.verdict { display: inline-block; padding: 6px 12px; border-radius: 4px; font-weight: 700;
  color: #fff; margin: 8px 0; }
.verdict.fail { background: #c62828; } .verdict.pass { background: #2e7d32; }
.verdict.pass.below-gate { background: #8d6e00; }
.notes { background: #fff8e1; border-left: 4px solid #b8860b; padding: 8px 12px; margin: 12px 0; }
.notes p { margin: 2px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
  font-size: 12px; font-weight: 600; white-space: nowrap; }
.summary { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.control { border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 4px;
  padding: 10px 14px; margin: 14px 0; }
.sev-critical, .sev-high { color: #c62828; font-weight: 600; }
.sev-medium { color: #b8860b; font-weight: 600; }
.waiver-problem { color: #c62828; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
nav ul { margin: 4px 0; padding-left: 20px; }
footer { margin-top: 32px; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-before: page; break-after: avoid; }
  h2.first { break-before: auto; }
  h3, h4 { break-after: avoid; }
  .control, tr, .summary { break-inside: avoid; }
  thead { display: table-header-group; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(status: str) -> str:
    return (
        f'<span class="badge" style="background:{STATUS_COLOR[status]}">'
        f"{_e(STATUS_LABEL[status])}</span>"
    )


def _slug(*parts: str) -> str:
    raw = "-".join(parts)
    return "".join(ch if ch.isalnum() else "-" for ch in raw).strip("-").lower()


def _anchor(fw: dict[str, Any], index: int) -> str:
    """A readable anchor that stays unique even when two clause ids slug alike."""
    return f"c-{_slug(fw['id'], fw['controls'][index]['id'])}-{index + 1}"


def render_html(report: dict[str, Any]) -> str:
    subjects_of = _subjects_by_check(report)
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>dxguard evidence report — {_e(report['run']['as_of'])}</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    out += _header(report)
    for i, fw in enumerate(report["frameworks"]):
        out += _framework(report, fw, subjects_of, first=i == 0)
    out += _waiver_register(report)
    out += _checks(report)
    out += _run_metadata(report)
    out.append(
        '<footer class="muted"><p>Generated by dxguard '
        f"{_e(report['tool']['version'])} (report format {_e(report['report_version'])}) as of "
        f"{_e(report['run']['as_of'])}. Automated evidence; see the scope notes above.</p>"
        "</footer>"
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _header(report: dict[str, Any]) -> list[str]:
    run = report["run"]
    summary = report["summary"]
    res = summary["resources"]
    subj = summary["subjects"]
    result = summary["result"]
    if result == "pass" and not_satisfied_below_gate(report):
        result += " below-gate"  # the gate passed, yet controls are not satisfied
    out = [
        "<header>",
        "<h1>dxguard — control-by-control evidence report</h1>",
        f'<p class="muted">As of {_e(run["as_of"])} · dxguard {_e(run["dxguard_version"])} · '
        f"OPA {_e(run['opa_version'])} · policy bundle <code>sha256:"
        f"{_e(run['bundle']['sha256'])}</code></p>",
        f'<div class="verdict {result}">{_e(result_sentence(report))}</div>',
        f"<p>{len(run['inputs'])} input file(s) · {res['loaded']} resource(s), "
        f"{res['examined']} examined, {res['not_examined']} not examined · subjects: "
        f"{subj['examined']} examined, {subj['passed']} passed, {subj['failed']} failed, "
        f"{subj['waived']} waived</p>",
        '<div class="notes"><p><strong>Scope of this evidence</strong></p>',
        *[f"<p>{_e(n)}</p>" for n in scope_notes(report)],
        "</div>",
    ]
    problems = waiver_notes(report)
    if problems:
        out.append("<p><strong>Waivers needing attention:</strong></p><ul>")
        out += [
            f'<li class="{"waiver-problem" if level == "error" else ""}">{_e(text)}</li>'
            for level, _, text in problems
        ]
        out.append("</ul>")
    out.append("<nav><p><strong>Contents</strong></p><ul>")
    for fw in report["frameworks"]:
        counts = ", ".join(f"{n} {s}" for s, n in fw["summary"].items() if n)
        out.append(
            f'<li><a href="#{_slug("fw", fw["id"])}">{_e(fw["title"])}</a> — {_e(counts)}</li>'
        )
    out += [
        '<li><a href="#waivers">Waiver register</a></li>',
        '<li><a href="#checks">Checks</a></li>',
        '<li><a href="#run">Run metadata</a></li>',
        "</ul></nav>",
        "</header>",
    ]
    return out


def _chart(summary: dict[str, int]) -> str:
    """Horizontal bars, one per status, each labelled with its name and count (readable in
    greyscale print, not colour alone)."""
    total = max(sum(summary.values()), 1)
    row_h, label_w, bar_w = 24, 170, 260
    height = row_h * len(summary) + 8
    parts = [
        f'<svg width="{label_w + bar_w + 50}" '
        f'height="{height}" role="img" aria-label="Control statuses">'
    ]
    for i, (status, n) in enumerate(summary.items()):
        y = 4 + i * row_h
        width = round(bar_w * n / total)
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="13" fill="#1b1f24">'
            f"{_e(STATUS_LABEL[status])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="16" fill="#eef1f4"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="16" '
            f'fill="{STATUS_COLOR[status]}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 16}" font-size="13" font-weight="600" '
            f'fill="#1b1f24">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _framework(
    report: dict[str, Any],
    fw: dict[str, Any],
    subjects_of: dict[str, list[dict[str, Any]]],
    *,
    first: bool,
) -> list[str]:
    out = [
        f'<section id="{_slug("fw", fw["id"])}">',
        f"<h2{' class=first' if first else ''}>{_e(fw['title'])}</h2>",
        f'<p class="muted">Framework <code>{_e(fw["id"])}</code>, catalog version '
        f"{_e(fw['version'])}</p>",
        f"<p>{_e(fw['description'])}</p>",
    ]
    if fw["scope_notes"]:
        out.append('<div class="notes">')
        out += [f"<p>{_e(n)}</p>" for n in fw["scope_notes"]]
        out.append("</div>")
    out += [
        '<div class="summary">',
        f"<div><h4>Control statuses</h4>{_chart(fw['summary'])}</div>",
        "<div><h4>Controls</h4><table><thead><tr><th>Control</th><th>Status</th>"
        '<th class="num">Failed</th><th class="num">Waived</th></tr></thead><tbody>',
    ]
    for i, c in enumerate(fw["controls"]):
        out.append(
            f'<tr><td><a href="#{_anchor(fw, i)}">{_e(c["id"])}</a></td>'
            f"<td>{_badge(c['status'])}</td><td class=num>{c['subjects']['failed']}</td>"
            f"<td class=num>{c['subjects']['waived']}</td></tr>"
        )
    out.append("</tbody></table></div></div>")
    index = finding_index(report)
    for i, c in enumerate(fw["controls"]):
        out += _control(fw, c, _anchor(fw, i), subjects_of, index)
    out.append("</section>")
    return out


def _control(
    fw: dict[str, Any],
    c: dict[str, Any],
    anchor: str,
    subjects_of: dict[str, list[dict[str, Any]]],
    index: dict[str, dict[str, Any]],
) -> list[str]:
    color = STATUS_COLOR[c["status"]]
    out = [
        f'<article class="control" id="{anchor}" style="border-left-color:{color}">',
        f"<h3>{_e(c['id'])} — {_e(c['title'])} {_badge(c['status'])}</h3>",
        f"<p><strong>Requirement (paraphrased):</strong> {_e(c['requirement'])}</p>",
        f'<p class="muted">Evidence: {_e(c["evidence"])} · citation {_e(c["citation"])}'
        + (" · manual evidence must be attached as well" if c["manual_evidence_required"] else "")
        + "</p>",
    ]
    if c.get("notes"):
        out.append(f'<p class="muted">{_e(c["notes"])}</p>')
    if not c["checks"]:
        out.append("<p>No automated check covers this control; attach the manual evidence.</p>")
        out.append("</article>")
        return out
    s = c["subjects"]
    out += [
        "<h4>Checks</h4><table><thead><tr><th>Check</th><th>Title</th><th>Severity</th>"
        '<th class="num">Examined</th><th class="num">Passed</th><th class="num">Failed</th>'
        '<th class="num">Waived</th><th class="num">Resources</th></tr></thead><tbody>',
        *[
            f"<tr><td><code class=id>{_e(k['id'])}</code></td><td>{_e(k['title'])}</td>"
            f'<td class="sev-{_e(k["severity"])}">{_e(k["severity"])}</td>'
            f"<td class=num>{k['examined']}</td><td class=num>{k['passed']}</td>"
            f"<td class=num>{k['failed']}</td><td class=num>{k['waived']}</td>"
            f"<td class=num>{k['resources_examined']}</td></tr>"
            for k in c["checks"]
        ],
        "</tbody></table>",
        f"<h4>Examined subjects</h4><p>{s['examined']} subject(s) examined: {s['passed']} "
        f"passed, {s['failed']} failed, {s['waived']} waived.</p>",
    ]
    rows = _subjects(c, subjects_of)
    if rows:
        out.append(
            "<table><thead><tr><th>Resource</th><th>Source</th><th>Examined by</th>"
            '<th class="num">Passed</th><th class="num">Failed</th><th class="num">Waived</th>'
            "</tr></thead><tbody>"
        )
        for r in rows[:MAX_SUBJECT_ROWS]:
            checks = " ".join(f"<code class=id>{_e(k)}</code>" for k in r["checks"])
            out.append(
                f"<tr><td>{_e(r['label'])}</td><td><code>{_e(r['where'])}</code></td>"
                f"<td>{checks}</td><td class=num>{r['passed']}</td>"
                f"<td class=num>{r['failed']}</td><td class=num>{r['waived']}</td></tr>"
            )
        out.append("</tbody></table>")
        if len(rows) > MAX_SUBJECT_ROWS:
            out.append(
                f'<p class="muted">… and {len(rows) - MAX_SUBJECT_ROWS} more; the JSON report '
                "lists every examined resource.</p>"
            )
    if c["failures"]:
        out.append(f"<h4>Failures ({len(c['failures'])})</h4>")
        out += _finding_table(control_findings(c, index))
    if c["waived"]:
        out.append(f"<h4>Waived failures ({len(c['waived'])})</h4>")
        out += _finding_table(control_findings(c, index, "waived"))
    if c["waivers"]:
        out.append("<h4>Waivers</h4>")
        out += _waiver_table(c["waivers"])
    out.append("</article>")
    return out


def _finding_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "<table><thead><tr><th>Location</th><th>Resource</th><th>Field</th><th>Check</th>"
        "<th>Finding</th></tr></thead><tbody>"
    ]
    for f in rows[:MAX_FINDING_ROWS]:
        extra = ""
        w = f.get("waiver")
        if w and w["state"] == "active":
            extra = f"<br><em>waived by {_e(w['id'])} until {_e(w['expires'])}</em>"
        elif w and w["state"] == "expired":
            extra = (
                f'<br><em class="waiver-problem">waiver {_e(w["id"])} expired since '
                f"{_e(w['expired_since'])}</em>"
            )
        elif w:
            extra = f"<br><em>waiver {_e(w['id'])} not in force before {_e(w['approved'])}</em>"
        subject = f"<br><code>{_e(f['subject'])}</code>" if f.get("subject") else ""
        out.append(
            f"<tr><td><code>{_e(f['file'])}:{f['line']}</code></td>"
            f"<td>{_e(resource_label(f['resource']))}{subject}</td>"
            f"<td><code>{_e(f['path'])}</code></td>"
            f'<td><code class=id>{_e(f["check"])}</code><br><span class="sev-{_e(f["severity"])}">'
            f"{_e(f['severity'])}</span></td><td>{_e(f['message'])}{extra}</td></tr>"
        )
    out.append("</tbody></table>")
    if len(rows) > MAX_FINDING_ROWS:
        out.append(
            f'<p class="muted">… and {len(rows) - MAX_FINDING_ROWS} more; the JSON report lists '
            "every one.</p>"
        )
    return out


def _waiver_table(waivers: list[dict[str, Any]]) -> list[str]:
    out = [
        "<table><thead><tr><th>Waiver</th><th>Covers</th><th>Justification</th>"
        "<th>Approved</th><th>Ticket</th><th>Expires</th><th>State</th></tr></thead><tbody>"
    ]
    for w in waivers:
        state = w["state"]
        if state == "expired":
            state += f" since {w['expired_since']}"
        elif w["expiring"]:
            state += f", expiring ({w['days_left']} day(s) left)"
        if w["unused"]:
            state += ", unused"
        cls = ' class="waiver-problem"' if w["state"] != "active" or w["expiring"] else ""
        out.append(
            f"<tr><td><code>{_e(w['id'])}</code><br><span class=muted>"
            f"{_e(w['source']['file'])}:{w['source']['line']}</span></td>"
            f"<td>{_e(waiver_selector(w))}</td><td>{_e(w['justification'])}</td>"
            f"<td>{_e(w['approver'])}<br>{_e(w['approved'])}</td><td>{_e(w['ticket'])}</td>"
            f"<td>{_e(w['expires'])}</td><td{cls}>{_e(state)}; {w['waived']} waived of "
            f"{w['matched']} selected</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _subjects_by_check(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for res in report["resources"]:
        src = res["source"]
        for cid, counts in res["checks"].items():
            out[cid].append(
                {
                    "id": res["id"],
                    "label": resource_label(res),
                    "where": f"{src['file']}:{src['line']}",
                    **counts,
                }
            )
    return out


def _subjects(c: dict[str, Any], subjects_of: dict[str, list[dict[str, Any]]]) -> list[dict]:
    """One row per examined resource, summed over the control's checks; failing resources
    first, then waived ones, so a cut list still shows what matters."""
    rows: dict[str, dict[str, Any]] = {}
    for k in c["checks"]:
        for r in subjects_of.get(k["id"], []):
            row = rows.setdefault(
                r["id"],
                {
                    "label": r["label"],
                    "where": r["where"],
                    "checks": [],
                    "passed": 0,
                    "failed": 0,
                    "waived": 0,
                },
            )
            row["checks"].append(k["id"])
            for n in ("passed", "failed", "waived"):
                row[n] += r[n]
    return sorted(rows.values(), key=lambda r: (r["failed"] == 0, r["waived"] == 0, r["where"]))


def _waiver_register(report: dict[str, Any]) -> list[str]:
    out = ['<section id="waivers"><h2>Waiver register</h2>']
    run = report["run"]
    if "waivers" not in run:
        out.append("<p>No waiver file was applied to this run.</p></section>")
        return out
    w = report["summary"]["waivers"]
    out.append(
        f"<p>Waiver file <code>{_e(run['waivers']['file'])}</code> (sha256 "
        f"<code>{_e(run['waivers']['sha256'])}</code>): {w['total']} waiver(s) — "
        f"{w['active']} in force, {w['expired']} expired, {w['pending']} pending approval, "
        f"{w['unused']} unused, {w['expiring']} expiring within "
        f"{run['waivers']['expiry_warning_days']} day(s). States are evaluated at the as-of "
        "time of the run.</p>"
    )
    if report["waivers"]:
        out += _waiver_table(report["waivers"])
    out.append("</section>")
    return out


def _checks(report: dict[str, Any]) -> list[str]:
    out = [
        '<section id="checks"><h2>Checks</h2>',
        "<table><thead><tr><th>Check</th><th>Title and remediation</th><th>Family</th>"
        '<th>Severity</th><th class="num">Examined</th><th class="num">Failed</th>'
        '<th class="num">Waived</th><th>Parameters</th></tr></thead><tbody>',
    ]
    for k in report["checks"]:
        params = ", ".join(f"{p}={v!r}" for p, v in sorted(k["parameters"].items())) or "—"
        out.append(
            f"<tr><td><code class=id>{_e(k['id'])}</code></td><td><strong>{_e(k['title'])}</strong>"
            f"<br>{_e(k['remediation'])}</td><td>{_e(k['family'])}</td>"
            f'<td class="sev-{_e(k["severity"])}">{_e(k["severity"])}</td>'
            f"<td class=num>{k['examined']}</td><td class=num>{k['failed']}</td>"
            f"<td class=num>{k['waived']}</td><td><code>{_e(params)}</code></td></tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _run_metadata(report: dict[str, Any]) -> list[str]:
    run = report["run"]
    cfg = run["config"]
    items = [
        ("Evaluation time (as of)", run["as_of"]),
        ("dxguard", run["dxguard_version"]),
        ("OPA", run["opa_version"]),
        ("Engine", run["engine"]),
        ("Policy bundle", f"sha256:{run['bundle']['sha256']} ({run['bundle']['modules']} modules)"),
        ("Config", f"{cfg['file'] or '(defaults)'} · effective sha256:{cfg['sha256']}"),
        ("Frameworks selected", ", ".join(run["frameworks_selected"])),
        ("Fail on", run["fail_on"]),
    ]
    if "waivers" in run:
        items.append(("Waiver file", f"{run['waivers']['file']} sha256:{run['waivers']['sha256']}"))
    if "ci" in run:
        items.append(("Commit", f"{run['ci']['commit']} (from {run['ci']['source']})"))
    out = ['<section id="run"><h2>Run metadata</h2><dl class="meta">']
    out += [f"<dt>{_e(k)}</dt><dd class=mono>{_e(v)}</dd>" for k, v in items]
    out.append("</dl><h4>Catalogs</h4><table><thead><tr><th>Framework</th><th>Version</th>")
    out.append("<th>File</th><th>SHA-256</th></tr></thead><tbody>")
    out += [
        f"<tr><td>{_e(c['framework'])}</td><td>{_e(c['version'])}</td>"
        f"<td><code>{_e(c['file'])}</code></td><td><code>{_e(c['sha256'])}</code></td></tr>"
        for c in run["catalogs"]
    ]
    out.append("</tbody></table><h4>Inputs</h4><table><thead><tr><th>File</th>")
    out.append('<th class="num">Documents</th><th class="num">Resources</th><th>SHA-256</th>')
    out.append("</tr></thead><tbody>")
    out += [
        f"<tr><td><code>{_e(i['path'])}</code></td><td class=num>{i['documents']}</td>"
        f"<td class=num>{i['resources']}</td><td><code>{_e(i['sha256'])}</code></td></tr>"
        for i in run["inputs"]
    ]
    out.append("</tbody></table>")
    if report["skipped"]:
        out.append("<h4>Skipped inputs</h4><ul>")
        out += [
            f"<li><code>{_e(s['file'])}{':' + str(s['line']) if 'line' in s else ''}</code>: "
            f"{_e(s['reason'])}</li>"
            for s in report["skipped"]
        ]
        out.append("</ul>")
    out.append("</section>")
    return out
