"""Many clusters, one store, one export: two real API servers audited into one real
PostgreSQL store, and the period exported as one signed bundle.

What deploy/audit/ sets up in every cluster — `dxguard audit --record` into a shared
PostgreSQL store — done here from two control planes (the session's and one of this test's):
each audit is recorded under its cluster's name, with its own API server and kube-system UID,
in one hash chain that verifies; the day's export holds both audits and verifies.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

from e2e_cluster import ControlPlane
from e2e_kube import dxguard

pytest_plugins = ("pg_cluster",)


def test_audits_of_two_clusters_land_in_one_postgresql_store_and_one_export(
    control_plane, postgres_server, tmp_path
):
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
    # One export for the day holds both clusters' audits, signed, and verifies.
    key = tmp_path / "qa"
    assert dxguard("keygen", "-o", str(key)).code == 0
    bundle = tmp_path / "evidence.zip"
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    exported = dxguard("export", "--period", day, "--store", store, "--key", f"{key}.key",
                       "-o", str(bundle))  # fmt: skip
    assert exported.code == 0, exported.stderr
    assert "2 audit(s)" in exported.stderr
    with zipfile.ZipFile(bundle) as zf:
        period = json.loads(zf.read("period.json"))
    assert sorted((r["kind"], r["scope"]) for r in period["runs"]) == [
        ("audit", "prod-eu"), ("audit", "prod-us"),
    ]  # fmt: skip
    verified = dxguard("verify", str(bundle), "--public-key", f"{key}.pub")
    assert verified.code == 0, verified.stdout + verified.stderr
