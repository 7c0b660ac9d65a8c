"""Reports: build the evidence report once, then render it (json, table, ...)."""

from checker.report.build import REPORT_VERSION, RunInfo, build_report

__all__ = ["REPORT_VERSION", "RunInfo", "build_report"]
