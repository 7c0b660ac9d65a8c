"""`dxguard explain CHECK_ID`: what a check is for, what it reads, what it serves, how to fix it.

Gathers, from the loaded bundle, the check's metadata, the parameters it reads (description,
default and the value the config sets), the controls that cite it and its remediation, and
renders them as text or JSON. It evaluates nothing; an unknown id is a usage error that names
the closest ids.
"""

from __future__ import annotations

import difflib
import json
import textwrap
from typing import Any

from checker.bundle import Bundle
from checker.config import config_schema
from checker.errors import UsageError

WIDTH = 88


def close_ids(wanted: str, ids: list[str]) -> list[str]:
    """Ids like the one asked for: near spellings first, then the same prefix and family."""
    w = wanted.upper()
    near = difflib.get_close_matches(w, ids, n=5, cutoff=0.6)
    prefix = w.rsplit("-", 1)[0] if w.count("-") >= 2 else w
    same_family = [i for i in ids if i.startswith(prefix) and i not in near]
    return [*near, *same_family][:8]


def explain_check(check_id: str, bundle: Bundle) -> dict[str, Any]:
    by_id = {c.id: c for c in bundle.checks}
    meta = by_id.get(check_id) or by_id.get(check_id.upper())
    if meta is None:
        close = close_ids(check_id, sorted(by_id))
        raise UsageError(
            f"unknown check {check_id!r}"
            + (f"; close ids: {', '.join(close)}" if close else "; no id is close to it"),
            hint="`dxguard checks list` lists every check (custom checks need --policy)",
        )
    specs = config_schema()["properties"]["parameters"]["properties"]
    configured = bundle.config.data.get("parameters", {})
    values = bundle.config.parameters
    parameters = []
    for name in meta.parameters:
        spec = specs.get(name, {})
        parameters.append(
            {
                "name": name,
                "description": " ".join(spec.get("description", "").split()),
                "default": spec.get("default"),
                "value": values.get(name),
                "configured": name in configured,
            }
        )
    controls = []
    for fw in bundle.catalogs.frameworks:
        for c in fw.controls:
            if meta.id in c.checks:
                controls.append(
                    {
                        "framework": fw.id,
                        "control": c.id,
                        "title": c.title,
                        "evidence": c.evidence,
                    }
                )
    custom = next(
        (f.path for f in bundle.policies.files if f.package == meta.package and f.kind), None
    )
    info: dict[str, Any] = {
        "id": meta.id,
        "title": meta.title,
        "description": meta.description,
        "family": meta.family,
        "severity": meta.severity,
        "targets": meta.targets,
        "scope": meta.scope,
        "package": meta.package,
        "origin": "custom" if custom else "builtin",
        "parameters": parameters,
        "controls": controls,
        "remediation": meta.remediation,
        "config": bundle.config.file,
    }
    if custom:
        info["file"] = custom
    if meta.id in bundle.disabled:
        info["disabled"] = {"reason": bundle.disabled[meta.id]}
    if meta.id in bundle.out_of_scope:
        info["out_of_scope"] = {"reason": bundle.out_of_scope[meta.id]}
    return info


SCOPE_WORDS = {
    "object": "each object under review (scope: object)",
    "cluster": "the cluster as a whole, once per scan (scope: cluster; out of scope for an "
    "application repository)",
}


def _para(text: str, indent: str = "  ", hang: str | None = None) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        WIDTH,
        initial_indent=indent,
        subsequent_indent=hang if hang is not None else indent,
    ) or [indent.rstrip()]


def _value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def render_explanation(info: dict[str, Any]) -> str:
    targets = "; ".join(f"{t}: {', '.join(kinds)}" for t, kinds in sorted(info["targets"].items()))
    where = info.get("file") or "built-in"
    out = [
        f"{info['id']} — {info['title']}",
        f"family: {info['family']} · severity: {info['severity']} · package: {info['package']} "
        f"({where})",
        f"examines: {targets}",
        "judges: " + SCOPE_WORDS.get(info.get("scope", "object"), info.get("scope", "object")),
    ]
    if "disabled" in info:
        out += ["", "DISABLED by the config — not evaluated. Reason:"]
        out += _para(info["disabled"]["reason"])
    if "out_of_scope" in info:
        out += ["", "OUT OF SCOPE for this repository — not evaluated. Reason:"]
        out += _para(info["out_of_scope"]["reason"])
    out += ["", "Purpose"]
    out += _para(info["description"])
    out += ["", "Parameters"]
    if not info["parameters"]:
        out.append("  none: the check reads no configuration")
    source = info["config"] or "no config given"
    for p in info["parameters"]:
        state = f"set in {source}" if p["configured"] else "default"
        out.append(f"  {p['name']} = {_value(p['value'])}  ({state})")
        if p["configured"]:
            out.append(f"    default: {_value(p['default'])}")
        if p["description"]:
            out += _para(p["description"], "    ")
    out += ["", "Controls it gives evidence for"]
    if not info["controls"]:
        out.append("  none")
    for c in info["controls"]:
        text = f"{c['framework']}: {c['control']} — {c['title']} [{c['evidence']}]"
        out += _para(text, "  ", "      ")
    out += ["", "How to fix a failure"]
    out += _para(info["remediation"])
    return "\n".join(out) + "\n"
