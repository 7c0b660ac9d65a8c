"""Nobody speaks for a check but the check, and the engine's answer is validated as a whole.

Rows are derived in rego/main.rego from each check package's own METADATA, so a custom policy
cannot emit rows under a built-in id, and every way of trying is refused before a scan (exit 2).
The answer to each batch must say it judged exactly the objects sent; a batch that holds a
workload cannot come back with no rows at all; no (check, resource, path, subject) may be stated
twice; a row naming a check the bundle does not hold is refused. Each fault is produced on the
real OPA (a broken copy of the bundle, or an OPA started with another one) and must end in exit
2 with an engine error — never a pass, never a report.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, dxguard, opa_path

COMPLIANT = FIXTURES / "k8s" / "compliant"
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: viewer
  namespace: clinical-pathology
spec:
  containers:
    - name: viewer
      image: registry.dx.example/viewer@sha256:{digest}
"""


def _engine_error(run, *words: str) -> None:
    assert run.code == 2, (run.code, run.stderr[-600:])
    assert "engine error" in run.stderr, run.stderr
    for w in words:
        assert w in run.stderr, run.stderr
    assert run.stdout == ""  # no report of any kind
    assert "Traceback" not in run.stderr


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _scan(home: Path, *paths: str):
    return dxguard(
        "scan", *paths, "--format", "json", "-q", env={"DXGUARD_HOME": str(home)}
    )  # fmt: skip


# -- the answer as a whole --------------------------------------------------------------------


def test_an_answer_with_no_rows_for_a_batch_of_workloads_is_an_engine_error(project_copy):
    main = project_copy / "rego/main.rego"
    _edit(main, '\t"rows": object_results,\n', '\t"rows": [],\n')
    run = _scan(project_copy, str(COMPLIANT))
    _engine_error(run, "no result rows at all", "workload(s)")


def test_an_answer_about_other_objects_is_an_engine_error(project_copy):
    main = project_copy / "rego/main.rego"
    _edit(main, '\t"judged": [res.id | some res in input.resources],\n', '\t"judged": [],\n')
    run = _scan(project_copy, str(COMPLIANT))
    _engine_error(run, "not the", "sent in the batch")


def test_an_answer_without_the_objects_it_judged_is_an_engine_error(project_copy):
    """An OPA holding an older or foreign dxguard.main (rows only) cannot answer a batch."""
    main = project_copy / "rego/main.rego"
    text = main.read_text()
    start = text.index("object_answer := {")
    end = text.index("}\n", start) + 2
    main.write_text(text[:start] + "object_answer := object_results\n" + text[end:])
    run = _scan(project_copy, str(COMPLIANT))
    _engine_error(run, "is not {judged, rows}")


def test_a_subject_stated_twice_is_an_engine_error(project_copy):
    """Two statuses for one subject (here a pass and a fail of one container's field) would let
    the report count either; it is refused, whichever comes first."""
    path = project_copy / "rego/k8s/privileged.rego"
    path.write_text(
        path.read_text() + "\nsubjects contains check.subject(c.resource, "
        'concat(".", [c.path, "securityContext.privileged"]), "a second verdict") if {\n'
        "\tsome c in k8s.workload_containers\n}\n"
    )
    run = _scan(project_copy, str(COMPLIANT))
    _engine_error(run, "already states this (check, resource, path, subject)")


def test_rows_for_a_check_the_bundle_does_not_hold_are_an_engine_error(project_copy):
    main = project_copy / "rego/main.rego"
    _edit(
        main,
        '\t"rows": object_results,\n',
        '\t"rows": array.concat(object_results, [{"check": "DXG-K8S-ISO-999", '
        '"resource": input.resources[0].id, "path": "spec", "status": "pass"}]),\n',
    )
    run = _scan(project_copy, str(COMPLIANT))
    _engine_error(run, "DXG-K8S-ISO-999", "has no metadata")


def test_a_cluster_answer_stating_a_subject_twice_is_an_engine_error(project_copy):
    main = project_copy / "rego/main.rego"
    text = main.read_text()
    start = text.index("cluster_results := [row |")
    main.write_text(
        text[:start]
        + "cluster_results := array.concat(cluster_rows, cluster_rows)\n\n"
        + text[start:].replace("cluster_results := [row |", "cluster_rows := [row |", 1)
    )
    run = _scan(project_copy, str(FIXTURES / "k8s"))
    _engine_error(run, "already states this")


def test_objects_no_check_examines_are_not_an_engine_error():
    """A batch without workloads (here two ConfigMaps) may rightly have no rows: it is listed
    as not examined, never refused as an engine fault and never counted as evidence."""
    text = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: x\n"
        "data:\n  k: v\n"
        for i in range(2)
    )
    run = dxguard("scan", "-", "--format", "json", "-q", stdin=text)
    assert run.code == 0, run.stderr
    report = run.json()
    assert report["summary"]["resources"]["not_examined"] == 2
    assert report["summary"]["subjects"]["examined"] == 0


# -- an OPA holding something else ------------------------------------------------------------


@pytest.fixture()
def foreign_opa(tmp_path):
    """A real OPA server whose dxguard.main answers every object query with nothing, as a stale
    or hand-made sidecar bundle might, with the real checks' metadata so it passes set-up."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    policy = tmp_path / "policy"
    (policy / "k8s").mkdir(parents=True)
    for f in (ROOT / "rego").rglob("*.rego"):
        rel = f.relative_to(ROOT / "rego")
        if f.name.endswith("_test.rego") or rel.as_posix() == "main.rego":
            continue
        (policy / rel).parent.mkdir(parents=True, exist_ok=True)
        (policy / rel).write_text(f.read_text())
    main = (ROOT / "rego/main.rego").read_text()
    start = main.index("object_answer := {")
    end = main.index("}\n", start) + 2
    (policy / "main.rego").write_text(
        main[:start]
        + 'object_answer := {"judged": [r.id | some r in input.resources], "rows": []}\n'
        + main[end:]
    )
    from checker.config import Config

    data = tmp_path / "data.json"
    data.write_text(json.dumps({"dxguard": {"config": Config().policy_data()}}))
    proc = subprocess.Popen(
        [str(opa_path()), "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level",
         "error", "--skip-version-check", str(policy), str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import requests

    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_an_external_opa_that_judges_nothing_is_an_engine_error(foreign_opa, tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD.format(digest="a" * 64))
    run = dxguard("scan", str(manifest), "--opa-url", foreign_opa, "--format", "json", "-q")
    _engine_error(run, "no result rows at all")


# -- nobody speaks for a built-in check -------------------------------------------------------


def _policy(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "policy"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


CUSTOM_HEADER = """\
# METADATA
# title: Team check
# description: A custom check that tries to speak for a built-in one.
# scope: package
# custom:
#   id: {id}
#   family: isolation
#   severity: low
#   targets:
#     k8s: [Pod]
#   scope: object
#   remediation: Nothing to do; this check is refused.
package {package}

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

subjects contains check.subject(c.resource, c.path, "") if {{
	some c in k8s.workload_containers
}}
"""


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        (  # its own package, a built-in's id
            "team.rego",
            CUSTOM_HEADER.format(id="DXG-K8S-ISO-001", package="dxguard.checks.k8s.team"),
            ["check id DXG-K8S-ISO-001 is already the id of built-in check"],
        ),
        (  # rows in the built-in check's own package
            "sneaky.rego",
            "package dxguard.checks.k8s.privileged\n\n"
            'subjects contains {"resource": r.id, "path": "", "problem": ""} if {\n'
            "\tsome r in input.resources\n}\n",
            ["overlaps the built-in package dxguard.checks.k8s.privileged"],
        ),
        (  # a different row derivation
            "main.rego",
            "package dxguard.main\n\nobject_results := []\n",
            ["overlaps the built-in package dxguard.main"],
        ),
        (  # rows through the helper every check uses
            "lib.rego",
            'package lib.check\n\nrow(m, s) := {"check": "DXG-K8S-ISO-001"}\n',
            ["overlaps the built-in package lib.check"],
        ),
        (  # more containers (or fewer) for every built-in check
            "k8s.rego",
            "package lib.k8s.extra\n\nx := 1\n",
            ["overlaps the built-in package lib.k8s"],
        ),
        (  # the config the checks read
            "config.rego",
            "package dxguard.config\n\nparameters := {}\n",
            ["config.rego:1: package dxguard.config is not one dxguard evaluates"],
        ),
    ],
)
def test_a_custom_policy_cannot_speak_for_a_built_in_check(tmp_path, name, text, words):
    folder = _policy(tmp_path, name, text)
    run = dxguard("scan", str(COMPLIANT), "--policy", str(folder), "--format", "json", "-q")
    assert run.code == 2, (run.code, run.stderr)
    assert "policy error" in run.stderr
    for w in words:
        assert w in run.stderr, run.stderr
    assert run.stdout == ""
