"""Reports: build the evidence report once, then render it (json, table, ...)."""

from checker.report.build import REPORT_VERSION, RunInfo, build_report
from checker.report.model import Report

__all__ = ["REPORT_VERSION", "Report", "RunInfo", "build_report"]
