"""Generate rego/lib/k8s_fields.rego: the field names of the Kubernetes API types in the
security-relevant sections of each built-in kind dxguard examines, from the models the
`kubernetes` Python client ships (one model class per API type, with its JSON field names).

Run `python tools/gen_k8s_fields.py` after upgrading the kubernetes package; a test fails when
the committed file differs from what the installed package generates. It writes one file and
does nothing else.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import kubernetes
import kubernetes.client as models

OUT = Path(__file__).resolve().parent.parent / "rego" / "lib" / "k8s_fields.rego"

# kind → (apiVersion, model class): the built-in kinds whose manifests are checked.
KINDS = {
    "Pod": ("v1", "V1Pod"),
    "PodTemplate": ("v1", "V1PodTemplate"),
    "ReplicationController": ("v1", "V1ReplicationController"),
    "Deployment": ("apps/v1", "V1Deployment"),
    "StatefulSet": ("apps/v1", "V1StatefulSet"),
    "DaemonSet": ("apps/v1", "V1DaemonSet"),
    "ReplicaSet": ("apps/v1", "V1ReplicaSet"),
    "Job": ("batch/v1", "V1Job"),
    "CronJob": ("batch/v1", "V1CronJob"),
    "NetworkPolicy": ("networking.k8s.io/v1", "V1NetworkPolicy"),
    "Role": ("rbac.authorization.k8s.io/v1", "V1Role"),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", "V1ClusterRole"),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", "V1RoleBinding"),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", "V1ClusterRoleBinding"),
    "ServiceAccount": ("v1", "V1ServiceAccount"),
    "Namespace": ("v1", "V1Namespace"),
    "RuntimeClass": ("node.k8s.io/v1", "V1RuntimeClass"),
}

# API types whose fields are checked: the security-relevant sections. Other nested types (status,
# volume sources other than hostPath, probes, …) are not descended into.
SECTIONS = {
    *(cls for _, cls in KINDS.values()),
    "V1ObjectMeta",
    "V1PodTemplateSpec",
    "V1PodSpec",
    "V1Container",
    "V1EphemeralContainer",
    "V1SecurityContext",
    "V1PodSecurityContext",
    "V1Capabilities",
    "V1SeccompProfile",
    "V1SELinuxOptions",
    "V1AppArmorProfile",
    "V1WindowsSecurityContextOptions",
    "V1ResourceRequirements",
    "V1Volume",
    "V1HostPathVolumeSource",
    "V1ContainerPort",
    "V1Toleration",
    "V1Affinity",
    "V1NodeAffinity",
    "V1NodeSelector",
    "V1NodeSelectorTerm",
    "V1NodeSelectorRequirement",
    "V1DeploymentSpec",
    "V1StatefulSetSpec",
    "V1DaemonSetSpec",
    "V1ReplicaSetSpec",
    "V1ReplicationControllerSpec",
    "V1JobSpec",
    "V1JobTemplateSpec",
    "V1CronJobSpec",
    "V1NetworkPolicySpec",
    "V1NetworkPolicyIngressRule",
    "V1NetworkPolicyEgressRule",
    "V1NetworkPolicyPeer",
    "V1NetworkPolicyPort",
    "V1IPBlock",
    "V1LabelSelector",
    "V1LabelSelectorRequirement",
    "V1PolicyRule",
    "V1AggregationRule",
    "RbacV1Subject",
    "V1RoleRef",
    "V1Scheduling",
    "V1Sysctl",
    "V1Probe",
    "V1HTTPGetAction",
    "V1TCPSocketAction",
    "V1Lifecycle",
    "V1LifecycleHandler",
}

# Roots walked beside the kinds: the pod spec, for pod specs inside custom resources (an Argo
# Rollout, a Knative Service) and built-in kinds of a retired apiVersion.
EXTRA_ROOTS = ["V1PodSpec"]

# Maps whose values are resource quantities: a string or a number (cpu: 2, memory: 1Gi).
QUANTITY_MAPS = {
    ("V1ResourceRequirements", "limits"),
    ("V1ResourceRequirements", "requests"),
    ("V1PodSpec", "overhead"),
}

# The JSON type the API server decodes each field's value into, by the model's type: a value of
# another type makes the API server reject the object. `any` (IntOrString, raw objects) is not
# judged; null is every field's "unset".
SCALARS = {"bool": "boolean", "int": "integer", "float": "number", "str": "string",
           "datetime": "string"}  # fmt: skip
LISTS = {"str": "strings", "int": "integers", "bool": "booleans"}

MAX_WILDCARDS = 3


def _nested(type_str: str) -> tuple[str, bool] | None:
    """('V1Container', True) for List[V1Container]; None for scalars and maps."""
    m = re.fullmatch(r"(?:List|list)\[(\w+)\]", type_str)
    if m:
        return m.group(1), True
    if re.fullmatch(r"\w+", type_str) and hasattr(models, type_str):
        return type_str, False
    return None


def fields(cls_name: str) -> list[str]:
    return sorted(getattr(models, cls_name).attribute_map.values())


def json_type(cls_name: str, py_name: str, type_str: str) -> str:
    """The JSON type of a field's value: boolean, integer, number, string, object, any, a list
    of one of them (strings, integers, booleans, objects), or a map of strings (string_map) or
    of quantities (quantity_map)."""
    key = getattr(models, cls_name).attribute_map[py_name]
    if type_str in SCALARS:
        return SCALARS[type_str]
    if type_str == "object":
        return "any"
    m = re.fullmatch(r"(?:List|list)\[(\w+)\]", type_str)
    if m:
        inner = m.group(1)
        if inner in LISTS:
            return LISTS[inner]
        return "objects" if hasattr(models, inner) else "array"
    if re.fullmatch(r"(?:Dict|dict)\[str, str\]", type_str) or type_str == "dict(str, str)":
        return "quantity_map" if (cls_name, key) in QUANTITY_MAPS else "string_map"
    if type_str.startswith(("Dict[", "dict(")):
        return "object"
    if hasattr(models, type_str):
        return "object"
    raise SystemExit(f"{cls_name}.{py_name}: unknown model type {type_str!r}")


def types_of(cls_name: str) -> dict[str, list[str]]:
    """JSON type → the fields of that type (fields of type `any` are left out)."""
    cls = getattr(models, cls_name)
    out: dict[str, list[str]] = {}
    for py_name, type_str in cls.openapi_types.items():
        t = json_type(cls_name, py_name, type_str)
        if t != "any":
            out.setdefault(t, []).append(cls.attribute_map[py_name])
    return {t: sorted(v) for t, v in sorted(out.items())}


def patterns(root: str) -> list[tuple[list[list[str]], str]]:
    """Every section of a root type: (segments between list wildcards, type)."""
    out: list[tuple[list[list[str]], str]] = []
    stack: list[tuple[list[list[str]], str]] = [([[]], root)]
    while stack:
        segs, cls_name = stack.pop()
        out.append((segs, cls_name))
        cls = getattr(models, cls_name)
        for py_name, type_str in cls.openapi_types.items():
            nested = _nested(type_str)
            if nested is None or nested[0] not in SECTIONS:
                continue
            child, is_list = nested
            key = cls.attribute_map[py_name]
            new = [list(s) for s in segs]
            new[-1].append(key)
            if is_list:
                if len(new) > MAX_WILDCARDS:
                    continue
                new.append([])
            stack.append((new, child))
    return sorted(out, key=lambda p: (len(p[0]), p[0]))


def _rego_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def _entry(segs: list[list[str]], type_name: str) -> str:
    """A section: its segments, its API type and the path text of each segment."""
    text = [".".join(segs[0])] + [("." + ".".join(seg)) if seg else "" for seg in segs[1:]]
    seg_text = "[" + ", ".join(_rego_list(s) for s in segs) + "]"
    return f'{{"segments": {seg_text}, "type": "{type_name}", "text": {_rego_list(text)}}}'


def render() -> str:
    types: set[str] = set()
    lines = [
        "# Generated by tools/gen_k8s_fields.py from the models of the kubernetes Python client",
        f"# {kubernetes.__version__}. Do not edit: regenerate after upgrading the package.",
        "package lib.k8s",
        "",
        "# Checked kinds: their apiVersion and API type.",
        "api_kinds := {",
    ]
    for kind, (api_version, cls) in sorted(KINDS.items()):
        lines.append(f'\t"{kind}": {{"apiVersion": "{api_version}", "type": "{cls}"}},')
    lines += [
        "}",
        "",
        "# The sections of each kind's API type, laid out for the walk DXG-K8S-ISO-019 makes",
        "# (constants, so that no query rebuilds them). A section is the field-path segments",
        "# between list wildcards (one under containers[] has two), the API type found there and",
        "# the path text of each segment. api_top: the sections with one segment; api_by_depth:",
        "# those with 2 to 4, grouped by the list their first segment names, so that each list",
        "# of an object is read once.",
        "api_top := {",
    ]
    roots = sorted({cls for _, cls in KINDS.values()} | set(EXTRA_ROOTS))
    for cls in roots:
        lines.append(f'\t"{cls}": [')
        for segs, t in patterns(cls):
            types.add(t)
            if len(segs) == 1:
                lines.append(f"\t\t{_entry(segs, t)},")
        lines.append("\t],")
    lines += ["}", "", "api_by_depth := {"]
    for cls in roots:
        lines.append(f'\t"{cls}": {{')
        sections = patterns(cls)
        for n in (2, 3, 4):
            firsts = sorted({tuple(segs[0]) for segs, _ in sections if len(segs) == n})
            if not firsts:
                lines.append(f"\t\t{n}: [],")
                continue
            lines.append(f"\t\t{n}: [")
            for first in firsts:
                lines.append(f'\t\t\t{{"list": {_rego_list(list(first))}, "sections": [')
                for segs, t in sections:
                    if len(segs) == n and tuple(segs[0]) == first:
                        lines.append(f"\t\t\t\t{_entry(segs, t)},")
                lines.append("\t\t\t]},")
            lines.append("\t\t],")
        lines.append("\t},")
    lines += ["}", "", "# The JSON field names of each API type.", "api_fields := {"]
    for t in sorted(types):
        lines.append(f'\t"{t}": {{{", ".join(chr(34) + f + chr(34) for f in fields(t))}}},')
    lines += [
        "}",
        "",
        "# The JSON type of each field's value, by API type: type → the fields of that type",
        "# (boolean, integer, number, string, object; strings, integers, booleans and objects for",
        "# lists of them; string_map and quantity_map for maps of strings or of quantities). The",
        '# API server rejects an object with a value of another type; null is always "unset".',
        "api_types := {",
    ]
    for t in sorted(types):
        groups = ", ".join(
            f'"{jt}": {{{", ".join(chr(34) + f + chr(34) for f in fs)}}}'
            for jt, fs in types_of(t).items()
        )
        lines.append(f'\t"{t}": {{{groups}}},')
    lines += [
        "}",
        "",
        "# The same, by field: API type → field → the JSON type of its value (a field has one),",
        "# so that a walk looks up each key it meets instead of intersecting sets per JSON type.",
        "api_field_types := {",
    ]
    for t in sorted(types):
        pairs = sorted((f, jt) for jt, fs in types_of(t).items() for f in fs)
        if len({f for f, _ in pairs}) != len(pairs):
            raise SystemExit(f"{t}: a field has more than one JSON type")
        entries = ", ".join(f'"{f}": "{jt}"' for f, jt in pairs)
        lines.append(f'\t"{t}": {{{entries}}},')
    lines += ["}", ""]
    return "\n".join(lines)


def main() -> int:
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(OUT.parent.parent.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
