"""A compliant clinical workload to mutate, and the means to write its variants as manifests.

The baseline is the inference Deployment of fixtures/checks/k8s/privileged/good: it passes every
workload check (the findings a scan of it alone still has are cluster evidence and image
evidence). Tests copy it, change one setting, put the pod spec into any workload kind (built-in
or custom resource) and scan the result with the real `dxguard scan`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from conftest import FIXTURES

BASELINE_FILE = FIXTURES / "checks/k8s/privileged/good/wsi-inference.yaml"
BASELINE: dict[str, Any] = yaml.safe_load(BASELINE_FILE.read_text())
CONFIG = str(FIXTURES / "dxguard.yaml")


def deployment() -> dict[str, Any]:
    return copy.deepcopy(BASELINE)


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


def container(doc: dict[str, Any], kind: str = "containers") -> dict[str, Any]:
    """The first container of a kind of list, made from the main one when there is none."""
    spec = pod_spec(doc)
    if kind not in spec:
        c = copy.deepcopy(spec["containers"][0])
        c["name"] = {"initContainers": "fetch-model", "ephemeralContainers": "debug"}[kind]
        if kind == "ephemeralContainers":
            for key in ("ports", "resources"):
                c.pop(key, None)
        spec[kind] = [c]
    return spec[kind][0]


def as_kind(doc: dict[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    """The same pod template inside another workload kind (the pod template where the kind
    carries it)."""
    template = doc["spec"]["template"]
    meta = doc["metadata"]
    out: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    if kind == "Pod":
        out["metadata"] = {**meta, "labels": template["metadata"]["labels"]}
        out["spec"] = template["spec"]
    elif kind == "CronJob":
        out["spec"] = {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": template}}}
    elif kind == "RayCluster":
        out["spec"] = {
            "headGroupSpec": {"template": copy.deepcopy(template)},
            "workerGroupSpecs": [{"groupName": "gpu", "template": template}],
        }
    elif kind == "PyTorchJob":
        out["spec"] = {"pytorchReplicaSpecs": {"Worker": {"replicas": 2, "template": template}}}
    elif kind == "Job" and api_version.startswith("batch.volcano.sh"):
        out["spec"] = {"tasks": [{"name": "score", "replicas": 1, "template": template}]}
    else:  # Deployment-shaped: spec.template
        out["spec"] = {"template": template}
    return out


def write(folder: Path, name: str, *docs: dict[str, Any]) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    return path
