"""An application repository can go green: under `scope: application` the checks that judge the
cluster as a whole are out of scope — listed in every format, never counted as satisfied, never
failing the run — while everything else is judged as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import AS_OF, FIXTURES, dxguard

APP = FIXTURES / "app-repo"
DEBUG_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: clinical-pathology}
spec:
  containers:
    - name: shell
      image: busybox:latest
"""


@pytest.fixture()
def app(tmp_path: Path) -> Path:
    repo = tmp_path / "app"
    shutil.copytree(APP, repo)
    return repo


def scan(repo: Path, *args: str) -> tuple[int, dict, str]:
    run = dxguard("scan", "--as-of", AS_OF, "--format", "json", *args, cwd=repo)
    assert run.code in (0, 1), run.stderr
    return run.code, json.loads(run.stdout), run.stderr


def cluster_checks() -> set[str]:
    rows = json.loads(dxguard("checks", "list", "--format", "json").stdout)
    return {r["id"] for r in rows if r["scope"] == "cluster"}


def test_a_compliant_application_passes_under_application_scope_and_fails_without(app):
    code, report, _ = scan(app, "-c", "dxguard.yaml", "deploy/")
    assert code == 0 and report["summary"]["result"] == "pass"
    assert report["run"]["repository_scope"] == "application"
    out = {c["id"] for c in report["run"]["out_of_scope_checks"]}
    assert out == cluster_checks() and len(out) >= 5
    # Everything in scope was judged: the workload checks examined the Deployment.
    examined = {c["id"] for c in report["checks"] if c["examined"]}
    assert {"DXG-K8S-ISO-001", "DXG-K8S-PIN-001", "DXG-K8S-ISO-017"} <= examined
    # The same manifests as a platform repository: the cluster checks fail on what is missing.
    (app / "platform.yaml").write_text("version: 1\nparameters:\n  image_evidence_tiers: []\n")
    code, platform, _ = scan(app, "-c", "platform.yaml", "deploy/")
    assert code == 1
    failing = {c["id"] for c in platform["checks"] if c["failed"]}
    assert failing and failing <= cluster_checks()


def test_out_of_scope_checks_are_never_satisfied_never_fail_and_are_listed_everywhere(
    app, tmp_path
):
    formats = ("table", "markdown", "html", "sarif", "junit", "oscal", "github")
    outs = [f"-o{fmt}={tmp_path / fmt}" for fmt in formats]
    code, report, _ = scan(app, "-c", "dxguard.yaml", *outs, "deploy/")
    assert code == 0
    out = {c["id"] for c in report["run"]["out_of_scope_checks"]}
    for check in report["checks"]:
        if check["id"] in out:
            assert check["out_of_scope"]["reason"].startswith("judges the cluster as a whole")
            assert check["examined"] == 0 and check["failed"] == 0
    seen_some = 0
    for fw in report["frameworks"]:
        for c in fw["controls"]:
            cited = {k["id"] for k in c["checks"]}
            if not cited & out:
                assert "out_of_scope_checks" not in c
                continue
            assert set(c["out_of_scope_checks"]) == cited & out
            assert c["manual_evidence_required"] is True
            if cited <= out:  # nothing left to judge here: never satisfied
                assert c["status"] == "not-applicable"
            else:
                seen_some += 1
            for row in c["checks"]:
                assert row.get("out_of_scope", False) == (row["id"] in out)
    assert seen_some
    note = next(n for n in report["scope_notes"] if n.startswith("Repository scope: application"))
    for cid in out:
        assert cid in note
    for fmt in formats:
        text = (tmp_path / fmt).read_text()
        assert "Repository scope: application" in text, fmt
        assert "DXG-K8S-ISO-013" in text, fmt


def test_a_control_whose_checks_are_all_out_of_scope_is_not_applicable_never_satisfied(app):
    (app / "catalogs").mkdir()
    (app / "catalogs" / "net.yaml").write_text(
        "framework:\n  id: acme-net\n  title: ACME network SOP\n  version: '1'\n"
        "  description: Network separation of clinical namespaces.\n"
        "controls:\n  - id: NET-1\n    title: Default deny\n"
        "    requirement: Every clinical namespace denies traffic by default.\n"
        "    evidence: automated\n    citation: verified\n"
        "    checks: [DXG-K8S-ISO-013, DXG-K8S-ISO-012]\n"
    )
    code, report, _ = scan(app, "-c", "dxguard.yaml", "--controls", "catalogs", "-f", "acme-net",
                           "deploy/")  # fmt: skip
    assert code == 0
    (fw,) = report["frameworks"]
    (control,) = fw["controls"]
    assert control["status"] == "not-applicable"
    assert control["out_of_scope_checks"] == ["DXG-K8S-ISO-013", "DXG-K8S-ISO-012"]
    assert control["manual_evidence_required"] is True
    assert fw["summary"]["satisfied"] == 0


def test_a_non_compliant_change_still_fails_under_application_scope(app):
    (app / "deploy" / "debug-pod.yaml").write_text(DEBUG_POD)
    code, report, _ = scan(app, "-c", "dxguard.yaml", "deploy/")
    assert code == 1
    failed = {f["check"] for f in report["findings"] if f["file"] == "deploy/debug-pod.yaml"}
    assert {"DXG-K8S-PIN-001", "DXG-K8S-PIN-002"} <= failed
    assert not failed & cluster_checks()


def test_explain_and_checks_list_say_what_is_out_of_scope_for_the_config(app):
    run = dxguard("explain", "DXG-K8S-ISO-013", "-c", "dxguard.yaml", cwd=app)
    assert run.code == 0, run.stderr
    assert "OUT OF SCOPE for this repository" in run.stdout
    assert "judges: the cluster as a whole" in run.stdout
    plain = dxguard("explain", "DXG-K8S-ISO-013", cwd=app)
    assert "OUT OF SCOPE" not in plain.stdout
    rows = json.loads(
        dxguard("checks", "list", "--format", "json", "-c", "dxguard.yaml", cwd=app).stdout
    )
    marked = {r["id"] for r in rows if "out_of_scope" in r}
    assert marked == cluster_checks()


def test_application_scope_is_validated_like_every_key(tmp_path):
    cfg = tmp_path / "dxguard.yaml"
    cfg.write_text("version: 1\nscope: app\n")
    run = dxguard("scan", "-c", str(cfg), str(APP / "deploy"))
    assert run.code == 2
    assert f"{cfg}:2: invalid config at scope" in run.stderr
