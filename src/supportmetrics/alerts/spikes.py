"""Spikes and drops: each period against the same weekday (and hour) of the previous weeks.

The series is one metric query by period (day or hour) and dimension. The expected value of a
period is the median of the same weekday (and hour) over the previous `weeks` weeks, and its
spread the median absolute deviation (MAD, scaled by 1.4826 to match a standard deviation under
normal noise). Both ignore outliers: an outage week in the baseline moves neither, unlike a mean and
a standard deviation. A period departs when its robust z-score |observed - median| / spread
reaches `threshold`, the relative change reaches `min_change`, and the observed or expected value
reaches `min_value`. Counts add a Poisson floor to the spread (sqrt of the median), so a baseline of
identical small counts (MAD 0) does not turn every difference into an infinite score. Days the
default business schedule is closed all day (its holidays and closed dates) are neither judged nor
part of a baseline.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from supportmetrics.alerts.settings import SpikeAlert, variant_text
from supportmetrics.calendar import DEFAULT_SCHEDULE_ID
from supportmetrics.engine import Engine
from supportmetrics.query import Query, resolve_metric, run_query
from supportmetrics.query.lookup import find_metric
from supportmetrics.query.periods import label, next_start

__all__ = ["MAD_SCALE", "NO_VALUE", "Series", "departures", "seasonal_baseline", "series"]

MAD_SCALE = 1.4826
"""MAD x this estimates the standard deviation of normal noise."""
NO_VALUE = "(none)"
"""The segment of rows whose dimension is empty."""
_SUMMED = ("count", "sum")
"""Aggregations whose missing periods are zero (nothing happened), not unknown."""
_LAG = {"day": 7, "hour": 7 * 24}
"""Periods in a week: the distance to the same weekday (and hour) a week before."""


def seasonal_baseline(values: np.ndarray, lag: int, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of `values` (segments x periods): the median and MAD of the cells `lag`, 2 x
    `lag` ... `weeks` x `lag` periods before it (NaN cells are left out; NaN when fewer than 3
    remain)."""
    segments, periods = values.shape
    history = np.full((weeks, segments, periods), np.nan)
    for k in range(1, weeks + 1):
        if k * lag < periods:
            history[k - 1, :, k * lag :] = values[:, : periods - k * lag]
    enough = np.sum(~np.isnan(history), axis=0) >= 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells: no baseline yet
        median = np.nanmedian(history, axis=0)
        mad = np.nanmedian(np.abs(history - median), axis=0)
    return np.where(enough, median, np.nan), np.where(enough, mad, np.nan)


def departures(
    values: np.ndarray, median: np.ndarray, mad: np.ndarray, alert: SpikeAlert, counts: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The robust z-score of each cell, and whether it departs under `alert`'s rules."""
    spread = MAD_SCALE * mad
    if counts:
        spread = np.maximum(spread, np.sqrt(np.maximum(median, 1.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (values - median) / spread
        change = np.abs(values - median) / np.abs(median)
    z = np.where((values == median) & np.isfinite(median), 0.0, z)
    change = np.where(median == 0, np.where(values == 0, 0.0, np.inf), change)
    direction = {"both": np.abs(z), "up": z, "down": -z}[alert.direction]
    big = np.maximum(np.nan_to_num(values), np.nan_to_num(median)) >= alert.min_value
    firing = (direction >= alert.threshold) & (change >= alert.min_change) & big
    return z, np.nan_to_num(firing, nan=False).astype(bool)


@dataclass(frozen=True)
class Series:
    """A metric by period and segment, with its seasonal baseline and departures."""

    periods: list[str]
    """Period labels (local), oldest first."""
    segments: list[str]
    """Values of the dimension (or `all`)."""
    values: np.ndarray
    median: np.ndarray
    mad: np.ndarray
    z: np.ndarray
    firing: np.ndarray
    unit: str

    def judged(self, first: str) -> slice:
        """The columns from period `first` on (the earlier ones only feed the baseline)."""
        return slice(self.periods.index(first), len(self.periods))


def series(engine: Engine, alert: SpikeAlert, first: datetime, last: datetime) -> Series:
    """The alert's metric from `weeks` weeks before local period start `first` to `last`
    (inclusive), with baseline and departures."""
    period = alert.period
    start = first - timedelta(weeks=alert.weeks)
    spine = [start]
    while spine[-1] < last:
        spine.append(next_start(spine[-1], period))
    labels = [label(p, period) for p in spine]
    query = Query(
        alert.metric,
        (alert.by,) if alert.by else (),
        period,
        start.date(),
        last.date(),
        alert.where,
        alert.stat,
        alert.clock,
        variant_text(alert.variants),
    )
    result = run_query(engine, query)
    plan = resolve_metric(engine, find_metric(alert.metric), query.variants)
    counts = plan.aggregation in _SUMMED
    found = {
        (_segment(row.get(alert.by) if alert.by else "all"), row["period"]): row["value"]
        for row in result.rows
    }
    segments = sorted({s for s, _ in found}) or (["all"] if not alert.by else [])
    column = {text: i for i, text in enumerate(labels)}
    values = np.full((len(segments), len(labels)), 0.0 if counts else np.nan)
    row_of = {s: i for i, s in enumerate(segments)}
    for (segment, text), value in found.items():
        if text in column:
            values[row_of[segment], column[text]] = np.nan if value is None else value
    seen = [column[text] for _, text in found if text in column]
    values[:, _unknown(engine, spine, min(seen, default=0), max(seen, default=-1))] = np.nan
    median, mad = seasonal_baseline(values, _LAG[period], alert.weeks)
    z, firing = departures(values, median, mad, alert, counts)
    return Series(labels, segments, values, median, mad, z, firing, result.unit)


def _segment(value: object) -> str:
    return NO_VALUE if value is None or value == "" else str(value)


def _unknown(engine: Engine, spine: list[datetime], first: int, last: int) -> np.ndarray:
    """Which periods are neither judged nor a baseline: before the first or after the last period
    with a value (no data yet is not zero tickets), or on a day the default schedule is closed all
    day for a holiday."""
    schedule = engine.config.business_schedules()[DEFAULT_SCHEDULE_ID]
    days: set[date] = schedule.closed_dates({p.year for p in spine})
    holiday = np.array([p.date() in days for p in spine], dtype=bool)
    index = np.arange(len(spine))
    return holiday | (index < first) | (index > last)
