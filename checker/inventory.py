"""The inventory: what checks read about objects other than the one under review.

A check of scope `object` judges the objects in its query's input and looks up everything else
it needs (a namespace's labels, a ServiceAccount, a Role, the evidence of an image digest) in
OPA's `data.inventory`; a check of scope `cluster` judges the inventory as a whole. Each check's
METADATA declares what it reads (`custom.inventory`), and the inventory holds only that.

This module builds the inventory from loaded resources: a scan from the files it read, an audit
from what it listed. It only copies facts into keyed, sorted collections, so that a lookup is a
key path and never an index rebuilt per query. It decides nothing: every verdict is Rego's.

    k8s[kind][namespace or ""][name or ""]  -> [resource record, ...]   (declared kinds only)
    namespaces[ns] -> {"resources": [ids], "workloads": [workload summary, ...]}
    images[digest] -> [ids of image evidence records]
    image_users[digest] -> [ids of the workloads and VMs whose images name that digest]
                           ("" for the references that name no digest)

A workload summary is the resource record with its object cut down to the metadata and the pod
templates' labels: enough to tell its tier, not its whole pod spec. What a workload is, and where
its pod specs are, the workload table says (checker/workloads.py: built-in kinds, well-known
custom resources and the config's `workloads`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from checker.loaders.kubernetes import CONTAINER_FIELDS
from checker.model import CheckMeta, Resource
from checker.workloads import DEFAULT, PodSpecPath, WorkloadTable

# The collections of the inventory that are not Kubernetes kinds.
NAMESPACES = "namespaces"
IMAGES = "images"
IMAGE_USERS = "image_users"
DERIVED = (NAMESPACES, IMAGES, IMAGE_USERS)

_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


def declared(checks: Iterable[CheckMeta], disabled: Iterable[str] = ()) -> frozenset[str]:
    """What the enabled checks read from the inventory."""
    off = set(disabled)
    return frozenset(k for c in checks if c.id not in off for k in c.inventory)


def build_inventory(
    resources: Iterable[Resource],
    wanted: Iterable[str],
    workloads: WorkloadTable = DEFAULT,
) -> dict[str, Any]:
    wanted = frozenset(wanted)
    k8s: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    namespaces: dict[str, dict[str, list[Any]]] = {}
    images: dict[str, list[str]] = {}
    users: dict[str, set[str]] = {}
    want_ns, want_images, want_users = (k in wanted for k in DERIVED)

    def namespace(name: str) -> dict[str, list[Any]]:
        return namespaces.setdefault(name, {"resources": [], "workloads": []})

    for res in resources:
        if res.family == "k8s":
            if res.kind in wanted:
                by_ns = k8s.setdefault(res.kind, {}).setdefault(_str(res.namespace), {})
                by_ns.setdefault(_str(res.name), []).append(res.to_input())
            if want_ns:
                if res.kind == "Namespace" and isinstance(res.name, str):
                    namespace(res.name)
                if isinstance(res.namespace, str):
                    entry = namespace(res.namespace)
                    entry["resources"].append(res.id)
                    if workloads.is_workload(res.object, res.api_version, res.kind):
                        entry["workloads"].append(workload_summary(res, workloads))
        elif res.family == "image" and want_images:
            digest = (res.normalized or {}).get("digest")
            if isinstance(digest, str):
                images.setdefault(digest, []).append(res.id)
        if want_users:
            for ref in image_references(res, workloads):
                # "" gathers the references that name no digest (by tag only, or malformed)
                users.setdefault(digest_of(ref), set()).add(res.id)

    out: dict[str, Any] = {"k8s": _sorted_k8s(k8s)}
    if want_ns:
        out[NAMESPACES] = {
            ns: {
                "resources": sorted(e["resources"]),
                "workloads": sorted(e["workloads"], key=lambda w: w["id"]),
            }
            for ns, e in sorted(namespaces.items())
        }
    if want_images:
        out[IMAGES] = {d: sorted(ids) for d, ids in sorted(images.items())}
    if want_users:
        out[IMAGE_USERS] = {d: sorted(ids) for d, ids in sorted(users.items())}
    return out


def workload_summary(res: Resource, workloads: WorkloadTable = DEFAULT) -> dict[str, Any]:
    """The record of a workload with only what tells its tier: names and labels (its own, and
    each pod template's at its place)."""
    obj = res.object
    summary: dict[str, Any] = {
        "metadata": _pick(obj.get("metadata"), ("name", "namespace", "labels"))
    }
    for p in workloads.paths(res.api_version, res.kind):
        where = p.template_labels
        if where is None:
            continue
        template = PodSpecPath(p.text, where[:-1] + (where[-1][:-2],))
        for at, meta in template.find(obj):
            if isinstance(meta, dict) and isinstance(meta.get("metadata"), dict):
                _put(summary, at, {"metadata": _pick(meta["metadata"], ("labels",))})
    out = res.to_input()
    out["object"] = summary
    return out


def _put(root: dict[str, Any], path: tuple[str | int, ...], value: dict[str, Any]) -> None:
    """Set value at path inside root, making the mappings and lists on the way (a list is
    padded with empty mappings up to the index)."""
    node: Any = root
    for i, key in enumerate(path):
        if i == len(path) - 1:
            child: Any = value
        else:
            child = [] if isinstance(path[i + 1], int) else {}
        if isinstance(key, int):
            while len(node) <= key:
                node.append({})
            if i == len(path) - 1 or node[key] == {}:
                node[key] = child
        elif i == len(path) - 1 or key not in node:
            node[key] = child
        node = node[key]


def image_references(res: Resource, workloads: WorkloadTable = DEFAULT) -> list[str]:
    """The image references a resource names: its containers' images, or a VM's disk images."""
    if res.family == "k8s":
        refs = []
        for _, spec in workloads.pod_specs(res.object, res.api_version, res.kind):
            if not isinstance(spec, dict):
                continue
            for field in CONTAINER_FIELDS:
                items = spec.get(field)
                for c in items if isinstance(items, list) else []:
                    if isinstance(c, dict) and isinstance(c.get("image"), str) and c["image"]:
                        refs.append(c["image"])
        return refs
    if res.family == "vm" and isinstance(res.normalized, dict):
        disks = res.normalized.get("disks")
        return [
            d["image"]
            for d in (disks if isinstance(disks, list) else [])
            if isinstance(d, dict) and isinstance(d.get("image"), str) and d["image"]
        ]
    return []


def digest_of(ref: str) -> str:
    """The sha256 digest an image reference names ("" when it names none or a malformed one)."""
    parts = ref.split("@")
    return parts[1] if len(parts) > 1 and _DIGEST.match(parts[1]) else ""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _pick(value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: value[k] for k in keys if k in value} if isinstance(value, dict) else {}


def _at(obj: Any, keys: tuple[str, ...]) -> Any:
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def _sorted_k8s(k8s: dict[str, Any]) -> dict[str, Any]:
    return {
        kind: {
            ns: {name: sorted(recs, key=lambda r: r["id"]) for name, recs in sorted(names.items())}
            for ns, names in sorted(by_ns.items())
        }
        for kind, by_ns in sorted(k8s.items())
    }
