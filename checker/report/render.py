"""The output formats of `dxguard scan`, by name: every one renders the same built report, so
one evaluation can be written in several formats at once and they cannot disagree."""

from __future__ import annotations

from collections.abc import Callable

from checker.report.github import render_github
from checker.report.html import render_html
from checker.report.json_format import render_json
from checker.report.junit import render_junit
from checker.report.markdown import render_markdown
from checker.report.model import Report
from checker.report.oscal import render_oscal
from checker.report.sarif import render_sarif
from checker.report.table import render_table

Renderer = Callable[[Report], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "html": render_html,
    "markdown": render_markdown,
    "sarif": render_sarif,
    "junit": render_junit,
    "oscal": render_oscal,
    "github": render_github,
}
SCAN_FORMATS = tuple(RENDERERS)


def render(report: Report, fmt: str, *, width: int = 80, color: bool = False) -> str:
    if fmt == "table":
        return render_table(report, width=width, color=color)
    return RENDERERS[fmt](report)
