"""The benchmark suite's fixed set of figures, settings and shared helpers.

Every way (supportmetrics, DuckDB SQL, pandas) returns `Figures`: for each figure key
``"<metric>|<clock>|<split>"`` a mapping from group label to ``[value, n]``. Groups are labelled
``""`` (overall), the channel or team (``"null"`` for a missing one) or the local week's Monday
(``"YYYY-MM-DD"``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from supportmetrics.calendar import Schedule, calendar_table
from supportmetrics.demo import END, START

__all__ = [
    "BUDGETS",
    "CALLS",
    "DURATIONS",
    "FIGURES",
    "SETTINGS",
    "SPLITS",
    "TIMEZONE",
    "Figures",
    "business_calendar",
    "compare",
    "figure_keys",
    "group_label",
    "parquet_source",
]

TIMEZONE = "America/New_York"
DURATIONS = ("first_response_time", "resolution_time")
"""Median seconds, calendar and business clock."""
FIGURES = (
    "first_response_time",
    "resolution_time",
    "first_contact_resolution",
    "reopen_rate",
    "backlog",
    "sla_attainment",
    "csat",
    "nps",
    "abandonment_rate",
    "service_level",
)
CALLS = ("abandonment_rate", "service_level")
"""Call figures: split by team through the answering agent's team (calls have no team)."""
SPLITS = ("overall", "channel", "team", "week")
BUDGETS = {"first_response_time": 4 * 3600, "resolution_time": 3 * 86400}
"""The one SLA policy: calendar clock, these targets in seconds, every ticket."""
SETTINGS = """
[schedules.default]
holidays = "US"
hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[sla]]
name = "standard"
clock = "calendar"
first_response_time = "4h"
resolution_time = "3d"
"""
"""Appended to the workspace's supportmetrics.toml: the schedule and the SLA policy."""

Figures = dict[str, dict[str, list[Any]]]


def figure_keys() -> list[tuple[str, str, str]]:
    """(metric, clock, split) of every figure, durations in both clocks."""
    keys = []
    for metric in FIGURES:
        clocks = ("calendar", "business") if metric in DURATIONS else ("calendar",)
        keys += [(metric, clock, split) for clock in clocks for split in SPLITS]
    return keys


def group_label(value: Any) -> str:
    """A group's label: dates as ISO days, missing values as "null"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)


def business_calendar() -> pa.Table:
    """The business-seconds calendar of the schedule in SETTINGS (Mon-Fri 09-17 New York, US
    holidays) over the demo window with a year's margin for late solves."""
    schedule = Schedule(holidays="US")
    first: date = START.date() - timedelta(days=30)
    last: date = END.date() + timedelta(days=400)
    return calendar_table({"default": schedule}, first, last, TIMEZONE)


def parquet_source(data: Path, table: str) -> str:
    """The Parquet file of `table` in a dataset, or the glob of its parts."""
    single = data / f"{table}.parquet"
    return str(single) if single.exists() else str(data / table / "*.parquet")


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def compare(expected: Figures, actual: Figures, limit: int = 20) -> list[str]:
    """Differences between two ways' figures (at most `limit`), empty when they agree."""
    problems = []
    for key in sorted(set(expected) | set(actual)):
        left, right = expected.get(key), actual.get(key)
        if left is None or right is None:
            problems.append(f"{key}: missing on one side")
            continue
        for group in sorted(set(left) | set(right)):
            a, b = left.get(group), right.get(group)
            if a is None or b is None:
                problems.append(f"{key} [{group}]: {a} vs {b}")
            elif not (_close(a[0], b[0]) and a[1] == b[1]):
                problems.append(f"{key} [{group}]: value/n {a} vs {b}")
    return problems[:limit] + (
        [f"... {len(problems) - limit} more"] if len(problems) > limit else []
    )
