"""Report periods: their labels (2026-11-29, 2026-W47, 2026-11), dates, and when each is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from supportmetrics.reports.settings import Cadence

__all__ = ["ReportPeriod", "latest_due", "parse_period"]

_FORMS = {
    "daily": (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "2026-11-29"),
    "weekly": (re.compile(r"^(\d{4})-W(\d{2})$"), "2026-W47"),
    "monthly": (re.compile(r"^(\d{4})-(\d{2})$"), "2026-11"),
}


@dataclass(frozen=True)
class ReportPeriod:
    """One day, ISO week or month: inclusive local dates of the workspace's time zone."""

    cadence: Cadence
    start: date
    end: date

    @property
    def label(self) -> str:
        """2026-11-29, 2026-W47 or 2026-11."""
        if self.cadence == "daily":
            return self.start.isoformat()
        if self.cadence == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def unit(self) -> Literal["day", "week", "month"]:
        """The query period of this cadence: day, week or month."""
        if self.cadence == "daily":
            return "day"
        return "week" if self.cadence == "weekly" else "month"

    def shift(self, steps: int) -> ReportPeriod:
        """The period `steps` later (earlier when negative)."""
        if self.cadence == "daily":
            return _day(self.start + timedelta(days=steps))
        if self.cadence == "weekly":
            return _week(self.start + timedelta(weeks=steps))
        months = self.start.year * 12 + self.start.month - 1 + steps
        return _month(months // 12, months % 12 + 1)

    def due_at(self, send_at: str, zone: str) -> datetime:
        """When the issue for this period is due: `send_at` local time on the day after it ends."""
        hours, minutes = (int(x) for x in send_at.split(":"))
        local = datetime.combine(self.end + timedelta(days=1), time(hours, minutes))
        return local.replace(tzinfo=ZoneInfo(zone))


def _day(day: date) -> ReportPeriod:
    return ReportPeriod("daily", day, day)


def _week(day: date) -> ReportPeriod:
    monday = day - timedelta(days=day.weekday())
    return ReportPeriod("weekly", monday, monday + timedelta(days=6))


def _month(year: int, month: int) -> ReportPeriod:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return ReportPeriod("monthly", first, following - timedelta(days=1))


def parse_period(label: str, cadence: Cadence) -> ReportPeriod:
    """The period a label names; ValueError showing the cadence's form when it names none."""
    pattern, example = _FORMS[cadence]
    match = pattern.match(label.strip())
    try:
        if match:
            numbers = [int(g) for g in match.groups()]
            if cadence == "daily":
                return _day(date(*numbers))
            if cadence == "weekly":
                return _week(date.fromisocalendar(numbers[0], numbers[1], 1))
            return _month(numbers[0], numbers[1])
    except ValueError:
        pass
    raise ValueError(f"period {label!r}: a {cadence} report's period looks like {example}")


def latest_due(cadence: Cadence, send_at: str, zone: str, now: datetime) -> ReportPeriod:
    """The most recent period whose issue is due at `now` (an aware datetime)."""
    local_today = now.astimezone(ZoneInfo(zone)).date()
    current = {"daily": _day, "weekly": _week, "monthly": lambda d: _month(d.year, d.month)}[
        cadence
    ](local_today)
    candidate = current.shift(-1)
    while candidate.due_at(send_at, zone) > now:
        candidate = candidate.shift(-1)
    return candidate
