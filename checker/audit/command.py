"""The `dxguard audit` command: a thin front door onto checker.audit.run.

It parses options, shows the listing's progress (a bar per kind on a terminal, a line per kind
with --progress elsewhere), renders the report in the scan's formats, records the run with
kind "audit" when asked, and exits as a scan does: 0 pass, 1 fail, 2 error. No listing,
evaluation or verdict logic lives here.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from checker.store.commands import STORE_HELP

AUDIT_HELP = """Audit a live cluster: list every kind the checks need, judge it as a scan would.

\b
Reads the cluster through its API as kubectl does (--kubeconfig, else $KUBECONFIG or
~/.kube/config, else the pod's service account inside a cluster), lists each kind the
enabled checks examine or look up (Deployments, Pods, Namespaces, NetworkPolicies, RBAC,
RuntimeClasses, KubeVirt VMs, ...) page by page, and evaluates the objects as the cluster
returned them — with the defaults the API server filled in — on the same bundle as
`dxguard scan`. PATHs are files read beside the cluster, as a scan reads them: image
evidence (Trivy, SBOMs, signatures) and the kube-apiserver's audit Policy file, which no API
serves.

\b
Every kind the checks need is in the report (run.cluster.kinds): listed with its object
count, or not served by this cluster. Credentials that may not list a needed kind stop the
audit with exit 2, naming each kind and the RBAC rule to add; an unreachable cluster does
too. A partial listing is never judged as if it were the cluster.

\b
Examples:
  dxguard audit                                   the current kubectl context
  dxguard audit --context prod-eu -c dxguard.yaml evidence/
  dxguard audit -n pathology --format json -o audit.json
  dxguard audit --record --store postgresql://dxguard@db/evidence --cluster-name prod-eu

Exit codes: 0 no unwaived failure at or above --fail-on, 1 such a failure, 2 usage, config,
cluster or engine error (never reported as a pass)."""


@click.command("audit", help=AUDIT_HELP)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--kubeconfig",
    metavar="FILE",
    help="The kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config, else the pod's "
    "service account).",
)
@click.option("--context", metavar="NAME", help="The kubeconfig context (default: current).")
@click.option(
    "-n",
    "--namespace",
    metavar="NS",
    help="Audit one namespace: its namespaced objects and its Namespace object; "
    "cluster-scoped kinds (ClusterRoles, RuntimeClasses, ...) are still listed whole, since "
    "the checks look them up. Default: every namespace.",
)
@click.option(
    "--cluster-name",
    metavar="NAME",
    envvar="DXGUARD_CLUSTER_NAME",
    show_envvar=True,
    help="What the report and the store call this cluster (default: the kubeconfig's cluster "
    "name; in a pod, cluster-<kube-system UID>). Listed objects are named NAME/<API path>.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    metavar="N",
    help="Objects per page when listing (as kubectl's --chunk-size): large clusters are read "
    "in pages, never in one answer.",
)
@click.option(
    "-f",
    "--framework",
    "frameworks",
    multiple=True,
    metavar="ID",
    help="Report on this framework only (repeatable). Default: the config's list, else all.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(("table", "json", "html", "markdown", "sarif", "junit", "oscal", "github")),
    multiple=True,
    help="Output format, repeatable (as `dxguard scan --format`); default table.",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="[FORMAT=]FILE",
    help="Write a format to FILE instead of stdout (repeatable), as `dxguard scan -o`.",
)
@click.option("-c", "--config", metavar="FILE", help="dxguard.yaml (docs/configuration.md).")
@click.option("--waivers", metavar="FILE", help="Waiver file (docs/waivers.md).")
@click.option(
    "--fail-on",
    type=click.Choice(("low", "medium", "high", "critical", "none")),
    default="low",
    show_default=True,
    help="Lowest severity of an unwaived failure that fails the run (exit 1).",
)
@click.option(
    "--waiver-warning-days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Flag waivers that expire within DAYS of the as-of time.",
)
@click.option("--policy", "policies", multiple=True, metavar="DIR", help="Add your Rego checks.")
@click.option("--controls", "controls", multiple=True, metavar="DIR", help="Add your catalogs.")
@click.option(
    "--as-of",
    metavar="TIME",
    envvar="DXGUARD_AS_OF",
    show_envvar=True,
    help="Evaluation time (ISO 8601). Default: now.",
)
@click.option("--opa-url", metavar="URL", help="Use the OPA at URL instead of starting one.")
@click.option("--opa-binary", metavar="PATH", help="OPA binary to run.")
@click.option(
    "--opa-timeout",
    type=click.FloatRange(min=0.1),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for OPA's answer.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="OPA queries in flight at once: the objects are judged in chunks, N at a time, so "
    "every core is busy and memory is bounded by the chunk, not the input. The report is the "
    "same whatever N. Default: one per core this process may run on.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show the listing's progress on stderr (a bar per kind on a terminal, else a line "
    "per kind). Default: on when stderr is a terminal.",
)
@click.option(
    "--record",
    is_flag=True,
    help="Append this audit (kind audit, with the cluster's identity) to the evidence store.",
)
@click.option("--store", "store_location", metavar="PATH|URL", help=STORE_HELP)
@click.option(
    "--record-scope",
    metavar="NAME",
    help="With --record: the recorded run's scope, for drift between periods (default: the "
    "cluster's name).",
)
def audit(
    paths: tuple[str, ...],
    kubeconfig: str | None,
    context: str | None,
    namespace: str | None,
    cluster_name: str | None,
    chunk_size: int,
    frameworks: tuple[str, ...],
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    config: str | None,
    waivers: str | None,
    fail_on: str,
    waiver_warning_days: int,
    policies: tuple[str, ...],
    controls: tuple[str, ...],
    as_of: str | None,
    opa_url: str | None,
    opa_binary: str | None,
    opa_timeout: float,
    jobs: int | None,
    quiet: bool,
    progress: bool | None,
    record: bool,
    store_location: str | None,
    record_scope: str | None,
) -> None:
    from checker.audit.run import AuditOptions, run_audit
    from checker.cli import EXIT_FAIL, EXIT_OK, _terminal_width, _write, plan_outputs
    from checker.engine.server import install_signal_handlers
    from checker.report.render import render
    from checker.scan import ScanOptions

    plan = plan_outputs(formats, outputs)  # usage errors before anything connects
    recorder = None
    if record:
        from checker.store.commands import Recorder

        recorder = Recorder(store_location, config, record_scope, False)
    install_signal_handlers()
    if quiet or progress is None:
        progress = not quiet and sys.stderr.isatty()

    def say(text: str) -> None:
        click.echo(f"dxguard: {text}", err=True)

    shown = _ListingProgress(say) if progress else None
    try:
        report = run_audit(
            AuditOptions(
                scan=ScanOptions.from_command_line(
                    click.get_current_context().params, progress=say if progress else None
                ),
                kubeconfig=kubeconfig,
                context=context,
                namespace=namespace,
                cluster_name=cluster_name,
                chunk_size=chunk_size,
                on_list=shown.update if shown is not None else None,
                on_listed=shown.close if shown is not None else None,
            )
        )
    finally:
        if shown is not None:
            shown.close()
    if recorder is not None:
        recorder.ready()  # a store that cannot be opened: exit 2, nothing written
    rendered: dict[str, str] = {}
    import os

    for fmt, output in plan:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        width = _terminal_width() if output is None else 80
        rendered[fmt] = render(report, fmt, width=width, color=color)
        _write(rendered[fmt], output)
    if recorder is not None:
        _record(recorder, report, rendered.get("json"), record_scope, quiet)
    if not quiet:
        from checker.report.views import coverage_warnings, waiver_notes

        for text in coverage_warnings(report):
            click.echo(f"dxguard: warning: {text}", err=True)
        for level, _, text in waiver_notes(report):
            click.echo(f"dxguard: {'note' if level == 'notice' else 'warning'}: {text}", err=True)
        cluster = report.run.cluster
        if cluster is not None:
            absent = [k.kind for k in cluster.kinds if k.status == "not-served"]
            listed = sum(k.objects for k in cluster.kinds)
            click.echo(
                f"dxguard: audited {cluster.name} ({cluster.server}): {listed:,} object(s) of "
                f"{len(cluster.kinds) - len(absent)} kind(s)"
                + (f"; not served there: {', '.join(absent)}" if absent else ""),
                err=True,
            )
        for fmt, output in plan:
            if output:
                click.echo(f"dxguard: {fmt} report written to {output}", err=True)
    sys.exit(EXIT_FAIL if report.summary.result == "fail" else EXIT_OK)


def _record(
    recorder: Any, report: Any, report_json: str | None, scope: str | None, quiet: bool
) -> None:
    from checker.errors import StoreError
    from checker.report.json_format import json_text
    from checker.store.runs import record_run

    data = report.to_json()
    try:
        with recorder.store:
            rec = record_run(
                recorder.store,
                data,
                report_json if report_json is not None else json_text(data),
                scope=scope or report.run.cluster.name,
                kind="audit",
            )
    except StoreError as err:
        raise StoreError(
            f"the report was written, but the audit was not recorded: {err.message}",
            hint=err.hint,
        ) from None
    if not quiet:
        click.echo(
            f"dxguard: recorded audit {rec.seq} (sha256:{rec.hash[:16]}…, scope "
            f"{rec.meta['scope']}) in {recorder.store.location.display}",
            err=True,
        )


class _ListingProgress:
    """A bar per kind on a terminal (rich), else one line per kind once it is listed."""

    def __init__(self, say: Any):
        self._say = say
        self._tasks: dict[str, Any] = {}
        self._bar: Any = None
        self._tty = sys.stderr.isatty()
        if self._tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("listing {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.start()

    def update(self, kind: str, count: int, total: int | None, done: bool) -> None:
        if self._bar is not None:
            task = self._tasks.get(kind)
            if task is None:
                task = self._tasks[kind] = self._bar.add_task(kind, total=total)
            self._bar.update(task, completed=count, total=total if total is not None else count)
        elif done and not self._tty:
            self._say(f"listed {count:,} {kind}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
