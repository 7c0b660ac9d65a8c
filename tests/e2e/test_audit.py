"""`dxguard audit` against a real kube-apiserver: what it lists, how it judges, what it records.

The bundled example manifests (fixtures/k8s, compliant and not) are created in the cluster
through the kubernetes client, as `kubectl create -f` would; what the API server refuses to
serve (the audit Policy file, Kyverno's ClusterPolicy without Kyverno) stays out, and what the
manifests take for granted is added the way a cluster has it (the namespaces they name, each
namespace's `default` ServiceAccount, which the controller manager would create). The same
objects are written to a folder, so `dxguard scan` of that folder and `dxguard audit` of the
cluster judge the same objects with the same bundle, and their check results are compared.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from typing import Any

import pytest

from e2e_cluster import ROOT, ControlPlane, free_port
from e2e_kube import create, documents, dxguard, run_env

FIXTURES = ROOT / "fixtures" / "k8s"
CONFIG = ROOT / "fixtures" / "dxguard.yaml"
RBAC = "rbac.authorization.k8s.io"
TYPO = ("Deployment", "research-ml", "tile-cache")  # a field name the API server drops


def identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj["apiVersion"], obj["kind"], meta.get("namespace") or "", meta.get("name") or "")


def _served(dynamic: Any, doc: dict[str, Any]) -> bool:
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    try:
        dynamic.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    except ResourceNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def workload(dynamic: Any, control_plane: ControlPlane, tmp_path_factory) -> dict[str, Any]:
    """The example manifests, created in the cluster and written to a folder to scan."""
    docs, seen, twice = [], set(), []
    for doc in documents(*sorted(FIXTURES.rglob("*.yaml"))):
        if doc.get("kind") and identity(doc) in seen:
            twice.append(identity(doc))  # a cluster holds one object of a name
        elif doc.get("kind"):
            seen.add(identity(doc))
            docs.append(doc)
    served = [d for d in docs if _served(dynamic, d)]
    left_out = sorted({d["kind"] for d in docs if d not in served})
    named = {d["metadata"]["name"] for d in served if d["kind"] == "Namespace"}
    used = {d["metadata"]["namespace"] for d in served if d["metadata"].get("namespace")}
    added = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        for ns in sorted(used - named - {"kube-system", "default"})
    ]
    added += [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _default_sa(ns)}
        for ns in sorted(used)
    ]
    objects = [d for d in served if d["kind"] == "Namespace"] + added
    objects += [d for d in served if d["kind"] != "Namespace"]
    folder = tmp_path_factory.mktemp("created")
    for i, obj in enumerate(objects):
        create(dynamic, obj)
        ident = "-".join(p.replace("/", "_") for p in identity(obj) if p)
        # JSON, never PyYAML's dump: PyYAML leaves a string like 08712345678913 unquoted, which
        # sigs.k8s.io/yaml (kubectl, and dxguard) reads as a number.
        (folder / f"{i:03d}-{ident}.json").write_text(json.dumps(obj, indent=2))
    return {"objects": objects, "folder": folder, "left_out": left_out, "twice": twice}


def _default_sa(namespace: str) -> dict[str, str]:
    return {"name": "default", "namespace": namespace}


def _json_of(run) -> dict[str, Any]:
    assert run.code in (0, 1), run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def scanned(workload) -> dict[str, Any]:
    return _json_of(dxguard("scan", "-c", str(CONFIG), "--format", "json", str(workload["folder"])))


@pytest.fixture(scope="module")
def audited(workload, control_plane: ControlPlane) -> dict[str, Any]:
    run = dxguard(
        "audit", "--kubeconfig", str(control_plane.admin_kubeconfig), "-c", str(CONFIG),
        "--format", "json",
    )  # fmt: skip
    return _json_of(run)


def _resources(report: dict[str, Any]) -> dict[tuple, dict[str, Any]]:
    return {
        (r["apiVersion"], r["kind"], r.get("namespace") or "", r.get("name") or ""): r
        for r in report["resources"]
    }


def _results(report: dict[str, Any], wanted: set[tuple]) -> dict[str, set]:
    """Per resource identity: its failures (check, path, subject) and its counts per check."""
    by_id = {r["id"]: k for k, r in _resources(report).items()}
    failures = {
        (by_id[f["resource"]["id"]], f["check"], f["path"], f.get("subject"), f["status"])
        for f in report["findings"]
        if by_id[f["resource"]["id"]] in wanted
    }
    counts = {
        (key, check, c["passed"], c["failed"], c["waived"])
        for key, r in _resources(report).items()
        if key in wanted
        for check, c in r["checks"].items()
    }
    return {"failures": failures, "counts": counts}


def test_the_cluster_holds_every_example_manifest_it_serves(workload):
    # Only what no API of a bare cluster serves stays out: the audit Policy is a file the API
    # server reads, and Kyverno's ClusterPolicy needs Kyverno.
    assert workload["left_out"] == ["ClusterPolicy", "Policy"]
    # Two control-plane nodes' static pods share a name; the cluster holds one of them (and
    # the two audit Policy files, which have no name, are files either way).
    assert sorted(workload["twice"]) == [
        ("audit.k8s.io/v1", "Policy", "", ""),
        ("v1", "Pod", "kube-system", "kube-apiserver"),
    ]
    assert len(workload["objects"]) > 30


def test_audit_lists_every_object_created_with_its_cluster_source(workload, audited):
    listed = _resources(audited)
    kinds = {k["kind"] for k in audited["run"]["cluster"]["kinds"]}
    for obj in workload["objects"]:
        key = identity(obj)
        if obj["kind"] not in kinds:
            continue  # a kind no check needs (ConfigMap, Service) is not listed
        assert key in listed, key
        src = listed[key]["source"]["file"]
        assert src.startswith("dxguard-e2e/api"), src
        assert src.endswith(f"/{key[3]}") and (not key[2] or f"/namespaces/{key[2]}/" in src)
    assert ("v1", "ConfigMap", "clinical-imaging", "dicom-router-config") not in listed


def test_audit_check_results_match_a_scan_of_the_same_manifests(workload, scanned, audited):
    wanted = {identity(o) for o in workload["objects"]}
    scan, audit = _results(scanned, wanted), _results(audited, wanted)
    # One deliberate difference: the manifest of research-ml/tile-cache misspells three
    # securityContext fields. The scan reports each misspelling (DXG-K8S-ISO-019); the API
    # server dropped the unknown fields when it stored the object (it warned the client), so
    # the audit judges what runs, where they are not.
    typo = next(k for k in wanted if k[1:] == TYPO)
    assert audit["failures"] == scan["failures"] - {f for f in scan["failures"] if f[0] == typo
                                                    and f[1] == "DXG-K8S-ISO-019"}  # fmt: skip
    context = "spec.template.spec.containers[0].securityContext."
    assert {f[2] for f in scan["failures"] - audit["failures"]} == {
        context + "allowPrivilegeEscalaton",
        context + "capabilites",
        context + "readOnlyRootFileSystem",
    }
    # A second one: the API server's ServiceAccount admission adds a projected token volume
    # (kube-api-access-…) to every bare Pod whose manifest does not opt out of it, so the audit
    # examines one volume more there (DXG-K8S-ISO-025, passed: projected is an allowed type).
    pods = {k for k in wanted if k[:2] == ("v1", "Pod")}

    def kept(counts: set) -> set:
        return {c for c in counts if c[:2] != (typo, "DXG-K8S-ISO-019")
                and not (c[0] in pods and c[1] == "DXG-K8S-ISO-025")}  # fmt: skip

    same = kept(scan["counts"])
    assert same == kept(audit["counts"])
    notebook = ("v1", "Pod", "research-ml", "notebook-jdoe")
    assert (notebook, "DXG-K8S-ISO-025", 1, 0, 0) in audit["counts"]
    assert not any(c[:2] == (notebook, "DXG-K8S-ISO-025") for c in scan["counts"])
    assert (typo, "DXG-K8S-ISO-019", 1, 0, 0) in audit["counts"]
    assert len(same) > 250 and len(scan["failures"]) > 100  # a real comparison, not an empty one


def test_audit_judges_the_object_as_the_cluster_returned_it(control_plane, audited):
    status, body = control_plane.get("/apis/apps/v1/namespaces/research-ml/deployments/tile-cache")
    assert status == 200
    stored = json.loads(body)
    container = stored["spec"]["template"]["spec"]["containers"][0]
    assert "allowPrivilegeEscalaton" not in container.get("securityContext", {})
    # Defaults the server filled in are part of what the audit judged (and reported).
    assert stored["spec"]["revisionHistoryLimit"] == 10
    listed = _resources(audited)[("apps/v1", *TYPO)]
    assert listed["examined"]


def test_audit_report_names_the_cluster_and_every_kind_it_needed(control_plane, audited):
    cluster = audited["run"]["cluster"]
    status, body = control_plane.get("/api/v1/namespaces/kube-system")
    assert cluster["server"] == control_plane.server
    assert cluster["kube_system_uid"] == json.loads(body)["metadata"]["uid"]
    assert cluster["name"] == "dxguard-e2e" and cluster["context"] == "admin"
    kinds = {k["kind"]: k for k in cluster["kinds"]}
    assert kinds["Deployment"] == {
        "kind": "Deployment", "api_version": "apps/v1", "status": "listed",
        "objects": kinds["Deployment"]["objects"], "resource": "deployments", "namespaced": True,
    }  # fmt: skip
    assert kinds["Deployment"]["objects"] >= 5
    assert kinds["ClusterPolicy"]["status"] == "not-served"  # no Kyverno in this cluster
    skipped = {s["file"]: s["reason"] for s in audited["skipped"]}
    assert "no API of this cluster serves it" in skipped["dxguard-e2e/ClusterPolicy"]
    assert "audit Policy is a file" in skipped["dxguard-e2e/Policy"]
    # Bootstrap objects the API server made itself are audited too (what the cluster holds).
    assert kinds["ClusterRole"]["objects"] > 50


def test_small_pages_list_the_same_objects(workload, control_plane, audited):
    run = dxguard(
        "audit", "--kubeconfig", str(control_plane.admin_kubeconfig), "-c", str(CONFIG),
        "--format", "json", "--chunk-size", "2",
    )  # fmt: skip
    paged = _json_of(run)
    assert set(_resources(paged)) == set(_resources(audited))
    assert paged["findings"] == audited["findings"]
    assert max(k["objects"] for k in paged["run"]["cluster"]["kinds"]) > 2  # many pages each


def test_audit_of_one_namespace_lists_only_its_objects(workload, control_plane):
    ns = "clinical-pathology"
    report = _json_of(
        dxguard(
            "audit",
            "--kubeconfig",
            str(control_plane.admin_kubeconfig),
            "-n",
            ns,
            "-c",
            str(CONFIG),
            "--format",
            "json",
        )  # fmt: skip
    )
    namespaces = {k[2] for k in _resources(report)}
    names = {k[3] for k in _resources(report) if k[1] == "Namespace"}
    assert namespaces == {ns, ""} and names == {ns}
    assert report["run"]["cluster"]["namespace"] == ns


def test_a_namespace_the_cluster_does_not_have_is_a_clear_error(control_plane):
    run = dxguard("audit", "--kubeconfig", str(control_plane.admin_kubeconfig), "-n", "nope")
    assert run.code == 2 and run.stdout == ""
    assert "--namespace nope: no such namespace at https://127.0.0.1:" in run.stderr


def test_audit_is_recorded_with_the_clusters_identity(workload, control_plane, tmp_path):
    store = tmp_path / "evidence.sqlite"
    run = dxguard(
        "audit", "--kubeconfig", str(control_plane.admin_kubeconfig), "-c", str(CONFIG),
        "--format", "json", "--record", "--store", str(store),
    )  # fmt: skip
    report = _json_of(run)
    assert "recorded audit 1" in run.stderr
    from checker.store import opened

    with opened(str(store)) as st:
        (rec,) = st.records(kinds=["audit"])
        assert rec.kind == "audit"
        assert rec.meta["scope"] == "dxguard-e2e"
        assert rec.meta["cluster"]["server"] == control_plane.server
        assert rec.meta["cluster"]["kube_system_uid"] == report["run"]["cluster"]["kube_system_uid"]
        assert st.report(rec)["findings"] == report["findings"]
        assert st.verify_chain().ok


def test_unreachable_cluster_is_a_clear_error(control_plane, tmp_path):
    pair = control_plane._admin
    kubeconfig = control_plane.kubeconfig(
        "nowhere", pair, server=f"https://127.0.0.1:{free_port()}"
    )
    run = dxguard("audit", "--kubeconfig", str(kubeconfig), "--format", "json")
    assert run.code == 2 and run.stdout == ""
    assert "cluster error: cannot reach the API server at https://127.0.0.1:" in run.stderr
    assert "kubectl cluster-info" in run.stderr


def test_credentials_the_cluster_does_not_know_are_a_clear_error(control_plane, tmp_path):
    from e2e_pki import CertificateAuthority

    stranger = CertificateAuthority(tmp_path / "other-ca").issue("x", common="mallory")
    run = dxguard("audit", "--kubeconfig", str(control_plane.kubeconfig("mallory", stranger)))
    assert run.code == 2 and "refused the credentials (401 Unauthorized)" in run.stderr


def test_a_missing_permission_stops_the_audit_naming_each_kind(control_plane, kube):
    from kubernetes import client

    # A reader of everything except NetworkPolicies and RuntimeClasses.
    rbac = client.RbacAuthorizationV1Api(kube)
    rules = [
        client.V1PolicyRule(api_groups=[""], resources=["*"], verbs=["get", "list"]),
        client.V1PolicyRule(api_groups=["apps", "batch"], resources=["*"], verbs=["get", "list"]),
        client.V1PolicyRule(
            api_groups=["rbac.authorization.k8s.io"], resources=["*"], verbs=["get", "list"]
        ),
    ]
    rbac.create_cluster_role(
        client.V1ClusterRole(metadata=client.V1ObjectMeta(name="partial-reader"), rules=rules)
    )
    rbac.create_cluster_role_binding(
        client.V1ClusterRoleBinding(
            metadata=client.V1ObjectMeta(name="partial-reader"),
            role_ref=client.V1RoleRef(
                api_group=RBAC, kind="ClusterRole", name="partial-reader"
            ),
            subjects=[client.RbacV1Subject(kind="User", name="partial", api_group=RBAC)],
        )
    )  # fmt: skip
    run = dxguard("audit", "--kubeconfig", str(control_plane.user("partial")), "--format", "json")
    assert run.code == 2 and run.stdout == "", run.stderr
    assert "may not list 2 kind(s)" in run.stderr and "audit would be partial" in run.stderr
    assert "NetworkPolicy (networking.k8s.io/v1 networkpolicies)" in run.stderr
    assert "RuntimeClass (node.k8s.io/v1 runtimeclasses)" in run.stderr
    assert 'apiGroups: ["networking.k8s.io"], resources: [networkpolicies]' in run.stderr


def test_progress_on_a_terminal_shows_a_bar_per_kind(workload, control_plane, tmp_path):
    """Run under a pseudo-terminal, as a person at a shell would."""
    primary, secondary = pty.openpty()
    env = run_env({"COLUMNS": "100"})
    proc = subprocess.Popen(
        [*_dxguard_argv(), "audit", "--kubeconfig", str(control_plane.admin_kubeconfig),
         "--format", "json", "-o", str(tmp_path / "audit.json")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary, cwd=ROOT, env=env,
    )  # fmt: skip
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.wait(60)
    os.close(primary)
    text = seen.decode(errors="replace")
    assert proc.returncode in (0, 1), text
    assert "listing Deployment" in text and "listing ClusterRole" in text
    assert "audited dxguard-e2e" in text


def _dxguard_argv() -> list[str]:
    from e2e_kube import DXGUARD

    return list(DXGUARD)


def test_the_audit_judges_no_process_it_started_left_running(control_plane):
    """The audit's OPA is a managed child: after the runs above none is left."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    ours = [line for line in out.splitlines() if f"{ROOT}/.tools/bin/opa run" in line]
    assert ours == [], ours


def test_every_report_format_renders_an_audit_within_its_published_schema(audited):
    """A listed object has no file: its source is the cluster and API path, its line the
    field's line in the object rendered as YAML. Every format carries that and stays valid."""
    import jsonschema
    import xmlschema

    from checker.report.model import Report
    from checker.report.render import RENDERERS, render

    data = ROOT / "tests" / "data"
    schema = json.loads((ROOT / "checker/schemas/report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(audited)
    report = Report.from_json(audited)
    assert report.to_json() == audited  # an audit's report reads back as it was written
    out = {fmt: render(report, fmt, width=100) for fmt in ("table", *RENDERERS)}
    assert all(text.strip() for text in out.values())
    sarif = json.loads(out["sarif"])
    jsonschema.Draft4Validator(json.loads((data / "sarif-schema-2.1.0.json").read_text())).validate(
        sarif
    )
    locations = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]]
    uris = {loc["artifactLocation"]["uri"] for loc in locations}
    assert "dxguard-e2e/apis/apps/v1/namespaces/research-ml/deployments/tile-cache" in uris
    assert all(uri.startswith("dxguard-e2e/api") for uri in uris)
    assert max(loc["region"]["startLine"] for loc in locations) > 10  # a field's own line
    xmlschema.XMLSchema10(data / "junit-10.xsd").validate(out["junit"])
    assert "cluster: dxguard-e2e at https://127.0.0.1:" in out["table"]
    assert "object(s) listed from cluster dxguard-e2e" in out["table"]
    assert "Cluster dxguard-e2e at https://127.0.0.1:" in out["html"]
    assert "::error file=dxguard-e2e/api" in out["github"]


def test_a_list_whose_continue_token_expired_starts_again_from_the_first_page():
    """etcd compacts its history; a paginated list whose continue token points into compacted
    history gets 410 Gone. Here etcd is compacted for real between the first and second page
    (on an API server without its watch cache, which otherwise serves the next pages from a
    snapshot of its own): the list starts again and ends with every object, once."""
    import base64
    import urllib.request

    from kubernetes import client, config

    from checker.audit.cluster import Cluster
    from checker.audit.kinds import ApiResource

    with ControlPlane(apiserver_args=("--watch-cache=false",)) as plane:

        def etcd(path: str, body: dict) -> dict:
            req = urllib.request.Request(
                f"{plane.etcd.url}{path}", data=json.dumps(body).encode(), method="POST"
            )
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read())

        api = client.CoreV1Api(config.new_client_from_config(str(plane.admin_kubeconfig)))
        for i in range(5):
            api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=f"n{i}")))
        pages: list[int] = []

        def on_page(count: int, remaining: int | None) -> None:
            pages.append(count)
            if len(pages) == 1:  # after the first page: new history, then compact all of it
                api.create_namespace(
                    client.V1Namespace(metadata=client.V1ObjectMeta(name="compaction-marker"))
                )
                key = base64.b64encode(b"/").decode()
                head = etcd("/v3/kv/range", {"key": key, "limit": 1})["header"]["revision"]
                etcd("/v3/kv/compaction", {"revision": int(head), "physical": True})

        namespaces = ApiResource("v1", "Namespace", "namespaces", False, ("list",))
        cluster = Cluster(str(plane.admin_kubeconfig))
        try:
            items = cluster.list(namespaces, on_page=on_page, page_size=2)
        finally:
            cluster.close()
    names = [i["metadata"]["name"] for i in items]
    assert len(names) == len(set(names))  # every object once
    assert {"compaction-marker", "kube-system", "n0", "n4"} <= set(names)
    assert pages[:2] == [2, 2]  # the second page was the first page again: a fresh list
    assert pages[-1] == len(names)
