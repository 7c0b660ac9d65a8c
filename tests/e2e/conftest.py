"""Fixtures of the end-to-end suite: one real control plane for the session, and clients of it.

`control_plane` starts etcd and kube-apiserver once (tests/e2e/e2e_cluster.py) and stops them
at the end of the session whatever the tests did (a pytest finalizer; the processes also die
with pytest if it is killed). Without the binaries the suite fails, never skips, and says how
to build them. `kube` is the official kubernetes client as the cluster's admin; `apply` creates
manifests through its dynamic client, as `kubectl create -f` would (tests/e2e/e2e_kube.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from e2e_cluster import ControlPlane, ControlPlaneError, pid_alive


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    plane = ControlPlane()
    try:
        plane.start()
    except ControlPlaneError as err:
        plane.stop()
        pytest.fail(str(err), pytrace=False)
    try:
        yield plane
    finally:
        pids = [p.pid for p in plane.processes]
        plane.stop()
        # Proof, at the end of every e2e session, that nothing the suite started outlives it.
        left = [pid for pid in pids if pid_alive(pid)]
        assert not left, f"control plane processes still running after stop(): {left}"


@pytest.fixture(scope="session")
def kube(control_plane: ControlPlane) -> Iterator[Any]:
    from kubernetes import config

    client = config.new_client_from_config(config_file=str(control_plane.admin_kubeconfig))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def dynamic(kube: Any, control_plane: ControlPlane) -> Any:
    from kubernetes.dynamic import DynamicClient

    # The discovery cache lives (and dies) with the control plane's folder.
    return DynamicClient(kube, cache_file=str(control_plane.folder / "discovery-cache.json"))
