"""`dxguard webhook serve`: the command line of the admission webhook (see docs/webhook.md)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click


@click.group("webhook")
def webhook_group() -> None:
    """The admission webhook: the same checks, enforced as objects enter a cluster.

    \b
    dxguard webhook serve --cert tls.crt --key tls.key -c dxguard.yaml --in-cluster
    dxguard webhook serve --cert tls.crt --key tls.key --inventory evidence/ --no-watch

    Clinical namespaces deny (the answer names the failed checks, their controls, the field and
    the fix), research namespaces are admitted with warnings, other namespaces are recorded only
    (the config's `admission` key changes that). Every decision is written as JSON to the
    decision log and, with --store, to the evidence store that `dxguard export` signs.
    """


@webhook_group.command("serve")
@click.option(
    "--cert",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="TLS certificate (PEM), reloaded when the file changes.",
)
@click.option(
    "--key",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="TLS private key (PEM), reloaded with the certificate.",
)
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8443, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "-c",
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    help="dxguard.yaml: tiers, parameters, admission enforcement, frameworks.",
)
@click.option(
    "--waivers",
    type=click.Path(exists=True, dir_okay=False),
    help="Waiver file: applied at admission exactly as in a scan (an expired waiver "
    "covers nothing).",
)
@click.option(
    "-f",
    "--framework",
    "frameworks",
    multiple=True,
    help="Frameworks whose controls a denial names (default: the config's, else all).",
)
@click.option(
    "--inventory",
    "inventory_dirs",
    multiple=True,
    type=click.Path(exists=True),
    help="A folder of manifests and image evidence the checks read about other "
    "objects (namespaces, RBAC, image scans), merged with what the cluster lists.",
)
@click.option(
    "--watch/--no-watch",
    default=True,
    show_default=True,
    help="List and watch the kinds the checks read from the cluster.",
)
@click.option(
    "--in-cluster",
    is_flag=True,
    help="Reach the API server with the pod's ServiceAccount (default: kubeconfig).",
)
@click.option(
    "--kubeconfig",
    type=click.Path(exists=True, dir_okay=False),
    help="Kubeconfig to list and watch with (default: $KUBECONFIG or ~/.kube/config).",
)
@click.option("--context", "kube_context", help="Kubeconfig context to use.")
@click.option(
    "--resync",
    default=300,
    show_default=True,
    type=click.IntRange(10, 86400),
    help="Seconds between full relists of each watched kind.",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False),
    help="Append every decision as a JSON line here (default: stderr's log only when no --store).",
)
@click.option(
    "--store",
    "store_location",
    metavar="PATH|URL",
    help="Evidence store (SQLite file or postgresql:// URL) to record decisions in.",
)
@click.option(
    "--cluster-name",
    default="cluster",
    show_default=True,
    help="The store scope decisions are recorded under (name the cluster).",
)
@click.option(
    "--opa-url",
    help="A sidecar OPA holding the dxguard bundle (default: one this process starts and manages).",
)
@click.option(
    "--opa-binary",
    type=click.Path(exists=True, dir_okay=False),
    help="The OPA binary to manage (default: $DXGUARD_OPA, then PATH).",
)
@click.option(
    "--opa-timeout",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    help="Seconds to wait for OPA per review; slower is an engine failure (fail-safe).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Reviews evaluated at once.",
)
@click.option(
    "--as-of",
    metavar="TIME",
    help="Judge as of this ISO 8601 time instead of each request's (for replaying "
    "recorded reviews and for tests; waivers and scan ages are read at it).",
)
@click.option(
    "--cert-reload-seconds",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="How often the TLS files are checked.",
)
def serve(**opts: Any) -> None:
    """Serve AdmissionReviews over HTTPS until interrupted.

    Point a ValidatingWebhookConfiguration at https://HOST:PORT/validate (deploy/ has one).
    /healthz, /readyz and /metrics are served on the same port.
    """
    from checker.cli import _fail
    from checker.errors import DxguardError

    logging.basicConfig(level=logging.INFO, format="dxguard webhook: %(levelname)s %(message)s")
    try:
        _serve(**opts)
    except DxguardError as err:
        _fail(err)


def _serve(
    *,
    cert: str,
    key: str,
    host: str,
    port: int,
    config: str | None,
    waivers: str | None,
    frameworks: tuple[str, ...],
    inventory_dirs: tuple[str, ...],
    watch: bool,
    in_cluster: bool,
    kubeconfig: str | None,
    kube_context: str | None,
    resync: int,
    decision_log: str | None,
    store_location: str | None,
    cluster_name: str,
    opa_url: str | None,
    opa_binary: str | None,
    opa_timeout: float,
    threads: int,
    cert_reload_seconds: float,
    as_of: str | None,
) -> None:
    from checker.bundle import EngineSpec
    from checker.config import load_config
    from checker.scan import parse_as_of
    from checker.waivers import load_waivers
    from checker.webhook.decisions import DecisionSink
    from checker.webhook.inventory import ClusterWatch, Inventory, static_resources
    from checker.webhook.judge import Judge, JudgeOptions
    from checker.webhook.metrics import Metrics
    from checker.webhook.server import TlsFiles, Webhook, describe, run

    cfg = load_config(config)
    tls = TlsFiles(cert, key, poll_seconds=cert_reload_seconds)
    judge = Judge(
        JudgeOptions(
            cfg,
            waivers=load_waivers(waivers) if waivers else None,
            frameworks=list(frameworks),
            spec=EngineSpec(opa_url, opa_binary, opa_timeout),
            as_of=parse_as_of(as_of) if as_of else None,
        )
    )
    sink = DecisionSink(
        decision_log or (None if store_location else "/dev/stderr"), store_location, cluster_name
    )
    with judge:
        inventory = Inventory(judge.load_inventory, static_resources(list(inventory_dirs)))
        cluster = None
        if watch:
            cluster = ClusterWatch(
                inventory,
                _api_client(in_cluster, kubeconfig, kube_context),
                judge.object_inventory_kinds(),
                resync_seconds=resync,
            )
            cluster.start()
        inventory.start()
        sink.open()
        webhook = Webhook(judge, inventory, sink, Metrics(), cluster)
        info = describe(webhook)
        click.echo(
            f"dxguard webhook: https://{host}:{port}/validate · bundle sha256:"
            f"{info['bundle_sha256'][:12]} · watching {', '.join(info['kinds']) or 'nothing'}",
            err=True,
        )
        try:
            run(webhook, tls, host, port, workers_threads=threads)
        finally:
            if cluster is not None:
                cluster.stop()
            inventory.stop()
            sink.close()
    sys.exit(0)


def _api_client(in_cluster: bool, kubeconfig: str | None, context: str | None) -> Any:
    from kubernetes import client, config

    from checker.errors import UsageError

    try:
        if in_cluster:
            config.load_incluster_config()
            return client.ApiClient()
        return config.new_client_from_config(config_file=kubeconfig, context=context)
    except config.ConfigException as err:
        raise UsageError(
            f"cannot reach the cluster to watch its inventory: {err}",
            hint="give --kubeconfig/--context, --in-cluster inside a pod, or --no-watch with "
            "--inventory DIR",
        ) from None
