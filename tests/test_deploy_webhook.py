"""deploy/webhook/: the admission webhook holds to dxguard's own clinical checks, with least RBAC
and the shape a cluster operator expects (replicas on different nodes, disruption budget,
autoscaler, a webhook registration that cannot lock the cluster out)."""

from __future__ import annotations

import yaml

from checker.config import load_config

from conftest import AS_OF, ROOT, dxguard, opa_path

DEPLOY = ROOT / "deploy" / "webhook"

# Failing checks that a folder holding one tool's manifests cannot satisfy, and why. The same
# as deploy/audit's: cluster-wide evidence lives with the cluster's own manifests.
EXPLAINED = {
    "DXG-K8S-LOG-001": "the API server's audit flags are cluster evidence",
    "DXG-K8S-LOG-002": "audit log retention is cluster evidence",
    "DXG-K8S-LOG-003": "the audit Policy file is cluster evidence",
    "DXG-K8S-LOG-004": "the node log collector DaemonSet is cluster evidence",
    "DXG-K8S-SCN-001": "image verification admission is a cluster-wide policy",
    "DXG-IMG-SCN-001": "the image's supply-chain evidence comes with your build of it",
    "DXG-K8S-PIN-004": "a QMS tool has no model version or UDI-DI",
}

# kind the webhook watches → (API group, resource) its ClusterRole must allow.
WATCHED = {
    "Namespace": ("", "namespaces"),
    "ServiceAccount": ("", "serviceaccounts"),
    "PersistentVolumeClaim": ("", "persistentvolumeclaims"),
    "Role": ("rbac.authorization.k8s.io", "roles"),
    "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles"),
    "RuntimeClass": ("node.k8s.io", "runtimeclasses"),
    "StorageClass": ("storage.k8s.io", "storageclasses"),
    "DataVolume": ("cdi.kubevirt.io", "datavolumes"),
    "VirtualMachineInstancetype": ("instancetype.kubevirt.io", "virtualmachineinstancetypes"),
    "VirtualMachineClusterInstancetype": (
        "instancetype.kubevirt.io",
        "virtualmachineclusterinstancetypes",
    ),
    "VirtualMachinePreference": ("instancetype.kubevirt.io", "virtualmachinepreferences"),
    "VirtualMachineClusterPreference": (
        "instancetype.kubevirt.io",
        "virtualmachineclusterpreferences",
    ),
}


def _docs() -> list[dict]:
    return [
        d for f in sorted(DEPLOY.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d
    ]


def _one(kind: str) -> dict:
    (doc,) = [d for d in _docs() if d["kind"] == kind]
    return doc


def test_the_webhook_deployment_satisfies_every_clinical_control_it_can_hold_evidence_for():
    run = dxguard("scan", "--as-of", AS_OF, "-q", "--format", "json", str(DEPLOY))
    assert run.code in (0, 1), run.stderr
    report = run.json()
    failing = {f["check"] for f in report["findings"] if f["status"] == "failed"}
    assert failing <= set(EXPLAINED), f"unexplained failures: {failing - set(EXPLAINED)}"
    for fw in report["frameworks"]:
        for c in fw["controls"]:
            if c["status"] == "not-satisfied":
                checks = {report_f["check"] for report_f in report["findings"]
                          if report_f["id"] in c["failures"]}  # fmt: skip
                assert checks <= set(EXPLAINED), (fw["id"], c["id"], checks)
    examined = {r["kind"] for r in report["resources"] if r["examined"]}
    assert {"Deployment", "Namespace", "NetworkPolicy", "ServiceAccount", "ClusterRole"} <= examined


def test_the_cluster_role_lists_and_watches_exactly_what_the_webhook_watches():
    import os

    os.environ.setdefault("DXGUARD_OPA", str(opa_path()))
    from checker.webhook.judge import Judge, JudgeOptions

    judge = Judge(JudgeOptions(load_config(None)))
    with judge:
        kinds = {k for k in judge.object_inventory_kinds() if k[0].isupper()}
    assert kinds == set(WATCHED), kinds ^ set(WATCHED)
    role = _one("ClusterRole")
    allowed = {
        (group, res): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for res in rule["resources"]
    }
    assert set(allowed) == set(WATCHED.values())
    assert all(verbs == {"list", "watch"} for verbs in allowed.values())
    assert _one("ServiceAccount")["automountServiceAccountToken"] is False


def test_replicas_spread_disrupted_and_scaled_as_kubernetes_does():
    dep = _one("Deployment")
    assert dep["spec"]["replicas"] >= 2
    anti = dep["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"] == (
        "kubernetes.io/hostname"
    )
    for c in dep["spec"]["template"]["spec"]["containers"]:
        assert c["resources"]["requests"] == c["resources"]["limits"]
        assert "@sha256:" in c["image"]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert {c["name"] for c in dep["spec"]["template"]["spec"]["containers"]} == {"webhook", "opa"}
    assert _one("PodDisruptionBudget")["spec"]["minAvailable"] >= 1
    assert _one("HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2


def test_the_registration_cannot_lock_the_cluster_or_the_webhook_out():
    vwc = _one("ValidatingWebhookConfiguration")
    (hook,) = vwc["webhooks"]
    assert hook["admissionReviewVersions"] == ["v1"] and hook["sideEffects"] == "None"
    assert hook["failurePolicy"] == "Fail" and 1 <= hook["timeoutSeconds"] <= 10
    (expr,) = hook["namespaceSelector"]["matchExpressions"]
    assert expr["operator"] == "NotIn"
    assert {"kube-system", "dxguard-webhook"} <= set(expr["values"])
    assert vwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == (
        "dxguard-webhook/dxguard-webhook-tls"
    )
    ops = {op for rule in hook["rules"] for op in rule["operations"]}
    assert ops == {"CREATE", "UPDATE"}


def test_the_opa_sidecar_holds_the_bundle_the_webhook_reports():
    """The sidecar runs the image's own OPA on the wheel's policy files: the same modules, so the
    same bundle digest as the webhook's managed OPA would have."""
    dep = _one("Deployment")
    opa = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "opa")
    assert opa["command"][:3] == ["opa", "run", "--server"]
    assert "--addr=127.0.0.1:8181" in opa["command"]
    assert opa["command"][-1].endswith("/checker/_bundle/rego")
    webhook = next(
        c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "webhook"
    )
    assert "--opa-url=http://127.0.0.1:8181" in webhook["args"]
    assert opa["image"] == webhook["image"]  # one image: one bundle
