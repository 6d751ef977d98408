"""Scheduled reports: `[reports.<name>]` settings, periods, and their issues' state.

The rendering (`reports.content`, `reports.render`) and the due-check (`reports.due`) load the
engine and are imported where used.
"""

from supportmetrics.reports.issues import Issue, Issues
from supportmetrics.reports.periods import ReportPeriod, latest_due, parse_period
from supportmetrics.reports.settings import PRESETS, ReportSettings

__all__ = [
    "PRESETS",
    "Issue",
    "Issues",
    "ReportPeriod",
    "ReportSettings",
    "latest_due",
    "parse_period",
]
