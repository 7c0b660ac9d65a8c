"""Listed objects as the loaders' inputs: their names, their bytes, their lines. Pure.

An object the API server returns in a list has no apiVersion and kind of its own (the list
has them): they are put back, so the object reads exactly like a manifest of it. Its
`metadata.managedFields` (the server's record of which client set which field) is removed: it
is bookkeeping, not configuration, it is absent from every manifest and from `kubectl get -o
yaml`, and it is often the largest part of an object. Everything else — the defaults the
server filled in, status, annotations — is kept: the audit judges what the cluster runs.

A listed object has no file: it is named `CLUSTER/api/v1/namespaces/NS/pods/NAME` (the cluster's
name and the object's API path), and its lines are those of the object rendered as YAML with
sorted keys, as `kubectl get -o yaml` shows it. The rendering is made only for the objects a
report points into (those with failures), when the report asks for a line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import yaml

from checker.audit.kinds import ApiResource
from checker.loaders import ListedObject


def as_manifest(item: dict[str, Any], resource: ApiResource) -> dict[str, Any]:
    """The listed item with its apiVersion and kind, without managedFields."""
    out: dict[str, Any] = {"apiVersion": resource.group_version, "kind": resource.kind}
    for key, value in item.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, dict) and "managedFields" in value:
            value = {k: v for k, v in value.items() if k != "managedFields"}
        out[key] = value
    return out


def source_name(cluster: str, resource: ApiResource, obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    name = meta.get("name") if isinstance(meta.get("name"), str) else "(unnamed)"
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    return f"{cluster}{resource.path(namespace, name)}"


def listed_object(cluster: str, item: dict[str, Any], resource: ApiResource) -> ListedObject:
    """The object as the run's input: its digest is of its JSON with sorted keys, as judged."""
    obj = as_manifest(item, resource)
    data = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    return ListedObject(
        source_name(cluster, resource, obj), obj, hashlib.sha256(data).hexdigest(), len(data)
    )


def render(obj: dict[str, Any]) -> str:
    """The object as YAML with sorted keys (how `kubectl get -o yaml` lays it out)."""
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, allow_unicode=True)


class RenderedObjects(Mapping[str, str]):
    """Listed objects' YAML by source name, rendered on first use: the texts the Locator reads
    lines from (LoadResult.texts), beside the texts of stdin, if any."""

    def __init__(self, texts: Mapping[str, str], objects: Mapping[str, dict[str, Any]]):
        self._texts = dict(texts)
        self._objects = objects

    def __getitem__(self, name: str) -> str:
        if name not in self._texts:
            self._texts[name] = render(self._objects[name])  # KeyError: not one of ours
        return self._texts[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._texts
        yield from (n for n in self._objects if n not in self._texts)

    def __len__(self) -> int:
        return len(set(self._texts) | set(self._objects))
