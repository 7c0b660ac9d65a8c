"""Helpers of the end-to-end tests: create manifests in the cluster, read them, run dxguard.

Plain functions over the official kubernetes client (its dynamic client finds each kind
through discovery, as kubectl does) and over the dxguard command line, run as a user runs it.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from e2e_cluster import ROOT

DXGUARD = [sys.executable, "-m", "checker"]


def create(dynamic: Any, manifest: dict[str, Any]) -> Any:
    """Create one object as `kubectl create` does (its kind found through discovery).

    A Pod's ephemeral containers cannot be set on create: they are added afterwards through
    the pod's ephemeralcontainers subresource, as `kubectl debug` adds them."""
    api = dynamic.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
    namespace = (manifest.get("metadata") or {}).get("namespace")
    ephemeral = (manifest.get("spec") or {}).get("ephemeralContainers")
    if manifest["kind"] != "Pod" or not ephemeral:
        return api.create(body=manifest, namespace=namespace if api.namespaced else None)
    body = copy.deepcopy(manifest)
    del body["spec"]["ephemeralContainers"]
    api.create(body=body, namespace=namespace)
    from kubernetes import client

    return client.CoreV1Api(dynamic.client).patch_namespaced_pod_ephemeralcontainers(
        manifest["metadata"]["name"], namespace, {"spec": {"ephemeralContainers": ephemeral}}
    )


def documents(*paths: Path) -> list[dict[str, Any]]:
    """The Kubernetes objects of manifest files (kind: List unpacked)."""
    out: list[dict[str, Any]] = []
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict):
                continue
            if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
                out += doc["items"]
            else:
                out.append(doc)
    return out


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    env.setdefault("DXGUARD_OPA", str(ROOT / ".tools" / "bin" / "opa"))
    return env


def dxguard(*args: str, timeout: float = 600, env: dict[str, str] | None = None) -> Run:
    """`dxguard ARGS` as a user runs it, from the checkout, with no terminal."""
    proc = subprocess.run(
        [*DXGUARD, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=run_env(env),
        stdin=subprocess.DEVNULL,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)
