"""Load the JSON schemas shipped in checker/schemas/ (config, check metadata, report)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from checker.paths import SCHEMAS


@cache
def load_schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def first_error(validator: jsonschema.Validator, data: Any) -> jsonschema.ValidationError | None:
    """The most relevant validation error (jsonschema's best_match), or None when valid."""
    return jsonschema.exceptions.best_match(validator.iter_errors(data))


def error_message(err: jsonschema.ValidationError, limit: int = 200) -> str:
    """jsonschema's message, with the bad value cut to an excerpt: a message quotes at most a
    short part of a value (a 1 MB string must not come back in full)."""
    if len(err.message) <= limit:
        return err.message
    shown = repr(err.instance)
    shown = f"{shown[:60]}… ({len(shown):,} characters)" if len(shown) > 60 else shown
    expected = err.validator_value if not isinstance(err.validator_value, (dict, list)) else "…"
    return f"{shown} does not satisfy {err.validator} {expected}"[: limit + 80]


def describe_path(data: Any, keys: list) -> str:
    """'controls[3] (21 CFR 11.10(e)).evidence' — where a validation error is, naming each list
    entry by its id when it has one, so the message says which control or waiver is at fault."""
    out = ""
    node = data
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
            node = node[k] if isinstance(node, list) and k < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" ({node['id']})"
        else:
            out += f".{k}" if out else str(k)
            node = node.get(k) if isinstance(node, dict) else None
    return out or "(top level)"
