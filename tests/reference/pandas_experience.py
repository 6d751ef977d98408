"""An independent, plain-pandas implementation of the survey, call and churn metrics.

Written from docs/data-model.md and docs/metrics.md (no engine code), vectorised with merge/groupby
only. Inputs are the canonical tables as stored: naive UTC timestamps, string ids.

Definitions
- csat: responses with survey = 'csat'; satisfied = score >= scale_max - 1 (the top two points of
  the response's own scale; scale_max null -> 5). value = 100 * satisfied / responses, filed under
  submitted_at; numerator = satisfied, denominator = n = responses; Wilson 95% interval in percent.
- nps: responses with survey = 'nps'; score rescaled to 0-10 as 10 * (score - scale_min) /
  (scale_max - scale_min) (nulls -> 0 and 10); promoter >= 9, detractor <= 6, passive otherwise.
  value = 100 * (promoters - detractors) / n; interval from the NPS variance
  (p + d - (p - d)^2) / n, clipped to [-100, 100].
- A response's channel is its own `channel`, else its ticket's channel (tickets joined on ticket_id).
- Calls: inbound = direction null or 'inbound'. wait = exact seconds (the difference, fractions included).
  offered = outcome answered, abandoned or timeout, minus short abandons (outcome abandoned with a
  known ended_at - queued_at wait below the threshold, default 5 s). abandonment_rate = abandoned /
  offered; service_level = answered with answered_at - queued_at wait <= T (default 20 s) / offered.
  Both filed under queued_at, as 0-1 shares with a Wilson 95% interval.
- customer_churn over a window [t0, t1]: a customer is active at t when one of its subscriptions
  has started_at <= t and (ended_at null or ended_at > t). denominator = customers active at t0;
  numerator = those of them not active at t1. Dimensions come from `customers` (left join).
- `by` is a column name or list; a null dimension value is a group of its own, sorted last. Rows are
  sorted by [*by, period]; a group or period without observations has no row. Periods are local
  (`tz`) half-open [start, next start), labelled 'YYYY-MM-DD'.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd

from tests.reference.pandas_metrics import period_start

__all__ = [
    "Z",
    "abandonment_rate",
    "churn_windows",
    "csat",
    "customer_churn",
    "nps",
    "offered_calls",
    "responses",
    "service_level",
    "wilson",
]

Z = 1.959963984540054  # two-sided 95% normal quantile
Period = Literal["day", "week", "month"]
By = str | list[str] | None

_DEFAULT_SCALES = {"csat": (1.0, 5.0), "nps": (0.0, 10.0)}
_NEXT_PERIOD = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
}


def _names(by: By) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _seconds(durations: pd.Series) -> pd.Series:
    """Exact seconds as float (NaN where the duration is NaT)."""
    return durations / pd.Timedelta(seconds=1)


def wilson(successes: pd.Series, n: pd.Series, z: float = Z) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval (low, high) for successes out of n, as 0-1 shares."""
    successes, n = successes.astype(float), n.astype(float)
    p = successes / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return centre - half, centre + half


def _group(rows: pd.DataFrame, filed_at: str | None, by: By, period: Period | None, tz: str):
    """(rows with a `period` column when asked, the grouping keys)."""
    keys = _names(by)
    if period is not None:
        rows = rows.assign(period=period_start(rows[filed_at], period, tz))
        keys.append("period")
    return rows, keys


def _counts(rows: pd.DataFrame, keys: list[str], flags: list[str]) -> pd.DataFrame:
    """n and the sum of each boolean flag column per group (one row overall when keys is empty)."""
    counted = rows[keys + flags].astype({flag: int for flag in flags}).assign(n=1)
    if not keys:
        return counted[["n", *flags]].sum().to_frame().T.astype(int)
    grouped = counted.groupby(keys, dropna=False, sort=True)[["n", *flags]].sum()
    return grouped.reset_index().sort_values(keys, na_position="last", ignore_index=True)


def _share(
    rows: pd.DataFrame,
    flag: str,
    filed_at: str,
    by: By,
    period: Period | None,
    tz: str,
    scale: float = 1.0,
) -> pd.DataFrame:
    """Share of rows with `flag`: [*by, period?, value, n, numerator, denominator, ci_low, ci_high]."""
    rows, keys = _group(rows, filed_at, by, period, tz)
    out = _counts(rows, keys, [flag]).rename(columns={flag: "numerator"})
    out["denominator"] = out["n"]
    low, high = wilson(out["numerator"], out["n"])
    return out.assign(
        value=scale * out["numerator"] / out["n"], ci_low=scale * low, ci_high=scale * high
    )


# --- surveys ---------------------------------------------------------------------------------


def responses(surveys: pd.DataFrame, tickets: pd.DataFrame, survey: str) -> pd.DataFrame:
    """The responses of one survey with scale defaults applied and the channel resolved
    (own channel, else the ticket's). Adds columns scale_lo, scale_hi, resolved channel."""
    rows = surveys[surveys["survey"] == survey]
    lo, hi = _DEFAULT_SCALES[survey]
    ticket_channel = tickets[["ticket_id", "channel"]].rename(columns={"channel": "ticket_channel"})
    rows = rows.merge(ticket_channel, on="ticket_id", how="left", validate="many_to_one")
    return rows.assign(
        channel=rows["channel"].astype(object).fillna(rows["ticket_channel"]),
        scale_lo=rows["scale_min"].astype(float).fillna(lo),
        scale_hi=rows["scale_max"].astype(float).fillna(hi),
        submitted_at=pd.to_datetime(rows["submitted_at"]),
    ).drop(columns="ticket_channel")


def csat(
    surveys: pd.DataFrame,
    tickets: pd.DataFrame,
    by: By = None,
    period: Period | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Percent satisfied (top two points of the scale), filed under submitted_at.

    Columns [*by, period?, value, n, numerator, denominator, ci_low, ci_high] (value and CI in %).
    """
    rows = responses(surveys, tickets, "csat")
    rows = rows.assign(satisfied=rows["score"] >= rows["scale_hi"] - 1)
    return _share(rows, "satisfied", "submitted_at", by, period, tz, scale=100.0)


def nps(
    surveys: pd.DataFrame,
    tickets: pd.DataFrame,
    by: By = None,
    period: Period | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Net promoter score, filed under submitted_at.

    Columns [*by, period?, value, n, promoters, passives, detractors, ci_low, ci_high].
    """
    rows = responses(surveys, tickets, "nps")
    ten = 10 * (rows["score"] - rows["scale_lo"]) / (rows["scale_hi"] - rows["scale_lo"])
    rows = rows.assign(promoters=ten >= 9, detractors=ten <= 6)
    rows = rows.assign(passives=~rows["promoters"] & ~rows["detractors"])
    rows, keys = _group(rows, "submitted_at", by, period, tz)
    out = _counts(rows, keys, ["promoters", "passives", "detractors"])
    p, d = out["promoters"] / out["n"], out["detractors"] / out["n"]
    half = Z * np.sqrt((p + d - (p - d) ** 2) / out["n"])
    return out.assign(
        value=100 * (p - d),
        ci_low=(100 * (p - d - half)).clip(-100, 100),
        ci_high=(100 * (p - d + half)).clip(-100, 100),
    )


# --- calls -----------------------------------------------------------------------------------


def offered_calls(
    calls: pd.DataFrame, short_abandon: float = 5, target: float = 20
) -> pd.DataFrame:
    """Inbound calls offered to a queue, with flags `abandoned` and `within_target`."""
    calls = calls.assign(
        **{c: pd.to_datetime(calls[c]) for c in ("queued_at", "answered_at", "ended_at")}
    )
    inbound = calls["direction"].isna() | (calls["direction"] == "inbound")
    abandon_wait = _seconds(calls["ended_at"] - calls["queued_at"])
    short = (calls["outcome"] == "abandoned") & (abandon_wait < short_abandon)  # NaN < x is False
    offered = inbound & calls["outcome"].isin(["answered", "abandoned", "timeout"]) & ~short
    rows = calls[offered]
    answer_wait = _seconds(rows["answered_at"] - rows["queued_at"])
    return rows.assign(
        abandoned=rows["outcome"] == "abandoned",
        within_target=(rows["outcome"] == "answered") & (answer_wait <= target),
    )


def abandonment_rate(
    calls: pd.DataFrame,
    by: By = None,
    period: Period | None = None,
    tz: str = "UTC",
    short_abandon: float = 5,
) -> pd.DataFrame:
    """abandoned / offered, filed under queued_at. Columns as for a share (0-1)."""
    rows = offered_calls(calls, short_abandon=short_abandon)
    return _share(rows, "abandoned", "queued_at", by, period, tz)


def service_level(
    calls: pd.DataFrame,
    by: By = None,
    period: Period | None = None,
    tz: str = "UTC",
    target: float = 20,
) -> pd.DataFrame:
    """Answered within `target` seconds / offered, filed under queued_at (0-1 share)."""
    rows = offered_calls(calls, target=target)
    return _share(rows, "within_target", "queued_at", by, period, tz)


# --- churn -----------------------------------------------------------------------------------


def churn_windows(
    start: dt.date, end: dt.date, period: Period | None = None, tz: str = "UTC"
) -> pd.DataFrame:
    """Windows [t0, t1] as naive UTC instants: one from local midnight of `start` to local midnight
    after `end`, or (with `period`) one per local period from the one holding start to the one
    holding end. Columns [period?, t0, t1]."""
    if period is None:
        starts = pd.Series([pd.Timestamp(start)])
        ends = pd.Series([pd.Timestamp(end) + pd.Timedelta(days=1)])
    else:
        days = pd.Series(pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D"))
        starts = period_start(days, period, "UTC").drop_duplicates().pipe(pd.to_datetime)
        ends = starts + _NEXT_PERIOD[period]

    def utc(local: pd.Series) -> pd.Series:
        aware = local.dt.tz_localize(tz, nonexistent="shift_forward", ambiguous=False)
        return aware.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")

    windows = pd.DataFrame({"t0": utc(starts), "t1": utc(ends)}).reset_index(drop=True)
    if period is not None:
        windows.insert(0, "period", starts.dt.strftime("%Y-%m-%d").to_numpy())
    return windows


def customer_churn(
    customers: pd.DataFrame,
    subscriptions: pd.DataFrame,
    windows: pd.DataFrame,
    by: By = None,
) -> pd.DataFrame:
    """Share of customers active at each window's t0 who are not active at its t1.

    `windows` = `churn_windows(...)`. Columns [*by, period?, value, n, numerator, denominator,
    ci_low, ci_high], one row per window x dimension value with at least one active customer.
    """
    keys = _names(by)
    period = ["period"] if "period" in windows else []
    subs = subscriptions.assign(
        started_at=pd.to_datetime(subscriptions["started_at"]),
        ended_at=pd.to_datetime(subscriptions["ended_at"]),
    )[["customer_id", "started_at", "ended_at"]]
    grid = windows.reset_index(names="window").merge(subs, how="cross")

    def covers(at: pd.Series) -> pd.Series:
        return (grid["started_at"] <= at) & (grid["ended_at"].isna() | (grid["ended_at"] > at))

    grid = grid.assign(active_start=covers(grid["t0"]), active_end=covers(grid["t1"]))
    state = grid.groupby(["window", *period, "customer_id"], as_index=False)[
        ["active_start", "active_end"]
    ].any()
    state = state[state["active_start"]]
    state = state.assign(churned=~state["active_end"]).merge(
        customers[["customer_id", *keys]], on="customer_id", how="left", validate="many_to_one"
    )
    out = _counts(state, [*keys, *period], ["churned"]).rename(columns={"churned": "numerator"})
    out["denominator"] = out["n"]
    low, high = wilson(out["numerator"], out["n"])
    return out.assign(value=out["numerator"] / out["n"], ci_low=low, ci_high=high)
