"""The admission webhook end to end: a real `dxguard webhook serve` over HTTPS on loopback with
the real OPA it manages, sent real AdmissionReview JSON (as the API server sends it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import time
import warnings
from pathlib import Path

import pytest
import requests
import webhook_harness as wh
import yaml

from conftest import AS_OF, ROOT, dxguard, opa_path

CONFIG = "fixtures/dxguard.yaml"
INVENTORY = ("fixtures/k8s", "fixtures/images")  # what the demo scan reads besides the object


def _obj(rel: str, index: int = 0) -> dict:
    docs = [d for d in yaml.safe_load_all((ROOT / rel).read_text()) if d]
    return docs[index]


def _inventory(*paths: str) -> list[str]:
    """--inventory for each of the scan's other inputs."""
    out = []
    for p in paths or INVENTORY:
        out += ["--inventory", str(ROOT / p)]
    return out


@pytest.fixture(scope="module")
def hook(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("webhook")
    h = wh.start(tmp, "-c", CONFIG, "--no-watch", *_inventory(),
                 "--as-of", AS_OF)  # fmt: skip
    yield h
    wh.stop(h)


def _answer(hook, body) -> dict:
    resp = hook.post(body)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["apiVersion"] == "admission.k8s.io/v1" and doc["kind"] == "AdmissionReview"
    return doc["response"]


def _decision(hook, uid: str) -> dict:
    return hook.wait_for(lambda: next((d for d in hook.decisions() if d["uid"] == uid), None))


# -- enforcement by tier ------------------------------------------------------------------------


def test_a_non_compliant_clinical_deployment_is_denied_naming_checks_controls_field_and_fix(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    resp = _answer(hook, wh.review(obj, uid="deny-1"))
    assert resp["uid"] == "deny-1" and resp["allowed"] is False
    msg = resp["status"]["message"]
    assert resp["status"]["code"] == 403 and len(msg) <= 2000
    assert msg.startswith("dxguard denied Deployment clinical-pathology/wsi-batch-rescore (tier")
    assert "DXG-K8S-" in msg and "spec.template.spec.containers[0]" in msg and " Fix: " in msg
    assert "Controls: " in msg and "21 CFR" in msg
    notes = resp["auditAnnotations"]
    assert notes["verdict"] == "deny" and notes["tier"] == "clinical"
    assert "DXG-K8S-ISO-001" in notes["checks"].split(",") or notes["checks"]
    assert "IVDR Annex I" in notes["controls"] or "21 CFR" in notes["controls"]
    record = _decision(hook, "deny-1")
    assert record["verdict"] == "deny" and record["allowed"] is False
    assert record["controls"] and {f["check"] for f in record["failed"]} == set(
        notes["checks"].split(",")
    )


def test_a_compliant_clinical_deployment_is_admitted(hook):
    obj = _obj("fixtures/k8s/compliant/slide-viewer-deployment.yaml")
    resp = _answer(hook, wh.review(obj, uid="allow-1"))
    assert resp["allowed"] is True and "status" not in resp and "warnings" not in resp
    assert resp["auditAnnotations"]["verdict"] == "allow"
    record = _decision(hook, "allow-1")
    assert record["failed"] == [] and record["examined"] > 10  # examined, not just let through


def test_a_research_deployment_with_failures_is_admitted_with_warnings(hook):
    obj = _obj("fixtures/k8s/noncompliant/research-typo-deployment.yaml")
    resp = _answer(hook, wh.review(obj, uid="warn-1"))
    assert resp["allowed"] is True and resp["auditAnnotations"]["verdict"] == "warn"
    warnings = resp["warnings"]
    assert warnings and all(w.startswith("dxguard") and len(w) <= 256 for w in warnings)
    assert sum(map(len, warnings)) <= 4096
    assert _decision(hook, "warn-1")["tier"] == "research"


def test_an_other_tier_failure_is_admitted_silently_and_recorded_as_dryrun(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    obj["metadata"]["namespace"] = "platform-tools"
    obj["spec"]["template"]["metadata"]["labels"].pop("dxguard.io/tier", None)
    obj["metadata"].get("labels", {}).pop("dxguard.io/tier", None)
    resp = _answer(hook, wh.review(obj, uid="other-1"))
    assert resp["allowed"] is True and "warnings" not in resp
    record = _decision(hook, "other-1")
    assert record["tier"] == "other" and record["verdict"] == "dryrun" and record["failed"]


def test_a_dry_run_request_is_evaluated_answered_and_recorded_as_a_dry_run(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    resp = _answer(hook, wh.review(obj, uid="dry-1", dry_run=True))
    assert resp["allowed"] is False  # the answer a real create would get
    record = _decision(hook, "dry-1")
    assert record["dry_run"] is True and record["verdict"] == "deny"


def test_delete_connect_and_subresources_pass_untouched_and_unrecorded(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    for uid, body in [
        ("del-1", wh.review(obj, uid="del-1", operation="DELETE")),
        ("con-1", wh.review(None, uid="con-1", operation="CONNECT", namespace="clinical-x")),
        ("sub-1", wh.review(obj, uid="sub-1", operation="UPDATE", subresource="status")),
        ("sub-2", wh.review(obj, uid="sub-2", operation="UPDATE", subresource="scale")),
    ]:
        resp = _answer(hook, body)
        assert resp["allowed"] is True and resp["uid"] == uid
        assert "untouched" in resp["auditAnnotations"]
    _decision(hook, "deny-1") if any(d["uid"] == "deny-1" for d in hook.decisions()) else None
    assert not {"del-1", "con-1", "sub-1", "sub-2"} & {d["uid"] for d in hook.decisions()}


def test_an_update_is_judged_like_a_create(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    resp = _answer(hook, wh.review(obj, uid="upd-1", operation="UPDATE"))
    assert resp["allowed"] is False


def test_an_object_without_its_namespace_is_judged_in_the_requests_namespace(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    ns = obj["metadata"].pop("namespace")
    resp = _answer(hook, wh.review(obj, uid="ns-1", namespace=ns))  # kubectl apply -n
    assert resp["allowed"] is False and resp["auditAnnotations"]["tier"] == "clinical"


# -- bad requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, says",
    [
        (b"{", "not JSON"),
        (b"[]", "not a JSON object"),
        (json.dumps({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}),
         "admissionReviewVersions"),
        (json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}),
         "no request"),
        (json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                     "request": {"operation": "CREATE", "kind": {"kind": "Pod"}, "object": {}}}),
         "uid"),
        (json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                     "request": {"uid": "x", "operation": "CREATE", "kind": {"kind": "Pod"}}}),
         "request.object"),
        (json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                     "request": {"uid": "x", "operation": "PATCH", "kind": {"kind": "Pod"},
                                 "object": {}}}),
         "operation"),
    ],
)  # fmt: skip
def test_a_malformed_review_gets_http_400_with_a_message_never_an_allow(hook, body, says):
    resp = hook.post(body.encode() if isinstance(body, str) else body)
    assert resp.status_code == 400
    assert says in resp.json()["message"] and "allowed" not in resp.text


def test_a_huge_object_is_judged_and_an_oversized_review_is_refused(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    obj["metadata"]["annotations"] = {f"note-{i}": "x" * 1000 for i in range(2000)}  # ~2 MB
    resp = _answer(hook, wh.review(obj, uid="huge-1"))
    assert resp["allowed"] is False
    obj["metadata"]["annotations"] = {f"note-{i}": "x" * 1000 for i in range(9000)}  # ~9 MB
    resp = hook.post(wh.review(obj, uid="huge-2"))
    assert resp.status_code == 400 and "over the webhook's limit" in resp.json()["message"]


# -- evidence and observability -----------------------------------------------------------------


def test_every_decision_is_structured_json_without_the_objects_data(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    obj["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "DB_PASSWORD", "value": "s3cret-value-never-logged"}
    ]
    _answer(hook, wh.review(obj, uid="rec-1", user="bob@example.org"))
    record = _decision(hook, "rec-1")
    assert {"time", "uid", "operation", "kind", "namespace", "name", "user", "tier", "verdict",
            "allowed", "bundle_sha256", "failed", "controls", "dry_run"} <= set(record)  # fmt: skip
    assert record["user"] == "bob@example.org" and record["time"] == AS_OF
    assert len(record["bundle_sha256"]) == 64
    assert "s3cret-value-never-logged" not in hook.log.read_text()
    assert "object" not in record and "spec" not in json.dumps(record["failed"]).replace(
        "spec.", ""
    )


def test_metrics_count_decisions_with_sub_millisecond_buckets(hook):
    obj = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
    _answer(hook, wh.review(obj, uid="met-1"))
    text = hook.get("/metrics").text
    assert 'dxguard_admission_duration_seconds_bucket{le="0.0005"}' in text
    assert (
        'dxguard_admission_decisions_total{dry_run="false",tier="clinical",verdict="deny"}' in text
    )
    assert "dxguard_admission_failed_controls_total{control=" in text
    assert "dxguard_inventory_age_seconds " in text and "dxguard_opa_errors_total 0.0" in text
    assert hook.get("/healthz").status_code == 200 and hook.get("/readyz").text == "ready\n"


def test_tls_older_than_1_2_is_refused(hook):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(hook.certs.ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1: deprecated, on purpose
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with (
        socket.create_connection(("127.0.0.1", hook.port), timeout=10) as raw,
        pytest.raises(ssl.SSLError),
    ):
        ctx.wrap_socket(raw, server_hostname="localhost").do_handshake()


# -- waivers, failures, certificates ------------------------------------------------------------


def _waivers(tmp: Path) -> Path:
    path = tmp / "waivers.yaml"
    path.write_text(
        "version: 1\nwaivers:\n"
        "  - id: WVR-ACTIVE\n    check: DXG-IMG-SCN-001\n"
        "    resource:\n      kind: Deployment\n      namespace: clinical-dermatology\n"
        "      name: lesion-classifier\n"
        "    justification: The classifier's scan evidence is attached to CHG-1.\n"
        "    approver: QA\n    approved: 2026-11-01\n    ticket: CHG-1\n    expires: 2027-01-31\n"
        "  - id: WVR-EXPIRED\n    check: DXG-IMG-SCN-001\n"
        "    resource: {kind: Deployment, namespace: clinical-pathology, name: wsi-inference}\n"
        "    justification: Accepted for the Q3 pilot only.\n"
        "    approver: QA\n    approved: 2026-07-01\n    ticket: CHG-2\n    expires: 2026-10-31\n"
    )
    return path


def _item(rel: str, name: str) -> dict:
    for doc in yaml.safe_load_all((ROOT / rel).read_text()):
        for obj in doc.get("items", [doc]) if doc else []:
            if obj.get("metadata", {}).get("name") == name:
                return obj
    raise AssertionError(f"no {name} in {rel}")


def test_waivers_apply_at_admission_as_in_a_scan_and_an_expired_one_covers_nothing(tmp_path):
    waivers = _waivers(tmp_path)
    scan = dxguard("scan", "-c", CONFIG, "--as-of", AS_OF, "-q", "--format", "json",
                   "--waivers", str(waivers), *INVENTORY)  # fmt: skip
    scn = {
        f["resource"]["name"]: (f["status"], f.get("waiver", {}).get("id"))
        for f in scan.json()["findings"]
        if f["check"] == "DXG-IMG-SCN-001" and f["resource"]["kind"] == "Deployment"
    }
    assert scn["lesion-classifier"] == ("waived", "WVR-ACTIVE")
    assert scn["wsi-inference"] == ("failed", "WVR-EXPIRED")
    h = wh.start(tmp_path, "-c", CONFIG, "--no-watch", *_inventory(), "--as-of", AS_OF,
                 "--waivers", str(waivers))  # fmt: skip
    try:
        lesion = _item("fixtures/k8s/noncompliant/clinical-dermatology-onboarding.yaml",
                       "lesion-classifier")  # fmt: skip
        ok = _answer(h, wh.review(lesion, uid="w-active"))
        assert ok["allowed"] is True and ok["auditAnnotations"]["waived"] == "DXG-IMG-SCN-001"
        assert [f["waiver"] for f in _decision(h, "w-active")["waived"]] == ["WVR-ACTIVE"]
        inference = _item("fixtures/k8s/noncompliant/inference-list.yaml", "wsi-inference")
        lapsed = _answer(h, wh.review(inference, uid="w-expired"))
        assert lapsed["allowed"] is False and "DXG-IMG-SCN-001" in lapsed["status"]["message"]
        record = _decision(h, "w-expired")
        assert record["waived"] == []
        scn_failed = [f for f in record["failed"] if f["check"] == "DXG-IMG-SCN-001"]
        assert scn_failed and all(f["waiver"] == "WVR-EXPIRED" for f in scn_failed)
    finally:
        wh.stop(h)


def test_a_killed_opa_denies_clinical_follows_policy_elsewhere_and_fails_readiness(tmp_path):
    h = wh.start(tmp_path, "-c", CONFIG, "--no-watch", *_inventory(),
                 "--as-of", AS_OF, "--opa-timeout", "1")  # fmt: skip
    try:
        pids = h.opa_pids()
        assert pids, "the webhook manages an OPA child"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        h.wait_for(lambda: not h.opa_pids())
        obj = _obj("fixtures/k8s/compliant/slide-viewer-deployment.yaml")  # compliant, even
        clinical = _answer(h, wh.review(obj, uid="dead-1"))
        assert clinical["allowed"] is False
        assert "could not evaluate" in clinical["status"]["message"]
        assert "never admitted unchecked" in clinical["status"]["message"]
        typo = _obj("fixtures/k8s/noncompliant/research-typo-deployment.yaml")
        research = _answer(h, wh.review(typo, uid="dead-2"))
        assert research["allowed"] is True and "could not evaluate" in research["warnings"][0]
        h.wait_for(lambda: h.get("/readyz").status_code == 503)
        assert "OPA does not answer" in h.get("/readyz").text
        assert h.get("/healthz").status_code == 503
        assert "dxguard_opa_errors_total 2.0" in h.get("/metrics").text
        assert _decision(h, "dead-1")["error"]
    finally:
        wh.stop(h)


def test_a_renewed_certificate_is_served_without_a_restart(tmp_path):
    certs = wh.make_certs(tmp_path / "certs")
    h = wh.start(tmp_path, "--no-watch", "--as-of", AS_OF, "--cert-reload-seconds", "0.2",
                 certs=certs)  # fmt: skip
    try:
        renewed = wh.make_certs(tmp_path / "renewed", ca_name="ca2")
        os.replace(renewed.key, certs.key)
        os.replace(renewed.cert, certs.cert)

        def served_by_new_ca():
            try:
                return requests.get(h.url + "/healthz", verify=str(renewed.ca), timeout=5).ok
            except requests.exceptions.SSLError:
                return False

        assert h.wait_for(served_by_new_ca, timeout=20)
    finally:
        wh.stop(h)


def test_a_sidecar_opa_given_by_url_judges_the_same(tmp_path):
    """--opa-url: an OPA holding only the bundle; the webhook puts its config and inventory in."""
    import subprocess

    port = wh.free_port()
    opa = subprocess.Popen(
        [
            str(opa_path()),
            "run",
            "--server",
            "--addr",
            f"127.0.0.1:{port}",
            "--ignore",
            "*_test.rego",
            str(ROOT / "rego"),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        h = wh.start(tmp_path, "-c", CONFIG, "--no-watch", "--as-of", AS_OF,
                     *_inventory(),
                     "--opa-url", f"http://127.0.0.1:{port}")  # fmt: skip
        try:
            bad = _obj("fixtures/k8s/noncompliant/wsi-batch-rescore-deployment.yaml")
            good = _obj("fixtures/k8s/compliant/slide-viewer-deployment.yaml")
            denied = _answer(h, wh.review(bad, uid="side-1"))
            allowed = _answer(h, wh.review(good, uid="side-2"))
            assert denied["allowed"] is False and allowed["allowed"] is True
        finally:
            wh.stop(h)
    finally:
        opa.kill()
        opa.wait()


# -- parity: the verdict does not depend on the door ---------------------------------------------

PARITY_SETS = [
    ("fixtures/dxguard.yaml", ["fixtures/k8s", "fixtures/vm", "fixtures/images"]),
    ("fixtures/vm/dxguard.yaml", ["fixtures/vm"]),
    ("fixtures/images/dxguard.yaml", ["fixtures/images"]),
    ("fixtures/stdin/pr-check.dxguard.yaml", ["fixtures/stdin"]),
    (None, ["fixtures/k8s"]),
]


@pytest.mark.parametrize("config, paths", PARITY_SETS)
def test_every_fixture_object_gets_the_same_check_results_through_the_webhook_as_in_a_scan(
    tmp_path, config, paths
):
    """Each Kubernetes object (KubeVirt VMs included) of every fixture set, sent as an
    AdmissionReview to a webhook whose inventory is the rest of the set, fails exactly the
    subjects (check, field, subject) that `dxguard scan` of the set fails for it, and examines
    as many subjects with the object-scope checks."""
    from checker.loaders import load

    cfg = ["-c", config] if config else []
    scan = dxguard("scan", *cfg, "--as-of", AS_OF, "-q", "--format", "json", *paths)
    assert scan.code in (0, 1), scan.stderr
    report = scan.json()
    listed = json.loads(dxguard("checks", "list", "--format", "json", *cfg).stdout)
    object_checks = {c["id"] for c in listed if c["scope"] == "object"}
    failed: dict[str, set] = {}
    for f in report["findings"]:
        if f["check"] in object_checks:
            failed.setdefault(f["resource"]["id"], set()).add(
                (f["check"], f["path"], f.get("subject"))
            )
    examined = {
        r["id"]: sum(sum(n.values()) for cid, n in r["checks"].items() if cid in object_checks)
        for r in report["resources"]
    }
    objects = [
        r
        for r in load(paths).resources
        if r.family == "k8s" or r.api_version.startswith("kubevirt.io/")
    ]
    assert objects
    inventory = [arg for p in paths for arg in ("--inventory", p)]
    h = wh.start(tmp_path, *cfg, "--no-watch", *inventory, "--as-of", AS_OF)
    try:
        for i, res in enumerate(objects):
            uid = f"parity-{i}"
            _answer(h, wh.review(res.object, uid=uid))
            record = _decision(h, uid)
            got = {(f["check"], f["path"], f.get("subject")) for f in record["failed"]}
            assert got == failed.get(res.id, set()), f"{res.id}: webhook {got} != scan"
            assert record["examined"] == examined[res.id], res.id
    finally:
        wh.stop(h)
