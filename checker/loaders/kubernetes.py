"""Turn parsed documents into Kubernetes resource records.

A document is a Kubernetes object when it is a mapping with string `apiVersion` and `kind`. A
`kind: List` (or any `*List` with `items`) is unpacked into its items. Anything else is reported
as skipped with its reason, never silently dropped. Workload shapes the checks walk (pod specs and
container lists) are validated here, so a malformed manifest is an input error with a line number
instead of a subject the policies quietly cannot see.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

import yaml

from checker.errors import InputError
from checker.loaders.locate import line_of_path
from checker.loaders.yamldocs import Document
from checker.model import Resource, Skipped, Source
from checker.workloads import DEFAULT, ShapeError, WorkloadTable

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


# A top-level key that starts an object's identity. At column 0 it can only be a key of the
# document's top-level mapping (a block scalar's text is indented under its key).
_IDENTITY_KEY = re.compile(r"^(apiVersion|kind)[ \t]*:", re.M)


def check_run_together(text: str, docs: list[Document], filename: str) -> None:
    """Two manifests pasted together without `---` (`cat a.yaml b.yaml | dxguard scan -` when
    a.yaml does not end with one) parse as one mapping in which the second object's keys
    silently replace the first's. A document with a second top-level apiVersion or kind is
    therefore an input error naming the line where the second object begins."""
    if "apiVersion" not in text:
        return
    starts = sorted(d.line for d in docs if isinstance(d.value, dict))
    if not starts:
        return
    seen: dict[tuple[int, str], int] = {}  # (document start, key) → line of its first use
    line, last = 1, 0
    for m in _IDENTITY_KEY.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        at = bisect_right(starts, line) - 1
        if at < 0:
            continue
        doc = starts[at]
        key = (doc, m.group(1))
        if key not in seen:
            seen[key] = line
            continue
        first = seen[key]
        raise InputError(
            f"{filename}:{line}: a second top-level `{m.group(1)}:` in the document that starts "
            f"at line {doc} (the first is at line {first}): two manifests run together without "
            "a `---` line between them, and the second would silently replace the first's keys",
            hint=f"put a line `---` between the two objects (before line {line}, or before "
            "the second object's first key); `cat` of files that do not end with `---` does "
            "this",
        )


def _line_of(node: yaml.Node | None, default: int) -> int:
    return node.start_mark.line + 1 if node is not None else default


def _is_list_kind(value: dict[str, Any]) -> bool:
    kind = value.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and "items" in value


def resources_from_document(
    doc: Document,
    filename: str,
    skipped: list[Skipped],
    workloads: WorkloadTable = DEFAULT,
) -> list[Resource]:
    value = doc.value
    if value is None:
        return []  # an empty document (a stray `---`) is not content
    if not isinstance(value, dict):
        skipped.append(
            Skipped(
                filename,
                f"not a Kubernetes object: the document is a {type(value).__name__}, "
                "not a mapping with apiVersion and kind",
                doc.index,
                doc.line,
            )
        )
        return []
    if _is_list_kind(value):
        items = value.get("items")
        if items is None:
            return []
        if not isinstance(items, list):
            raise InputError(
                f"{filename}:{doc.line}: {value['kind']} has `items` that is not a list; "
                "make `items` a list of Kubernetes objects"
            )
        item_nodes = _child_nodes(doc.node, "items")
        out = []
        for i, item in enumerate(items):
            node = item_nodes[i] if item_nodes and i < len(item_nodes) else None
            line = _line_of(node, doc.line)
            res = _resource(
                item, filename, doc.index, line, i, lambda n=node: n, skipped, workloads
            )
            if res is not None:
                out.append(res)
        return out
    # The node (for the line of a malformed field) is composed only if an error needs it.
    res = _resource(
        value, filename, doc.index, doc.line, None, lambda: doc.node, skipped, workloads
    )
    return [res] if res is not None else []


def _child_nodes(node: yaml.Node | None, key: str) -> list[yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.SequenceNode):
            return list(v.value)
    return None


def _resource(
    value: Any,
    filename: str,
    document: int,
    line: int,
    item: int | None,
    node_of: Callable[[], yaml.Node | None],
    skipped: list[Skipped],
    workloads: WorkloadTable,
) -> Resource | None:
    where = f"document {document}" + (f", item {item}" if item is not None else "")
    if not isinstance(value, dict):
        skipped.append(
            Skipped(filename, f"not a Kubernetes object ({where} is not a mapping)", document, line)
        )
        return None
    api_version, kind = value.get("apiVersion"), value.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not kind:
        missing = [k for k in ("apiVersion", "kind") if not isinstance(value.get(k), str)]
        skipped.append(
            Skipped(
                filename,
                f"not a Kubernetes object: {where} has no string {' or '.join(missing)}",
                document,
                line,
            )
        )
        return None
    metadata = value.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise InputError(
            f"{filename}:{line}: {kind} has `metadata` that is not a mapping; "
            "metadata must hold name, namespace, labels…"
        )
    name = metadata.get("name") or (
        f"{metadata['generateName']}*" if isinstance(metadata.get("generateName"), str) else None
    )
    namespace = metadata.get("namespace")
    if name is not None and not isinstance(name, str):
        raise InputError(f"{filename}:{line}: {kind} metadata.name must be a string")
    if namespace is not None and not isinstance(namespace, str):
        raise InputError(f"{filename}:{line}: {kind} metadata.namespace must be a string")
    _validate_workload(value, api_version, kind, filename, line, node_of, workloads)
    rid = f"{filename}#{document}" + (f".{item}" if item is not None else "")
    return Resource(
        id=rid,
        family="k8s",
        kind=kind,
        api_version=api_version,
        name=name,
        namespace=namespace,
        source=Source(filename, document, line, item),
        object=value,
    )


def _validate_workload(
    value: dict[str, Any],
    api_version: str,
    kind: str,
    filename: str,
    line: int,
    node_of: Callable[[], yaml.Node | None],
    workloads: WorkloadTable,
) -> None:
    """The shapes checks walk must be what Kubernetes accepts, or the subject would go unseen:
    the way to every pod spec of the kind (built-in, well-known or declared in the config), the
    pod spec, its container lists and their security contexts."""

    def bad(path: list[str | int], what: str) -> InputError:
        node = node_of()
        at = line_of_path(node, path) if node is not None else None
        dotted = _dotted(path)
        return InputError(
            f"{filename}:{at or line}: {kind} field {dotted} {what}",
            hint="fix the manifest so that it matches the Kubernetes API (kubectl would reject it)",
        )

    try:
        found = workloads.pod_specs(value, api_version, kind, strict=True)
    except ShapeError as err:
        raise bad(list(err.path), err.what) from None
    for at, spec in found:
        if spec is not None:
            _validate_pod_spec(spec, list(at), bad)


def _validate_pod_spec(
    spec: Any, walked: list[str | int], bad: Callable[[list[str | int], str], InputError]
) -> None:
    if not isinstance(spec, dict):
        raise bad(walked, "must be a mapping (a pod spec)")
    for field_name in CONTAINER_FIELDS:
        if field_name not in spec or spec[field_name] is None:
            continue
        containers = spec[field_name]
        if not isinstance(containers, list):
            raise bad([*walked, field_name], "must be a list of containers")
        for i, c in enumerate(containers):
            if not isinstance(c, dict):
                raise bad([*walked, field_name, i], "must be a mapping (a container)")
            image = c.get("image")
            if image is not None and not isinstance(image, str):
                raise bad([*walked, field_name, i, "image"], "must be a string")
            sc = c.get("securityContext")
            if sc is not None and not isinstance(sc, dict):
                raise bad([*walked, field_name, i, "securityContext"], "must be a mapping")
    sc = spec.get("securityContext")
    if sc is not None and not isinstance(sc, dict):
        raise bad([*walked, "securityContext"], "must be a mapping")


def _dotted(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out
