"""Local periods: truncation units, labels, boundaries and the gap-free list between two periods.

Period starts are naive local times of the workspace time zone; weeks start on Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
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
]

TRUNCATE = {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
"""Ibis truncation unit of each period."""


def label(value: datetime, period: str | None) -> str:
    """How a period start is shown: 2025-03-01, or 2025-03-01T14:00 for hours."""
    return value.strftime("%Y-%m-%dT%H:00") if period == "hour" else value.strftime("%Y-%m-%d")


def floor(moment: datetime, period: str) -> datetime:
    """The start of the period holding `moment`."""
    if period == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = datetime(moment.year, moment.month, moment.day)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    first_month = {"month": moment.month, "quarter": 3 * ((moment.month - 1) // 3) + 1, "year": 1}
    return datetime(moment.year, first_month[period], 1)


def next_start(moment: datetime, period: str, steps: int = 1) -> datetime:
    """The start of the period `steps` after the one starting at `moment` (negative: before)."""
    if period in ("hour", "day", "week"):
        step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
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
    UTC) in whole local days; for hourly periods, from the start of the first timestamp's hour to
    the last timestamp itself (the hour the data ends in is cut short). Cut to the query's dates
    (`start` to `end`, inclusive) when it has them."""
    low, high = covered_days(first, last, timezone)
    if period == "hour":
        zone = ZoneInfo(timezone)

        def local(moment: datetime) -> datetime:
            return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)

        low, high = floor(local(first), "hour"), local(last)
    if start is not None:
        low = max(low, datetime.combine(start, datetime.min.time()))
    if end is not None:
        high = min(high, datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return low, high


def is_partial(text: str, period: str, covered: tuple[datetime, datetime]) -> bool:
    """Whether the period labelled `text` starts before the covered span or ends after it."""
    start = datetime.fromisoformat(text)
    return start < covered[0] or next_start(start, period) > covered[1]
