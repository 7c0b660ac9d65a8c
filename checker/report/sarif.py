"""SARIF 2.1.0 rendering of the evidence report, for code-scanning views and PR annotations.

One result per failure with the rule (check) metadata, a level from the check's severity (an
error only when the failure fails the run: below the --fail-on gate it is a warning) and the
physical location (file, line) the loaders recorded. Waived failures are results too, carrying an
accepted external suppression with the waiver's fields, so the evidence stays complete while
code scanning hides them. It must not invent locations or verdicts: everything comes from the
report.

Results come most severe first (a failure only a lapsed waiver covers with the critical ones),
then the waived ones. GitHub code scanning rejects a run with more than 25,000 results (and
shows the top 5,000), so a run holds at most max_results: the most severe are kept, waived ones
go first, and the run says what was left out — a tool execution notification and the
`omittedResults` property (how many, of which severities) — and that the JSON report has all.
"""

from __future__ import annotations

import json
import re
from typing import Any

from checker.report.model import CheckEntry, Report, WaiverEntry, to_json
from checker.report.views import (
    Listed,
    findings,
    gate_level,
    path_uri,
    result_sentence,
    scope_notes,
    severity_counts,
    severity_first,
)

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning reads a CVSS-like score from rule properties to rank security results.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
# GitHub code scanning rejects a SARIF run with more results than this.
MAX_RESULTS_PER_RUN = 25_000


def render_sarif(report: Report, *, max_results: int = MAX_RESULTS_PER_RUN) -> str:
    checks = report.checks
    rule_index = {c.id: i for i, c in enumerate(checks)}
    controls_of = _controls_of_checks(report)
    artifacts, artifact_index = _artifacts(report)
    failures = severity_first(findings(report, "failures"))
    waived = severity_first(findings(report, "waived"))
    kept_failures = failures[:max_results]
    kept_waived = waived[: max(0, max_results - len(kept_failures))]
    results = [
        _result(item, rule_index, artifact_index, report, suppressed=False)
        for item in kept_failures
    ] + [_result(item, rule_index, artifact_index, report, suppressed=True) for item in kept_waived]
    left_failures = failures[len(kept_failures) :]
    left_waived = waived[len(kept_waived) :]
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "endTimeUtc": report.run.as_of,
        "properties": {
            "result": report.summary.result,
            "gate": to_json(report.summary.gate),
        },
    }
    omitted: dict[str, Any] | None = None
    if left_failures or left_waived:
        omitted = {
            "failures": len(left_failures),
            "waived": len(left_waived),
            "bySeverity": severity_counts(left_failures),
            "maxResults": max_results,
        }
        what = []
        if left_failures:
            what.append(f"{len(left_failures)} failure(s) ({severity_counts(left_failures)})")
        if left_waived:
            what.append(f"{len(left_waived)} waived failure(s)")
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "descriptor": {"id": "dxguard/results-capped"},
                "message": {
                    "text": f"{' and '.join(what)} left out of this run: it holds at most "
                    f"{max_results} results (GitHub code scanning rejects a run with more than "
                    f"{MAX_RESULTS_PER_RUN:,}). The most severe are kept, waived failures are "
                    "left out first; the JSON and HTML reports list every finding."
                },
            }
        ]
    run = report.run
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dxguard",
                        "version": report.tool.version,
                        "rules": [_rule(c, controls_of.get(c.id, [])) for c in checks],
                    }
                },
                "invocations": [invocation],
                "artifacts": artifacts,
                "results": results,
                "columnKind": "unicodeCodePoints",
                "properties": {
                    "asOf": run.as_of,
                    "opaVersion": run.opa_version,
                    "bundleSha256": run.bundle.sha256,
                    "frameworks": run.frameworks_selected,
                    # Control statuses per framework (SARIF results are findings; a control
                    # whose checks passed has none, so its status is stated here).
                    "controlStatuses": {
                        fw.id: {
                            "summary": fw.summary,
                            "controls": {c.id: c.status for c in fw.controls},
                        }
                        for fw in report.frameworks
                    },
                    "result": result_sentence(report),
                    "scopeNotes": scope_notes(report),
                },
            }
        ],
    }
    if omitted is not None:
        doc["runs"][0]["properties"]["omittedResults"] = omitted
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _controls_of_checks(report: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for fw in report.frameworks:
        for c in fw.controls:
            for chk in c.checks:
                out.setdefault(chk.id, []).append(f"{fw.id}: {c.id}")
    return out


def _rule(check: CheckEntry, controls: list[str]) -> dict[str, Any]:
    # The remediation is written with `code` spans: Markdown for viewers that render it, plain
    # text without the backticks for the rest.
    help_md = check.remediation
    help_text = re.sub(r"`([^`]+)`", r"\1", help_md)
    if controls:
        help_md += "\n\nGives evidence for: " + "; ".join(controls)
        help_text += "\n\nGives evidence for: " + "; ".join(controls)
    return {
        "id": check.id,
        "name": _pascal(check.title),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.description or check.title},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[check.severity]},
        "properties": {
            "tags": ["compliance", "security", check.family],
            "severity": check.severity,
            "security-severity": SECURITY_SEVERITY[check.severity],
            "family": check.family,
            "controls": controls,
            "parameters": check.parameters,
        },
    }


def _pascal(title: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in title).split()
    return "".join(w[:1].upper() + w[1:] for w in words) or "Check"


def _artifacts(report: Report) -> tuple[list[dict[str, Any]], dict[str, int]]:
    artifacts, index = [], {}
    for i in report.run.inputs:
        index[i.path] = len(artifacts)
        artifacts.append(
            {
                "location": {"uri": path_uri(i.path)},
                "length": i.size,
                "hashes": {"sha-256": i.sha256},
            }
        )
    return artifacts, index


def _result(
    item: Listed,
    rule_index: dict[str, int],
    artifact_index: dict[str, int],
    report: Report,
    *,
    suppressed: bool,
) -> dict[str, Any]:
    f = item.failure
    res = f.resource
    artifact: dict[str, Any] = {"uri": path_uri(f.file)}
    if f.file in artifact_index:
        artifact["index"] = artifact_index[f.file]
    props: dict[str, Any] = {
        "severity": f.severity,
        "field": f.path,
        "resource": res.id,
        "controls": [f"{fw}: {c}" for fw, c in item.controls],
    }
    if f.subject is not None:
        props["subject"] = f.subject
    out: dict[str, Any] = {
        "ruleId": f.check,
        "ruleIndex": rule_index[f.check],
        "level": gate_level(f, report.summary.gate.fail_on, LEVEL),
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {"startLine": f.line},
                },
                "logicalLocations": [
                    {
                        "name": res.name or res.id,
                        "fullyQualifiedName": res.id,
                        "kind": "object",
                    }
                ],
            }
        ],
        "partialFingerprints": {"dxguardFinding/v2": f.fingerprint},
        "properties": props,
    }
    waiver = f.waiver
    if suppressed and waiver:
        w = _waiver(report, waiver.id)
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": w.justification,
                "properties": {
                    k: getattr(w, k) for k in ("id", "approver", "approved", "ticket", "expires")
                },
            }
        ]
    elif waiver:
        props["waiver"] = to_json(waiver)  # a lapsed waiver: the failure stands
    return out


def _waiver(report: Report, waiver_id: str) -> WaiverEntry:
    return next(w for w in report.waivers if w.id == waiver_id)
