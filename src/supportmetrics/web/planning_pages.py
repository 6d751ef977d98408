"""The Staffing page: forecast with its prediction band, the agents it needs by weekday and hour
against the agents available (agent_availability) in that weekday and hour, required against
logged-in agent-hours per day, and what-if inputs for the service level and AHT."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import altair as alt
import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from supportmetrics.engine import Engine
from supportmetrics.query.periods import label, spine
from supportmetrics.web.auth import page_session
from supportmetrics.web.params import ParamError, View, parse_view
from supportmetrics.web.planning_api import EngineReader, finite, targets
from supportmetrics.web.queries import today
from supportmetrics.web.users import Session

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
CurrentSession = Annotated[Session, Depends(page_session)]
WHAT_IF = (
    "service_level",
    "answer_within",
    "aht",
    "shrinkage",
    "max_occupancy",
    "model",
    "patience",
)
MODELS = ("erlang_c", "erlang_a")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HORIZON_DAYS = 14


def _number(view: View, name: str, default: float | None) -> float | None:
    text = view.get(name)
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ParamError(f"{name} takes a number; got {text!r}") from None


def forecast_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Forecast line with its 80% band and the same-as-last-week baseline dashed."""
    data = alt.Data(values=rows)
    base = alt.Chart(data, width="container", height=220)
    band = base.mark_area(opacity=0.25).encode(
        x=alt.X("period:T", title=None), y=alt.Y("lower:Q", title="contacts"), y2="upper:Q"
    )
    line = base.mark_line().encode(
        x="period:T",
        y="forecast:Q",
        tooltip=["period:T", "forecast:Q", "lower:Q", "upper:Q", "baseline:Q"],
    )
    naive = base.mark_line(strokeDash=[4, 4], color="#888").encode(x="period:T", y="baseline:Q")
    return alt.layer(band, line, naive).configure_view(stroke=None).to_dict()


def _weekday_hour_map(
    cells: list[dict[str, Any]], color: alt.Color, tooltip: list[str]
) -> dict[str, Any]:
    """A weekday x hour grid of `cells`, coloured by `color`."""
    chart = (
        alt.Chart(alt.Data(values=cells), width="container", height=180)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour"),
            y=alt.Y("weekday:N", sort=list(WEEKDAYS), title=None),
            color=color,
            tooltip=["weekday:N", "hour:O", *tooltip],
        )
    )
    return chart.configure_view(stroke=None).to_dict()


def heat_map(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Agents needed by weekday x hour."""
    return _weekday_hour_map(cells, alt.Color("agents:Q", title="agents"), ["agents:Q"])


def gap_map(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Available minus required agents by weekday x hour: blue over, red under, white even."""
    color = alt.Color(
        "over_under:Q",
        title="over (+) / under (-)",
        scale=alt.Scale(scheme="redblue", domainMid=0),
    )
    return _weekday_hour_map(cells, color, ["required:Q", "available:Q", "over_under:Q"])


def by_weekday_hour(periods: list[str], values: Any) -> np.ndarray:
    """The mean of `values` per weekday (Monday first) x hour of their local `periods` labels
    (YYYY-MM-DDTHH:MM), as a 7 x 24 array (NaN where no period falls)."""
    stamps = np.array(periods, dtype="datetime64[m]")
    days = stamps.astype("datetime64[D]")
    weekday = (days.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday
    hour = (stamps - days).astype("timedelta64[h]").astype(np.int64)
    cell = weekday * 24 + hour
    sums = np.bincount(cell, weights=np.asarray(values, dtype=np.float64), minlength=168)
    counts = np.bincount(cell, minlength=168)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums / counts).reshape(7, 24)


def _cells(**grids: np.ndarray) -> list[dict[str, Any]]:
    """The cells of 7 x 24 grids where each has a number, one dict per weekday and hour, rounded
    to 0.1."""
    known = np.all([~np.isnan(grid) for grid in grids.values()], axis=0)
    return [
        {"weekday": WEEKDAYS[d], "hour": int(h)}
        | {name: round(float(grid[d, h]), 1) for name, grid in grids.items()}
        for d, h in zip(*np.nonzero(known), strict=True)
    ]


def _gap_rows(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The over/under cells as a weekday x hour table: signed text, empty where unknown."""
    table = {(c["weekday"], c["hour"]): c["over_under"] for c in cells}
    return [
        {"weekday": day, "cells": [_signed(table.get((day, hour))) for hour in range(24)]}
        for day in WEEKDAYS
    ]


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    return f"+{value:.1f}" if value > 0 else f"\u2212{-value:.1f}" if value < 0 else "0"


def actual_by_weekday_hour(
    engine: Engine, start: date, end: date
) -> tuple[np.ndarray, date, date] | None:
    """The agents available (agent_availability) on average per weekday x hour from `start` to
    `end` (local dates) cut to the days the availability data covers (hours without any in them
    count as 0), and the dates averaged over; None without availability data in the range."""
    from supportmetrics.staffing import available_agents

    stretches = engine.table("agent_availability")
    span = engine.arrow(
        stretches.aggregate(first=stretches.started_at.min(), last=stretches.started_at.max())
    ).to_pylist()[0]
    if span["first"] is None:
        return None
    zone = ZoneInfo(engine.config.timezone)
    first, last = (span[k].replace(tzinfo=UTC).astimezone(zone).date() for k in ("first", "last"))
    start, end = max(start, first), min(end, last)
    if end < start:
        return None
    hours = spine(datetime.combine(start, time()), datetime.combine(end, time(23)), "hour")
    labels = [label(moment, "hour") for moment in hours]
    found = available_agents(engine, labels, 3600)
    if found is None:
        return None
    return by_weekday_hour(labels, list(found.values())), start, end


def staffing_page(engine: Engine, view: View) -> dict[str, Any]:
    """Forecast of calls (tickets when there are no calls), agents per interval, and history."""
    from supportmetrics.staffing import StaffingError, plan, staffed_hours
    from supportmetrics.staffing.forecast import forecast_workspace
    from supportmetrics.staffing.patience import with_patience

    reader = EngineReader(engine)
    model = view.get("model") or "erlang_c"
    if model not in MODELS:
        raise ParamError(f"model takes erlang_c or erlang_a; got {model!r}")
    chosen = targets(
        _number(view, "service_level", 0.8),
        _number(view, "answer_within", 20.0) or 20.0,
        None,
        _number(view, "max_occupancy", 0.85) or 0.85,
        _number(view, "shrinkage", 0.3) or 0.0,
        1,
        "erlang_a" if model == "erlang_a" else "erlang_c",
        _number(view, "patience", None),
    )
    start, end = view.range(engine.span())  # the history: the forecast starts after the data
    calls = reader.metric("abandonment_rate", start=start, end=end).rows
    metric: Literal["volume", "calls"] = "calls" if calls and calls[0]["n"] else "volume"
    measured = reader.metric("handle_time", start=start, end=end).rows
    aht = _number(view, "aht", None) or (measured[0]["value"] if measured else None) or 300.0
    page: dict[str, Any] = {"metric": metric, "aht": aht, "targets": chosen, "error": None}
    try:
        chosen = with_patience(reader, chosen, start, end)  # Erlang A: estimated when not given
        page["targets"] = chosen
        ahead = forecast_workspace(reader, metric, None, "1h", HORIZON_DAYS, start, end)
    except StaffingError as exc:
        return page | {"error": str(exc)}
    rows = ahead["rows"]
    need = plan(np.array([r["forecast"] for r in rows]), 3600, aht, chosen)
    periods = [r["period"] for r in rows]
    cells = _cells(agents=by_weekday_hour(periods, need["scheduled"]))
    required = by_weekday_hour(periods, need["agents"])
    actual = actual_by_weekday_hour(engine, start, end)
    gaps = None
    if actual is not None:
        grid = actual[0]
        gaps = _cells(required=required, available=grid, over_under=grid - required)
    history = []
    if metric == "calls":
        from supportmetrics.staffing import from_history

        past = from_history(reader, start, end, chosen, aht)
        history = staffed_hours(reader, past, start, end) if past else []
    return page | {
        "forecast_chart": forecast_chart(rows),
        "heat_map": heat_map(cells),
        "gap_map": gap_map(gaps) if gaps else None,
        "gap_rows": _gap_rows(gaps) if gaps else None,
        "actual_range": actual[1:] if actual is not None else None,
        "backtest": ahead["backtest"][0],
        "peak": int(need["scheduled"].max()) if len(rows) else 0,
        "history": finite(history),
    }


@router.get("/staffing")
def staffing(request: Request, session: CurrentSession) -> Response:
    view = parse_view(list(request.query_params.multi_items()), WHAT_IF)
    page = request.app.state.data.cached(
        ("staffing page", view.key()), lambda engine: staffing_page(engine, view)
    )
    templates = request.app.state.templates
    context = {"session": session, "view": view, "page": page}
    return templates.TemplateResponse(request, "staffing.html", context)


def why_changed(engine: Engine, metric_id: str, view: View) -> dict[str, Any] | None:
    """The "Why did this change?" panel: the metric over the view's range against the period
    before, split by the page's dimension (or the first usual one the metric has); None when
    there is nothing to split or compare."""
    from supportmetrics.display import human_change
    from supportmetrics.explain import DEFAULT_DIMENSIONS, explain
    from supportmetrics.query import QueryError, dimension_names, find_metric

    reader = EngineReader(engine)
    start, end = view.range(engine.span(), today(engine))
    known = dimension_names(engine, find_metric(metric_id).facts)
    chosen = view.get("by")
    dims = [chosen] if chosen in known else [d for d in DEFAULT_DIMENSIONS if d in known][:1]
    if not dims:
        return None
    stat = view.get("stat") or "mean"
    try:
        found = explain(reader, metric_id, start, end, "previous", dims, stat, view.where_dict())
    except (QueryError, ValueError):
        return None
    for breakdown in found["dimensions"]:
        for segment in breakdown["segments"]:
            for key in ("mix", "rate", "contribution"):
                segment[f"{key}_display"] = human_change(segment[key], found["unit"])
        residual = breakdown["residual"]
        breakdown["residual_display"] = human_change(residual, found["unit"])
    return dict(finite(found))
