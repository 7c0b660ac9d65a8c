"""Bounds every loaded document must keep so that the engine can carry it: refused at load.

What it does: check, at C speed, that a parsed document can travel to OPA as JSON — nested at
most MAX_DEPTH levels, integers within 64 bits, string keys — and, only when it cannot, walk the
document to find where, so that the error names the file and line. What it must not do: judge
anything, or quote more than a short excerpt of a bad value.

Why these numbers: OPA's REST API decodes a request with Go's encoding/json, which refuses
nesting deeper than 10,000 levels (measured with .tools/bin/opa 1.22.3: an input nested 9,998
levels inside `{"input": {"x": ...}}` is accepted, one level more is refused with "exceeded max
depth"). dxguard's own encoder (orjson) stops at 254 levels, and the engine wraps each document
in a few levels of its own, so a document may nest at most MAX_DEPTH = 200 levels: far beyond
any manifest (a CRD's schema reaches about 40), far below both limits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson

from checker.errors import InputError
from checker.loaders.scalars import INT64_MIN, UINT64_MAX, excerpt

MAX_DEPTH = 200
_ORJSON_DEPTH = 254  # orjson.dumps refuses 255 nested containers
_WRAP = _ORJSON_DEPTH - MAX_DEPTH

Path = list[str | int]


def _wrapped(value: Any) -> Any:
    for _ in range(_WRAP):
        value = [value]
    return value


def json_problem(value: Any) -> str | None:
    """None when the document can travel as JSON within the bounds; else orjson's complaint."""
    try:
        orjson.dumps(_wrapped(value))
    except orjson.JSONEncodeError as err:
        return str(err)
    return None


def check_document(
    value: Any, filename: str, line_of: Callable[[Path], int | None], default_line: int
) -> None:
    """Refuse a document nested too deeply, or holding a number or key JSON cannot carry."""
    problem = json_problem(value)
    if problem is None:
        return
    path, what = find_problem(value)
    line = (line_of(path) if path is not None else None) or default_line
    raise InputError(
        f"{filename}:{line}: {what}",
        hint="dxguard reads what Kubernetes and OPA can carry as JSON; "
        "simplify the document or quote the value",
    )


def find_problem(value: Any) -> tuple[Path | None, str]:
    """The path to the first value that cannot travel as JSON, and what is wrong with it.

    Iterative, so that a document nested thousands of levels deep cannot exhaust the stack.
    """
    stack: list[tuple[Any, Path]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, (dict, list)) and len(path) >= MAX_DEPTH:
            return path, (
                f"the document is nested more than {MAX_DEPTH} levels deep, more than dxguard and "
                "OPA can carry; no manifest nests that deeply"
            )
        if isinstance(node, dict):
            for key, child in reversed(list(node.items())):
                if not isinstance(key, str):
                    return path, f"the key {excerpt(str(key))} is not a string"
                stack.append((child, [*path, key]))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append((node[i], [*path, i]))
        elif isinstance(node, bool) or node is None or isinstance(node, str):
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= UINT64_MAX:
                return path, (
                    f"the integer {_int_excerpt(node)} does not fit in 64 bits; quote it if it is "
                    "meant as text"
                )
        elif isinstance(node, float):
            if math.isnan(node) or math.isinf(node):
                return path, "a NaN or infinite number cannot be represented in JSON"
        else:
            return path, f"a value of type {type(node).__name__} cannot be represented in JSON"
    return None, "the document cannot be represented in JSON"


def _int_excerpt(number: int) -> str:
    sign = "-" if number < 0 else ""
    digits = abs(number).bit_length() * 30103 // 100000 + 1  # about log10(2) per bit
    if digits > 40:
        return f"{sign}(about {digits:,} digits)"
    return excerpt(str(number))


class JsonValueError(ValueError):
    """A JSON value Go's decoders (and so Kubernetes and OPA) cannot carry; `literal` is its text
    as written, to find its line."""

    def __init__(self, message: str, literal: str):
        super().__init__(message)
        self.message = message
        self.literal = literal


def _no_constant(name: str) -> Any:
    raise JsonValueError(f"{name} is not JSON (Kubernetes and OPA refuse it)", name)


def _json_int(digits: str) -> int:
    """Within 64 bits, and never a 5,000-digit number that Python would refuse to convert."""
    if len(digits.lstrip("-").lstrip("0")) <= 20:
        value = int(digits)
        if INT64_MIN <= value <= UINT64_MAX:
            return value
    raise JsonValueError(
        f"the integer {excerpt(digits)} does not fit in 64 bits; quote it if it is meant as text",
        digits,
    )


def _json_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonValueError(
            f"the number {excerpt(text)} overflows to infinity, which JSON decoders refuse", text
        )
    return value


def loads_json(text: str | bytes) -> Any:
    """json.loads, refusing what Go's encoding/json refuses: NaN, Infinity, integers beyond
    64 bits and numbers beyond float64 (JsonValueError); RecursionError as Python raises it."""
    return json.loads(
        text, parse_constant=_no_constant, parse_int=_json_int, parse_float=_json_float
    )


def find_non_finite(value: Any) -> Path | None:
    """The path to a NaN or infinity (which orjson writes as null instead of refusing)."""
    stack: list[tuple[Any, Path]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return path
        if isinstance(node, dict):
            stack.extend((child, [*path, key]) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(node))
    return None
