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
