"""deploy/audit/: the in-cluster audit holds to dxguard's own clinical checks, with least RBAC.

`dxguard scan deploy/audit/` judges the audit's namespace (clinical tier), its network policy,
ServiceAccount, RBAC, config and CronJob. Every clinical control is satisfied except where a
check needs evidence that no deployment folder of one tool can hold, each explained below.
Its ClusterRole grants get and list of exactly the kinds the bundle's checks declare (what
`dxguard audit` lists), and nothing else. tests/e2e/test_audit_in_cluster.py runs the audit
as that ServiceAccount against a real API server.
"""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from checker.audit.kinds import wanted_kinds
from checker.bundle import open_bundle, prepare
from checker.config import load_config

from conftest import AS_OF, ROOT

DEPLOY = ROOT / "deploy" / "audit"

# Failing checks a folder holding one tool's manifests cannot satisfy, and why.
EXPLAINED = {
    # Cluster-wide evidence: the kube-apiserver's manifest and audit Policy, and the node log
    # collector, live with the cluster's own manifests (a scan of the platform repository, or
    # `dxguard audit` of the cluster, holds them), not in every application's folder.
    "DXG-K8S-LOG-001": "the API server's audit flags are cluster evidence",
    "DXG-K8S-LOG-002": "audit log retention is cluster evidence",
    "DXG-K8S-LOG-003": "the audit Policy file is cluster evidence",
    "DXG-K8S-LOG-004": "the node log collector DaemonSet is cluster evidence",
    # The enforcing image-verification policy (Kyverno verifyImages or the Sigstore policy
    # controller) is installed once per cluster, not per namespace's folder.
    "DXG-K8S-SCN-001": "image verification admission is a cluster-wide policy",
    # The image's scan report, SBOM, signature and provenance come from the pipeline that
    # builds your dxguard image (by the digest you put in cronjob.yaml), not from this folder.
    "DXG-IMG-SCN-001": "the image's supply-chain evidence comes with your build of it",
    # dxguard is QMS software (ISO 13485 4.1.6), not the device: it has no model version and
    # no UDI-DI to label it with; its version is app.kubernetes.io/version and its digest.
    "DXG-K8S-PIN-004": "a QMS tool has no model version or UDI-DI",
}

# What the audit lists, and the ClusterRole rule that allows it: kind → (API group, resource).
LISTED = {
    "Namespace": ("", "namespaces"),
    "Pod": ("", "pods"),
    "PodTemplate": ("", "podtemplates"),
    "ReplicationController": ("", "replicationcontrollers"),
    "ServiceAccount": ("", "serviceaccounts"),
    "DaemonSet": ("apps", "daemonsets"),
    "Deployment": ("apps", "deployments"),
    "ReplicaSet": ("apps", "replicasets"),
    "StatefulSet": ("apps", "statefulsets"),
    "CronJob": ("batch", "cronjobs"),
    "Job": ("batch", "jobs"),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies"),
    "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles"),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "clusterrolebindings"),
    "Role": ("rbac.authorization.k8s.io", "roles"),
    "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings"),
    "RuntimeClass": ("node.k8s.io", "runtimeclasses"),
    "StorageClass": ("storage.k8s.io", "storageclasses"),
    "VirtualMachine": ("kubevirt.io", "virtualmachines"),
    "VirtualMachineInstance": ("kubevirt.io", "virtualmachineinstances"),
    "VirtualMachineInstanceReplicaSet": ("kubevirt.io", "virtualmachineinstancereplicasets"),
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
    "ClusterPolicy": ("kyverno.io", "clusterpolicies"),
    "Policy": ("kyverno.io", "policies"),  # Kyverno's; the audit Policy is a file
    "ClusterImagePolicy": ("policy.sigstore.dev", "clusterimagepolicies"),
}


def _scan() -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "scan", "--format", "json", str(DEPLOY)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**__import__("os").environ, "DXGUARD_AS_OF": AS_OF},
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_every_clinical_control_is_satisfied_or_its_failures_are_explained():
    report = _scan()
    resources = {(r["kind"], r["name"]) for r in report["resources"]}
    assert {("CronJob", "dxguard-audit"), ("Namespace", "dxguard-audit")} <= resources
    assert all(r["examined"] for r in report["resources"] if r["kind"] == "CronJob")
    failing = {f["check"] for f in report["findings"]}
    assert failing == set(EXPLAINED), failing ^ set(EXPLAINED)
    for fw in report["frameworks"]:
        for control in fw["controls"]:
            if control["status"] != "not-satisfied":
                continue
            failed = {c["id"] for c in control["checks"] if c["failed"]}
            assert failed and failed <= set(EXPLAINED), (fw["id"], control["id"], failed)
    # The workload hardening every clinical pod owes holds for the audit's own pod.
    cronjob = next(r for r in report["resources"] if r["kind"] == "CronJob")
    hardening = [f"DXG-K8S-ISO-{n:03d}" for n in range(1, 11)] + [
        "DXG-K8S-ISO-015",  # the clinical node pool
        "DXG-K8S-ISO-017",  # a sandbox runtime (gVisor)
        "DXG-K8S-ISO-018",  # Guaranteed QoS: requests = limits
        "DXG-K8S-PIN-001",  # the image by digest
        "DXG-K8S-PIN-002",  # a tag beside the digest, never latest
    ]
    for check in hardening:
        counts = cronjob["checks"][check]
        assert counts["passed"] >= 1 and counts["failed"] == 0, (check, counts)


def _rules() -> dict[str, set[str]]:
    docs = list(yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()))
    (role,) = [d for d in docs if d["kind"] == "ClusterRole"]
    out: dict[str, set[str]] = {}
    for rule in role["rules"]:
        assert sorted(rule["verbs"]) == ["get", "list"], rule  # reads only, never writes
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule
        (group,) = rule["apiGroups"]
        out.setdefault(group, set()).update(rule["resources"])
    return out


def test_the_cluster_role_grants_get_and_list_of_exactly_the_kinds_the_bundle_needs():
    config = load_config(None)
    with open_bundle(prepare(config)) as bundle:
        wanted = wanted_kinds(bundle.checks)
    assert set(wanted) == set(LISTED), set(wanted) ^ set(LISTED)
    expected: dict[str, set[str]] = {}
    for group, resource in LISTED.values():
        expected.setdefault(group, set()).add(resource)
    assert _rules() == expected
    assert "secrets" not in _rules()[""] and "configmaps" not in _rules()[""]


def test_the_audit_pod_mounts_its_token_read_only_and_short_lived():
    cronjob = yaml.safe_load((DEPLOY / "cronjob.yaml").read_text())
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    (token,) = [v for v in pod["volumes"] if v["name"] == "api-token"]
    (source,) = [s for s in token["projected"]["sources"] if "serviceAccountToken" in s]
    assert source["serviceAccountToken"]["expirationSeconds"] <= 3600
    (container,) = pod["containers"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "api-token")
    assert (
        mount["readOnly"] and mount["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"
    )
    assert container["args"][0] == "audit" and "--record" in container["args"]
    env = {e["name"]: e for e in container["env"]}
    assert env["DXGUARD_STORE"]["valueFrom"]["secretKeyRef"] == {
        "name": "dxguard-store",
        "key": "url",
    }
