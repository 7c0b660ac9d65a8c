"""OSCAL 1.1.2 assessment-results rendering, for GRC tools that ingest NIST OSCAL.

One result per selected framework: the reviewed controls; one observation per check (method
TEST, dxguard as the origin actor, relevant evidence pointing at back-matter resources that carry
each input file's SHA-256); one finding per automatically assessed control with target status
satisfied or not-satisfied, linked to the observations of its checks. Controls that need manual
evidence or examined nothing get no finding (OSCAL has no status for them) and are named in the
result's remarks. UUIDs are uuid5 of stable content, so the output is byte-identical for the
same report. It must not decide anything: statuses come from the report.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from checker.report.model import ControlResult, Finding, FrameworkResult, Report
from checker.report.views import finding_line, path_uri, scope_notes

OSCAL_VERSION = "1.1.2"
# Fixed namespace for dxguard's deterministic OSCAL identifiers.
NAMESPACE = uuid.UUID("dff7c707-ed81-4d3f-b588-224dfefbdfbf")
PROP_NS = "urn:dxguard:oscal"
# dxguard status → OSCAL target status (state, reason). A partial control whose checks passed is
# not satisfied yet (its manual evidence is missing) and did not fail: OSCAL's reason "other".
TARGET_STATUS = {
    "satisfied": ("satisfied", "pass"),
    "satisfied-with-waivers": ("satisfied", "pass"),
    "passed-manual-pending": ("not-satisfied", "other"),
    "not-satisfied": ("not-satisfied", "fail"),
}


def _prop(name: str, value: Any) -> dict[str, str]:
    return {"name": name, "ns": PROP_NS, "value": " ".join(str(value).split()) or "-"}


def control_token(framework: str, control_id: str) -> str:
    """'21 CFR 11.10(e)' in fda-samd → 'fda-samd_21-cfr-11.10-e' (an OSCAL token)."""
    slug = re.sub(r"[^a-z0-9.]+", "-", control_id.lower()).strip("-.") or "control"
    token = f"{framework}_{slug}"
    return token if token[0].isalpha() else f"_{token}"


class _Ids:
    """uuid5 identifiers rooted in the report's own digest: stable for the same report, new for
    a different one."""

    def __init__(self, report: Report):
        canonical = json.dumps(
            report.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        self.root = uuid.uuid5(NAMESPACE, f"assessment-results\x1f{digest}")

    def __call__(self, *parts: str) -> str:
        return str(uuid.uuid5(self.root, "\x1f".join(parts)))


def render_oscal(report: Report) -> str:
    ids = _Ids(report)
    run = report.run
    notes = scope_notes(report)
    back_matter, input_refs = _back_matter(report, ids)
    doc = {
        "assessment-results": {
            "uuid": str(ids.root),
            "metadata": {
                "title": "dxguard compliance evidence: "
                + ", ".join(fw.title for fw in report.frameworks),
                "last-modified": run.as_of,
                "version": run.as_of,
                "oscal-version": OSCAL_VERSION,
                "props": [
                    _prop("dxguard-version", run.dxguard_version),
                    _prop("opa-version", run.opa_version),
                    _prop("policy-bundle-sha256", run.bundle.sha256),
                    _prop("config-sha256", run.config.sha256),
                    _prop("result", report.summary.result),
                    _prop("fail-on", run.fail_on),
                ],
                "remarks": "\n\n".join(notes),
            },
            "import-ap": {
                "href": f"#{ids('resource', 'assessment-plan')}",
                "remarks": "dxguard runs without a separate OSCAL assessment plan; the referenced "
                "back-matter resource describes the plan this run implies (policy bundle, "
                "catalogs, configuration).",
            },
            "results": [_result(report, fw, ids, input_refs, notes) for fw in report.frameworks],
            "back-matter": {"resources": back_matter},
        }
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _back_matter(report: Report, ids: _Ids) -> tuple[list[dict], dict[str, str]]:
    run = report.run
    resources = [
        {
            "uuid": ids("resource", "assessment-plan"),
            "title": "Assessment plan implied by the dxguard run",
            "description": "Rego checks from the policy bundle, run on the real OPA against the "
            "inputs below, mapped onto framework controls by the catalogs below.",
            "props": [
                _prop("policy-bundle-sha256", run.bundle.sha256),
                _prop("policy-bundle-modules", run.bundle.modules),
                _prop("config-sha256", run.config.sha256),
                _prop("frameworks", " ".join(run.frameworks_selected)),
            ],
        }
    ]
    refs: dict[str, str] = {}
    for i in run.inputs:
        rid = ids("resource", "input", i.path)
        refs[i.path] = rid
        resources.append(
            {
                "uuid": rid,
                "title": f"Input {i.path}",
                "description": f"Input file examined by dxguard: {i.documents} document(s), "
                f"{i.resources} resource(s), {i.size} bytes.",
                "rlinks": [{"href": path_uri(i.path), "hashes": [_sha(i.sha256)]}],
            }
        )
    for c in run.catalogs:
        resources.append(
            {
                "uuid": ids("resource", "catalog", c.framework),
                "title": f"dxguard catalog {c.framework} {c.version}",
                "rlinks": [{"href": path_uri(c.file), "hashes": [_sha(c.sha256)]}],
            }
        )
    if run.config.file:
        resources.append(
            {
                "uuid": ids("resource", "config"),
                "title": "dxguard configuration",
                "rlinks": [
                    {
                        "href": path_uri(run.config.file),
                        "hashes": [_sha(run.config.file_sha256)],
                    }
                ],
            }
        )
    if run.waivers is not None:
        resources.append(
            {
                "uuid": ids("resource", "waivers"),
                "title": "dxguard waiver file",
                "rlinks": [
                    {
                        "href": path_uri(run.waivers.file),
                        "hashes": [_sha(run.waivers.sha256)],
                    }
                ],
            }
        )
    return resources, refs


def _sha(value: str) -> dict[str, str]:
    return {"algorithm": "SHA-256", "value": value}


def _result(
    report: Report,
    fw: FrameworkResult,
    ids: _Ids,
    input_refs: dict[str, str],
    notes: list[str],
) -> dict[str, Any]:
    run = report.run
    # Each result defines its own assessment assets, so their uuids are the result's own: a uuid
    # names one definition in the whole document.
    tool = ids("component", fw.id, "dxguard")
    opa = ids("component", fw.id, "opa")
    actor = [{"actors": [{"type": "tool", "actor-uuid": tool}]}]

    tokens: dict[str, str] = {}
    for c in fw.controls:
        token = control_token(fw.id, c.id)
        n = 2
        while token in tokens.values():
            token = f"{control_token(fw.id, c.id)}-{n}"
            n += 1
        tokens[c.id] = token

    assessed = [c for c in fw.controls if c.status != "manual"]
    check_ids = list(dict.fromkeys(k.id for c in assessed for k in c.checks))
    cited = {fid for c in fw.controls for fid in (*c.failures, *c.waived)}
    by_check: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.id in cited:
            by_check.setdefault(f.check, []).append(f)
    observations = [
        _observation(report, fw, cid, ids, input_refs, actor, by_check.get(cid, []))
        for cid in check_ids
    ]
    findings = [
        _finding(fw, c, tokens[c.id], ids, actor) for c in assessed if c.status in TARGET_STATUS
    ]
    manual = [c.id for c in fw.controls if c.status == "manual"]
    not_applicable = [c.id for c in fw.controls if c.status == "not-applicable"]
    remarks = list(notes)
    if manual:
        remarks.append(
            "Not assessed by automated checks (manual evidence required): " + "; ".join(manual)
        )
    if not_applicable:
        remarks.append(
            "Not applicable — the mapped checks examined nothing in scope, so no finding is "
            "made: " + "; ".join(not_applicable)
        )
    selection: dict[str, Any] = (
        {"include-controls": [{"control-id": tokens[c.id]} for c in assessed]}
        if assessed
        else {"remarks": "No control of this framework is assessed by automated checks."}
    )
    result: dict[str, Any] = {
        "uuid": ids("result", fw.id),
        "title": f"{fw.title} — dxguard automated assessment",
        "description": f"{fw.description} Catalog {fw.id} version {fw.version}.",
        "start": run.as_of,
        "end": run.as_of,
        "props": [
            _prop("framework", fw.id),
            _prop("catalog-version", fw.version),
            *[_prop(f"controls-{s}", n) for s, n in fw.summary.items()],
        ],
        "local-definitions": {
            "assessment-assets": {
                "components": [
                    {
                        "uuid": tool,
                        "type": "software",
                        "title": "dxguard",
                        "description": "Compliance policy-as-code checker: Rego checks on OPA, "
                        "mapped onto framework controls.",
                        "props": [_prop("version", run.dxguard_version)],
                        "status": {"state": "operational"},
                    },
                    {
                        "uuid": opa,
                        "type": "software",
                        "title": "Open Policy Agent",
                        "description": "The policy engine that evaluated the checks.",
                        "props": [_prop("version", run.opa_version)],
                        "status": {"state": "operational"},
                    },
                ],
                "assessment-platforms": [
                    {
                        "uuid": ids("platform", fw.id),
                        "title": "dxguard on OPA",
                        "uses-components": [{"component-uuid": tool}, {"component-uuid": opa}],
                    }
                ],
            }
        },
        "reviewed-controls": {
            "control-selections": [selection],
            "remarks": "Control ids are OSCAL tokens of the clauses as cited; each finding "
            "carries the clause as cited in its control-id property.",
        },
        "remarks": "\n\n".join(remarks),
    }
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    return result


def _observation(
    report: Report,
    fw: FrameworkResult,
    check_id: str,
    ids: _Ids,
    input_refs: dict[str, str],
    actor: list[dict[str, Any]],
    mine: list[Finding],
) -> dict[str, Any]:
    check = next(k for k in report.checks if k.id == check_id)
    per_file: dict[str, int] = {}
    for res in report.resources:
        if check_id in res.checks:
            per_file[res.source.file] = per_file.get(res.source.file, 0) + 1
    failures = [f for f in mine if f.status == "failed"]
    waived = [f for f in mine if f.status == "waived"]
    obs: dict[str, Any] = {
        "uuid": ids("observation", fw.id, check_id),
        "title": f"{check_id}: {check.title}",
        "description": f"{check.title}. Examined {check.examined} subject(s) in "
        f"{check.resources_examined} resource(s): {check.passed} passed, "
        f"{check.failed} failed, {check.waived} waived.",
        "props": [
            _prop("check-id", check_id),
            _prop("severity", check.severity),
            _prop("family", check.family),
            _prop("subjects-examined", check.examined),
            _prop("subjects-failed", check.failed),
            _prop("subjects-waived", check.waived),
        ],
        "methods": ["TEST"],
        "types": ["finding"] if failures else ["control-objective"],
        "origins": actor,
        "collected": report.run.as_of,
    }
    evidence = [
        {
            "href": f"#{input_refs[path]}",
            "description": f"{path} (sha256 "
            f"{next(i.sha256 for i in report.run.inputs if i.path == path)}): "
            f"{n} resource(s) examined by {check_id}",
        }
        for path, n in sorted(per_file.items())
        if path in input_refs
    ]
    if evidence:
        obs["relevant-evidence"] = evidence
    lines = [f"Failed: {finding_line(f)}" for f in failures]
    lines += [
        f"Waived by {f.waiver.id} (until {f.waiver.expires}): {finding_line(f)}" for f in waived
    ]
    if lines:
        obs["remarks"] = "\n".join(lines)
    return obs


def _finding(
    fw: FrameworkResult, c: ControlResult, token: str, ids: _Ids, actor: list[dict[str, Any]]
) -> dict[str, Any]:
    state, reason = TARGET_STATUS[c.status]
    s = c.subjects
    remarks = [
        f"dxguard status {c.status}: {s.examined} subject(s) examined, {s.passed} "
        f"passed, {s.failed} failed, {s.waived} waived."
    ]
    if c.status == "passed-manual-pending":
        remarks.append(
            "The automated checks passed, but they cover this control only in part: it is not "
            "satisfied until the manual evidence is attached (status reason: other, not fail)."
        )
    elif c.manual_evidence_required:
        remarks.append(
            "Automated checks cover this control only in part; manual evidence is required as well."
        )
    for w in c.waivers:
        remarks.append(
            f"Waiver {w.id} ({w.state}): {w.justification} Approved by {w.approver} "
            f"on {w.approved}, ticket {w.ticket}, expires {w.expires}."
        )
    return {
        "uuid": ids("finding", fw.id, c.id),
        "title": f"{c.id} — {c.title}",
        "description": c.requirement,
        "props": [
            _prop("control-id", c.id),
            _prop("dxguard-status", c.status),
            _prop("evidence", c.evidence),
            _prop("citation", c.citation),
        ],
        "origins": actor,
        "target": {
            "type": "objective-id",
            "target-id": token,
            "status": {"state": state, "reason": reason},
        },
        "related-observations": [
            {"observation-uuid": ids("observation", fw.id, k.id)} for k in c.checks
        ],
        "remarks": "\n\n".join(remarks),
    }
