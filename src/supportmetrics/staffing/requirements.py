"""Agents needed per interval: targets, the calculator (one interval, no data) and the
requirement over history (offered calls and handle time per hour or half hour from the query
API), beside the agents actually available (`supportmetrics.staffing.actual`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from supportmetrics.staffing import erlang, erlang_a
from supportmetrics.staffing.actual import with_actual
from supportmetrics.staffing.erlang import StaffingError
from supportmetrics.staffing.forecast import INTERVALS
from supportmetrics.staffing.patience import with_patience

if TYPE_CHECKING:
    from supportmetrics.staffing.reader import Reader

__all__ = [
    "STAFFING_INTERVALS",
    "Targets",
    "calculate",
    "from_forecast",
    "from_history",
    "plan",
    "scheduled",
    "staffed_hours",
]

STAFFING_INTERVALS = ("30m", "1h")
"""The intervals staffing from data (or its forecast) is computed per."""


@dataclass(frozen=True)
class Targets:
    """What a staffing must achieve."""

    service_level: float | None = 0.8
    answer_within: float = 20.0
    """Seconds, for the service level (and the achieved service level shown beside an ASA target)."""
    asa: float | None = None
    """Seconds; replaces the service level target when given."""
    max_occupancy: float = 1.0
    shrinkage: float = 0.0
    """Share of paid time off the phones (breaks, training, absence)."""
    concurrency: int = 1
    """Contacts an agent takes at once (chat)."""
    model: Literal["erlang_c", "erlang_a"] = "erlang_c"
    """Erlang C (nobody hangs up) or Erlang A (exponential patience, see `erlang_a`)."""
    patience: float | None = None
    """Erlang A: mean patience, seconds (None: estimated from the calls, see `patience`)."""

    def __post_init__(self) -> None:
        if not 0 <= self.shrinkage < 1:
            raise StaffingError(f"shrinkage {self.shrinkage} must be in [0, 1) (e.g. 0.3)")
        if self.model not in ("erlang_c", "erlang_a"):
            raise StaffingError(f"model {self.model!r} must be erlang_c or erlang_a")
        if self.patience is not None and not 0 < self.patience <= erlang_a.MAX_PATIENCE:
            raise StaffingError(
                f"patience {self.patience} s must be more than 0 (e.g. 120) and at most 1e9 "
                "(for callers who never hang up, use Erlang C)"
            )


def scheduled(agents: npt.ArrayLike, shrinkage: float) -> npt.NDArray[np.int64]:
    """Positions to schedule so that `agents` remain after shrinkage (rounded up)."""
    raw = np.asarray(agents, dtype=np.float64) / (1 - shrinkage)
    return np.ceil(np.round(raw, 9)).astype(np.int64)


MAX_TRAFFIC = 20_000
"""Erlangs an interval may carry (20,000 agents busy at once: beyond any one queue); the search for
the agents needed takes about a second there."""


def plan(
    volume: npt.ArrayLike, interval_seconds: float, aht: npt.ArrayLike, targets: Targets
) -> dict[str, npt.NDArray[Any]]:
    """Per interval: traffic, agents, scheduled positions and what they achieve."""
    if interval_seconds <= 0:
        raise StaffingError(f"interval {interval_seconds} s must be more than 0")
    calls = np.asarray(volume, dtype=np.float64)
    handle = np.broadcast_to(np.asarray(aht, dtype=np.float64), calls.shape)
    if not (np.all(np.isfinite(calls)) and np.all(np.isfinite(handle))):
        raise StaffingError("volume and AHT must be finite numbers")
    if np.any(calls < 0) or np.any(handle <= 0):
        raise StaffingError("volume must be 0 or more and AHT more than 0 seconds")
    traffic = calls * handle / interval_seconds
    if traffic.size and traffic.max() > MAX_TRAFFIC:
        raise StaffingError(
            f"{traffic.max():,.0f} Erlangs in one interval is more than {MAX_TRAFFIC:,} (the most "
            "one queue is staffed for here): check the volume, the interval and the AHT"
        )
    model: Any = erlang
    given: tuple[Any, ...] = (traffic, handle)
    if targets.model == "erlang_a":
        if targets.patience is None:
            raise StaffingError("Erlang A needs the mean patience: give --patience SECONDS")
        model, given = erlang_a, (traffic, handle, targets.patience)
    agents = model.required_agents(
        *given,
        service_level=None if targets.asa is not None else targets.service_level,
        within=targets.answer_within,
        asa=targets.asa,
        max_occupancy=targets.max_occupancy,
        concurrency=targets.concurrency,
    )
    achieved = model.performance(agents, *given, targets.answer_within, targets.concurrency)
    result = {
        "traffic_erlangs": traffic,
        "agents": agents,
        "scheduled": scheduled(agents, targets.shrinkage),
        "service_level": achieved.service_level,
        "asa_seconds": achieved.asa,
        "occupancy": achieved.occupancy,
        "wait_probability": achieved.wait_probability,
    }
    if targets.model == "erlang_a":
        result["abandon_probability"] = achieved.abandon_probability
        result["patience_seconds"] = np.full(traffic.shape, targets.patience)
    return result


def calculate(
    volume: float, interval_seconds: float, aht: float, targets: Targets
) -> dict[str, Any]:
    """The calculator: one interval's requirement, JSON-ready."""
    result = plan(np.array([volume]), interval_seconds, np.array([aht]), targets)
    row = {key: value[0].item() for key, value in result.items()}
    return {
        "volume": volume,
        "interval_seconds": interval_seconds,
        "aht_seconds": aht,
        **_target_fields(targets),
        **row,
    }


def _target_fields(targets: Targets) -> dict[str, Any]:
    chosen = (
        {"asa_target_seconds": targets.asa}
        if targets.asa is not None
        else {"service_level_target": targets.service_level}
    )
    return {
        **chosen,
        "answer_within_seconds": targets.answer_within,
        "max_occupancy": targets.max_occupancy,
        "shrinkage": targets.shrinkage,
        "concurrency": targets.concurrency,
        "model": targets.model,
    }


def from_history(
    ws: Reader,
    start: date | None,
    end: date | None,
    targets: Targets,
    aht: float | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
    interval: str = "1h",
) -> list[dict[str, Any]]:
    """Per interval (30m or 1h) with offered calls: calls, AHT (measured per interval when `aht`
    is None, the range's mean where an interval has none handled), the requirement, and the
    agents available beside it (`available_agents`, `over_under`; null without
    agent_availability)."""
    period, seconds = _interval(interval)
    span: dict[str, Any] = {"start": start, "end": end, "where": dict(where or {})}
    offered = ws.metric("abandonment_rate", period=period, **span).rows
    if not offered:
        return []
    targets = with_patience(ws, targets, start, end, where)
    periods = [row["period"] for row in offered]
    calls = np.array([row["denominator"] for row in offered], dtype=np.float64)
    handle = np.full(calls.shape, np.nan) if aht is None else np.full(calls.shape, aht)
    if aht is None:
        by_period = {
            r["period"]: r["value"] for r in ws.metric("handle_time", period=period, **span).rows
        }
        overall = ws.metric("handle_time", **span).rows
        fallback = overall[0]["value"] if overall and overall[0]["value"] else None
        if fallback is None:
            raise StaffingError("no handled calls in the range to measure AHT: give --aht SECONDS")
        handle = np.array([by_period.get(p) or fallback for p in periods], dtype=np.float64)
    result = plan(calls, float(seconds), handle, targets)
    rows = [
        {"period": label, "calls": int(calls[i]), "aht_seconds": float(handle[i])}
        | {key: value[i].item() for key, value in result.items()}
        for i, label in enumerate(periods)
    ]
    return with_actual(ws.engine(), rows, seconds, where)


def from_forecast(
    ws: Reader,
    start: date | None,
    end: date | None,
    targets: Targets,
    aht: float | None = None,
    horizon_days: int = 14,
    interval: str = "1h",
) -> list[dict[str, Any]]:
    """Per interval (30m or 1h) of the `horizon_days` after the history (`start` to `end`): the
    forecast contacts (offered calls, or tickets created when the workspace has no calls), the
    AHT (given, or the history's mean handle time) and the requirement."""
    seconds = _interval(interval)[1]
    from supportmetrics.staffing.forecast import forecast_workspace

    offered = ws.metric("abandonment_rate", start=start, end=end).rows
    metric: Literal["volume", "calls"] = "calls" if offered and offered[0]["n"] else "volume"
    if aht is None:
        measured = ws.metric("handle_time", start=start, end=end).rows
        aht = measured[0]["value"] if measured and measured[0]["value"] else None
        if aht is None:
            raise StaffingError("no handled calls in the range to measure AHT: give --aht SECONDS")
    targets = with_patience(ws, targets, start, end)
    rows = forecast_workspace(ws, metric, None, interval, horizon_days, start, end)["rows"]
    contacts = np.array([row["forecast"] for row in rows], dtype=np.float64)
    result = plan(contacts, float(seconds), aht, targets)
    return [
        {"period": row["period"], "forecast": row["forecast"], "aht_seconds": float(aht)}
        | {key: value[i].item() for key, value in result.items()}
        | {"available_agents": None, "over_under": None}  # the future's staffing is unknown
        for i, row in enumerate(rows)
    ]


def _interval(interval: str) -> tuple[Any, int]:
    """The query period and seconds of a staffing interval."""
    if interval not in STAFFING_INTERVALS:
        raise StaffingError(
            f"interval {interval!r} is not available from data: use {' or '.join(STAFFING_INTERVALS)}"
        )
    return INTERVALS[interval]


def staffed_hours(
    ws: Reader,
    rows: list[dict[str, Any]],
    start: date | None,
    end: date | None,
    where: Mapping[str, Sequence[str]] | None = None,
    interval_seconds: float = 3600.0,
) -> list[dict[str, Any]]:
    """Per day: agent-hours required (agents on the phones, before shrinkage, over the `rows`'
    intervals of `interval_seconds`) beside the hours agents were logged in and available
    (agent_availability, breaks left out), and the gap."""
    result = ws.metric(
        "occupancy",
        period="day",
        start=start,
        end=end,
        where=dict(where or {}),
        variants={"paused": "exclude"},
    )
    available = {row["period"]: (row["denominator"] or 0) / 3600 for row in result.rows}
    needed: dict[str, float] = {}
    for row in rows:
        day = row["period"][:10]
        needed[day] = needed.get(day, 0.0) + row["agents"] * interval_seconds / 3600
    return [
        {
            "day": day,
            "required_agent_hours": needed.get(day, 0.0),
            "available_agent_hours": round(available.get(day, 0.0), 2),
            "over_under_hours": round(available.get(day, 0.0) - needed.get(day, 0.0), 2),
        }
        for day in sorted(needed.keys() | available.keys())
        if math.isfinite(available.get(day, 0.0))
    ]
