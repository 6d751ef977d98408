"""The JSON API of planning: staffing (calculator, or per half hour or hour of the data beside
the agents available), forecast, and what changed and why. Parameters mirror `supportmetrics staffing`, `forecast` and `explain`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from supportmetrics.engine import Engine
from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import Period, QueryError, Result, run_query
from supportmetrics.query import Query as MetricQuery
from supportmetrics.staffing import StaffingError, Targets
from supportmetrics.web.auth import api_user
from supportmetrics.web.data import DataSource
from supportmetrics.web.params import parse_pairs
from supportmetrics.web.users import User

__all__ = ["EngineReader", "finite", "router", "targets"]

router = APIRouter(prefix="/api", tags=["planning"])
Caller = Annotated[User, Depends(api_user)]
FromParam = Annotated[date | None, Query(alias="from", description="First local date")]
ToParam = Annotated[date | None, Query(alias="to", description="Last local date (inclusive)")]


class EngineReader:
    """What the planning functions read from a workspace (`metric`, `engine`, `config`), over
    one of the server's engines."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.config = engine.config

    def engine(self) -> Engine:
        """The engine queries run on."""
        return self._engine

    def metric(
        self,
        metric: str,
        *,
        by: Sequence[str] = (),
        period: Period | None = None,
        start: date | None = None,
        end: date | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
        stat: str = "mean",
        variants: Mapping[str, str] | None = None,
    ) -> Result:
        """As `Workspace.metric` (calendar clock)."""
        query = MetricQuery(
            metric,
            tuple(by),
            period,
            start,
            end,
            dict(where or {}),
            stat,
            "calendar",
            dict(variants or {}),
        )
        return run_query(self._engine, query)


def finite(value: Any) -> Any:
    """`value` with infinite and NaN floats as None, nested (JSON has no infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def targets(
    service_level: float | None,
    answer_within: float,
    asa: float | None,
    max_occupancy: float,
    shrinkage: float,
    concurrency: int,
    model: Literal["erlang_c", "erlang_a"] = "erlang_c",
    patience: float | None = None,
) -> Targets:
    """The staffing targets from request parameters (400 when out of range)."""
    try:
        return Targets(
            service_level=None if asa else (service_level or 0.8),
            answer_within=answer_within,
            asa=asa,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
            concurrency=concurrency,
            model=model,
            patience=patience,
        )
    except StaffingError as exc:
        raise HTTPException(400, str(exc)) from None


def _data(request: Request) -> DataSource:
    return request.app.state.data


def _run(request: Request, key: tuple[Any, ...], compute: Any) -> Any:
    try:
        return _data(request).cached(key, lambda engine: compute(EngineReader(engine)))
    except (StaffingError, QueryError) as exc:
        raise HTTPException(400, str(exc)) from None


def _seconds(interval: str | None) -> float | None:
    """An interval parameter in seconds (None when absent; 400 when not more than 0)."""
    if interval is None:
        return None
    try:
        length = {"30m": 1800.0, "1h": 3600.0}.get(interval) or float(interval)
    except ValueError:
        length = math.nan
    if not 0 < length < math.inf:
        raise HTTPException(
            400, f"interval {interval!r} takes seconds more than 0 (e.g. 1800), 30m or 1h"
        )
    return length


@router.get("/staffing", summary="Agents needed (as `supportmetrics staffing`)")
def staffing(
    request: Request,
    user: Caller,
    service_level: Annotated[float | None, Query(gt=0, lt=1)] = None,
    answer_within: Annotated[float, Query(ge=0, description="Seconds")] = 20.0,
    asa: Annotated[float | None, Query(gt=0, description="ASA target, seconds")] = None,
    max_occupancy: Annotated[float, Query(gt=0, le=1)] = 1.0,
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.0,
    concurrency: Annotated[int, Query(ge=1, le=50)] = 1,
    aht: Annotated[
        float | None, Query(gt=0, description="Seconds; measured per interval if absent")
    ] = None,
    volume: Annotated[
        float | None, Query(ge=0, description="Calculator: contacts in one interval")
    ] = None,
    interval: Annotated[
        str | None,
        Query(
            description="Seconds (e.g. 1800), 30m or 1h; the calculator takes any seconds "
            "(default 1800), the data 30m or 1h (default 1h)",
        ),
    ] = None,
    model: Annotated[
        Literal["erlang_c", "erlang_a"], Query(description="erlang_a: callers abandon")
    ] = "erlang_c",
    patience: Annotated[
        float | None,
        Query(gt=0, description="Erlang A: mean patience, seconds; estimated from calls if absent"),
    ] = None,
    start: FromParam = None,
    end: ToParam = None,
    where: Annotated[list[str], Query(description="DIM=VALUE[,VALUE] (repeatable)")] = [],  # noqa: B006
) -> dict[str, Any]:
    from supportmetrics.staffing import calculate, from_history, staffed_hours

    chosen = targets(
        service_level, answer_within, asa, max_occupancy, shrinkage, concurrency, model, patience
    )
    length = _seconds(interval)
    if volume is not None:
        if aht is None:
            raise HTTPException(400, "the calculator (volume) needs aht in seconds")
        if model == "erlang_a" and patience is None:
            raise HTTPException(
                400, "the calculator (volume) with erlang_a needs patience in seconds"
            )
        try:
            return finite(calculate(volume, length or 1800.0, aht, chosen))
        except StaffingError as exc:
            raise HTTPException(400, str(exc)) from None
    step = {1800.0: "30m", 3600.0: "1h"}.get(length or 3600.0)
    if step is None:
        raise HTTPException(400, f"interval {interval} takes 30m or 1h from the data")
    filters = parse_pairs(where, "where")

    def compute(reader: EngineReader) -> dict[str, Any]:
        rows = from_history(reader, start, end, chosen, aht, filters, step)
        days = staffed_hours(reader, rows, start, end, filters, length or 3600) if rows else []
        return {"interval_seconds": int(length or 3600), "rows": rows, "days": days}

    key = ("api staffing", chosen, aht, step, start, end, tuple(where))
    return finite(_run(request, key, compute))


@router.get("/forecast", summary="Contacts ahead (as `supportmetrics forecast`)")
def forecast(
    request: Request,
    user: Caller,
    metric: Literal["volume", "calls"] = "volume",
    by: Literal["channel", "queue", "team"] | None = None,
    interval: Literal["30m", "1h", "day"] = "1h",
    horizon: Annotated[int, Query(ge=1, le=92, description="Days ahead")] = 14,
    start: FromParam = None,
    end: ToParam = None,
) -> dict[str, Any]:
    from supportmetrics.staffing.forecast import forecast_workspace

    def compute(reader: EngineReader) -> dict[str, Any]:
        return forecast_workspace(reader, metric, by, interval, horizon, start, end)

    return finite(
        _run(request, ("api forecast", metric, by, interval, horizon, start, end), compute)
    )


@router.get("/explain/{metric_id}", summary="What changed and why (as `supportmetrics explain`)")
def explain(
    request: Request,
    user: Caller,
    metric_id: Annotated[str, Path(json_schema_extra={"enum": list(CATALOGUE)})],
    start: Annotated[date, Query(alias="from", description="First local date")],
    end: Annotated[date, Query(alias="to", description="Last local date (inclusive)")],
    versus: Literal["previous", "year"] = "previous",
    by: Annotated[list[str], Query(description="Dimension (repeatable)")] = [],  # noqa: B006
    stat: str = "mean",
    where: Annotated[list[str], Query(description="DIM=VALUE[,VALUE] (repeatable)")] = [],  # noqa: B006
) -> dict[str, Any]:
    from supportmetrics.explain import explain as explain_change

    if metric_id not in CATALOGUE:
        raise HTTPException(404, f"unknown metric {metric_id!r}")
    filters = parse_pairs(where, "where")

    def compute(reader: EngineReader) -> dict[str, Any]:
        return explain_change(reader, metric_id, start, end, versus, by, stat, filters)

    key = ("api explain", metric_id, start, end, versus, tuple(by), stat, tuple(where))
    return finite(_run(request, key, compute))
