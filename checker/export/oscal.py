"""The period's OSCAL 1.1.2 assessment-results: one result per scope and framework, for GRC
tools that ingest OSCAL.

Each result spans the scope's runs in the period (start: its first run, end: its last). A
control with an automated status at the period's end gets one observation (how many runs gave
each status, which regressions happened, with the last run's report as relevant evidence) and
one finding whose target status is that end status, mapped as the per-run OSCAL maps it
(checker/report/oscal.py). Controls that need manual evidence or examined nothing get no
finding (OSCAL has no status for them) and are named in the result's remarks with their
attached documents. Every run report and evidence document in the bundle is a back-matter
resource carrying its SHA-256. UUIDs are uuid5 of the period's own content, so the same period
gives the same document. Statuses come from the Period; nothing is decided here.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from checker.export.period import Period, RunInfo, last_moment
from checker.report.oscal import NAMESPACE, OSCAL_VERSION, TARGET_STATUS, control_token
from checker.report.oscal import _prop as prop

STATEMENT = (
    "Automated checks give evidence for a control; they do not by themselves demonstrate "
    "regulatory compliance."
)


class _Ids:
    def __init__(self, period_json: bytes):
        digest = hashlib.sha256(period_json).hexdigest()
        self.root = uuid.uuid5(NAMESPACE, f"period-assessment-results\x1f{digest}")

    def __call__(self, *parts: Any) -> str:
        return str(uuid.uuid5(self.root, "\x1f".join(str(p) for p in parts)))


def _sha(value: str) -> dict[str, str]:
    return {"algorithm": "SHA-256", "value": value}


def render_period_oscal(period: Period, period_json: bytes) -> bytes:
    """The assessment-results document (UTF-8 JSON); `period_json` is the period's JSON as the
    bundle holds it (the root of the uuids)."""
    ids = _Ids(period_json)
    end = last_moment(period.until)
    runs = period.period_runs()
    resources = _back_matter(period, ids)
    results = []
    for scope in sorted({r.scope for r in runs}, key=lambda s: (s is not None, s or "")):
        mine = [r for r in runs if r.scope == scope]
        for fw in period.frameworks():
            result = _result(period, scope, fw, mine, ids)
            if result is not None:
                results.append(result)
    remarks = [STATEMENT]
    if not runs:
        remarks.append("No run or audit was recorded in the period: nothing was assessed.")
    doc = {
        "assessment-results": {
            "uuid": str(ids.root),
            "metadata": {
                "title": f"dxguard evidence for {period.name}",
                "last-modified": end,
                "version": period.name,
                "oscal-version": OSCAL_VERSION,
                "props": [
                    prop("period-since", period.since),
                    prop("period-until", period.until),
                    prop("runs", len(runs)),
                    *[prop("scope", s) for s in period.scopes_filter],
                    *[prop("framework", f) for f in period.frameworks_filter],
                ],
                "remarks": "\n\n".join(remarks),
            },
            "import-ap": {
                "href": f"#{ids('resource', 'assessment-plan')}",
                "remarks": "dxguard runs without a separate OSCAL assessment plan; the referenced "
                "back-matter resource describes the plan the period's runs imply.",
            },
            "results": results
            or [
                {
                    "uuid": ids("result", "empty"),
                    "title": f"No runs recorded in {period.name}",
                    "description": "The evidence store holds no run or audit of the selected "
                    "scopes in the period: nothing was assessed, and nothing is satisfied.",
                    "start": period.since,
                    "end": end,
                    "reviewed-controls": {
                        "control-selections": [{"remarks": "No control was assessed."}]
                    },
                }
            ],
            "back-matter": {"resources": resources},
        }
    }
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _back_matter(period: Period, ids: _Ids) -> list[dict[str, Any]]:
    bundles = sorted({r.bundle_sha256 for r in period.period_runs() if r.bundle_sha256})
    out: list[dict[str, Any]] = [
        {
            "uuid": ids("resource", "assessment-plan"),
            "title": "Assessment plan implied by the period's dxguard runs",
            "description": "Rego checks from the policy bundles below, run on the real OPA by "
            "each recorded run, mapped onto framework controls by its catalogs; every run's "
            "report names its inputs, configuration and catalogs with their digests.",
            "props": [prop("policy-bundle-sha256", b) for b in bundles] or None,
        }
    ]
    if out[0]["props"] is None:
        del out[0]["props"]
    for r in period.runs:
        out.append(
            {
                "uuid": ids("resource", "run", r.seq),
                "title": f"{'Baseline ' if r.baseline else ''}{r.kind} {r.seq} report"
                f" ({r.scope or 'no scope'}, {r.recorded_at})",
                "props": [
                    prop("record", r.seq),
                    prop("record-hash", r.hash),
                    prop("result", r.result),
                ],
                "rlinks": [
                    {
                        "href": r.report_path,
                        "media-type": "application/json",
                        "hashes": [_sha(r.report_sha256)],
                    }
                ],
            }
        )
    for c in period.manual_evidence["controls"]:
        for e in c["evidence"]:
            if not e.get("bundle_path"):
                continue
            out.append(
                {
                    "uuid": ids("resource", "evidence", e["record"], c["framework"], c["control"]),
                    "title": f"{e['file']['name']} — manual evidence for {c['control']}",
                    "description": f"Attached by {e['by']}, dated {e['date']} (record "
                    f"{e['record']}).",
                    "rlinks": [
                        {
                            "href": e["bundle_path"],
                            "media-type": e["file"]["media_type"],
                            "hashes": [_sha(e["file"]["sha256"])],
                        }
                    ],
                }
            )
    return out


def _result(
    period: Period, scope: str | None, fw: str, runs: list[RunInfo], ids: _Ids
) -> dict[str, Any] | None:
    keys = [k for k in period.controls if k[0] == fw and scope in period.by_scope.get(k, {})]
    if not keys:
        return None
    name = scope or "no scope"
    tool = ids("component", name, fw, "dxguard")
    actor = [{"actors": [{"type": "tool", "actor-uuid": tool}]}]
    last = runs[-1]
    tokens: dict[str, str] = {}
    for key in keys:
        token, n = control_token(fw, key[1]), 2
        while token in tokens.values():
            token, n = f"{control_token(fw, key[1])}-{n}", n + 1
        tokens[key[1]] = token
    observations, findings, manual, not_applicable = [], [], [], []
    regressions = [g for g in period.regressions if g.scope == scope and g.framework == fw]
    for key in keys:
        sc = period.by_scope[key][scope]
        meta = period.controls[key]
        if sc.at_end is None or sc.at_end == "manual":
            manual.append(key[1])
            continue
        if sc.at_end == "not-applicable":
            not_applicable.append(key[1])
            continue
        counts = ", ".join(f"{n} {s}" for s, n in sc.runs.items())
        mine = [g for g in regressions if g.control == key[1]]
        obs_id = ids("observation", name, fw, key[1])
        obs: dict[str, Any] = {
            "uuid": obs_id,
            "title": f"{key[1]} in {name} over {period.name}",
            "description": f"{sum(sc.runs.values())} run(s) of {name} in {period.name}: "
            f"{counts}. Status at the start of the period: {sc.at_start or 'no earlier run'}; "
            f"at its end (run {sc.last_run}): {sc.at_end}.",
            "props": [
                prop("control-id", key[1]),
                prop("status-at-end", sc.at_end),
                *[prop(f"runs-{s}", n) for s, n in sc.runs.items()],
            ],
            "methods": ["TEST"],
            "types": ["finding"] if sc.at_end == "not-satisfied" else ["control-objective"],
            "origins": actor,
            "collected": last.recorded_at,
            "relevant-evidence": [
                {
                    "href": f"#{ids('resource', 'run', sc.last_run)}",
                    "description": f"The report of run {sc.last_run}, the last of {name} in "
                    "the period.",
                }
            ],
        }
        if mine:
            obs["remarks"] = "\n".join(
                f"Went from {g.before} (run {g.before_run}) to not-satisfied (run "
                f"{g.after_run}, {g.recorded_at})."
                for g in mine
            )
        observations.append(obs)
        if sc.at_end in TARGET_STATUS:
            state, reason = TARGET_STATUS[sc.at_end]
            findings.append(
                {
                    "uuid": ids("finding", name, fw, key[1]),
                    "title": f"{key[1]} — {meta.title}",
                    "description": f"Status of {key[1]} in {name} at the end of {period.name}.",
                    "props": [
                        prop("control-id", key[1]),
                        prop("dxguard-status", sc.at_end),
                        prop("evidence", meta.evidence_kind),
                    ],
                    "origins": actor,
                    "target": {
                        "type": "objective-id",
                        "target-id": tokens[key[1]],
                        "status": {"state": state, "reason": reason},
                    },
                    "related-observations": [{"observation-uuid": obs_id}],
                }
            )
    remarks = [STATEMENT]
    documents = {
        c["control"]: c for c in period.manual_evidence["controls"] if c["framework"] == fw
    }
    if manual:
        remarks.append(
            "Not assessed by automated checks (manual evidence required): "
            + "; ".join(f"{m} ({_attached(documents.get(m))})" for m in manual)
        )
    if not_applicable:
        remarks.append(
            "Not applicable at the period's end — the mapped checks examined nothing in scope, "
            "so no finding is made: " + "; ".join(not_applicable)
        )
    assessed = [k[1] for k in keys if k[1] not in manual]
    selection: dict[str, Any] = (
        {"include-controls": [{"control-id": tokens[c]} for c in assessed]}
        if assessed
        else {"remarks": "No control of this framework is assessed by automated checks."}
    )
    result: dict[str, Any] = {
        "uuid": ids("result", name, fw),
        "title": f"{fw} in {name} — {period.name}",
        "description": f"dxguard's automated assessment of {fw} in {name}: {len(runs)} run(s) "
        f"recorded from {runs[0].recorded_at} to {last.recorded_at}.",
        "start": runs[0].recorded_at,
        "end": last.recorded_at,
        "props": [prop("framework", fw), prop("scope", name), prop("runs", len(runs))],
        "local-definitions": {
            "assessment-assets": {
                "components": [
                    {
                        "uuid": tool,
                        "type": "software",
                        "title": "dxguard",
                        "description": "Compliance policy-as-code checker: Rego checks on OPA, "
                        "mapped onto framework controls.",
                        "props": [prop("version", last.dxguard_version or "unknown")],
                        "status": {"state": "operational"},
                    }
                ],
                "assessment-platforms": [
                    {
                        "uuid": ids("platform", name, fw),
                        "title": "dxguard on OPA",
                        "uses-components": [{"component-uuid": tool}],
                    }
                ],
            }
        },
        "reviewed-controls": {"control-selections": [selection]},
        "remarks": "\n\n".join(remarks),
    }
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    return result


def _attached(control: dict[str, Any] | None) -> str:
    if not control:
        return "no manual evidence expected"
    if control["status"] == "missing":
        return "no document attached"
    docs = control["evidence"]
    return f"{len(docs)} document(s) attached, latest {docs[0]['file']['name']} ({docs[0]['date']})"
