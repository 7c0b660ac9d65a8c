"""Which kinds an audit lists, and through which API: pure logic, no I/O.

The bundle says what it needs: every kind an enabled check examines (its METADATA `targets`)
and every kind a check reads from the inventory (`inventory`). KubeVirt virtual machines are
Kubernetes objects too; the VM loader resolves their instancetypes, preferences and storage
classes from the same run, so those are listed with them. VM templates that are files
(Terraform plans, Packer, cloud-init) and image evidence (scans, SBOMs, signatures) are never
API objects: an audit reads them from the paths it is given, as a scan does.

The cluster's discovery documents say where each kind is served. A kind served by several API
groups is listed from each (as a scan would read every manifest of that kind); within a group,
through the group's preferred version. A kind no API serves is part of the evidence
(`not-served`), never silently left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from checker.inventory import DERIVED
from checker.loaders.vm.kubevirt import INSTANCETYPES, PREFERENCES, VMI_SPEC
from checker.model import CheckMeta

KUBEVIRT_VMS = tuple(VMI_SPEC)
# What the KubeVirt loader looks up for a VM in the same run.
KUBEVIRT_CONTEXT = (*INSTANCETYPES, *PREFERENCES, "StorageClass")

# Targets that name a class of objects, not an API kind to list: CustomResource is any object
# of a custom resource kind (DXG-K8S-ISO-027 judges those no check examines). The audit lists
# the custom kinds the config declares as workloads (run_audit); it does not list every custom
# kind a cluster serves.
PSEUDO_KINDS = frozenset({"CustomResource"})


@dataclass(frozen=True)
class ApiResource:
    """One resource of a discovery document: /api/v1 or /apis/GROUP/VERSION."""

    group_version: str  # v1, apps/v1, kubevirt.io/v1
    kind: str
    resource: str  # the plural in the path: deployments
    namespaced: bool
    verbs: tuple[str, ...]

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The API path of this resource's collection (in a namespace) or of one object."""
        root = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        ns = f"/namespaces/{namespace}" if namespace and self.namespaced else ""
        tail = f"/{name}" if name is not None else ""
        return f"{root}{ns}/{self.resource}{tail}"


@dataclass(frozen=True)
class ListPlan:
    """A kind the bundle needs and the API resources that serve it (none: not served)."""

    kind: str
    served_by: tuple[ApiResource, ...]


def wanted_kinds(checks: Iterable[CheckMeta], off: Iterable[str] = ()) -> list[str]:
    """Every API kind the enabled checks examine or read from the inventory, sorted."""
    skip = set(off)
    kinds: set[str] = set()
    for check in checks:
        if check.id in skip:
            continue
        kinds.update(check.targets.get("k8s", ()))
        kinds.update(k for k in check.targets.get("vm", ()) if k in KUBEVIRT_VMS)
        kinds.update(k for k in check.inventory if k not in DERIVED)
    if kinds & set(KUBEVIRT_VMS):
        kinds.update(KUBEVIRT_CONTEXT)
    return sorted(kinds - PSEUDO_KINDS)


def discovered(group_version: str, document: dict) -> list[ApiResource]:
    """The listable top-level resources of one discovery document (subresources left out)."""
    out = []
    for item in document.get("resources") or []:
        name = item.get("name", "")
        if not name or "/" in name or not item.get("kind"):
            continue
        out.append(
            ApiResource(
                group_version=group_version,
                kind=item["kind"],
                resource=name,
                namespaced=bool(item.get("namespaced")),
                verbs=tuple(item.get("verbs") or ()),
            )
        )
    return out


def plan(kinds: Iterable[str], resources: Iterable[ApiResource]) -> list[ListPlan]:
    """For each kind, the resources serving it that can be listed, one per API group."""
    by_kind: dict[str, dict[str, ApiResource]] = {}
    for res in resources:
        if "list" not in res.verbs:
            continue
        group = res.group_version.rpartition("/")[0]
        by_kind.setdefault(res.kind, {}).setdefault(group, res)  # preferred versions come first
    return [
        ListPlan(kind, tuple(by_kind.get(kind, {}).values()))
        for kind in sorted(set(kinds))  # fmt: skip
    ]
