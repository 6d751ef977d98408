"""Business hours: schedules, holidays and the business-seconds calendar table.

Business seconds are computed in O(n) as DESIGN.md describes: :func:`calendar_table` precomputes,
per schedule and UTC day, the business seconds before that day (``cum_before``) and the day's open
intervals in seconds since UTC midnight. Then F(t) = cum_before(day(t)) +
Σ_k clip(sec_of_day(t) - open_k, 0, len_k), and business seconds from a to b are F(b) - F(a):
one equi-join per timestamp and arithmetic, on any Ibis backend.

Local wall times are converted to UTC with the IANA database: a repeated wall time (clocks going
back) means its first occurrence, a skipped one (clocks going forward) the instant the clocks jump.
"""

from ._due import minutes_table, with_business_due
from ._ibis import business_instant, calendar_bounds, schedule_of_team, with_business_seconds
from ._schedule import DEFAULT_SCHEDULE_ID, WEEKDAYS, Schedule, Weekday, parse_interval
from ._table import calendar_table, local_to_utc

__all__ = [
    "DEFAULT_SCHEDULE_ID",
    "WEEKDAYS",
    "Schedule",
    "Weekday",
    "business_instant",
    "calendar_bounds",
    "calendar_table",
    "default_schedules",
    "local_to_utc",
    "minutes_table",
    "parse_interval",
    "schedule_of_team",
    "with_business_due",
    "with_business_seconds",
]


def default_schedules() -> dict[str, Schedule]:
    """The schedules of a workspace that configures none: ``default``, Mon-Fri 09:00-17:00."""
    return {DEFAULT_SCHEDULE_ID: Schedule()}
