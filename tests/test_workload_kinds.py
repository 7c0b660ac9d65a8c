"""Workloads inside custom resources are examined like built-in ones, and nothing unexamined
passes in silence.

Argo Rollouts, Knative Services, OpenShift DeploymentConfigs, KEDA ScaledJobs, Kubeflow
training jobs, Ray clusters, Volcano jobs, JobSets and LeaderWorkerSets carry ordinary pod
templates: every workload check examines them (at the pod spec's own path and line), their
pod templates' labels tell their tier, and each object alone gets the same rows as in the
whole scan. The config declares more kinds (`workloads`: group, kind, pod spec paths), and
with `unexamined_objects: fail` a custom resource nobody examined fails. Config mistakes are
refused with file and line. End to end on the real OPA through `dxguard scan`.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from workload_manifests import CONFIG, container, deployment, write

from checker.workloads import DEFAULT, PodSpecPath, ShapeError

from conftest import dxguard, failures_of, results_of

PRIVILEGED = "securityContext.privileged"


def _template(privileged: bool = True) -> dict:
    doc = deployment()
    container(doc)["securityContext"]["privileged"] = privileged
    return doc["spec"]["template"]


def _cr(api_version: str, kind: str, spec: dict, name: str = "wsi") -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": "clinical-pathology"},
        "spec": spec,
    }


# name → (object, the paths of its privileged containers)
def _objects() -> dict[str, tuple[dict, list[str]]]:
    t = _template
    c = "containers[0]." + PRIVILEGED
    return {
        "rollout": (_cr("argoproj.io/v1alpha1", "Rollout", {"template": t()}),
                    [f"spec.template.spec.{c}"]),
        "knative-service": (_cr("serving.knative.dev/v1", "Service", {"template": t()}),
                            [f"spec.template.spec.{c}"]),
        "knative-revision": (_cr("serving.knative.dev/v1", "Revision", t()["spec"]),
                             [f"spec.{c}"]),
        "deploymentconfig": (_cr("apps.openshift.io/v1", "DeploymentConfig",
                                 {"replicas": 1, "template": t()}),
                             [f"spec.template.spec.{c}"]),
        "scaledjob": (_cr("keda.sh/v1alpha1", "ScaledJob", {"jobTargetRef": {"template": t()}}),
                      [f"spec.jobTargetRef.template.spec.{c}"]),
        "pytorchjob": (_cr("kubeflow.org/v1", "PyTorchJob", {"pytorchReplicaSpecs": {
                           "Master": {"replicas": 1, "template": t(False)},
                           "Worker": {"replicas": 4, "template": t()}}}),
                       [f"spec.pytorchReplicaSpecs.Worker.template.spec.{c}"]),
        "raycluster": (_cr("ray.io/v1", "RayCluster", {
                           "headGroupSpec": {"template": t()},
                           "workerGroupSpecs": [{"groupName": "a", "template": t(False)},
                                                {"groupName": "b", "template": t()}]}),
                       [f"spec.headGroupSpec.template.spec.{c}",
                        f"spec.workerGroupSpecs[1].template.spec.{c}"]),
        "volcano": (_cr("batch.volcano.sh/v1alpha1", "Job", {"tasks": [{"template": t()}]}),
                    [f"spec.tasks[0].template.spec.{c}"]),
        "jobset": (_cr("jobset.x-k8s.io/v1alpha2", "JobSet", {"replicatedJobs": [
                       {"name": "w", "template": {"spec": {"template": t()}}}]}),
                   [f"spec.replicatedJobs[0].template.spec.template.spec.{c}"]),
        "leaderworkerset": (_cr("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet", {
                                "leaderWorkerTemplate": {"workerTemplate": t()}}),
                            [f"spec.leaderWorkerTemplate.workerTemplate.spec.{c}"]),
    }  # fmt: skip


def _stem(finding: dict) -> str:
    return Path(finding["file"]).stem


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kinds")
    for name, (obj, _) in _objects().items():
        write(out, name, obj)
    return out


@pytest.fixture(scope="module")
def scanned(folder):
    run = dxguard("scan", str(folder), "-c", CONFIG, "--format", "json", "-q")
    assert run.code == 1, run.stderr
    return run.json()


@pytest.mark.parametrize("name", sorted(_objects()))
def test_a_well_known_custom_resource_is_examined_like_a_deployment(scanned, name):
    _, paths = _objects()[name]
    failed = [f for f in failures_of(scanned, "DXG-K8S-ISO-001") if _stem(f) == name]
    assert sorted(f["path"] for f in failed) == sorted(paths)
    text = yaml.safe_dump(_objects()[name][0], sort_keys=False).splitlines()
    for f in failed:  # at the line of the privileged field itself
        assert text[f["line"] - 1].strip() == "privileged: true", (f["path"], f["line"])
    entry = next(r for r in scanned["resources"] if Path(r["source"]["file"]).stem == name)
    assert entry["examined"]
    # the workload checks all examined it, and its pod templates' labels made it clinical
    for check in ("DXG-K8S-ISO-002", "DXG-K8S-ISO-003", "DXG-K8S-ISO-008", "DXG-K8S-ISO-017"):
        assert check in entry["checks"], (name, check)


def test_each_custom_resource_alone_gets_the_same_rows_as_in_the_whole_scan(folder):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_core import _per_object_and_whole

    objects, rows, mismatches = _per_object_and_whole("fixtures/dxguard.yaml", [str(folder)])
    assert objects == len(_objects()) and rows > objects
    assert mismatches == []


def test_a_workload_tiers_by_its_pod_templates_labels(tmp_path):
    """A Ray cluster outside clinical namespaces whose worker template says dxguard.io/tier:
    clinical is clinical: the clinical-only checks examine it."""
    worker = _template(False)
    worker["metadata"]["labels"]["dxguard.io/tier"] = "clinical"
    obj = _cr("ray.io/v1", "RayCluster", {"workerGroupSpecs": [{"template": worker}]})
    obj["metadata"]["namespace"] = "shared-ml"
    write(tmp_path, "ray", obj)
    run = dxguard("scan", str(tmp_path), "-c", CONFIG, "--format", "json", "-q")
    assert run.code in (0, 1), run.stderr
    assert results_of(run.json(), "DXG-K8S-ISO-017")  # runtime class: clinical pods only


# -- kinds the config declares ------------------------------------------------------------------

INFERENCE_JOB = {"group": "ml.dx.example", "kind": "InferenceJob",
                 "pod_specs": ["spec.runners[*].template.spec", "spec.scorer.spec"]}  # fmt: skip


def _config(tmp_path: Path, **extra) -> Path:
    base = yaml.safe_load(Path(CONFIG).read_text())
    base.update(extra)
    path = tmp_path / "dxguard.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False))
    return path


def test_a_kind_the_config_declares_is_examined_at_each_of_its_paths(tmp_path):
    job = _cr("ml.dx.example/v1", "InferenceJob", {
        "runners": [{"template": _template(False)}, {"template": _template(True)}],
        "scorer": _template(True),
    })  # fmt: skip
    (tmp_path / "in").mkdir()
    write(tmp_path / "in", "job", job)
    config = _config(tmp_path, workloads=[INFERENCE_JOB])
    run = dxguard("scan", str(tmp_path / "in"), "-c", str(config), "--format", "json", "-q")
    assert run.code == 1, run.stderr
    paths = sorted(f["path"] for f in failures_of(run.json(), "DXG-K8S-ISO-001"))
    assert paths == [
        f"spec.runners[1].template.spec.containers[0].{PRIVILEGED}",
        f"spec.scorer.spec.containers[0].{PRIVILEGED}",
    ]
    # without the declaration no workload check examines it (in a clinical namespace only the
    # namespace-wide checks name it, as the namespace's first resource)
    bare = dxguard("scan", str(tmp_path / "in"), "--format", "json", "-q")
    assert bare.code in (0, 1), bare.stderr
    (entry,) = bare.json()["resources"]
    assert not any(c in entry["checks"] for c in ("DXG-K8S-ISO-001", "DXG-K8S-ISO-019"))


def test_a_clinical_pipeline_refuses_a_custom_resource_nobody_examined(tmp_path):
    seldon = _cr(
        "machinelearning.seldon.io/v1",
        "SeldonDeployment",
        {"predictors": [{"name": "p", "componentSpecs": [{"spec": _template(True)["spec"]}]}]},
    )
    (tmp_path / "in").mkdir()
    write(tmp_path / "in", "seldon", seldon)
    write(tmp_path / "in", "app", deployment())
    strict = _config(tmp_path, parameters={"unexamined_objects": "fail"})
    run = dxguard("scan", str(tmp_path / "in"), "-c", str(strict), "--format", "json", "-q")
    assert run.code == 1, run.stderr
    (finding,) = failures_of(run.json(), "DXG-K8S-ISO-027")
    assert _stem(finding) == "seldon" and finding["path"] == "kind" and finding["line"] == 2
    assert "declare its pod spec paths" in finding["message"]
    # declared as a workload, it is examined (and its privileged container found) instead
    declared = _config(
        tmp_path,
        parameters={"unexamined_objects": "fail"},
        workloads=[{"group": "machinelearning.seldon.io", "kind": "SeldonDeployment",
                    "pod_specs": ["spec.predictors[*].componentSpecs[*].spec"]}],
    )  # fmt: skip
    run = dxguard("scan", str(tmp_path / "in"), "-c", str(declared), "--format", "json", "-q")
    report = run.json()
    assert failures_of(report, "DXG-K8S-ISO-027") == []
    assert [f["path"] for f in failures_of(report, "DXG-K8S-ISO-001")] == [
        f"spec.predictors[0].componentSpecs[0].spec.containers[0].{PRIVILEGED}"
    ]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            {"group": "apps", "kind": "Deployment", "pod_specs": ["spec.x"]},
            "a built-in workload kind",
        ),
        (
            {"group": "ml.dx.example", "kind": "Job", "pod_specs": ["spec..template"]},
            "is not a field path",
        ),
        (
            {"group": "ml.dx.example", "kind": "Job", "pod_specs": ["spec.tasks[*]"]},
            "ends with a wildcard",
        ),
        (
            {"group": "ml.dx.example", "kind": "Job", "pod_specs": ["a.*.b.*.c.*.d"]},
            "more than 2 wildcards",
        ),
        (
            {"group": "ML.example", "kind": "Job", "pod_specs": []},
            "invalid config at workloads.0.group",
        ),
        ({"group": "ml.dx.example", "kind": "Job"}, "'pod_specs' is a required property"),
    ],
)
def test_a_bad_workload_declaration_is_refused_with_its_line(tmp_path, entry, words):
    config = _config(tmp_path, workloads=[entry])
    run = dxguard("scan", str(Path(CONFIG).parent / "k8s/compliant"), "-c", str(config), "-q")
    assert run.code == 2, run.stderr
    assert f"{config}:" in run.stderr and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_a_kind_declared_twice_is_refused_naming_both_lines(tmp_path):
    config = _config(tmp_path, workloads=[INFERENCE_JOB, copy.deepcopy(INFERENCE_JOB)])
    run = dxguard("scan", str(Path(CONFIG).parent / "k8s/compliant"), "-c", str(config), "-q")
    assert run.code == 2
    assert "declares InferenceJob (ml.dx.example group) twice (first at line" in run.stderr


def test_a_pod_spec_path_through_a_field_of_the_wrong_shape_is_an_input_error(tmp_path):
    obj = _cr("ray.io/v1", "RayCluster", {"workerGroupSpecs": {"template": _template()}})
    obj["spec"]["headGroupSpec"] = "not a mapping"
    write(tmp_path, "ray", obj)
    run = dxguard("scan", str(tmp_path), "-q")
    assert run.code == 2
    assert "ray.yaml:" in run.stderr and "RayCluster field spec.headGroupSpec" in run.stderr


def test_every_well_known_path_parses_and_finds_nothing_in_an_empty_object():
    for kind in DEFAULT.kinds.values():
        for path in kind.pod_specs:
            assert PodSpecPath.parse(path.text) == path
            assert list(path.find({})) == []


# -- properties of the path reader --------------------------------------------------------------

_JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["spec", "template", "tasks", "x"]), inner, max_size=3),
    ),
    max_leaves=20,
)


@given(st.text(alphabet="abspec.[]*_-0", max_size=40))
def test_any_path_text_parses_to_a_path_or_a_clear_error(text):
    try:
        path = PodSpecPath.parse(text)
    except ValueError as err:
        assert str(err)
        return
    assert PodSpecPath.parse(path.text) == path
    assert 1 <= len(path.segments) <= 3 and all(path.segments)


@given(_JSONISH)
def test_walking_any_object_finds_pod_specs_or_names_the_field_of_the_wrong_shape(obj):
    path = PodSpecPath.parse("spec.tasks[*].template.spec")
    try:
        found = list(path.walk({"spec": obj}))
    except ShapeError as err:
        assert err.path[0] == "spec" and err.what
        return
    assert all(p[:2] == ("spec", "tasks") and p[-2:] == ("template", "spec") for p, _ in found)
    assert found == list(path.find({"spec": obj}))


@given(st.lists(st.fixed_dictionaries({
    "group": st.sampled_from(["ml.dx.example", "apps", "", "A.b", "x.io"]),
    "kind": st.sampled_from(["Job", "Deployment", "lower", "InferenceJob"]),
    "pod_specs": st.lists(st.sampled_from(["spec.template.spec", "spec.*", "a[*].b", "", "x"]),
                          max_size=3),
}), max_size=3))  # fmt: skip
def test_any_workloads_declaration_loads_or_is_a_config_error_with_a_line(entries):
    import tempfile

    from checker.config import load_config
    from checker.errors import ConfigError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dxguard.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "workloads": entries}))
        try:
            config = load_config(str(path))
        except ConfigError as err:
            assert re.match(rf"{re.escape(str(path))}:\d+: ", err.message), err.message
            return
    assert len(config.declared_workloads) == len(entries)
    assert config.policy_data().get("workloads", {}) or not entries
