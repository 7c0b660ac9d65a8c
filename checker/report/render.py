"""The output formats of `dxguard scan`, by name: every one renders the same built report, so
one evaluation can be written in several formats at once and they cannot disagree.

Each renderer's module is imported when its format is first rendered: a scan asks for one or
two formats, and importing them all (rich for the table, the HTML and SARIF writers...) before
the scan starts would delay the engine's start for nothing."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from checker.report.model import Report

Renderer = Callable[[Report], str]

# format → (module, function)
_WHERE = {
    "table": ("checker.report.table", "render_table"),
    "json": ("checker.report.json_format", "render_json"),
    "html": ("checker.report.html", "render_html"),
    "markdown": ("checker.report.markdown", "render_markdown"),
    "sarif": ("checker.report.sarif", "render_sarif"),
    "junit": ("checker.report.junit", "render_junit"),
    "oscal": ("checker.report.oscal", "render_oscal"),
    "github": ("checker.report.github", "render_github"),
}


def renderer(fmt: str) -> Callable[..., str]:
    """The function that renders `fmt` (its module imported now if it was not yet)."""
    module, name = _WHERE[fmt]
    return getattr(importlib.import_module(module), name)


def _deferred(fmt: str) -> Renderer:
    def render_format(report: Report) -> str:
        return renderer(fmt)(report)

    render_format.__name__ = f"render_{fmt}"
    return render_format


RENDERERS: dict[str, Renderer] = {fmt: _deferred(fmt) for fmt in _WHERE}
SCAN_FORMATS = tuple(RENDERERS)


def render(report: Report, fmt: str, *, width: int = 80, color: bool = False) -> str:
    if fmt == "table":
        return renderer("table")(report, width=width, color=color)
    return renderer(fmt)(report)
