"""The normalized VM model: its schema check, and small helpers every VM format loader shares.

What it does: validate a model against checker/schemas/vm-model.schema.json (an input value of
the wrong type becomes an InputError naming file, line and field), and read the facts that are
spelled the same way in every format (OS labels).
What it must not do: read files or judge compliance. Loaders report the values they read and
where; whether a value is good enough (a pinned image, WORM storage, an exact version, dedicated
tenancy, an encrypting StorageClass) is decided in rego/lib/vm.rego, inside the policy bundle
(tests/test_no_loader_verdicts.py keeps it so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import jsonschema

from checker.errors import InputError
from checker.schema_util import first_error, load_schema

SCHEMA = "vm-model.schema.json"

# Where a VM declares its operating system and kernel: labels, annotations or tags. Clouds that
# forbid '/' and '.' in keys (GCP labels, Azure tags) use the dashed spelling.
OS_KEYS = {
    "name": ("dxguard.io/os", "dxguard-os"),
    "version": ("dxguard.io/os-version", "dxguard-os-version"),
    "kernel": ("dxguard.io/kernel", "dxguard-kernel"),
}


@cache
def _validator() -> jsonschema.Validator:
    return jsonschema.Draft202012Validator(load_schema(SCHEMA))


def validate(model: dict[str, Any], where: str, line_of: Callable[[str], int | None]) -> None:
    """Raise an InputError at the field's line when the model breaks its schema.

    `where` is "file" and `line_of` maps a field path of the resource's object to a line (or
    None). A schema error almost always means an input value of the wrong type, so the message
    names the input field (the nearest fact group's `path`) rather than the model's key.
    """
    err = first_error(_validator(), model)
    if err is None:
        return
    field = _nearest_path(model, list(err.absolute_path))
    line = line_of(field) if field else None
    at = f"{where}:{line}" if line else where
    key = ".".join(str(p) for p in err.absolute_path) or "(model)"
    raise InputError(
        f"{at}: invalid value for {field or key}: {err.message} (VM model field {key})",
        hint="fix the field so that it has the type the format's schema defines",
    )


def _nearest_path(model: Any, keys: list[Any]) -> str | None:
    found = model.get("path") if isinstance(model, dict) else None
    node = model
    for k in keys:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("path"), str):
            found = node["path"]
    return found


def os_facts(sources: list[Mapping[str, Any]], path: str) -> dict[str, Any]:
    """OS name, version and kernel from the first label/annotation/tag map that declares each."""
    out: dict[str, Any] = {"name": None, "version": None, "kernel": None, "path": path}
    for fact, keys in OS_KEYS.items():
        for source in sources:
            value = next((source[k] for k in keys if isinstance(source.get(k), str)), None)
            if value:
                out[fact] = value
                break
    return out


def string_map(value: Any) -> dict[str, str]:
    """Labels/tags as strings only (non-string values cannot place a resource in a tier)."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}
