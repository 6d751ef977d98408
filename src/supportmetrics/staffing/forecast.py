"""Contacts per interval ahead: MSTL (daily and weekly seasonality) with an ETS model of the
seasonally adjusted series, prediction intervals, holidays from the workspace schedules, a
seasonal-naive baseline ("same as last week") beside it, and a rolling-origin backtest of both."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from supportmetrics.query.model import Period
from supportmetrics.staffing.erlang import StaffingError

if TYPE_CHECKING:
    from supportmetrics.staffing.reader import Reader

__all__ = [
    "INTERVALS",
    "Forecast",
    "accuracy",
    "backtest",
    "forecast_workspace",
    "model_forecast",
    "seasonal_naive",
]

Array = npt.NDArray[np.float64]
INTERVALS: dict[str, tuple[Period, int]] = {
    "30m": ("half_hour", 1800),
    "1h": ("hour", 3600),
    "day": ("day", 86400),
}
"""Interval -> query period and seconds."""
FIT_DAYS = 182
"""History the model is fitted on: the latest 26 weeks."""
FOLDS = 4
"""Backtest origins: one a week, over the last four weeks, each forecasting the week after it."""
LEVEL = 0.8
"""Prediction interval coverage."""
Z = NormalDist().inv_cdf(0.5 + LEVEL / 2)


@dataclass(frozen=True)
class Forecast:
    """Forecast, interval bounds and baseline for the next intervals."""

    mean: Array
    lower: Array
    upper: Array
    baseline: Array
    alpha: float | None = None
    """The ETS smoothing level used (None: too little history for the model)."""


def seasonal_naive(history: Array, horizon: int, season: int) -> Array:
    """The last `season` values repeated: "same as last week"."""
    if history.size < season:
        return np.full(horizon, history.mean() if history.size else 0.0)
    last = history[-season:]
    return np.asarray(np.resize(last, horizon), dtype=np.float64)


def model_forecast(
    history: Array, horizon: int, per_day: int, alpha: float | None = None
) -> Forecast:
    """Daily totals: STL weekly seasonality plus an ETS (additive error, no trend) forecast of the
    seasonally adjusted days; within the day (`per_day` > 1), each weekday's intraday profile over
    the last eight weeks. Intervals: the ETS h-step variance sigma^2 (1 + (h - 1) alpha^2) spread
    over the day's intervals, plus Poisson variance per interval. `history` starts at a day's
    first interval and holds whole days; results are clipped at 0. With `alpha`, the smoothing
    level is not fitted again (the initial level is the first week's mean)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.seasonal import STL

    week = 7 * per_day
    baseline = seasonal_naive(history, horizon, week)
    days = history.size // per_day
    if days < 14:
        return Forecast(baseline, baseline, baseline, baseline)
    daily = history[: days * per_day].reshape(days, per_day).sum(axis=1)
    ahead = -(-horizon // per_day)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weekly = np.asarray(STL(daily, period=7, robust=True).fit().seasonal)
        model = ETSModel(daily - weekly, error="add")
        if alpha is None:
            fitted = model.fit(disp=False)
        else:
            fitted = model.smooth(np.array([alpha, (daily - weekly)[:7].mean()]))
        level = np.asarray(fitted.forecast(ahead), dtype=np.float64)
    day_mean = np.clip(level + np.resize(weekly[-7:], ahead), 0, None)
    day_var = float(fitted.mse) * (1 + np.arange(ahead) * float(fitted.smoothing_level) ** 2)
    rows = _profile(history[: days * per_day], per_day)[np.arange(ahead) % 7]
    mean = (rows * day_mean[:, None]).ravel()[:horizon]
    variance = (rows**2 * day_var[:, None]).ravel()[:horizon] + (mean if per_day > 1 else 0)
    spread = Z * np.sqrt(variance)
    lower = np.clip(mean - spread, 0, None)
    return Forecast(mean, lower, mean + spread, baseline, float(fitted.smoothing_level))


def _profile(history: Array, per_day: int) -> Array:
    """Each weekday's share of its day per interval over the last (up to) eight whole weeks, as
    7 rows starting with the weekday after the history's last day; all days' profile where a
    weekday had no contacts, flat where none had any."""
    weeks = min(8, history.size // (7 * per_day))
    recent = history[history.size - weeks * 7 * per_day :].reshape(weeks, 7, per_day).sum(axis=0)
    totals = recent.sum(axis=1, keepdims=True)
    overall = recent.sum(axis=0)
    overall = overall / overall.sum() if overall.sum() else np.full(per_day, 1 / per_day)
    with np.errstate(invalid="ignore", divide="ignore"):
        profile = np.where(totals > 0, recent / totals, overall)
    return np.asarray(profile, dtype=np.float64)


def accuracy(actual: Array, predicted: Array) -> dict[str, float | None]:
    """WAPE (sum of absolute errors / sum of actuals) and MAPE (over intervals with contacts)."""
    error = np.abs(actual - predicted)
    total = actual.sum()
    some = actual > 0
    return {
        "wape": float(error.sum() / total) if total else None,
        "mape": float((error[some] / actual[some]).mean()) if some.any() else None,
    }


def backtest(history: Array, interval: str, folds: int = FOLDS) -> dict[str, Any]:
    """Rolling origin: at each of the last `folds` weekly origins, fit on what came before and
    forecast the next week; WAPE and MAPE of the model and the baseline over all folds. The
    smoothing level is fitted at the first origin and kept for the later ones (`alpha` in the
    result, for the forecast after the last)."""
    per_day = 86400 // INTERVALS[interval][1]
    week = 7 * per_day
    actual, model, naive = [], [], []
    alpha = None
    for fold in range(folds, 0, -1):
        origin = history.size - fold * week
        if origin < 2 * week:
            continue
        past = history[max(0, origin - FIT_DAYS * per_day) : origin]
        result = model_forecast(past, week, per_day, alpha)
        alpha = result.alpha
        actual.append(history[origin : origin + week])
        model.append(result.mean)
        naive.append(result.baseline)
    if not actual:
        return {"folds": 0, "model": None, "baseline": None, "alpha": None}
    truth = np.concatenate(actual)
    return {
        "folds": len(actual),
        "model": accuracy(truth, np.concatenate(model)),
        "baseline": accuracy(truth, np.concatenate(naive)),
        "alpha": alpha,
    }


def _holidays(ws: Reader, first: date, last: date) -> set[date]:
    years = range(first.year, last.year + 1)
    closed: set[date] = set()
    for schedule in ws.config.schedules.values():
        closed |= schedule.closed_dates(years)
    return closed


def _with_holidays(
    history: Array, stamps: npt.NDArray[np.datetime64], closed: set[date], season: int
) -> tuple[Array, float]:
    """History with holiday intervals replaced by the same interval a week before (so they do
    not bend the seasonality), and the ratio holidays had to that."""
    days = stamps.astype("datetime64[D]").astype(object)
    holiday = np.array([d in closed for d in days], dtype=bool)
    if not holiday.any():
        return history, 1.0
    cleaned = history.copy()
    index = np.flatnonzero(holiday)
    earlier = index - season
    keep = earlier >= 0
    cleaned[index[keep]] = cleaned[earlier[keep]]
    usual = cleaned[index[keep]].sum()
    return cleaned, float(history[index[keep]].sum() / usual) if usual else 1.0


def forecast_workspace(
    ws: Reader,
    metric: Literal["volume", "calls"] = "volume",
    by: str | None = None,
    interval: str = "1h",
    horizon_days: int = 14,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Per segment of `by`: the forecast rows for `horizon_days` after the history's last interval
    and the backtest of model and baseline."""
    if interval not in INTERVALS:
        raise StaffingError(
            f"interval {interval!r} is not available: use {', '.join(INTERVALS)} (the metrics are "
            "counted per half hour at the finest)"
        )
    period, seconds = INTERVALS[interval]
    per_day = 86400 // seconds
    metric_id, field = ("ticket_volume", "value")
    if metric == "calls":
        metric_id, field = ("abandonment_rate", "denominator")
    split = [by] if by else []
    rows = []
    if start is None:  # the model reads the last 26 weeks, the backtest four more
        recent = (end or ws.engine().span()[1]) - timedelta(days=FIT_DAYS + 7 * (FOLDS + 1))
        rows = ws.metric(metric_id, by=split, period=period, start=recent, end=end).rows
    if not rows:  # a range given, or the data ends before the last date the store holds
        rows = ws.metric(metric_id, by=split, period=period, start=start, end=end).rows
    if not rows:
        raise StaffingError("no contacts in the range to forecast from")
    step = np.timedelta64(seconds, "s")
    stamps_of = np.array([np.datetime64(r["period"]) for r in rows], dtype="datetime64[s]")
    day = np.timedelta64(1, "D")
    first = stamps_of.min().astype("datetime64[D]").astype("datetime64[s]")
    final = stamps_of.max() if end is None else np.datetime64(end, "s")
    last = final.astype("datetime64[D]").astype("datetime64[s]") + day - step
    stamps = np.arange(first, last + step, step)
    horizon = horizon_days * 86400 // seconds
    future = last + step * np.arange(1, horizon + 1)
    closed = _holidays(ws, _day(first), _day(future[-1]))
    segments: dict[Any, Array] = {}
    position = ((stamps_of - first) // step).astype(np.int64)
    for i, row in enumerate(rows):
        key = row.get(by) if by else None
        series = segments.setdefault(key, np.zeros(stamps.size))
        series[position[i]] += row[field] or 0
    out_rows: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    future_days = future.astype("datetime64[D]").astype(object)
    future_holiday = np.array([d in closed for d in future_days], dtype=bool)
    for key, series in segments.items():
        cleaned, ratio = _with_holidays(series, stamps, closed, 7 * per_day)
        check = backtest(cleaned, interval)
        alpha = check.pop("alpha")
        result = model_forecast(cleaned[-FIT_DAYS * per_day :], horizon, per_day, alpha)
        scale = np.where(future_holiday, ratio, 1.0)
        label = {by: key} if by else {}
        for j in range(horizon):
            out_rows.append(
                label
                | {
                    "period": _label(future[j], period),
                    "forecast": round(float(result.mean[j] * scale[j]), 3),
                    "lower": round(float(result.lower[j] * scale[j]), 3),
                    "upper": round(float(result.upper[j] * scale[j]), 3),
                    "baseline": round(float(result.baseline[j] * scale[j]), 3),
                    "holiday": bool(future_holiday[j]),
                }
            )
        checks.append(label | check)
    return {
        "metric": metric,
        "interval": interval,
        "horizon_days": horizon_days,
        "level": LEVEL,
        "history_from": _label(first, period),
        "history_to": _label(last, period),
        "rows": out_rows,
        "backtest": checks,
    }


def _day(stamp: np.datetime64) -> date:
    day: date = stamp.astype("datetime64[D]").astype(object)
    return day


def _label(stamp: np.datetime64, period: str) -> str:
    moment: datetime = stamp.astype("datetime64[s]").astype(object)
    return moment.strftime("%Y-%m-%d" if period == "day" else "%Y-%m-%dT%H:%M")
