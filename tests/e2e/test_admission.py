"""Admission end to end: the real kube-apiserver calls `dxguard webhook serve` on loopback.

deploy/webhook/webhook.yaml's ValidatingWebhookConfiguration is registered as shipped (its
rules, namespace selector, failure policy, side effects, timeout), with its clientConfig
pointed at the webhook's URL on 127.0.0.1 and the CA bundle of the certificate it serves. The
webhook runs with deploy/webhook's dxguard.yaml (clinical deny, research warn, other dryrun),
lists and watches the cluster for what its checks read, and takes image evidence from
fixtures/images, as the demo scan does. Every request below goes through the kubernetes
client to the API server, never to the webhook directly.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import signal
import ssl
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from e2e_cluster import ROOT, ControlPlane, Process, free_port, pid_alive, wait_until
from e2e_kube import create, documents, dxguard, run_env

DEPLOY = ROOT / "deploy" / "webhook"
FIXTURES = ROOT / "fixtures" / "k8s"
CLINICAL, RESEARCH, OTHER = "clinical-adm", "research-adm", "team-adm"
HOOK_NAME = "dxguard"


def _manifest(path: str, name: str | None = None) -> dict[str, Any]:
    docs = documents(FIXTURES / path)
    return copy.deepcopy(next(d for d in docs if name is None or d["metadata"]["name"] == name))


def _in(namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"]["namespace"] = namespace
    return obj


class Webhook:
    """`dxguard webhook serve` on a free loopback port, in its own process group."""

    def __init__(self, plane: ControlPlane, folder: Path, config: Path, inventory: Path):
        assert plane.ca is not None
        folder.mkdir(parents=True, exist_ok=True)
        self.tls = plane.ca.issue("webhook", common="dxguard-webhook", server=True)
        self.ca = plane.ca.cert
        self.port = free_port()
        self.log = folder / "decisions.jsonl"
        self.store = folder / "evidence.sqlite"
        argv = [
            sys.executable, "-m", "checker", "webhook", "serve",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--cert", str(self.tls.cert), "--key", str(self.tls.key),
            "-c", str(config), "--inventory", str(inventory),
            "--inventory", str(ROOT / "fixtures" / "images"),
            "--kubeconfig", str(plane.admin_kubeconfig), "--resync", "30",
            "--decision-log", str(self.log), "--store", str(self.store),
            "--cluster-name", "dxguard-e2e", "--opa-timeout", "2",
        ]  # fmt: skip
        self.process = Process("dxguard webhook", argv, folder / "webhook.log", env=run_env())
        wait_until("the webhook was ready (/readyz)", self.ready, 120, self.process)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/validate"

    def ready(self) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        try:
            with urllib.request.urlopen(
                f"https://127.0.0.1:{self.port}/readyz", context=ctx, timeout=2
            ) as resp:
                return resp.status == 200
        except OSError:
            return False

    def decisions(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def decision(self, **match: Any) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            found[:] = [d for d in self.decisions() if match.items() <= d.items()]
            return bool(found)

        wait_until(f"a decision matching {match}", seen, 30, self.process)
        return found[-1]

    def opa_pids(self) -> list[int]:
        """The OPA processes this webhook manages (its children)."""
        out = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and argv0.endswith(b"opa"):
                out.append(int(entry.name))
        return out

    def stop(self) -> None:
        self.process.stop()


def _configuration(url: str, ca: Path) -> dict[str, Any]:
    """deploy/webhook/webhook.yaml as shipped, reaching the webhook by URL with its CA."""
    doc = next(d for d in documents(DEPLOY / "webhook.yaml") if d["kind"].startswith("Validating"))
    doc["metadata"].pop("annotations", None)  # cert-manager would inject the CA; here we do
    for hook in doc["webhooks"]:
        hook["clientConfig"] = {"url": url, "caBundle": base64.b64encode(ca.read_bytes()).decode()}
    return doc


def _register(kube: Any, url: str, ca: Path) -> None:
    from kubernetes import client

    api = client.AdmissionregistrationV1Api(kube)
    body = _configuration(url, ca)
    try:
        current = api.read_validating_webhook_configuration(HOOK_NAME)
    except client.ApiException as err:
        if err.status != 404:
            raise
        api.create_validating_webhook_configuration(body)
    else:
        body["metadata"]["resourceVersion"] = current.metadata.resource_version
        api.replace_validating_webhook_configuration(HOOK_NAME, body)


def _webhook_config(folder: Path) -> Path:
    cm = next(d for d in documents(DEPLOY / "config.yaml") if d["kind"] == "ConfigMap")
    path = folder / "dxguard.yaml"
    path.write_text(cm["data"]["dxguard.yaml"])
    return path


@pytest.fixture(scope="module")
def setting(control_plane: ControlPlane, kube: Any, dynamic: Any, tmp_path_factory) -> Any:
    """Namespaces of each tier, what the compliant workload relies on, and the webhook."""
    folder = tmp_path_factory.mktemp("admission")
    for doc in documents(FIXTURES / "compliant" / "pathology-namespace.yaml"):
        doc = copy.deepcopy(doc)
        if doc["kind"] == "Namespace":
            doc["metadata"]["name"] = CLINICAL
        else:
            doc["metadata"]["namespace"] = CLINICAL
        create(dynamic, doc)
    for name, labels in ((RESEARCH, {"dxguard.io/tier": "research"}), (OTHER, {})):
        create(dynamic, {"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": name, "labels": labels}})  # fmt: skip
    # Cluster-scoped objects the compliant pod relies on (its RuntimeClass) come to the
    # webhook from an inventory folder, as a platform repository's manifests would.
    inventory = folder / "inventory"
    inventory.mkdir()
    (inventory / "runtimeclasses.yaml").write_text(
        (FIXTURES / "compliant" / "cluster" / "runtimeclass-gvisor.yaml").read_text()
    )
    hook = Webhook(control_plane, folder / "webhook", _webhook_config(folder), inventory)
    _register(kube, hook.url, hook.ca)
    # The API server picks the configuration up within a few seconds: wait until it calls.
    probe = _in(OTHER, _manifest("compliant/slide-viewer-deployment.yaml"))
    probe["metadata"]["name"] = "probe"
    apps = _apps(kube)
    wait_until(
        "the API server called the webhook",
        lambda: _dry_create(apps, probe) is not None and bool(hook.decisions()),
        60,
        hook.process,
    )
    try:
        yield {"hook": hook, "folder": folder, "inventory": inventory}
    finally:
        from kubernetes import client

        # Unregister first: with failurePolicy Fail, a stopped webhook would refuse every
        # workload of the tests after these.
        client.AdmissionregistrationV1Api(kube).delete_validating_webhook_configuration(HOOK_NAME)
        hook.stop()
        assert not any(pid_alive(p) for p in [hook.process.pid])


def _apps(kube: Any) -> Any:
    from kubernetes import client

    return client.AppsV1Api(kube)


def _dry_create(apps: Any, obj: dict[str, Any]) -> Any:
    from kubernetes import client

    try:
        return apps.create_namespaced_deployment(obj["metadata"]["namespace"], obj, dry_run="All")
    except client.ApiException as err:
        return err


def _create(apps: Any, obj: dict[str, Any], **kwargs: Any) -> Any:
    """Create through the API server: (status, headers, body or error message)."""
    from kubernetes import client

    try:
        answer = apps.create_namespaced_deployment_with_http_info(
            obj["metadata"]["namespace"], obj, **kwargs
        )
    except client.ApiException as err:
        return err.status, dict(err.headers or {}), json.loads(err.body)["message"]
    data, status, headers = answer
    return status, dict(headers or {}), data


NONCOMPLIANT = "noncompliant/wsi-batch-rescore-deployment.yaml"
COMPLIANT = "compliant/slide-viewer-deployment.yaml"


def test_a_non_compliant_clinical_deployment_is_rejected_with_its_control_ids(setting, kube):
    status, _, message = _create(_apps(kube), _in(CLINICAL, _manifest(NONCOMPLIANT)))
    assert status == 403
    assert 'admission webhook "admission.dxguard.io" denied the request' in message
    assert f"dxguard denied Deployment {CLINICAL}/wsi-batch-rescore (tier clinical" in message
    assert "DXG-K8S-" in message and "Controls: " in message and "21 CFR" in message
    decision = setting["hook"].decision(name="wsi-batch-rescore", namespace=CLINICAL)
    assert decision["verdict"] == "deny" and decision["dry_run"] is False
    cited = [c.split(": ", 1)[1] for c in decision["controls"]]  # "framework: control id"
    assert sum(c in message for c in cited) >= 10
    from kubernetes import client

    with pytest.raises(client.ApiException) as gone:
        _apps(kube).read_namespaced_deployment("wsi-batch-rescore", CLINICAL)
    assert gone.value.status == 404  # refused: never stored


def test_a_compliant_clinical_deployment_is_admitted(setting, kube):
    status, headers, body = _create(_apps(kube), _in(CLINICAL, _manifest(COMPLIANT)))
    assert status == 201, body
    assert "Warning" not in headers
    decision = setting["hook"].decision(name="slide-viewer", namespace=CLINICAL)
    assert decision["verdict"] == "allow" and decision["failed"] == []
    assert decision["examined"] > 10  # judged, not waved through


def test_the_same_non_compliant_deployment_in_research_is_admitted_with_warnings(setting, kube):
    status, headers, body = _create(_apps(kube), _in(RESEARCH, _manifest(NONCOMPLIANT)))
    assert status == 201, body
    warning = headers.get("Warning", "")
    assert "dxguard DXG-K8S-" in warning  # the client sees the failures as it is admitted
    decision = setting["hook"].decision(name="wsi-batch-rescore", namespace=RESEARCH)
    assert decision["verdict"] == "warn" and decision["allowed"] is True
    assert decision["warnings"] >= 1 and decision["failed"]
    warned = {w.split()[1] for w in warning.split('299 - "')[1:] if w.startswith("dxguard DXG-")}
    assert warned and warned <= {f["check"] for f in decision["failed"]}


def test_a_server_side_dry_run_is_evaluated_and_recorded_as_a_dry_run(setting, kube):
    obj = _in(CLINICAL, _manifest(NONCOMPLIANT))
    obj["metadata"]["name"] = "dry-rescore"
    status, _, message = _create(_apps(kube), obj, dry_run="All")
    assert status == 403 and "dxguard denied" in message  # what a real create would get
    decision = setting["hook"].decision(name="dry-rescore")
    assert decision["dry_run"] is True and decision["verdict"] == "deny"
    fine = _in(CLINICAL, _manifest(COMPLIANT))
    fine["metadata"]["name"] = "dry-viewer"
    status, _, _ = _create(_apps(kube), fine, dry_run="All")
    assert status == 201
    assert setting["hook"].decision(name="dry-viewer")["dry_run"] is True
    names = {d.metadata.name for d in _apps(kube).list_namespaced_deployment(CLINICAL).items}
    assert "dry-viewer" not in names  # a dry run stores nothing


def test_a_namespace_label_change_reaches_the_webhook_through_its_watch(setting, kube):
    from kubernetes import client

    obj = _in(OTHER, _manifest(NONCOMPLIANT))
    status, _, body = _create(_apps(kube), obj, dry_run="All")
    assert status == 201, body  # tier other: admitted silently (recorded as dryrun)
    assert setting["hook"].decision(namespace=OTHER, name="wsi-batch-rescore")["tier"] == "other"
    client.CoreV1Api(kube).patch_namespace(
        OTHER, {"metadata": {"labels": {"dxguard.io/tier": "clinical"}}}
    )
    # Nothing restarts: the watch delivers the new labels to the webhook's inventory.
    outcome: list[Any] = []

    def denied() -> bool:
        outcome[:] = [_create(_apps(kube), obj, dry_run="All")]
        return outcome[0][0] == 403

    wait_until("the relabelled namespace was judged clinical", denied, 30, setting["hook"].process)
    assert "(tier clinical" in outcome[0][2]


def test_the_audit_finds_what_admission_let_in_and_judges_it_as_the_webhook_did(
    setting, control_plane
):
    run = dxguard("audit", "--kubeconfig", str(control_plane.admin_kubeconfig), "-c",
                  str(setting["folder"] / "dxguard.yaml"), str(setting["inventory"]),
                  str(ROOT / "fixtures" / "images"), "--format", "json")  # fmt: skip
    assert run.code in (0, 1), run.stderr
    report = json.loads(run.stdout)
    listed = {(r["kind"], r.get("namespace"), r["name"]): r for r in report["resources"]}
    viewer = listed[("Deployment", CLINICAL, "slide-viewer")]
    warned = listed[("Deployment", RESEARCH, "wsi-batch-rescore")]  # admitted with warnings
    assert ("Deployment", CLINICAL, "wsi-batch-rescore") not in listed  # denied: not there
    scopes = _check_scopes()
    object_checks = {cid for cid, scope in scopes.items() if scope == "object"}

    def failed(res: dict[str, Any]) -> set[str]:
        return {
            f["check"]
            for f in report["findings"]
            if f["resource"]["id"] == res["id"] and f["check"] in object_checks
        }

    hook = setting["hook"]
    admitted = hook.decision(name="wsi-batch-rescore", namespace=RESEARCH, dry_run=False)
    assert failed(warned) == {f["check"] for f in admitted["failed"]}  # same checks, both doors
    assert failed(viewer) == set()
    assert hook.decision(name="slide-viewer", namespace=CLINICAL)["failed"] == []


def _check_scopes() -> dict[str, str]:
    run = dxguard("checks", "list", "--format", "json")
    assert run.code == 0, run.stderr
    data = json.loads(run.stdout)
    return {c["id"]: c["scope"] for c in (data if isinstance(data, list) else data["checks"])}


def test_with_the_webhooks_opa_killed_a_clinical_create_is_rejected(
    setting, control_plane, kube, tmp_path
):
    """Fail-safe on a webhook of its own (the module's keeps serving): OPA killed, the
    compliant clinical Deployment is refused, because nothing is admitted unchecked."""
    hook = Webhook(
        control_plane,
        tmp_path / "webhook",
        setting["folder"] / "dxguard.yaml",
        setting["inventory"],
    )
    try:
        _register(kube, hook.url, hook.ca)
        pids = hook.opa_pids()
        assert pids, "the webhook manages an OPA child"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        wait_until("its OPA was gone", lambda: not hook.opa_pids(), 30, hook.process)
        obj = _in(CLINICAL, _manifest(COMPLIANT))
        obj["metadata"]["name"] = "viewer-while-opa-is-down"
        outcome: list[Any] = []

        def answered() -> bool:  # the configuration's switch to this webhook takes a moment
            outcome[:] = [_create(_apps(kube), obj)]
            return "could not evaluate" in str(outcome[0][2])

        wait_until("the API server reached the webhook without OPA", answered, 60, hook.process)
        status, _, message = outcome[0]
        assert status == 403 and "never admitted unchecked" in message
        assert hook.decision(name="viewer-while-opa-is-down")["error"]
    finally:
        _register(kube, setting["hook"].url, setting["hook"].ca)  # the module's webhook again
        hook.stop()


def test_no_webhook_or_opa_process_outlives_its_stop(setting, control_plane, tmp_path):
    hook = Webhook(
        control_plane, tmp_path / "w", setting["folder"] / "dxguard.yaml", setting["inventory"]
    )
    pids = [hook.process.pid, *hook.opa_pids()]
    assert len(pids) == 2
    hook.stop()
    deadline = time.monotonic() + 20
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(pid_alive(p) for p in pids)
