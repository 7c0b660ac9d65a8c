"""Every control of the Kubernetes Pod Security Standards, baseline and restricted, is covered.

docs/pod-security.md holds the table: each control, the dxguard check that covers it and its
tests. This file proves the table end to end on the real OPA: for every control, variants of a
compliant clinical workload that break it — in each container kind (init, regular, ephemeral),
at the pod level where the control has one, and inside other workload kinds (a Pod, a CronJob,
an Argo Rollout, a Ray cluster's worker group) — fail the check the table names, at the field's
path, and `dxguard scan` exits 1. The compliant workload passes every one of those checks. The
table itself is checked against the controls Pod Security defines and the check ids the bundle
holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from workload_manifests import CONFIG, as_kind, container, deployment, pod_spec, write

from conftest import ROOT, dxguard, failures_of, results_of

Doc = dict[str, Any]
Mutation = Callable[[Doc], Doc | None]

# The controls of the Pod Security Standards (kubernetes.io/docs/concepts/security/
# pod-security-standards, and the checks of k8s.io/pod-security-admission/policy), by profile.
PSS_CONTROLS = {
    "baseline": [
        "HostProcess",
        "Host Namespaces",
        "Privileged Containers",
        "Capabilities",
        "HostPath Volumes",
        "Host Ports",
        "Host Probes / Lifecycle Hooks",
        "AppArmor",
        "SELinux",
        "/proc Mount Type",
        "Seccomp",
        "Sysctls",
    ],
    "restricted": [
        "Volume Types",
        "Privilege Escalation",
        "Running as Non-root",
        "Running as Non-root user",
        "Seccomp",
        "Capabilities",
    ],
}


def sc(kind: str = "containers", **settings: Any) -> Mutation:
    """Set securityContext fields of the first container of a kind."""

    def apply(doc: Doc) -> None:
        container(doc, kind).setdefault("securityContext", {}).update(settings)

    return apply


def pod_sc(**settings: Any) -> Mutation:
    def apply(doc: Doc) -> None:
        pod_spec(doc).setdefault("securityContext", {}).update(settings)

    return apply


def pod_field(**settings: Any) -> Mutation:
    def apply(doc: Doc) -> None:
        pod_spec(doc).update(settings)

    return apply


def both(*mutations: Mutation) -> Mutation:
    def apply(doc: Doc) -> Doc | None:
        out = None
        for m in mutations:
            out = m(doc if out is None else out) or out
        return out

    return apply


def inside(api_version: str, kind: str, mutation: Mutation) -> Mutation:
    """The mutation applied, then the pod template moved into another workload kind."""

    def apply(doc: Doc) -> Doc:
        mutation(doc)
        return as_kind(doc, api_version, kind)

    return apply


def volume(**source: Any) -> Mutation:
    def apply(doc: Doc) -> None:
        pod_spec(doc)["volumes"].append({"name": "extra", **source})

    return apply


def port(kind: str, host_port: int) -> Mutation:
    def apply(doc: Doc) -> None:
        container(doc, kind).setdefault("ports", []).append(
            {"containerPort": 9000, "hostPort": host_port}
        )

    return apply


def probe(kind: str, where: list[str], handler: str, host: str) -> Mutation:
    def apply(doc: Doc) -> None:
        node = container(doc, kind)
        for key in where:
            node = node.setdefault(key, {})
        node[handler] = {"host": host, "port": 80}
        if handler == "httpGet":
            node[handler]["path"] = "/"

    return apply


def annotation(key: str, value: str) -> Mutation:
    def apply(doc: Doc) -> None:
        doc["spec"]["template"]["metadata"].setdefault("annotations", {})[key] = value

    return apply


def drop_pod_seccomp(doc: Doc) -> None:
    pod_spec(doc)["securityContext"].pop("seccompProfile")


def caps(kind: str, add: list[str] | None = None, drop: list[str] | None = None) -> Mutation:
    def apply(doc: Doc) -> None:
        c = container(doc, kind).setdefault("securityContext", {})
        c["capabilities"] = {k: v for k, v in (("add", add), ("drop", drop)) if v is not None}

    return apply


ROLLOUT = ("argoproj.io/v1alpha1", "Rollout")
RAY = ("ray.io/v1", "RayCluster")
POD = ("v1", "Pod")
CRONJOB = ("batch/v1", "CronJob")
APPARMOR = "container.apparmor.security.beta.kubernetes.io/model-server"

# (profile, control) → (the check ids the table names, variants: name → (mutation, the check
# that must fail, the end of the failing field path))
CASES: dict[tuple[str, str], tuple[list[str], dict[str, tuple[Mutation, str, str]]]] = {
    ("baseline", "HostProcess"): (
        ["DXG-K8S-ISO-020"],
        {
            "pod": (
                pod_sc(windowsOptions={"hostProcess": True}),
                "DXG-K8S-ISO-020",
                "spec.securityContext.windowsOptions.hostProcess",
            ),
            "init": (
                sc("initContainers", windowsOptions={"hostProcess": True}),
                "DXG-K8S-ISO-020",
                "initContainers[0].securityContext.windowsOptions.hostProcess",
            ),
            "ephemeral-in-pod": (
                inside(*POD, sc("ephemeralContainers", windowsOptions={"hostProcess": True})),
                "DXG-K8S-ISO-020",
                "ephemeralContainers[0].securityContext.windowsOptions.hostProcess",
            ),
        },
    ),
    ("baseline", "Host Namespaces"): (
        ["DXG-K8S-ISO-002"],
        {
            "hostNetwork": (pod_field(hostNetwork=True), "DXG-K8S-ISO-002", "spec.hostNetwork"),
            "hostPID-rollout": (
                inside(*ROLLOUT, pod_field(hostPID=True)),
                "DXG-K8S-ISO-002",
                "spec.hostPID",
            ),
            "hostIPC-cronjob": (
                inside(*CRONJOB, pod_field(hostIPC=True)),
                "DXG-K8S-ISO-002",
                "spec.hostIPC",
            ),
        },
    ),
    ("baseline", "Privileged Containers"): (
        ["DXG-K8S-ISO-001"],
        {
            "container": (
                sc(privileged=True),
                "DXG-K8S-ISO-001",
                "containers[0].securityContext.privileged",
            ),
            "init": (
                sc("initContainers", privileged=True),
                "DXG-K8S-ISO-001",
                "initContainers[0].securityContext.privileged",
            ),
            "ephemeral": (
                sc("ephemeralContainers", privileged=True),
                "DXG-K8S-ISO-001",
                "ephemeralContainers[0].securityContext.privileged",
            ),
            "ray-worker": (
                inside(*RAY, sc(privileged=True)),
                "DXG-K8S-ISO-001",
                "workerGroupSpecs[0].template.spec.containers[0].securityContext.privileged",
            ),
        },
    ),
    ("baseline", "Capabilities"): (
        ["DXG-K8S-ISO-007"],
        {
            "net-raw": (
                caps("containers", add=["NET_RAW"], drop=["ALL"]),
                "DXG-K8S-ISO-007",
                "containers[0].securityContext.capabilities.add[0]",
            ),
            "sys-admin-init": (
                caps("initContainers", add=["SYS_ADMIN"], drop=["ALL"]),
                "DXG-K8S-ISO-007",
                "initContainers[0].securityContext.capabilities.add[0]",
            ),
            "ephemeral-ptrace": (
                caps("ephemeralContainers", add=["CAP_SYS_PTRACE"], drop=["ALL"]),
                "DXG-K8S-ISO-007",
                "ephemeralContainers[0].securityContext.capabilities.add[0]",
            ),
        },
    ),
    ("baseline", "HostPath Volumes"): (
        ["DXG-K8S-ISO-005"],
        {
            "docker-socket": (
                volume(hostPath={"path": "/var/run/docker.sock"}),
                "DXG-K8S-ISO-005",
                "spec.volumes[1].hostPath",
            ),
            "rollout": (
                inside(*ROLLOUT, volume(hostPath={"path": "/"})),
                "DXG-K8S-ISO-005",
                "spec.volumes[1].hostPath",
            ),
        },
    ),
    ("baseline", "Host Ports"): (
        ["DXG-K8S-ISO-005"],
        {
            "container": (
                port("containers", 9000),
                "DXG-K8S-ISO-005",
                "containers[0].ports[1].hostPort",
            ),
            "init": (
                port("initContainers", 8080),
                "DXG-K8S-ISO-005",
                "initContainers[0].ports[1].hostPort",
            ),
        },
    ),
    ("baseline", "Host Probes / Lifecycle Hooks"): (
        ["DXG-K8S-ISO-026"],
        {
            "liveness": (
                probe("containers", ["livenessProbe"], "httpGet", "169.254.169.254"),
                "DXG-K8S-ISO-026",
                "containers[0].livenessProbe.httpGet.host",
            ),
            "startup-init": (
                probe("initContainers", ["startupProbe"], "tcpSocket", "10.0.0.1"),
                "DXG-K8S-ISO-026",
                "initContainers[0].startupProbe.tcpSocket.host",
            ),
            "prestop": (
                probe("containers", ["lifecycle", "preStop"], "httpGet", "node.internal"),
                "DXG-K8S-ISO-026",
                "containers[0].lifecycle.preStop.httpGet.host",
            ),
            "poststart-ephemeral": (
                probe("ephemeralContainers", ["lifecycle", "postStart"], "tcpSocket", "127.0.0.1"),
                "DXG-K8S-ISO-026",
                "ephemeralContainers[0].lifecycle.postStart.tcpSocket.host",
            ),
        },
    ),
    ("baseline", "AppArmor"): (
        ["DXG-K8S-ISO-023"],
        {
            "pod": (
                pod_sc(appArmorProfile={"type": "Unconfined"}),
                "DXG-K8S-ISO-023",
                "spec.securityContext.appArmorProfile.type",
            ),
            "container": (
                sc(appArmorProfile={"type": "Unconfined"}),
                "DXG-K8S-ISO-023",
                "containers[0].securityContext.appArmorProfile.type",
            ),
            "ephemeral": (
                sc("ephemeralContainers", appArmorProfile={"type": "Unconfined"}),
                "DXG-K8S-ISO-023",
                "ephemeralContainers[0].securityContext.appArmorProfile.type",
            ),
            "annotation": (
                annotation(APPARMOR, "unconfined"),
                "DXG-K8S-ISO-023",
                f"metadata.annotations[{APPARMOR}]",
            ),
        },
    ),
    ("baseline", "SELinux"): (
        ["DXG-K8S-ISO-024"],
        {
            "pod-type": (
                pod_sc(seLinuxOptions={"type": "spc_t"}),
                "DXG-K8S-ISO-024",
                "spec.securityContext.seLinuxOptions",
            ),
            "container-user": (
                sc(seLinuxOptions={"user": "system_u"}),
                "DXG-K8S-ISO-024",
                "containers[0].securityContext.seLinuxOptions",
            ),
            "init-role": (
                sc("initContainers", seLinuxOptions={"role": "sysadm_r"}),
                "DXG-K8S-ISO-024",
                "initContainers[0].securityContext.seLinuxOptions",
            ),
        },
    ),
    ("baseline", "/proc Mount Type"): (
        ["DXG-K8S-ISO-021"],
        {
            "container": (
                sc(procMount="Unmasked"),
                "DXG-K8S-ISO-021",
                "containers[0].securityContext.procMount",
            ),
            "init-user-namespace": (
                both(pod_field(hostUsers=False), sc("initContainers", procMount="Unmasked")),
                "DXG-K8S-ISO-021",
                "initContainers[0].securityContext.procMount",
            ),
        },
    ),
    ("baseline", "Seccomp"): (
        ["DXG-K8S-ISO-008"],
        {
            "pod-unconfined": (
                pod_sc(seccompProfile={"type": "Unconfined"}),
                "DXG-K8S-ISO-008",
                "spec.securityContext.seccompProfile.type",
            ),
            "container-unconfined": (
                sc(seccompProfile={"type": "Unconfined"}),
                "DXG-K8S-ISO-008",
                "containers[0].securityContext.seccompProfile.type",
            ),
        },
    ),
    ("baseline", "Sysctls"): (
        ["DXG-K8S-ISO-022"],
        {
            "kernel": (
                pod_sc(sysctls=[{"name": "kernel.msgmax", "value": "65536"}]),
                "DXG-K8S-ISO-022",
                "spec.securityContext.sysctls[0].name",
            ),
            "net-core-rollout": (
                inside(
                    *ROLLOUT,
                    pod_sc(
                        sysctls=[
                            {"name": "net.ipv4.tcp_syncookies", "value": "1"},
                            {"name": "net.core.somaxconn", "value": "4096"},
                        ]
                    ),
                ),
                "DXG-K8S-ISO-022",
                "spec.securityContext.sysctls[1].name",
            ),
        },
    ),
    ("restricted", "Volume Types"): (
        ["DXG-K8S-ISO-025", "DXG-K8S-ISO-005"],
        {
            "nfs": (
                volume(nfs={"server": "archive", "path": "/wsi"}),
                "DXG-K8S-ISO-025",
                "spec.volumes[1]",
            ),
            "git-repo": (
                volume(gitRepo={"repository": "https://git.example/models"}),
                "DXG-K8S-ISO-025",
                "spec.volumes[1]",
            ),
            "iscsi-cronjob": (
                inside(
                    *CRONJOB,
                    volume(iscsi={"targetPortal": "10.0.0.2:3260", "iqn": "iqn.x", "lun": 0}),
                ),
                "DXG-K8S-ISO-025",
                "spec.volumes[1]",
            ),
        },
    ),
    ("restricted", "Privilege Escalation"): (
        ["DXG-K8S-ISO-006"],
        {
            "unset": (
                lambda d: container(d)["securityContext"].pop("allowPrivilegeEscalation"),
                "DXG-K8S-ISO-006",
                "containers[0].securityContext.allowPrivilegeEscalation",
            ),
            "true-init": (
                sc("initContainers", allowPrivilegeEscalation=True),
                "DXG-K8S-ISO-006",
                "initContainers[0].securityContext.allowPrivilegeEscalation",
            ),
        },
    ),
    ("restricted", "Running as Non-root"): (
        ["DXG-K8S-ISO-003"],
        {
            "pod-false": (
                pod_sc(runAsNonRoot=False),
                "DXG-K8S-ISO-003",
                "containers[0].securityContext.runAsNonRoot",
            ),
            "ephemeral-false": (
                sc("ephemeralContainers", runAsNonRoot=False),
                "DXG-K8S-ISO-003",
                "ephemeralContainers[0].securityContext.runAsNonRoot",
            ),
        },
    ),
    ("restricted", "Running as Non-root user"): (
        ["DXG-K8S-ISO-003"],
        {
            "pod-root": (
                pod_sc(runAsUser=0),
                "DXG-K8S-ISO-003",
                "containers[0].securityContext.runAsUser",
            ),
            "init-root": (
                sc("initContainers", runAsUser=0),
                "DXG-K8S-ISO-003",
                "initContainers[0].securityContext.runAsUser",
            ),
        },
    ),
    ("restricted", "Seccomp"): (
        ["DXG-K8S-ISO-008"],
        {
            "none": (
                drop_pod_seccomp,
                "DXG-K8S-ISO-008",
                "containers[0].securityContext.seccompProfile.type",
            ),
        },
    ),
    ("restricted", "Capabilities"): (
        ["DXG-K8S-ISO-007"],
        {
            "keeps-defaults": (
                caps("containers", drop=[]),
                "DXG-K8S-ISO-007",
                "containers[0].securityContext.capabilities.drop",
            ),
            "adds-chown": (
                caps("initContainers", add=["CHOWN"], drop=["ALL"]),
                "DXG-K8S-ISO-007",
                "initContainers[0].securityContext.capabilities.add[0]",
            ),
        },
    ),
}

VARIANTS = [
    (profile, control, name, *variant)
    for (profile, control), (_, variants) in CASES.items()
    for name, variant in variants.items()
]
PSS_CHECKS = sorted({c for checks, _ in CASES.values() for c in checks})


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """One scan of the compliant workload and of every variant, each in its own file."""
    folder = tmp_path_factory.mktemp("pss")
    write(folder, "compliant", deployment())
    for profile, control, name, mutation, _check, _path in VARIANTS:
        doc = deployment()
        doc = mutation(doc) or doc
        write(folder, f"{profile}-{_slug(control)}-{name}", doc)
    run = dxguard("scan", str(folder), "-c", CONFIG, "--format", "json", "-q")
    assert run.code == 1, run.stderr
    return run.json()


@pytest.mark.parametrize(
    ("profile", "control", "name", "mutation", "check", "path"),
    VARIANTS,
    ids=[f"{v[0]}-{_slug(v[1])}-{v[2]}" for v in VARIANTS],
)
def test_each_pod_security_control_fails_its_check_in_every_variant(
    scanned, profile, control, name, mutation, check, path
):
    assert check in CASES[(profile, control)][0]
    stem = f"{profile}-{_slug(control)}-{name}"
    found = [f for f in failures_of(scanned, check) if f["file"].endswith(f"/{stem}.yaml")]
    assert found, f"{control} ({name}) did not fail {check}"
    assert any(f["path"].endswith(path) for f in found), [f["path"] for f in found]
    assert all(isinstance(f["line"], int) and f["line"] > 1 for f in found)


def test_the_compliant_workload_passes_every_pod_security_check(scanned):
    for check in PSS_CHECKS:
        ours = [f for f in failures_of(scanned, check) if f["file"].endswith("/compliant.yaml")]
        assert ours == [], (check, ours)
        examined = [r for r in results_of(scanned, check) if "compliant.yaml" in r["id"]]
        assert examined and examined[0]["passed"] > 0, check


# -- the table in the docs --------------------------------------------------------------------


def _doc_table() -> list[dict[str, str]]:
    text = (ROOT / "docs/pod-security.md").read_text()
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in ("Baseline", "Restricted"):
            keys = ("profile", "control", "fields", "checks", "tests")
            rows.append(dict(zip(keys, cells, strict=True)))
    return rows


def test_the_docs_table_lists_every_pod_security_control_with_its_checks():
    table = _doc_table()
    listed = {(r["profile"].lower(), r["control"]) for r in table}
    wanted = {(p, c) for p, controls in PSS_CONTROLS.items() for c in controls}
    assert listed == wanted
    assert set(CASES) == wanted
    for r in table:
        ids = set(re.findall(r"DXG-K8S-ISO-\d{3}", r["checks"]))
        assert ids == set(CASES[(r["profile"].lower(), r["control"])][0]), r["control"]


def test_every_test_the_docs_table_names_exists():
    table = _doc_table()
    for r in table:
        for ref in re.findall(r"`([^`]+)`", r["tests"]):
            file, _, name = ref.partition("::")
            path = ROOT / file
            assert path.is_file(), ref
            if name:
                assert re.search(rf"^(def )?{re.escape(name)}\b", path.read_text(), re.M), ref
