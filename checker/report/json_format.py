"""JSON rendering of the evidence report: stable key order, so equal reports are equal bytes."""

from __future__ import annotations

from typing import Any

import orjson

from checker.report.model import Report


def render_json(report: Report) -> str:
    return json_text(report.to_json())


def json_text(document: dict[str, Any]) -> str:
    """A report's JSON document as text (a stored report, or one read from a file)."""
    # orjson: the same canonical output (sorted keys, 2-space indent, UTF-8) an order of
    # magnitude faster than the standard library on reports with millions of values.
    return (
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    ).decode()
