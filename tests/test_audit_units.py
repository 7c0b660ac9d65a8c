"""The audit's pure parts, without a cluster: which kinds, through which API, and how a listed
object becomes the same resource a manifest of it would be. (tests/e2e/ runs the audit against
a real API server.)"""

from __future__ import annotations

import hashlib

import orjson

from checker.audit.kinds import KUBEVIRT_CONTEXT, ApiResource, discovered, plan, wanted_kinds
from checker.audit.objects import RenderedObjects, as_manifest, listed_object, render
from checker.audit.run import _forbidden
from checker.loaders import load
from checker.loaders.locate import Locator
from checker.model import CheckMeta

DEPLOYMENTS = ApiResource("apps/v1", "Deployment", "deployments", True, ("get", "list", "watch"))
NAMESPACES = ApiResource("v1", "Namespace", "namespaces", False, ("get", "list"))


def _check(cid: str, targets: dict, inventory: tuple[str, ...] = ()) -> CheckMeta:
    return CheckMeta(cid, "t", "d", "isolation", "high", targets, "r", "p", inventory=inventory)


def test_wanted_kinds_are_the_enabled_checks_targets_and_inventory_reads():
    checks = [
        _check("A", {"k8s": ["Deployment", "Pod"]}, ("Namespace", "namespaces", "images")),
        _check("B", {"k8s": ["NetworkPolicy"]}),
        _check("C", {"vm": ["TerraformPlan", "aws_instance"], "image": ["Image"]}),
    ]
    assert wanted_kinds(checks) == ["Deployment", "Namespace", "NetworkPolicy", "Pod"]
    assert wanted_kinds(checks, off=["B"]) == ["Deployment", "Namespace", "Pod"]


def test_a_target_that_names_a_class_of_objects_is_never_listed_as_a_kind():
    checks = [_check("U", {"k8s": ["CustomResource", "Deployment"]})]
    assert wanted_kinds(checks) == ["Deployment"]


def test_kubevirt_vms_bring_what_the_vm_loader_looks_up():
    kinds = wanted_kinds([_check("V", {"vm": ["VirtualMachine", "PackerTemplate"]})])
    assert set(kinds) == {"VirtualMachine", *KUBEVIRT_CONTEXT}


def test_discovery_keeps_listable_top_level_resources_only():
    doc = {
        "resources": [
            {"name": "deployments", "kind": "Deployment", "namespaced": True, "verbs": ["list"]},
            {"name": "deployments/scale", "kind": "Scale", "namespaced": True, "verbs": ["get"]},
            {"name": "tokenreviews", "kind": "TokenReview", "verbs": ["create"]},
        ]
    }  # fmt: skip
    found = discovered("apps/v1", doc)
    assert [r.resource for r in found] == ["deployments", "tokenreviews"]
    planned = {p.kind: p for p in plan(["Deployment", "TokenReview", "Gadget"], found)}
    assert [r.resource for r in planned["Deployment"].served_by] == ["deployments"]
    assert planned["TokenReview"].served_by == ()  # served, but it cannot be listed
    assert planned["Gadget"].served_by == ()  # not served at all


def test_a_kind_served_by_two_groups_is_listed_from_each_once():
    kyverno = ApiResource("kyverno.io/v1", "Policy", "policies", True, ("list",))
    other = ApiResource("example.io/v2", "Policy", "policies", True, ("list",))
    older = ApiResource("kyverno.io/v2beta1", "Policy", "policies", True, ("list",))
    (p,) = plan(["Policy"], [kyverno, other, older])
    assert [r.group_version for r in p.served_by] == ["kyverno.io/v1", "example.io/v2"]


def test_api_paths_are_kubectls():
    assert DEPLOYMENTS.path("clinical") == "/apis/apps/v1/namespaces/clinical/deployments"
    assert DEPLOYMENTS.path("clinical", "web") == (
        "/apis/apps/v1/namespaces/clinical/deployments/web"
    )
    assert NAMESPACES.path("ignored", "clinical") == "/api/v1/namespaces/clinical"


ITEM = {
    "metadata": {
        "name": "web",
        "namespace": "clinical",
        "uid": "u-1",
        "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
    },
    "spec": {"revisionHistoryLimit": 10, "template": {"spec": {"containers": [{"name": "a"}]}}},
    "status": {"replicas": 1},
}


def test_a_listed_item_reads_like_its_manifest_without_managed_fields():
    obj = as_manifest(ITEM, DEPLOYMENTS)
    assert list(obj)[:2] == ["apiVersion", "kind"]
    assert obj["apiVersion"] == "apps/v1" and obj["kind"] == "Deployment"
    assert "managedFields" not in obj["metadata"] and obj["metadata"]["uid"] == "u-1"
    assert obj["spec"]["revisionHistoryLimit"] == 10 and obj["status"] == {"replicas": 1}
    assert "managedFields" in ITEM["metadata"]  # the listed item itself is left as it was


def test_a_listed_object_loads_like_a_file_and_names_its_cluster_and_path():
    listed = listed_object("prod", ITEM, DEPLOYMENTS)
    assert listed.name == "prod/apis/apps/v1/namespaces/clinical/deployments/web"
    data = orjson.dumps(listed.value, option=orjson.OPT_SORT_KEYS)
    assert (listed.sha256, listed.size) == (hashlib.sha256(data).hexdigest(), len(data))
    loaded = load([], objects=[listed])
    (res,) = loaded.resources
    assert (res.kind, res.namespace, res.name, res.api_version) == (
        "Deployment", "clinical", "web", "apps/v1",
    )  # fmt: skip
    assert res.object is listed.value
    assert res.source.file == listed.name
    (inp,) = loaded.inputs
    assert (inp.path, inp.resources, inp.sha256) == (listed.name, 1, listed.sha256)


def test_a_findings_line_is_the_fields_line_in_the_rendered_object():
    listed = listed_object("prod", ITEM, DEPLOYMENTS)
    loaded = load([], objects=[listed])
    loaded.texts = RenderedObjects(loaded.texts, {listed.name: listed.value})
    text = render(listed.value)
    expected = next(
        n for n, line in enumerate(text.splitlines(), 1) if "revisionHistoryLimit" in line
    )
    locate = Locator(loaded)
    assert locate(loaded.resources[0].id, "spec.revisionHistoryLimit") == expected > 1


def test_a_refused_list_names_each_kind_and_the_rule_that_would_allow_it():
    from checker.audit.kinds import ListPlan

    policies = ApiResource("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, ())
    refused = [
        (ListPlan("NetworkPolicy", (policies,)), policies, 'cannot list "networkpolicies"'),
        (ListPlan("Deployment", (DEPLOYMENTS,)), DEPLOYMENTS, 'cannot list "deployments"'),
    ]
    err = _forbidden(refused, "https://10.0.0.1:6443", "clinical")
    assert err.exit_code == 2
    assert "may not list 2 kind(s)" in err.message
    assert "NetworkPolicy (networking.k8s.io/v1 networkpolicies) in namespace clinical" in (
        err.message
    )
    assert 'apiGroups: ["apps"], resources: [deployments], verbs: [get, list]' in err.hint


def _audit(*args: str, env: dict[str, str] | None = None):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    return subprocess.run(
        [sys.executable, "-m", "checker", "audit", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_kubeconfig_problems_are_clear_errors_before_anything_connects(tmp_path):
    missing = _audit("--kubeconfig", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "--kubeconfig" in missing.stderr
    assert "no such file" in missing.stderr
    bad = tmp_path / "kubeconfig"
    bad.write_text("clusters: [\n")
    broken = _audit("--kubeconfig", str(bad))
    assert broken.returncode == 2 and f"{bad}:2: the kubeconfig is not valid YAML" in broken.stderr
    none = _audit(env={"HOME": str(tmp_path), "KUBECONFIG": "", "KUBERNETES_SERVICE_HOST": ""})
    assert none.returncode == 2 and "no kubeconfig found" in none.stderr
    for run in (missing, broken, none):
        assert run.stdout == "" and "internal error" not in run.stderr


def test_an_unknown_context_is_a_clear_error(tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
    )
    run = _audit("--kubeconfig", str(config), "--context", "prod")
    assert run.returncode == 2 and "cannot use the kubeconfig" in run.stderr
    assert "prod" in run.stderr and "--context picks a context" in run.stderr
