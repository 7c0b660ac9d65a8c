"""Where Kubernetes objects carry their pod specs: built-in workloads, well-known custom
resources, and the kinds a team's config declares (`workloads:`).

What this module does: hold the table of (API group, kind) → pod-spec paths, parse and
validate the paths a config declares, find the pod specs of an object by that table, and render
the table for the policies (tools/gen_workloads.py writes the built-in and well-known part into
rego/lib/k8s_workloads.rego; the config's part reaches them as data.dxguard.config.workloads).
The loaders (shapes of pod specs), the inventory (workload summaries, image users) and the
engine's answer check (workloads always get rows) read the same table, so Python and Rego
never disagree on what a workload is. What it must not do: judge anything — whether a pod spec
is compliant is decided in rego/ alone.

A path is dot-separated field names; `[*]` after a list field stands for every item of it and
`.*` for every value of a map (`spec.tasks[*].template.spec`,
`spec.pytorchReplicaSpecs.*.template.spec`), at most two of them per path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

MAX_WILDCARDS = 2

_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_PATH = re.compile(rf"^{_KEY}(?:\.{_KEY}|\[\*\]|\.\*)*$")


@dataclass(frozen=True)
class PodSpecPath:
    """A path from an object to a pod spec: the keys between wildcards."""

    text: str  # as written, e.g. spec.tasks[*].template.spec
    segments: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> PodSpecPath:
        """Parse a path; ValueError says what is wrong with it."""
        if not isinstance(text, str) or not _PATH.match(text):
            raise ValueError(
                f"{text!r} is not a field path: write field names joined by dots, with [*] for "
                "every item of a list and .* for every value of a map (spec.template.spec, "
                "spec.tasks[*].template.spec)"
            )
        segments: list[list[str]] = [[]]
        for token in re.findall(rf"{_KEY}|\[\*\]|\*", text):
            if token in ("[*]", "*"):
                if not segments[-1]:
                    raise ValueError(f"{text!r}: two wildcards in a row")
                segments.append([])
            else:
                segments[-1].append(token)
        if not segments[-1]:
            raise ValueError(f"{text!r} ends with a wildcard: it must end at the pod spec's field")
        if len(segments) - 1 > MAX_WILDCARDS:
            raise ValueError(f"{text!r} has more than {MAX_WILDCARDS} wildcards")
        return cls(text, tuple(tuple(s) for s in segments))

    def find(self, obj: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        """(field path, value) of every place the path reaches in obj (absent ones skipped)."""
        yield from _find(obj, self.segments, (), strict=False)

    def walk(self, obj: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        """As find, but a field on the way that is set and is not a mapping (or, at a wildcard,
        not a list or map) raises ShapeError naming it: the API server would reject it."""
        yield from _find(obj, self.segments, (), strict=True)

    @property
    def template_labels(self) -> tuple[tuple[str, ...], ...] | None:
        """Where the labels of the pod template around the pod spec are (…template.spec →
        …template.metadata.labels), or None when the pod spec is not a template's spec."""
        last = self.segments[-1]
        if last[-1] != "spec" or (len(self.segments) == 1 and len(last) == 1):
            return None
        return (*self.segments[:-1], (*last[:-1], "metadata", "labels"))

    def rego(self) -> dict[str, Any]:
        """The path as the policies read it: its segments, the text of each (the later ones
        with their leading dot, so a pod spec's field path is text[0] + key + text[1] …), and
        the segments of its pod template's labels (null when it has no template)."""
        text = [".".join(self.segments[0])] + ["." + ".".join(s) for s in self.segments[1:]]
        labels = self.template_labels
        return {
            "segments": [list(s) for s in self.segments],
            "text": text,
            "labels": [list(s) for s in labels] if labels is not None else None,
        }


class ShapeError(ValueError):
    """A field on the way to a pod spec has a shape the API server rejects."""

    def __init__(self, path: tuple[str | int, ...], what: str):
        super().__init__(what)
        self.path = path
        self.what = what


def _find(
    obj: Any, segments: tuple[tuple[str, ...], ...], prefix: tuple[str | int, ...], strict: bool
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    value = obj
    path = prefix
    for key in segments[0]:
        if value is None:
            return
        if not isinstance(value, dict):
            if strict:
                raise ShapeError(path, "must be a mapping")
            return
        if key not in value:
            return
        value = value[key]
        path = (*path, key)
    if len(segments) == 1:
        yield path, value
        return
    if isinstance(value, list):
        items: Iterable[tuple[str | int, Any]] = enumerate(value)
    elif isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
    else:
        if strict and value is not None:
            raise ShapeError(path, "must be a list or a mapping")
        return
    for key, item in items:
        yield from _find(item, segments[1:], (*path, key), strict)


@dataclass(frozen=True)
class WorkloadKind:
    group: str  # API group ("" for the core group)
    kind: str
    pod_specs: tuple[PodSpecPath, ...]  # empty: the kind carries no pod spec (declared so)
    origin: str  # built-in | well-known | where the config declares it


def api_group(api_version: Any) -> str:
    """The API group of an apiVersion: apps for apps/v1, "" for v1."""
    if not isinstance(api_version, str) or "/" not in api_version:
        return ""
    return api_version.split("/", 1)[0]


def _kinds(origin: str, group: str, entries: dict[str, tuple[str, ...]]) -> list[WorkloadKind]:
    return [
        WorkloadKind(group, kind, tuple(PodSpecPath.parse(p) for p in paths), origin)
        for kind, paths in entries.items()
    ]


_T = "spec.template.spec"

# The built-in workload kinds, by API group (extensions: the retired beta Deployments,
# DaemonSets and ReplicaSets, still examined when a manifest uses them).
BUILTIN: tuple[WorkloadKind, ...] = tuple(
    _kinds("built-in", "", {"Pod": ("spec",), "PodTemplate": ("template.spec",),
                            "ReplicationController": (_T,)})
    + _kinds("built-in", "apps", {"Deployment": (_T,), "StatefulSet": (_T,), "DaemonSet": (_T,),
                                  "ReplicaSet": (_T,)})
    + _kinds("built-in", "extensions", {"Deployment": (_T,), "DaemonSet": (_T,),
                                        "ReplicaSet": (_T,)})
    + _kinds("built-in", "batch", {"Job": (_T,),
                                   "CronJob": ("spec.jobTemplate.spec.template.spec",)})
)  # fmt: skip

# Custom resources of widely used operators that carry ordinary pod templates.
WELL_KNOWN: tuple[WorkloadKind, ...] = tuple(
    _kinds("well-known", "argoproj.io", {"Rollout": (_T,)})
    + _kinds("well-known", "serving.knative.dev", {"Service": (_T,), "Configuration": (_T,),
                                                   "Revision": ("spec",)})
    + _kinds("well-known", "apps.openshift.io", {"DeploymentConfig": (_T,)})
    + _kinds("well-known", "keda.sh", {"ScaledJob": ("spec.jobTargetRef.template.spec",)})
    + _kinds("well-known", "kubeflow.org", {
        "PyTorchJob": ("spec.pytorchReplicaSpecs.*.template.spec",),
        "TFJob": ("spec.tfReplicaSpecs.*.template.spec",),
        "MPIJob": ("spec.mpiReplicaSpecs.*.template.spec",),
        "XGBoostJob": ("spec.xgbReplicaSpecs.*.template.spec",),
        "PaddleJob": ("spec.paddleReplicaSpecs.*.template.spec",),
        "JAXJob": ("spec.jaxReplicaSpecs.*.template.spec",),
    })
    + _kinds("well-known", "ray.io", {
        "RayCluster": ("spec.headGroupSpec.template.spec",
                       "spec.workerGroupSpecs[*].template.spec"),
        "RayJob": ("spec.rayClusterSpec.headGroupSpec.template.spec",
                   "spec.rayClusterSpec.workerGroupSpecs[*].template.spec",
                   "spec.submitterPodTemplate.spec"),
        "RayService": ("spec.rayClusterConfig.headGroupSpec.template.spec",
                       "spec.rayClusterConfig.workerGroupSpecs[*].template.spec"),
    })
    + _kinds("well-known", "batch.volcano.sh", {"Job": ("spec.tasks[*].template.spec",)})
    + _kinds("well-known", "jobset.x-k8s.io",
             {"JobSet": ("spec.replicatedJobs[*].template.spec.template.spec",)})
    + _kinds("well-known", "leaderworkerset.x-k8s.io", {"LeaderWorkerSet": (
        "spec.leaderWorkerTemplate.leaderTemplate.spec",
        "spec.leaderWorkerTemplate.workerTemplate.spec",
    )})
    + _kinds("well-known", "apps.kruise.io", {"CloneSet": (_T,), "StatefulSet": (_T,),
                                              "DaemonSet": (_T,), "BroadcastJob": (_T,)})
)  # fmt: skip


class WorkloadTable:
    """(group, kind) → pod-spec paths. A built-in kind under a group the table does not name
    (a typo'd or private apiVersion) is still read at the built-in kind's paths."""

    def __init__(self, kinds: Iterable[WorkloadKind]):
        self.kinds: dict[tuple[str, str], WorkloadKind] = {}
        for k in kinds:
            self.kinds[(k.group, k.kind)] = k
        self._by_kind = {k.kind: k for k in BUILTIN}

    def entry(self, api_version: Any, kind: Any) -> WorkloadKind | None:
        if not isinstance(kind, str):
            return None
        found = self.kinds.get((api_group(api_version), kind))
        if found is not None:
            return found
        return self._by_kind.get(kind)

    def paths(self, api_version: Any, kind: Any) -> tuple[PodSpecPath, ...]:
        entry = self.entry(api_version, kind)
        return entry.pod_specs if entry is not None else ()

    def pod_specs(
        self, obj: Any, api_version: Any, kind: Any, *, strict: bool = False
    ) -> list[tuple[tuple[str | int, ...], Any]]:
        """(field path, value) of every pod spec the object's kind carries (values unchecked);
        strict: a field on the way with a shape the API rejects raises ShapeError."""
        return [
            found
            for p in self.paths(api_version, kind)
            for found in (p.walk(obj) if strict else p.find(obj))
        ]

    def is_workload(self, obj: Any, api_version: Any, kind: Any) -> bool:
        """True when the object carries at least one pod spec (a mapping)."""
        return any(isinstance(v, dict) for _, v in self.pod_specs(obj, api_version, kind))

    def declared(self) -> list[WorkloadKind]:
        """The kinds a config added or replaced (origin neither built-in nor well-known)."""
        return [k for k in self.kinds.values() if k.origin not in ("built-in", "well-known")]


def default_table() -> WorkloadTable:
    return WorkloadTable((*BUILTIN, *WELL_KNOWN))


DEFAULT = default_table()


def with_declared(entries: Iterable[WorkloadKind]) -> WorkloadTable:
    """The default table plus what a config declares (replacing a well-known entry of the same
    group and kind)."""
    return WorkloadTable((*BUILTIN, *WELL_KNOWN, *entries))


def rego_table(kinds: Iterable[WorkloadKind]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{group: {kind: [path, …]}} as the policies read it."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for k in sorted(kinds, key=lambda k: (k.group, k.kind)):
        out.setdefault(k.group, {})[k.kind] = [p.rego() for p in k.pod_specs]
    return out


def is_builtin_group(group: str) -> bool:
    """A group of the Kubernetes API itself: the core group, a group without a dot (apps,
    batch, policy, autoscaling, …) or one under k8s.io (API review reserves those names)."""
    return "." not in group or group.endswith(".k8s.io")
