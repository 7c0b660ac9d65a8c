"""Render the commented starter configuration that `dxguard init` writes.

The text is generated from the config schema (config.schema.json plus every parameter fragment),
so each key carries its own description and default and the starter can never drift from what
`dxguard scan --config` accepts. It only renders text: writing the file is the CLI's job.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from checker.config import config_schema

WIDTH = 96

HEADER = """\
# dxguard configuration — written by `dxguard init`. Use it with:
#   dxguard scan --config dxguard.yaml deploy/
# Every key is optional; what is shown is the default, and keys without a default are commented
# examples (uncomment and adapt them). Edit the values for your platform, delete what you keep at
# its default. docs/configuration.md explains each key; the JSON schema is
# checker/schemas/config.schema.json (plus checker/schemas/parameters/*.json).
version: 1
"""


def _comment(text: str, indent: str) -> list[str]:
    return [
        f"{indent}# {line}"
        for line in textwrap.wrap(" ".join(text.split()), WIDTH - len(indent) - 2)
    ]


def _value(value: Any) -> str:
    """A YAML value in JSON's flow syntax (JSON is YAML), stable and unambiguous."""
    return json.dumps(value, ensure_ascii=False)


def _entry(name: str, value: Any, indent: str) -> list[str]:
    """`name: value` on one line, or a block list when a list would not fit the width."""
    line = f"{indent}{name}: {_value(value)}"
    if len(line) <= WIDTH or not isinstance(value, list):
        return [line]
    return [f"{indent}{name}:", *(f"{indent}  - {_value(v)}" for v in value)]


def render_starter() -> str:
    schema = config_schema()
    props = schema["properties"]
    out = [HEADER]
    out += _comment(props["frameworks"]["description"], "")
    out.append("# frameworks: [fda-samd, eu-ivdr, iso-13485]")
    out.append("")
    out += _comment(props["scope"]["description"], "")
    out.append(f"scope: {props['scope']['default']}")
    out.append("")
    out += _comment(props["tiers"]["description"], "")
    out.append("tiers:")
    for tier, spec in props["tiers"]["default"].items():
        out.append(f"  {tier}:")
        for key, value in spec.items():
            out.append(f"    {key}: {_value(value)}")
    out.append("")
    out += _comment(props["admission"]["description"], "")
    out.append("admission:")
    for key, spec in props["admission"]["default"].items():
        out.append(f"  {key}:")
        for tier, value in spec.items():
            out.append(f"    {tier}: {value}")
    out.append("")
    out += _comment(props["parameters"]["description"], "")
    out.append("parameters:")
    for name, spec in sorted(props["parameters"]["properties"].items()):
        out += _comment(spec.get("description", ""), "  ")
        out += _entry(name, spec["default"], "  ")
    for key, example in EXAMPLES.items():
        out.append("")
        out += _comment(props[key]["description"], "")
        if key == "checks":
            out += _comment(props["checks"]["properties"]["disabled"]["description"], "")
        out += [f"# {line}" for line in example.splitlines()]
    return "\n".join(out) + "\n"


# Keys without a default, shown as commented examples: uncommented (with the folders present),
# they are a valid config.
EXAMPLES = {
    "policies": "policies: [policy]",
    "controls": "controls: [catalogs]",
    "store": "store: .dxguard/evidence.sqlite",
    "workloads": (
        "workloads:\n"
        "  - group: example.com\n"
        "    kind: InferenceJob\n"
        "    pod_specs: [spec.template.spec, spec.workers[*].template.spec]"
    ),
    "checks": (
        "checks:\n"
        "  disabled:\n"
        "    - id: DXG-K8S-PIN-002\n"
        "      reason: Risk assessment RA-2026-031 — every image is pinned by digest."
    ),
}
