"""Local periods: truncation units, labels, boundaries and the gap-free list between two periods.

Period starts are naive local times of the workspace time zone; weeks start on Monday; half hours
start at :00 and :30 of the local wall clock (in a zone with a :30 or :45 offset too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

__all__ = [
    "SUB_DAY",
    "TRUNCATE",
    "covered",
    "covered_days",
    "floor",
    "is_partial",
    "label",
    "next_start",
    "previous_label",
    "spine",
    "to_utc",
    "truncate",
]

TRUNCATE = {
    "half_hour": "h",
    "hour": "h",
    "day": "D",
    "week": "W",
    "month": "M",
    "quarter": "Q",
    "year": "Y",
}
"""Ibis truncation unit of each period (half hours: the hour, then `truncate` adds :30)."""
SUB_DAY = {"half_hour": timedelta(minutes=30), "hour": timedelta(hours=1)}
"""The periods shorter than a day, and their length."""


def truncate(value: ir.TimestampValue, period: str) -> ir.TimestampValue:
    """The start of the local period holding each (local) timestamp `value`, in the engine."""
    start = value.truncate(TRUNCATE[period])
    if period != "half_hour":
        return start
    late = ibis.ifelse(value.minute() >= 30, ibis.interval(minutes=30), ibis.interval(minutes=0))
    return start + late


def label(value: datetime, period: str | None) -> str:
    """How a period start is shown: 2025-03-01, or 2025-03-01T14:00 (2025-03-01T14:30) for hours
    (half hours)."""
    return value.strftime("%Y-%m-%dT%H:%M") if period in SUB_DAY else value.strftime("%Y-%m-%d")


def floor(moment: datetime, period: str) -> datetime:
    """The start of the period holding `moment`."""
    if period in SUB_DAY:
        minute = moment.minute - moment.minute % 30 if period == "half_hour" else 0
        return moment.replace(minute=minute, second=0, microsecond=0)
    day = datetime(moment.year, moment.month, moment.day)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    first_month = {"month": moment.month, "quarter": 3 * ((moment.month - 1) // 3) + 1, "year": 1}
    return datetime(moment.year, first_month[period], 1)


def next_start(moment: datetime, period: str, steps: int = 1) -> datetime:
    """The start of the period `steps` after the one starting at `moment` (negative: before)."""
    if period in (*SUB_DAY, "day", "week"):
        step = SUB_DAY | {"day": timedelta(days=1), "week": timedelta(days=7)}
        return moment + steps * step[period]
    month = moment.month - 1 + steps * {"month": 1, "quarter": 3, "year": 12}[period]
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=1)


def previous_label(text: str, period: str, steps: int = 1) -> str:
    """The label of the period `steps` before the one labelled `text`."""
    return label(next_start(datetime.fromisoformat(text), period, -steps), period)


def spine(first: datetime, last: datetime, period: str) -> list[datetime]:
    """Every period start from `first` to `last`, inclusive."""
    moments = [first]
    while moments[-1] < last:
        moments.append(next_start(moments[-1], period))
    return moments


def to_utc(local: datetime, timezone: str) -> datetime:
    """A naive local time of `timezone` as a naive UTC instant."""
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)


def covered_days(first: datetime, last: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The local span the data covers, in whole local days: from the midnight before its first
    timestamp to the midnight after its last (`first` and `last` naive UTC)."""
    zone = ZoneInfo(timezone)

    def local_day(moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(zone).date()

    start = datetime.combine(local_day(first), datetime.min.time())
    return start, datetime.combine(local_day(last) + timedelta(days=1), datetime.min.time())


def covered(
    first: datetime,
    last: datetime,
    timezone: str,
    period: str,
    start: date | None = None,
    end: date | None = None,
) -> tuple[datetime, datetime]:
    """The local span a period row can hold data from: the data's span (`first` to `last`, naive
    UTC) in whole local days; for hourly (half-hourly) periods, from the start of the first
    timestamp's hour (half hour) to the last timestamp itself (the one the data ends in is cut
    short). Cut to the query's dates
    (`start` to `end`, inclusive) when it has them."""
    low, high = covered_days(first, last, timezone)
    if period in SUB_DAY:
        zone = ZoneInfo(timezone)

        def local(moment: datetime) -> datetime:
            return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)

        low, high = floor(local(first), period), local(last)
    if start is not None:
        low = max(low, datetime.combine(start, datetime.min.time()))
    if end is not None:
        high = min(high, datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return low, high


def is_partial(text: str, period: str, covered: tuple[datetime, datetime]) -> bool:
    """Whether the period labelled `text` starts before the covered span or ends after it."""
    start = datetime.fromisoformat(text)
    return start < covered[0] or next_start(start, period) > covered[1]
