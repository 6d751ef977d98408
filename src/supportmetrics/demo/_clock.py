"""The demo window and its calendar, as arrays over the UTC hours from the window start.

Everything is fixed (a 52-week window, a New York support team, one outage week) so the same seed gives
the same data whatever today's date is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np

__all__ = [
    "DAY",
    "END",
    "END_S",
    "HOUR",
    "OUTAGE_WEEK",
    "START",
    "START_S",
    "TIME_ZONE",
    "WEEKS",
    "Calendar",
    "calendar",
]

START = datetime(2025, 1, 6, tzinfo=UTC)
"""First instant of the demo window (a Monday)."""
WEEKS = 52
END = START + timedelta(weeks=WEEKS)
"""End of the window (exclusive) and the moment of the export: nothing happens after it."""
TIME_ZONE = "America/New_York"
"""Where the support team works: arrivals and staffed hours follow its local time."""
OUTAGE_WEEK = 35
"""0-based week of the outage (starting Monday 2025-09-08), about two thirds through the window."""

HOUR = 3_600
DAY = 86_400
START_S = int(START.timestamp())
END_S = int(END.timestamp())

_MARGIN_DAYS = 90
"""Hours past the window end still covered, for work scheduled after it (and then cut off)."""

# Relative arrivals per local hour (0-23) on working days and on weekends/holidays.
_WORKDAY_PROFILE = np.array(
    [
        [0.12, 0.08, 0.06, 0.05, 0.06, 0.10, 0.22, 0.45, 0.80, 1.00, 1.00, 0.97],
        [0.90, 0.95, 0.98, 0.93, 0.85, 0.72, 0.55, 0.45, 0.38, 0.30, 0.22, 0.16],
    ]
).ravel()
_OFF_DAY_PROFILE = (
    0.3
    * np.array(
        [
            [0.30, 0.20, 0.15, 0.12, 0.12, 0.15, 0.25, 0.40, 0.60, 0.80, 0.95, 1.00],
            [1.00, 0.98, 0.95, 0.90, 0.85, 0.80, 0.70, 0.60, 0.55, 0.50, 0.42, 0.35],
        ]
    ).ravel()
)
_WEEKDAY_FACTOR = np.array([1.15, 1.05, 1.0, 0.97, 0.88, 1.0, 0.9])
_WORKDAY_OPEN = (8, 20)
"""Staffed local hours Monday to Friday; weekends and holidays run a small shift."""
_OFF_DAY_OPEN = (10, 16)
_TREND = 0.35
"""Volume grows by this fraction from the first to the last hour of the window."""
_OUTAGE_PEAK = 6.0
_OUTAGE_DECAY_HOURS = 30.0


@dataclass(frozen=True)
class Calendar:
    """Per-hour arrays from START: staffing, arrival weights and load."""

    staffed: np.ndarray
    """bool: the support team is working (local business hours)."""
    off_day: np.ndarray
    """bool: local weekend or public holiday."""
    next_staffed: np.ndarray
    """int: the first staffed hour at or after each hour."""
    arrivals: np.ndarray
    """float, window hours only: relative ticket arrivals (profile x weekday x trend x outage)."""
    load: np.ndarray
    """float: 1 normally, up to about 7 as the outage starts."""

    def hour(self, t: np.ndarray) -> np.ndarray:
        """Index of the hour holding each instant (clipped to the covered range)."""
        return np.clip((t - START_S) // HOUR, 0, len(self.staffed) - 1)

    def next_open(self, t: np.ndarray) -> np.ndarray:
        """Each instant if staffed, else the start of the next staffed hour."""
        h = self.hour(t)
        return np.where(self.staffed[h], t, START_S + HOUR * self.next_staffed[h])

    def sample(self, rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
        """n instants (epoch seconds) in the window, hours drawn by weight, seconds uniform."""
        hours = rng.choice(len(weights), size=n, p=weights / weights.sum())
        return START_S + hours * HOUR + rng.integers(0, HOUR, n)


@cache
def calendar() -> Calendar:
    """The demo calendar (built once)."""
    n_window = WEEKS * 7 * 24
    n_hours = n_window + _MARGIN_DAYS * 24
    zone = ZoneInfo(TIME_ZONE)
    # One offset per hour of a fixed calendar (not per row): the time zone's DST rules.
    offsets = np.array(
        [
            (START + timedelta(hours=h)).astimezone(zone).utcoffset().total_seconds()
            for h in range(n_hours)
        ],
        dtype=np.int64,
    )
    local = START_S + np.arange(n_hours, dtype=np.int64) * HOUR + offsets
    local_hour = (local % DAY) // HOUR
    local_day = local // DAY
    weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday
    epoch = date(1970, 1, 1)
    holiday_days = [(d - epoch).days for d in holidays.US(years=range(START.year, END.year + 1))]
    off_day = (weekday >= 5) | np.isin(local_day, holiday_days)

    open_from = np.where(off_day, _OFF_DAY_OPEN[0], _WORKDAY_OPEN[0])
    open_to = np.where(off_day, _OFF_DAY_OPEN[1], _WORKDAY_OPEN[1])
    staffed = (local_hour >= open_from) & (local_hour < open_to)
    staffed[-1] = True  # so every hour has a next staffed hour
    index = np.where(staffed, np.arange(n_hours), n_hours - 1)
    next_staffed = np.minimum.accumulate(index[::-1])[::-1]

    week = np.arange(n_hours) // (7 * 24)
    outage_start = np.flatnonzero((week == OUTAGE_WEEK) & (weekday == 1) & (local_hour == 10))[0]
    since = np.arange(n_hours) - outage_start
    in_outage = (since >= 0) & (since < 7 * 24)
    load = 1.0 + np.where(
        in_outage, _OUTAGE_PEAK * np.exp(-np.maximum(since, 0) / _OUTAGE_DECAY_HOURS), 0.0
    )

    profile = np.where(off_day, _OFF_DAY_PROFILE[local_hour], _WORKDAY_PROFILE[local_hour])
    trend = 1.0 + _TREND * np.arange(n_hours) / n_window
    arrivals = (profile * _WEEKDAY_FACTOR[weekday] * trend * load)[:n_window]
    return Calendar(
        staffed=staffed,
        off_day=off_day,
        next_staffed=next_staffed,
        arrivals=arrivals,
        load=load,
    )
