"""`dxguard audit`: what a live cluster holds, judged exactly as a scan judges files.

The audit prepares the run as a scan does (checker.scan.prepare_run), opens the bundle, asks it
which kinds its checks need (checker.audit.kinds), lists each from the cluster through the
kubernetes client (checker.audit.cluster), turns every object into a resource through the same
loaders a scan uses (files given beside the cluster — image evidence, an audit Policy file —
are read with them), and hands them to the scan's own evaluate-and-report step
(checker.scan.evaluate_and_report). The verdict therefore cannot depend on the door: the same
objects with the same bundle give the same check results as `dxguard scan` of them.

Evidence, not silence: the report's run.cluster names the cluster (API server, kube-system UID)
and every kind the bundle needed, with the API it was listed through and how many objects it
held; a kind no API of the cluster serves is listed among the skipped inputs with that reason.
A kind the credentials may not list stops the audit (exit 2) naming every such kind and the
RBAC rule that would allow it: a partial list is never judged as if it were the cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from checker.audit.cluster import (
    PAGE_SIZE,
    Cluster,
    ClusterError,
    ForbiddenError,
    NotFoundError,
)
from checker.audit.kinds import (
    KUBEVIRT_CONTEXT,
    KUBEVIRT_VMS,
    ApiResource,
    ListPlan,
    plan,
    wanted_kinds,
)
from checker.audit.objects import RenderedObjects, listed_object
from checker.bundle import Bundle
from checker.loaders import load
from checker.model import LoadResult, Skipped
from checker.report import Report
from checker.report.model import ClusterInfo, ListedKind
from checker.scan import ScanOptions, evaluate_and_report, prepare_run
from checker.timing import stage


@dataclass
class AuditOptions:
    scan: ScanOptions  # frameworks, config, waivers, engine, as-of… exactly as a scan takes them
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    cluster_name: str | None = None
    chunk_size: int = PAGE_SIZE  # objects per page of a list (kubectl's --chunk-size)
    # Progress of the listing, per page: (kind, objects so far, estimated total or None, done).
    on_list: Callable[[str, int, int | None, bool], None] | None = None
    on_listed: Callable[[], None] | None = None  # the listing is over (a progress bar ends)


@dataclass
class Listing:
    """What the audit read from the cluster."""

    info: ClusterInfo
    objects: list = field(default_factory=list)  # ListedObject, in listing order
    skipped: list[Skipped] = field(default_factory=list)


def run_audit(opts: AuditOptions) -> Report:
    run = prepare_run(opts.scan)  # config, catalogs, waivers: errors before anything connects
    cluster = Cluster(opts.kubeconfig, opts.context)
    listing: Listing | None = None

    def read(bundle: Bundle) -> LoadResult:
        nonlocal listing
        kinds = wanted_kinds(bundle.checks, [*bundle.disabled, *bundle.out_of_scope])
        # Custom resources the config declares as workloads carry pod specs the checks judge.
        kinds = sorted(
            {*kinds, *(w.kind for w in run.prepared.config.declared_workloads if w.pod_specs)}
        )
        try:
            listing = list_cluster(cluster, kinds, opts)
        finally:
            if opts.on_listed is not None:
                opts.on_listed()
        start = time.perf_counter()
        with stage("load"):
            loaded = load(
                opts.scan.paths,
                max_file_bytes=opts.scan.max_file_bytes,
                objects=listing.objects,
                workloads=run.prepared.config.workloads,
            )
        loaded.skipped[:0] = listing.skipped
        loaded.texts = RenderedObjects(  # type: ignore[assignment]  (rendered on demand)
            loaded.texts, {o.name: o.value for o in listing.objects}
        )
        opts.scan.say(
            f"read {len(loaded.resources):,} resource(s) from {len(listing.objects):,} listed "
            f"object(s)"
            + (f" and {len(opts.scan.paths)} path(s)" if opts.scan.paths else "")
            + f" in {time.perf_counter() - start:.1f} s"
        )
        return loaded

    def cluster_info() -> ClusterInfo:
        assert listing is not None  # read() ran: evaluate_and_report calls it first
        return listing.info

    try:
        return evaluate_and_report(opts.scan, run, read, cluster=cluster_info)
    finally:
        cluster.close()


def list_cluster(cluster: Cluster, kinds: list[str], opts: AuditOptions) -> Listing:
    """Every object of every wanted kind, with the cluster's identity and the kinds' outcomes."""
    conn = cluster.connection
    name = opts.cluster_name or conn.cluster or None
    resources, undiscovered = cluster.discover()  # also the first proof the cluster answers
    uid = cluster.identity()
    name = name or (f"cluster-{uid}" if uid else conn.server)
    plans = plan(kinds, resources)
    if not any(p.served_by for p in plans if p.kind in KUBEVIRT_VMS):
        # No KubeVirt here: what its VMs would look up is not needed (the VM kinds themselves
        # stay in the evidence as not served).
        plans = [p for p in plans if p.kind not in KUBEVIRT_CONTEXT]
    listing = Listing(
        ClusterInfo(
            name=name,
            server=conn.server,
            kinds=[],
            kube_system_uid=uid,
            context=conn.context,
            namespace=opts.namespace,
        )
    )
    for group, why in undiscovered:
        listing.skipped.append(
            Skipped(
                f"{name}/apis/{group}",
                f"API group {group} could not be discovered ({why}); the kinds it serves, if "
                "any, were not listed",
            )
        )
    refused: list[tuple[ListPlan, ApiResource, str]] = []
    for p in plans:
        if not p.served_by:
            listing.info.kinds.append(ListedKind(p.kind, "", "not-served"))
            listing.skipped.append(
                Skipped(
                    f"{name}/{p.kind}",
                    f"kind {p.kind}: no API of this cluster serves it, so the cluster holds "
                    "none" + _file_hint(p.kind),
                )
            )
            continue
        for res in p.served_by:
            try:
                items = _list(cluster, res, opts)
            except ForbiddenError as err:
                refused.append((p, res, err.refused.message))
                continue
            listing.objects += [listed_object(name, item, res) for item in items]
            listing.info.kinds.append(
                ListedKind(
                    p.kind, res.group_version, "listed", len(items), res.resource, res.namespaced
                )  # fmt: skip
            )
    if refused:
        raise _forbidden(refused, conn.server, opts.namespace)
    listing.info.kinds.sort(key=lambda k: (k.kind, k.api_version))
    return listing


def _list(cluster: Cluster, res: ApiResource, opts: AuditOptions) -> list[dict]:
    def page(count: int, remaining: int | None) -> None:
        if opts.on_list is not None:
            total = count + remaining if remaining is not None else None
            opts.on_list(res.kind, count, total, False)

    if opts.on_list is not None:
        opts.on_list(res.kind, 0, None, False)
    if res.namespaced or not opts.namespace:
        items = cluster.list(res, opts.namespace, page, opts.chunk_size)
    elif res.kind == "Namespace":  # --namespace: that namespace's own object, for its tier
        try:
            items = [cluster.get(res.path(None, opts.namespace))]
        except NotFoundError:
            raise ClusterError(
                f"--namespace {opts.namespace}: no such namespace at {cluster.connection.server}",
                hint="`kubectl get namespaces` lists them",
            ) from None
    else:
        items = cluster.list(
            res, None, page, opts.chunk_size
        )  # other cluster-scoped kinds: every object
    if opts.on_list is not None:
        opts.on_list(res.kind, len(items), len(items), True)
    return items


def _file_hint(kind: str) -> str:
    if kind == "Policy":
        return (
            " (the kube-apiserver's audit Policy is a file, not an API object: give it to the "
            "audit as a path)"
        )
    return ""


def _forbidden(refused: list, server: str, namespace: str | None) -> ClusterError:
    lines = []
    rules: dict[str, set[str]] = {}
    for p, res, message in refused:
        where = f" in namespace {namespace}" if namespace and res.namespaced else ""
        lines.append(f"  {p.kind} ({res.group_version} {res.resource}){where}: {message}")
        group = res.group_version.rpartition("/")[0]
        rules.setdefault(group, set()).add(res.resource)
    rule_text = "; ".join(
        f'apiGroups: ["{g}"], resources: [{", ".join(sorted(r))}], verbs: [get, list]'
        for g, r in sorted(rules.items())
    )
    return ClusterError(
        f"the credentials may not list {len(refused)} kind(s) the checks need at {server}, "
        "so the audit would be partial and was stopped:\n" + "\n".join(lines),
        hint=f"grant the audit's identity (deploy/audit/rbac.yaml has the full ClusterRole): "
        f"{rule_text}",
    )
