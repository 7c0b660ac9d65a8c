"""Many clusters, one store: two real API servers audited into one real PostgreSQL store.

What deploy/audit/ sets up in every cluster — `dxguard audit --record` into a shared
PostgreSQL store — done here from two control planes (the session's and one of this test's):
each audit is recorded under its cluster's name, with its own API server and kube-system UID,
in one hash chain that verifies.
"""

from __future__ import annotations

import json

from e2e_cluster import ControlPlane
from e2e_kube import dxguard

pytest_plugins = ("pg_cluster",)


def test_audits_of_two_clusters_land_in_one_postgresql_store(control_plane, postgres_server):
    store = postgres_server.new_database()
    first = dxguard(
        "audit",
        "--kubeconfig",
        str(control_plane.admin_kubeconfig),
        "--cluster-name",
        "prod-eu",
        "--record",
        "--store",
        store,
        "--format",
        "json",
    )
    assert first.code in (0, 1), first.stderr
    with ControlPlane() as other:
        second = dxguard("audit", "--kubeconfig", str(other.admin_kubeconfig), "--record",
                         "--store", store, "--format", "json",
                         env={"DXGUARD_CLUSTER_NAME": "prod-us"})  # fmt: skip
        assert second.code in (0, 1), second.stderr
        other_server = other.server
    from checker.store import opened

    with opened(store) as st:
        audits = list(st.records(kinds=["audit"]))
        assert [a.meta["scope"] for a in audits] == ["prod-eu", "prod-us"]
        clusters = [a.meta["cluster"] for a in audits]
        assert [c["server"] for c in clusters] == [control_plane.server, other_server]
        uids = {c["kube_system_uid"] for c in clusters}
        assert len(uids) == 2 and all(uids)  # two clusters, told apart by identity
        for audit, run in zip(audits, (first, second), strict=True):
            assert st.report(audit)["run"]["cluster"] == json.loads(run.stdout)["run"]["cluster"]
        assert st.verify_chain().ok
