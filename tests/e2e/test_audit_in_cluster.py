"""deploy/audit/rbac.yaml on a real API server: the audit's ServiceAccount may list everything
the audit needs, and nothing it does not.

The ServiceAccount's token is issued by the API server itself (TokenRequest, as the kubelet
asks for the CronJob pod's projected token), and the audit runs with it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from e2e_cluster import ROOT, ControlPlane
from e2e_kube import create, documents, dxguard

DEPLOY = ROOT / "deploy" / "audit"


@pytest.fixture(scope="module")
def audit_token(dynamic: Any, kube: Any) -> str:
    from kubernetes import client

    for doc in documents(DEPLOY / "namespace.yaml", DEPLOY / "rbac.yaml"):
        create(dynamic, doc)
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
    )
    answer = client.CoreV1Api(kube).create_namespaced_service_account_token(
        "dxguard-audit", "dxguard-audit", request
    )
    return answer.status.token


def _kubeconfig(plane: ControlPlane, token: str) -> str:
    doc = yaml.safe_load(plane.admin_kubeconfig.read_text())
    doc["users"][0]["user"] = {"token": token}
    path = plane.folder / "kubeconfig-dxguard-audit.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_the_audit_service_account_lists_every_kind_the_audit_needs(control_plane, audit_token):
    run = dxguard("audit", "--kubeconfig", _kubeconfig(control_plane, audit_token),
                  "--format", "json", "--cluster-name", "e2e")  # fmt: skip
    assert run.code in (0, 1), run.stderr
    report = json.loads(run.stdout)
    kinds = {k["kind"]: k for k in report["run"]["cluster"]["kinds"]}
    assert all(k["status"] in ("listed", "not-served") for k in kinds.values())
    assert kinds["Namespace"]["objects"] >= 5 and kinds["ClusterRole"]["objects"] > 50
    # The kube-system namespace is readable with get on namespaces: the identity is recorded.
    assert report["run"]["cluster"]["kube_system_uid"]
    assert report["run"]["cluster"]["name"] == "e2e"


def test_the_audit_service_account_can_read_no_secret_and_write_nothing(
    control_plane, audit_token, kube
):
    from kubernetes import client

    reviews = client.AuthorizationV1Api(kube)
    user = "system:serviceaccount:dxguard-audit:dxguard-audit"
    asked = {
        ("get", "", "secrets"): False,
        ("list", "", "configmaps"): False,
        ("create", "apps", "deployments"): False,
        ("delete", "", "pods"): False,
        ("patch", "rbac.authorization.k8s.io", "clusterroles"): False,
        ("list", "apps", "deployments"): True,
        ("get", "", "namespaces"): True,
    }
    for (verb, group, resource), allowed in asked.items():
        review = client.V1SubjectAccessReview(
            spec=client.V1SubjectAccessReviewSpec(
                user=user,
                resource_attributes=client.V1ResourceAttributes(
                    verb=verb, group=group, resource=resource
                ),
            )
        )
        answer = reviews.create_subject_access_review(review)
        assert answer.status.allowed is allowed, (verb, group, resource)
