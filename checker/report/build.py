"""Build the evidence report: the typed records of checker/report/model.py, deterministic, that
every renderer, the store and the export start from.

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
    Coverage,
    check_stats,
    control_status,
    coverage,
    coverage_notes,
)
from checker.identity import SEP, finding_digest, finding_id, occurrence_key
from checker.model import CheckMeta, CheckResult, Framework, LoadResult
from checker.report.image_evidence import image_evidence
from checker.report.model import (
    BundleInfo,
    CatalogFile,
    CheckEntry,
    CitedBy,
    ClusterInfo,
    ConfigInfo,
    ControlCheck,
    ControlResult,
    CustomPolicy,
    ExcludedFramework,
    Finding,
    FrameworkResult,
    Gate,
    InputFileInfo,
    Reason,
    ReasonOnly,
    Report,
    ResourceCounts,
    ResourceEntry,
    ResourceRef,
    ResourceSource,
    ResultCounts,
    RunMeta,
    SkippedInput,
    SubjectCounts,
    Summary,
    Tool,
    WaiverCounts,
    WaiverEntry,
    WaiverFileInfo,
    WaiverRef,
    from_json,
)
from checker.waivers import ACTIVE, EXPIRED, PENDING, WaiverOutcome, WaiverStatus

REPORT_VERSION = "3.1"

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
    # What the repository holds (config `scope`): platform, or application, where the checks
    # that judge the cluster as a whole are out of scope (id → reason): not evaluated, listed.
    repository_scope: str = "platform"
    out_of_scope_checks: dict[str, str] = field(default_factory=dict)
    # The cluster an audit listed its resources from (None for a scan of files).
    cluster: ClusterInfo | None = None


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
) -> Report:
    """The evidence report. `results` are the failures and waived failures; `passes` counts the
    passing subjects per (check, resource)."""
    passes = passes or {}
    stats = check_stats(results, passes)
    by_check = {c.id: c for c in checks}
    resources = {r.id: r for r in load.resources}

    # Every failure (and waived failure) once, with its location and a stable id; controls refer
    # to findings by id, so a failure that serves twenty controls is still written once.
    findings: list[Finding] = []
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
        findings.append(
            Finding(
                id=finding_id(digest),
                fingerprint=digest,
                status="waived" if r.status == "waived" else "failed",
                check=r.check,
                severity=by_check[r.check].severity,
                resource=ResourceRef(res.id, res.kind, res.name, res.namespace),
                file=res.source.file,
                line=line_of(res.id, r.path),
                path=r.path,
                message=r.message or "",
                subject=r.subject,
                waiver=(
                    _waiver_ref(waivers, r.waiver)
                    if r.waiver is not None and waivers is not None
                    else None
                ),
            )
        )
    _distinguish_copies(findings, resources)
    findings.sort(key=lambda f: f.order_key)
    ids_by_check: dict[str, dict[str, list[str]]] = {"failed": {}, "waived": {}}
    # The waivers each check's findings name (a control cites those of its checks' findings).
    waivers_by_check: dict[str, set[str]] = {}
    for f in findings:  # in report order, so every id list below is in report order too
        ids_by_check[f.status].setdefault(f.check, []).append(f.id)
        if f.waiver is not None:
            waivers_by_check.setdefault(f.check, set()).add(f.waiver.id)
    rank = {f.id: i for i, f in enumerate(findings)}

    framework_entries = [
        _framework(
            fw,
            stats,
            by_check,
            ids_by_check,
            rank,
            waivers_by_check,
            waivers,
            run.disabled_checks,
            run.out_of_scope_checks,
        )  # fmt: skip
        for fw in frameworks
    ]
    # The findings the selected frameworks' controls refer to (a framework selection scopes them).
    cited_ids = {
        fid for fw in framework_entries for c in fw.controls for fid in (*c.failures, *c.waived)
    }
    findings = [f for f in findings if f.id in cited_ids]
    gate = _gate(run.fail_on, findings)

    per_resource: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for (check, resource), n in passes.items():
        per_resource[resource][check]["pass"] += n
    for r in results:
        per_resource[r.resource][r.check][r.status] += 1
    resource_entries = []
    for res in load.resources:
        checks_of = per_resource.get(res.id, {})
        src = res.source
        resource_entries.append(
            ResourceEntry(
                id=res.id,
                family=res.family,
                kind=res.kind,
                api_version=res.api_version,
                name=res.name,
                namespace=res.namespace,
                source=ResourceSource(
                    src.file, src.document, own_line.get(res.id, src.line), src.item
                ),
                examined=bool(checks_of),
                checks={
                    cid: ResultCounts(cnt["pass"], cnt["fail"], cnt["waived"])
                    for cid, cnt in sorted(checks_of.items())
                },
                image=(
                    image_evidence(res.normalized, run.as_of)
                    if res.family == "image" and res.normalized is not None
                    else None
                ),
            )
        )
    resource_entries.sort(
        key=lambda e: (
            e.source.file,
            e.source.document,
            e.source.item if e.source.item is not None else -1,
        )
    )
    examined = sum(1 for e in resource_entries if e.examined)
    not_examined_kinds = Counter(e.kind for e in resource_entries if not e.examined)

    passed = sum(s.passed for s in stats.values())
    failed = sum(s.failed for s in stats.values())
    waived = sum(s.waived for s in stats.values())
    statuses = waivers.statuses if waivers is not None else []
    cov = coverage(frameworks, all_frameworks, [c.id for c in checks])
    return Report(
        report_version=REPORT_VERSION,
        tool=Tool("dxguard", __version__),
        run=_run(run, all_frameworks, frameworks, load, waivers, cov),
        scope_notes=[
            GENERAL_SCOPE_NOTE,
            *_repository_scope_notes(run),
            *coverage_notes(cov, [*run.disabled_checks, *run.out_of_scope_checks]),
        ],
        summary=Summary(
            result="fail" if gate.failing or gate.lapsed_waivers else "pass",
            gate=gate,
            frameworks={fw.id: fw.summary for fw in framework_entries},
            resources=ResourceCounts(
                loaded=len(resource_entries),
                examined=examined,
                not_examined=len(resource_entries) - examined,
                not_examined_kinds=dict(sorted(not_examined_kinds.items())),
            ),
            subjects=SubjectCounts(passed + failed + waived, passed, failed, waived),
            waivers=WaiverCounts(
                total=len(statuses),
                active=sum(1 for s in statuses if s.state == ACTIVE),
                expired=sum(1 for s in statuses if s.state == EXPIRED),
                pending=sum(1 for s in statuses if s.state == PENDING),
                unused=sum(1 for s in statuses if s.unused),
                expiring=sum(1 for s in statuses if s.expiring),
            ),
            skipped_inputs=len(load.skipped),
        ),
        frameworks=framework_entries,
        findings=findings,
        checks=[_check(c, stats.get(c.id), run.parameters, ids_by_check, run, cov) for c in checks],
        resources=resource_entries,
        waivers=[waiver_entry(s) for s in statuses],
        skipped=sorted(
            (SkippedInput(s.file, s.reason, s.document, s.line) for s in load.skipped),
            key=lambda s: (s.file, s.document if s.document is not None else -1),
        ),
    )


def waiver_entry(status: WaiverStatus) -> WaiverEntry:
    """A waiver's record and state as the report lists it."""
    return from_json(WaiverEntry, status.to_json())


def _repository_scope_notes(run: RunInfo) -> list[str]:
    if not run.out_of_scope_checks:
        return []
    ids = ", ".join(sorted(run.out_of_scope_checks))
    return [
        "Repository scope: application. Out of scope for this repository, not evaluated and "
        f"never counted as satisfied: {ids} — they judge the cluster as a whole (namespaces, "
        "network and admission policies, the API server's audit trail, the log collector); "
        "the platform repository's scan gives that evidence, and the controls that cite them "
        "need it attached."
    ]


def _waiver_ref(waivers: WaiverOutcome, waiver_id: str) -> WaiverRef:
    """What a failure says about the waiver that selected it (the full record is listed once)."""
    st = waivers.status_of(waiver_id)
    return WaiverRef(
        id=waiver_id,
        state=st.state,
        expires=st.waiver.expires.isoformat(),
        expired_since=st.expired_since.isoformat() if st.expired_since is not None else None,
        approved=st.waiver.approved.isoformat() if st.state == PENDING else None,
    )


def _gate(fail_on: str, findings: list[Finding]) -> Gate:
    """Which unwaived failures, among the selected frameworks' findings, fail the run.

    A failure at or above the --fail-on severity fails it; so does any failure that only an
    expired waiver covers (a lapsed exception is a process failure whatever the severity).
    Waived failures never do. "none" reports without failing.
    """
    threshold = SEVERITIES.index(fail_on) if fail_on in SEVERITIES else None
    failed = [f for f in findings if f.status == "failed"] if threshold is not None else []
    return Gate(
        fail_on=fail_on,
        failing=sum(1 for f in failed if SEVERITIES.index(f.severity) >= threshold),
        lapsed_waivers=sum(1 for f in failed if f.waiver is not None and f.waiver.state == EXPIRED),
    )


def _distinguish_copies(findings: list[Finding], resources: dict[str, Any]) -> None:
    """Finding ids are unique in a report. Two findings share an identity only when one object
    (kind, namespace, name) is written twice in the inputs; the first copy keeps the id, the
    others get the copy's number (by file real path and document), so ids stay stable."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.fingerprint, []).append(f)
    for same in groups.values():
        if len(same) < 2:
            continue
        same.sort(key=lambda f: occurrence_key(resources[f.resource.id]))
        for n, f in enumerate(same[1:], start=2):
            f.fingerprint = hashlib.sha256(f"{f.fingerprint}{SEP}{n}".encode()).hexdigest()
            f.id = finding_id(f.fingerprint)


def _run(
    run: RunInfo,
    all_frameworks: list[Framework],
    selected: list[Framework],
    load: LoadResult,
    waivers: WaiverOutcome | None,
    cov: Coverage,
) -> RunMeta:
    return RunMeta(
        as_of=run.as_of,
        dxguard_version=__version__,
        opa_version=run.opa_version,
        engine=run.engine,
        bundle=BundleInfo(run.bundle_sha256, run.bundle_modules),
        catalogs=_catalog_files(all_frameworks),
        frameworks_selected=[fw.id for fw in selected],
        frameworks_not_selected=[
            ExcludedFramework(fw.id, fw.file, fw.origin) for fw in cov.excluded
        ],
        config=ConfigInfo(run.config_file, run.config_file_sha256, run.config_sha256),
        inputs=[
            InputFileInfo(i.path, i.sha256, i.size, i.documents, i.resources) for i in load.inputs
        ],
        fail_on=run.fail_on,
        waivers=(
            WaiverFileInfo(waivers.file, waivers.sha256, waivers.warning_days)
            if waivers is not None
            else None
        ),
        disabled_checks=[Reason(cid, why) for cid, why in sorted(run.disabled_checks.items())],
        custom_policies=[
            CustomPolicy(p["file"], p["sha256"], p["package"])
            for p in sorted(run.custom_policies, key=lambda p: p["file"])
        ],
        repository_scope=run.repository_scope,
        out_of_scope_checks=[
            Reason(cid, why) for cid, why in sorted(run.out_of_scope_checks.items())
        ],
        ci=dict(sorted(run.ci.items())),
        cluster=run.cluster,
    )


def _catalog_files(frameworks: list[Framework]) -> list[CatalogFile]:
    """Every catalog file the run used, built-in and custom (overlays after their framework)."""
    out = []
    for fw in sorted(frameworks, key=lambda f: f.id):
        out.append(CatalogFile(fw.id, fw.version, fw.file, fw.sha256, fw.origin))
        for file, version, sha in fw.overlays:
            out.append(CatalogFile(fw.id, version, file, sha, "custom"))
    return out


def _framework(
    fw: Framework,
    stats: dict[str, CheckStats],
    by_check: dict[str, CheckMeta],
    ids_by_check: dict[str, dict[str, list[str]]],
    rank: dict[str, int],
    waivers_by_check: dict[str, set[str]],
    waivers: WaiverOutcome | None,
    disabled: dict[str, str],
    out_of_scope: dict[str, str],
) -> FrameworkResult:
    controls = []
    for control in fw.controls:
        status = control_status(control, stats, disabled)
        elsewhere = [cid for cid in control.checks if cid in out_of_scope]
        off = [cid for cid in control.checks if cid in disabled]
        check_rows = []
        for cid in control.checks:
            s = stats.get(cid, CheckStats())
            check_rows.append(
                ControlCheck(
                    id=cid,
                    title=by_check[cid].title,
                    severity=by_check[cid].severity,
                    examined=s.examined,
                    passed=s.passed,
                    failed=s.failed,
                    waived=s.waived,
                    resources_examined=len(s.resources),
                    disabled=True if cid in disabled else None,
                    out_of_scope=True if cid in out_of_scope else None,
                )
            )
        failures = _ids_of(control.checks, ids_by_check["failed"], rank)
        waived = _ids_of(control.checks, ids_by_check["waived"], rank)
        # the waivers its failures and waived failures name: those of its checks' findings
        cited = sorted({w for cid in control.checks for w in waivers_by_check.get(cid, ())})
        manual = control.evidence != "automated"
        if off and len(off) == len(control.checks):
            manual = True
        if elsewhere:
            # Part (or all) of its automated evidence comes from the platform repository's scan:
            # the control is judged here on the rest (all out of scope: nothing examined, so
            # not-applicable), and its evidence must be completed from there.
            manual = True
        controls.append(
            ControlResult(
                id=control.id,
                title=control.title,
                requirement=control.requirement,
                evidence=control.evidence,
                citation=control.citation,
                status=status,
                manual_evidence_required=manual,
                checks=check_rows,
                subjects=SubjectCounts(
                    examined=sum(r.examined for r in check_rows),
                    passed=sum(r.passed for r in check_rows),
                    failed=sum(r.failed for r in check_rows),
                    waived=sum(r.waived for r in check_rows),
                ),
                failures=failures,
                waived=waived,
                waivers=[waiver_entry(waivers.status_of(w)) for w in cited] if waivers else [],
                notes=control.notes or None,
                evidence_to_attach=list(control.evidence_to_attach),
                sources=list(control.sources),
                disabled_checks=off,
                out_of_scope_checks=elsewhere,
                catalog=control.catalog or None,
            )
        )
    counts = Counter(c.status for c in controls)
    return FrameworkResult(
        id=fw.id,
        title=fw.title,
        version=fw.version,
        description=fw.description,
        scope_notes=list(fw.scope_notes),
        summary={s: counts.get(s, 0) for s in STATUS_ORDER},
        controls=controls,
    )


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
    cov: Coverage,
) -> CheckEntry:
    s = s or CheckStats()
    custom_packages = {p["package"] for p in run.custom_policies}
    return CheckEntry(
        id=c.id,
        title=c.title,
        family=c.family,
        severity=c.severity,
        description=c.description,
        package=c.package,
        targets=c.targets,
        remediation=c.remediation,
        parameters={p: parameters.get(p) for p in c.parameters},
        examined=s.examined,
        passed=s.passed,
        failed=s.failed,
        waived=s.waived,
        resources_examined=len(s.resources),
        resources_failed=len(s.failed_resources),
        failures=len(ids_by_check["failed"].get(c.id, [])),
        waived_failures=len(ids_by_check["waived"].get(c.id, [])),
        origin="custom" if c.package in custom_packages else "builtin",
        controls_cited_by=CitedBy(selected=cov.selected[c.id], loaded=cov.loaded[c.id]),
        disabled=(ReasonOnly(run.disabled_checks[c.id]) if c.id in run.disabled_checks else None),
        out_of_scope=(
            ReasonOnly(run.out_of_scope_checks[c.id]) if c.id in run.out_of_scope_checks else None
        ),
    )
