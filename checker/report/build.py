"""Build the evidence report: a plain, deterministic dict that every renderer starts from.

Pure: no I/O, no clocks, no OPA. Everything is sorted, so the same inputs, bundle, waivers and
as-of time give the same report byte for byte once serialised. The report also decides the run's
result (pass/fail) from the --fail-on threshold and lapsed waivers, so every format and the exit
code agree; renderers only present it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checker import __version__
from checker.controls import (
    STATUSES,
    CheckStats,
    check_stats,
    control_status,
)
from checker.identity import SEP, finding_digest, finding_id, occurrence_key
from checker.model import CheckMeta, CheckResult, Framework, LoadResult
from checker.report.image_evidence import image_evidence
from checker.waivers import ACTIVE, EXPIRED, PENDING, WaiverOutcome

REPORT_VERSION = "3.0"

SEVERITIES = ("low", "medium", "high", "critical")
FAIL_ON = (*SEVERITIES, "none")

GENERAL_SCOPE_NOTE = (
    "Automated checks give evidence for a control; they do not by themselves demonstrate "
    "regulatory compliance. A control is satisfied only when its checks examined at least one "
    "subject and none failed; nothing examined is reported as not-applicable, never as satisfied. "
    "Controls marked manual or partial need attached evidence: a partial control whose checks "
    "passed is reported as passed-manual-pending, never as satisfied."
)

STATUS_ORDER = list(STATUSES)


@dataclass
class RunInfo:
    as_of: str
    opa_version: str
    bundle_sha256: str
    bundle_modules: int
    engine: str
    config_file: str | None
    config_file_sha256: str | None
    config_sha256: str
    parameters: dict[str, Any]
    ci: dict[str, str] = field(default_factory=dict)
    # Lowest severity of an unwaived failure that fails the run; "none" never fails it.
    fail_on: str = "low"
    # Checks the config disabled (id → reason): not evaluated, recorded with their reason.
    disabled_checks: dict[str, str] = field(default_factory=dict)
    # Custom policy files added to the bundle: {file, sha256, package} each.
    custom_policies: list[dict[str, str]] = field(default_factory=list)


# Locates the line of a field path in a resource's source: (resource id, path) → line.
LineOf = Callable[[str, str], int]


def build_report(
    run: RunInfo,
    frameworks: list[Framework],
    all_frameworks: list[Framework],
    checks: list[CheckMeta],
    results: list[CheckResult],
    load: LoadResult,
    line_of: LineOf,
    waivers: WaiverOutcome | None = None,
    passes: Mapping[tuple[str, str], int] | None = None,
) -> dict[str, Any]:
    """The evidence report. `results` are the failures and waived failures; `passes` counts the
    passing subjects per (check, resource)."""
    passes = passes or {}
    stats = check_stats(results, passes)
    by_check = {c.id: c for c in checks}
    resources = {r.id: r for r in load.resources}

    # Every failure (and waived failure) once, with its location and a stable id; controls refer
    # to findings by id, so a failure that serves twenty controls is still written once.
    findings: list[dict[str, Any]] = []
    prefetch = getattr(line_of, "prefetch", None)
    # A resource that is one part of a larger document (a resource in a Terraform plan, a Packer
    # builder) starts at its own line, not the document's: the Locator finds it from its pointer.
    parts = [r.id for r in load.resources if r.source.pointer]
    if prefetch is not None:  # resolve every failure's line in one pass per document
        prefetch(
            [(r.resource, r.path) for r in results if r.status != "pass"]
            + [(rid, "") for rid in parts]
        )
    own_line = {rid: line_of(rid, "") for rid in parts}
    for r in results:
        if r.status == "pass":
            continue
        res = resources[r.resource]
        digest = finding_digest(r.check, res, r.path, r.subject)
        entry: dict[str, Any] = {
            "id": finding_id(digest),
            "fingerprint": digest,
            "status": "waived" if r.status == "waived" else "failed",
            "check": r.check,
            "severity": by_check[r.check].severity,
            "resource": {
                "id": res.id,
                "kind": res.kind,
                "name": res.name,
                "namespace": res.namespace,
            },
            "file": res.source.file,
            "line": line_of(res.id, r.path),
            "path": r.path,
            "message": r.message,
        }
        if r.subject is not None:
            entry["subject"] = r.subject
        if r.waiver is not None and waivers is not None:
            entry["waiver"] = _waiver_ref(waivers, r.waiver)
        findings.append(entry)
    _distinguish_copies(findings, resources)
    findings.sort(key=_failure_key)
    by_id = {f["id"]: f for f in findings}
    ids_by_check: dict[str, dict[str, list[str]]] = {"failed": {}, "waived": {}}
    for f in findings:  # in report order, so every id list below is in report order too
        ids_by_check[f["status"]].setdefault(f["check"], []).append(f["id"])
    rank = {f["id"]: i for i, f in enumerate(findings)}

    framework_entries = [
        _framework(fw, stats, by_check, ids_by_check, rank, by_id, waivers, run.disabled_checks)
        for fw in frameworks
    ]
    # The findings the selected frameworks' controls refer to (a framework selection scopes them).
    cited_ids = {
        fid
        for fw in framework_entries
        for c in fw["controls"]
        for fid in (*c["failures"], *c["waived"])
    }
    findings = [f for f in findings if f["id"] in cited_ids]
    gate = _gate(run.fail_on, findings)

    per_resource: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for (check, resource), n in passes.items():
        per_resource[resource][check]["pass"] += n
    for r in results:
        per_resource[r.resource][r.check][r.status] += 1
    resource_entries = []
    for res in load.resources:
        checks_of = per_resource.get(res.id, {})
        resource_entries.append(
            {
                "id": res.id,
                "family": res.family,
                "kind": res.kind,
                "apiVersion": res.api_version,
                "name": res.name,
                "namespace": res.namespace,
                "source": {**res.source.to_json(), "line": own_line.get(res.id, res.source.line)},
                "examined": bool(checks_of),
                "checks": {
                    cid: {"passed": cnt["pass"], "failed": cnt["fail"], "waived": cnt["waived"]}
                    for cid, cnt in sorted(checks_of.items())
                },
            }
        )
        if res.family == "image" and res.normalized is not None:
            resource_entries[-1]["image"] = image_evidence(res.normalized, run.as_of)
    resource_entries.sort(
        key=lambda e: (e["source"]["file"], e["source"]["document"], e["source"].get("item", -1))
    )
    examined = sum(1 for e in resource_entries if e["examined"])
    not_examined_kinds = Counter(e["kind"] for e in resource_entries if not e["examined"])

    passed = sum(s.passed for s in stats.values())
    failed = sum(s.failed for s in stats.values())
    waived = sum(s.waived for s in stats.values())
    statuses = waivers.statuses if waivers is not None else []
    return {
        "report_version": REPORT_VERSION,
        "tool": {"name": "dxguard", "version": __version__},
        "run": _run(run, all_frameworks, frameworks, load, waivers),
        "scope_notes": [GENERAL_SCOPE_NOTE],
        "summary": {
            "result": "fail" if gate["failing"] or gate["lapsed_waivers"] else "pass",
            "gate": gate,
            "frameworks": {fw["id"]: fw["summary"] for fw in framework_entries},
            "resources": {
                "loaded": len(resource_entries),
                "examined": examined,
                "not_examined": len(resource_entries) - examined,
                "not_examined_kinds": dict(sorted(not_examined_kinds.items())),
            },
            "subjects": {
                "examined": passed + failed + waived,
                "passed": passed,
                "failed": failed,
                "waived": waived,
            },
            "waivers": {
                "total": len(statuses),
                ACTIVE: sum(1 for s in statuses if s.state == ACTIVE),
                EXPIRED: sum(1 for s in statuses if s.state == EXPIRED),
                PENDING: sum(1 for s in statuses if s.state == PENDING),
                "unused": sum(1 for s in statuses if s.unused),
                "expiring": sum(1 for s in statuses if s.expiring),
            },
            "skipped_inputs": len(load.skipped),
        },
        "frameworks": framework_entries,
        "findings": findings,
        "checks": [_check(c, stats.get(c.id), run.parameters, ids_by_check, run) for c in checks],
        "resources": resource_entries,
        "waivers": [s.to_json() for s in statuses],
        "skipped": sorted(
            (s.to_json() for s in load.skipped),
            key=lambda s: (s["file"], s.get("document", -1)),
        ),
    }


def _waiver_ref(waivers: WaiverOutcome, waiver_id: str) -> dict[str, Any]:
    """What a failure says about the waiver that selected it (the full record is listed once)."""
    st = waivers.status_of(waiver_id)
    ref: dict[str, Any] = {
        "id": waiver_id,
        "state": st.state,
        "expires": st.waiver.expires.isoformat(),
    }
    if st.expired_since is not None:
        ref["expired_since"] = st.expired_since.isoformat()
    if st.state == PENDING:
        ref["approved"] = st.waiver.approved.isoformat()
    return ref


def _gate(fail_on: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Which unwaived failures, among the selected frameworks' findings, fail the run.

    A failure at or above the --fail-on severity fails it; so does any failure that only an
    expired waiver covers (a lapsed exception is a process failure whatever the severity).
    Waived failures never do. "none" reports without failing.
    """
    threshold = SEVERITIES.index(fail_on) if fail_on in SEVERITIES else None
    failed = [f for f in findings if f["status"] == "failed"] if threshold is not None else []
    return {
        "fail_on": fail_on,
        "failing": sum(1 for f in failed if SEVERITIES.index(f["severity"]) >= threshold),
        "lapsed_waivers": sum(1 for f in failed if f.get("waiver", {}).get("state") == EXPIRED),
    }


def _distinguish_copies(findings: list[dict[str, Any]], resources: dict[str, Any]) -> None:
    """Finding ids are unique in a report. Two findings share an identity only when one object
    (kind, namespace, name) is written twice in the inputs; the first copy keeps the id, the
    others get the copy's number (by file real path and document), so ids stay stable."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        groups.setdefault(f["fingerprint"], []).append(f)
    for same in groups.values():
        if len(same) < 2:
            continue
        same.sort(key=lambda f: occurrence_key(resources[f["resource"]["id"]]))
        for n, f in enumerate(same[1:], start=2):
            f["fingerprint"] = hashlib.sha256(f"{f['fingerprint']}{SEP}{n}".encode()).hexdigest()
            f["id"] = finding_id(f["fingerprint"])


def _failure_key(f: dict[str, Any]) -> tuple:
    return (f["file"], f["line"], f["check"], f["path"], f["resource"]["id"], f.get("subject", ""))


def _run(
    run: RunInfo,
    all_frameworks: list[Framework],
    selected: list[Framework],
    load: LoadResult,
    waivers: WaiverOutcome | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "as_of": run.as_of,
        "dxguard_version": __version__,
        "opa_version": run.opa_version,
        "engine": run.engine,
        "bundle": {"sha256": run.bundle_sha256, "modules": run.bundle_modules},
        "catalogs": _catalog_files(all_frameworks),
        "frameworks_selected": [fw.id for fw in selected],
        "config": {
            "file": run.config_file,
            "file_sha256": run.config_file_sha256,
            "sha256": run.config_sha256,
        },
        "inputs": [
            {
                "path": i.path,
                "sha256": i.sha256,
                "size": i.size,
                "documents": i.documents,
                "resources": i.resources,
            }
            for i in load.inputs
        ],
    }
    out["fail_on"] = run.fail_on
    if waivers is not None:
        out["waivers"] = {
            "file": waivers.file,
            "sha256": waivers.sha256,
            "expiry_warning_days": waivers.warning_days,
        }
    out["disabled_checks"] = [
        {"id": cid, "reason": reason} for cid, reason in sorted(run.disabled_checks.items())
    ]
    out["custom_policies"] = sorted(run.custom_policies, key=lambda p: p["file"])
    if run.ci:
        out["ci"] = dict(sorted(run.ci.items()))
    return out


def _catalog_files(frameworks: list[Framework]) -> list[dict[str, Any]]:
    """Every catalog file the run used, built-in and custom (overlays after their framework)."""
    out = []
    for fw in sorted(frameworks, key=lambda f: f.id):
        out.append(
            {
                "framework": fw.id,
                "version": fw.version,
                "file": fw.file,
                "sha256": fw.sha256,
                "origin": fw.origin,
            }
        )
        for file, version, sha in fw.overlays:
            out.append(
                {
                    "framework": fw.id,
                    "version": version,
                    "file": file,
                    "sha256": sha,
                    "origin": "custom",
                }
            )
    return out


def _framework(
    fw: Framework,
    stats: dict[str, CheckStats],
    by_check: dict[str, CheckMeta],
    ids_by_check: dict[str, dict[str, list[str]]],
    rank: dict[str, int],
    by_id: dict[str, dict[str, Any]],
    waivers: WaiverOutcome | None,
    disabled: dict[str, str],
) -> dict[str, Any]:
    controls = []
    for control in fw.controls:
        status = control_status(control, stats, disabled)
        off = [cid for cid in control.checks if cid in disabled]
        check_rows = []
        for cid in control.checks:
            s = stats.get(cid, CheckStats())
            check_rows.append(
                {
                    "id": cid,
                    "title": by_check[cid].title,
                    "severity": by_check[cid].severity,
                    "examined": s.examined,
                    "passed": s.passed,
                    "failed": s.failed,
                    "waived": s.waived,
                    "resources_examined": len(s.resources),
                }
            )
            if cid in disabled:
                check_rows[-1]["disabled"] = True
        failures = _ids_of(control.checks, ids_by_check["failed"], rank)
        waived = _ids_of(control.checks, ids_by_check["waived"], rank)
        cited = sorted(
            {by_id[i]["waiver"]["id"] for i in (*failures, *waived) if "waiver" in by_id[i]}
        )
        entry: dict[str, Any] = {
            "id": control.id,
            "title": control.title,
            "requirement": control.requirement,
            "evidence": control.evidence,
            "citation": control.citation,
            "status": status,
            "manual_evidence_required": control.evidence != "automated",
            "checks": check_rows,
            "subjects": {
                "examined": sum(r["examined"] for r in check_rows),
                "passed": sum(r["passed"] for r in check_rows),
                "failed": sum(r["failed"] for r in check_rows),
                "waived": sum(r["waived"] for r in check_rows),
            },
            "failures": failures,
            "waived": waived,
            "waivers": [waivers.status_of(w).to_json() for w in cited] if waivers else [],
        }
        if control.notes:
            entry["notes"] = control.notes
        if control.evidence_to_attach:
            entry["evidence_to_attach"] = list(control.evidence_to_attach)
        if control.sources:
            entry["sources"] = list(control.sources)
        if off:
            if len(off) == len(control.checks):
                entry["manual_evidence_required"] = True
            entry["disabled_checks"] = off
        if control.catalog:
            entry["catalog"] = control.catalog
        controls.append(entry)
    counts = Counter(c["status"] for c in controls)
    return {
        "id": fw.id,
        "title": fw.title,
        "version": fw.version,
        "description": fw.description,
        "scope_notes": list(fw.scope_notes),
        "summary": {s: counts.get(s, 0) for s in STATUS_ORDER},
        "controls": controls,
    }


def _ids_of(checks: tuple[str, ...], ids: dict[str, list[str]], rank: dict[str, int]) -> list[str]:
    """The finding ids of these checks, in report order."""
    found = [i for cid in checks for i in ids.get(cid, [])]
    return sorted(found, key=rank.__getitem__) if len(checks) > 1 else found


def _check(
    c: CheckMeta,
    s: CheckStats | None,
    parameters: dict[str, Any],
    ids_by_check: dict[str, dict[str, list[str]]],
    run: RunInfo,
) -> dict[str, Any]:
    s = s or CheckStats()
    custom_packages = {p["package"] for p in run.custom_policies}
    entry = {
        "id": c.id,
        "title": c.title,
        "family": c.family,
        "severity": c.severity,
        "description": c.description,
        "package": c.package,
        "targets": c.targets,
        "remediation": c.remediation,
        "parameters": {p: parameters.get(p) for p in c.parameters},
        "examined": s.examined,
        "passed": s.passed,
        "failed": s.failed,
        "waived": s.waived,
        "resources_examined": len(s.resources),
        "resources_failed": len(s.failed_resources),
        "failures": len(ids_by_check["failed"].get(c.id, [])),
        "waived_failures": len(ids_by_check["waived"].get(c.id, [])),
        "origin": "custom" if c.package in custom_packages else "builtin",
    }
    if c.id in run.disabled_checks:
        entry["disabled"] = {"reason": run.disabled_checks[c.id]}
    return entry
