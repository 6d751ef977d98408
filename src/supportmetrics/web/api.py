"""The JSON API: the command line's queries over HTTP (a session or `Authorization: Bearer TOKEN`).

Range and filters take the dashboard's parameters: `range` (7d, 30d, 90d, 365d, all; relative to the
last day of data, or to today with `anchor=today`) or `from`/`to`, `where=DIM=V1,V2` (repeatable)
and `clock`.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

import pyarrow as pa
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from supportmetrics.engine import Engine
from supportmetrics.export import write_facts
from supportmetrics.metrics import CATALOGUE, Metric
from supportmetrics.metrics.base import FactsName
from supportmetrics.query import Query as MetricQuery
from supportmetrics.query import (
    QueryError,
    dimension_names,
    facts_rows,
    facts_warnings,
    find_metric,
    run_query,
)
from supportmetrics.web import pages
from supportmetrics.web.auth import api_user
from supportmetrics.web.data import DataSource
from supportmetrics.web.drill import chosen_columns
from supportmetrics.web.models import (
    AgentsPage,
    CatalogueEntry,
    FactsPage,
    MetricResult,
    RowsPage,
    Tile,
    TileGroup,
    UserInfo,
)
from supportmetrics.web.params import View, check_periods, parse_pairs, parse_view
from supportmetrics.web.queries import (
    Applied,
    describe,
    drill_columns,
    drill_rows,
    metric_query,
    view_warnings,
)
from supportmetrics.web.users import User

__all__ = ["router"]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter names something that does not exist; the detail says what"},
    401: {"description": "Not logged in, or an invalid API token"},
    404: {"description": "No such metric or facts"},
    422: {"description": "A parameter has the wrong type"},
}
router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)
Caller = Annotated[User, Depends(api_user)]
MetricId = Annotated[
    str,
    Path(description="A metric id (GET /api/metrics)", json_schema_extra={"enum": list(CATALOGUE)}),
]
RangeParam = Annotated[
    Literal["7d", "30d", "90d", "365d", "all"] | None,
    Query(alias="range", description="Preset range ending on the last day of data (default 90d)"),
]
AnchorParam = Annotated[
    Literal["data", "today"],
    Query(description="What a preset range ends on: the last day of data (default) or today"),
]
ColumnsParam = Annotated[
    str | None,
    Query(
        description="Columns of the rows: all (the default), default (the dashboard's set: key, "
        "time, value, channel, team, agent name ...) or a comma-separated list of names"
    ),
]
FromParam = Annotated[date | None, Query(alias="from", description="First local date")]
ToParam = Annotated[date | None, Query(alias="to", description="Last local date (inclusive)")]
WhereParam = Annotated[
    list[str], Query(description="Filter DIM=VALUE[,VALUE] (repeatable), as the CLI's --where")
]
ClockParam = Annotated[Literal["calendar", "business"], Query()]
LimitParam = Annotated[int, Query(ge=1, le=10_000)]
OffsetParam = Annotated[int, Query(ge=0, le=100_000_000)]
MIN_HELP = "Only values >= min (durations, in seconds)"
_AS_RETURNED: dict[str, Any] = {"response_model_exclude_unset": True}
"""Responses carry exactly the keys the endpoint returns (see `supportmetrics.web.models`)."""
MAX_HELP = "Only values < max (durations, in seconds)"


def _data(request: Request) -> DataSource:
    return request.app.state.data


def _view(request: Request) -> View:
    return parse_view(list(request.query_params.multi_items()), default_anchor="data")


def _metric(metric_id: str) -> Metric:
    try:
        return find_metric(metric_id)
    except QueryError as exc:
        raise HTTPException(404, str(exc)) from None


def _json_rows(table: pa.Table) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    return rows


@router.get("/me", summary="Who is calling", response_model=UserInfo)
def me(user: Caller) -> dict[str, str]:
    return {"username": user.username, "role": user.role}


@router.get(
    "/metrics", summary="The metric catalogue", response_model=list[CatalogueEntry], **_AS_RETURNED
)
def catalogue(user: Caller) -> list[dict[str, Any]]:
    return [pages.catalogue_entry(m) for m in CATALOGUE.values()]


@router.get(
    "/metrics/{metric_id}",
    summary="Compute a metric (as `supportmetrics metric`)",
    response_model=MetricResult,
    **_AS_RETURNED,
)
def metric(
    request: Request,
    metric_id: MetricId,
    user: Caller,
    by: Annotated[list[str], Query(description="Split by a dimension (repeatable)")] = [],  # noqa: B006
    period: Annotated[
        Literal["half_hour", "hour", "day", "week", "month", "quarter", "year"] | None, Query()
    ] = None,
    from_: FromParam = None,
    to: ToParam = None,
    where: WhereParam = [],  # noqa: B006
    stat: Annotated[str, Query(description="mean, median or pNN (durations)")] = "mean",
    clock: ClockParam = "calendar",
    variant: Annotated[list[str], Query(description="Definition variant KEY=VALUE")] = [],  # noqa: B006
    compare: Annotated[Literal["previous"] | None, Query()] = None,
) -> dict[str, Any]:
    """Same options and result as `supportmetrics metric ID --format json`: no range means all data."""
    chosen = _metric(metric_id)
    filters = parse_pairs(where, "where")
    variants = {k: ",".join(v) for k, v in parse_pairs(variant, "variant").items()}
    if len(by) > 3:
        raise QueryError("split by at most 3 dimensions")
    if "tags" in filters or "tags" in by:
        raise QueryError("filter and split by tag (one value per tag), not tags")

    def compute(engine: Engine) -> dict[str, Any]:
        if period is not None:
            first, last = engine.span()
            check_periods(from_ or first, to or last, period)
        if from_ and to and to < from_:
            raise QueryError(f"to ({to}) is before from ({from_})")
        query = MetricQuery(
            chosen.id,
            tuple(by),
            period,
            from_,
            to,
            filters,
            stat,
            clock,
            variants,
            compare,
        )
        return run_query(engine, query).to_dict()

    key = ("metric", str(request.url.query), metric_id)
    return _data(request).cached(key, compute)


@router.get(
    "/metrics/{metric_id}/rows",
    summary="The rows behind a metric (drill-down)",
    response_model=RowsPage,
    **_AS_RETURNED,
)
def rows(
    request: Request,
    metric_id: MetricId,
    user: Caller,
    range_: RangeParam = None,
    anchor: AnchorParam = "data",
    from_: FromParam = None,
    to: ToParam = None,
    where: WhereParam = [],  # noqa: B006
    clock: ClockParam = "calendar",
    stat: Annotated[str | None, Query(description="ignored: rows do not depend on it")] = None,
    low: Annotated[float | None, Query(alias="min", description=MIN_HELP)] = None,
    high: Annotated[float | None, Query(alias="max", description=MAX_HELP)] = None,
    limit: LimitParam = 100,
    offset: OffsetParam = 0,
    columns: ColumnsParam = None,
) -> dict[str, Any]:
    """The metric's population (tickets, calls or survey responses) under the range and filters,
    a page at a time."""
    chosen = _metric(metric_id)
    view = _view(request)

    def compute(engine: Engine) -> dict[str, Any]:
        applied = metric_query(engine, chosen, view)
        shown = _columns(engine, applied, columns)
        table, total = drill_rows(
            engine, applied, low=low, high=high, limit=limit, offset=offset, columns=shown
        )
        return {
            "metric": chosen.id,
            "from": applied.start.isoformat(),
            "to": applied.end.isoformat(),
            "ignored_filters": list(applied.ignored),
            "warnings": view_warnings(engine, applied),
            "total": total,
            "offset": offset,
            "columns": table.column_names,
            "rows": _json_rows(table),
        }

    return _data(request).cached(("rows", str(request.url.query), metric_id), compute)


@router.get(
    "/metrics/{metric_id}/rows.csv",
    summary="Export the rows behind a metric as CSV",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def rows_csv(
    request: Request,
    metric_id: MetricId,
    user: Caller,
    range_: RangeParam = None,
    anchor: AnchorParam = "data",
    from_: FromParam = None,
    to: ToParam = None,
    where: WhereParam = [],  # noqa: B006
    clock: ClockParam = "calendar",
    stat: Annotated[str | None, Query(description="ignored: rows do not depend on it")] = None,
    low: Annotated[float | None, Query(alias="min", description=MIN_HELP)] = None,
    high: Annotated[float | None, Query(alias="max", description=MAX_HELP)] = None,
    raw: Annotated[
        bool,
        Query(
            description="Write text cells as stored: by default those starting with = + - @, "
            "tab or CR get a leading ' so a spreadsheet does not run them as formulas"
        ),
    ] = False,
    columns: ColumnsParam = None,
    comment: Annotated[
        bool,
        Query(
            description="Start the file with one line '# metric; range; filters' stating what "
            "it holds (read it with a CSV reader's comment option, e.g. comment='#')"
        ),
    ] = False,
) -> FileResponse:
    """Exactly the rows the drill-down lists, every page of them."""
    chosen = _metric(metric_id)
    view = _view(request)

    def compute(engine: Engine) -> tuple[pa.Table, str]:
        applied = metric_query(engine, chosen, view)
        shown = _columns(engine, applied, columns)
        table = drill_rows(engine, applied, low=low, high=high, limit=None, columns=shown)[0]
        return table, describe(chosen.title, applied, low, high)

    table, stated = _data(request).run(compute)
    return _csv_file(table, f"{chosen.id}-rows.csv", raw=raw, comment=stated if comment else None)


def _columns(engine: Engine, applied: Applied, columns: str | None) -> list[str] | None:
    """The drill-down columns `columns=` names (None: all, as the API always gave)."""
    if columns is None:
        return None
    every, default = drill_columns(engine, applied)
    return chosen_columns(columns, every, default)


def _csv_file(table: pa.Table, name: str, *, raw: bool, comment: str | None = None) -> FileResponse:
    descriptor, name_on_disk = tempfile.mkstemp(suffix=".csv")
    os.close(descriptor)
    path = FilePath(name_on_disk)
    if comment is None:
        write_facts(table, "csv", path, raw=raw)
    else:
        body = path.with_suffix(".body.csv")
        try:
            write_facts(table, "csv", body, raw=raw)
            with path.open("wb") as out, body.open("rb") as rows:
                out.write(f"# {' '.join(comment.split())}\n".encode())
                shutil.copyfileobj(rows, out)
        finally:
            body.unlink(missing_ok=True)
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=name,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get(
    "/facts/{name}",
    summary="Per-ticket or per-call facts (as `supportmetrics facts`)",
    response_model=FactsPage,
    **_AS_RETURNED,
)
def facts(
    request: Request,
    name: Literal["tickets", "calls"],
    user: Caller,
    where: WhereParam = [],  # noqa: B006
    limit: LimitParam = 100,
    offset: OffsetParam = 0,
) -> dict[str, Any]:
    """Every fact row matching the filters, a page at a time, ordered by creation (queue) time."""
    filters = parse_pairs(where, "where")
    if "tags" in filters:
        raise QueryError("filter by tag (one value per tag), not tags")

    def compute(engine: Engine) -> dict[str, Any]:
        table = facts_rows(engine, name, filters)
        return {
            "facts": name,
            "warnings": facts_warnings(engine, name, filters),
            "total": table.num_rows,
            "offset": offset,
            "columns": table.column_names,
            "rows": _json_rows(table.slice(offset, limit)),
        }

    return _data(request).cached(("facts", str(request.url.query), name), compute)


@router.get("/dimensions/{facts_name}", summary="Dimensions a fact table splits and filters by")
def dimensions(
    request: Request,
    facts_name: FactsName,
    user: Caller,
) -> list[str]:
    def names(engine: Engine) -> list[str]:
        try:
            return dimension_names(engine, facts_name)
        except QueryError:
            raise
        except ValueError as exc:  # facts the settings cannot build (SLA without policies)
            raise QueryError(str(exc)) from None

    return _data(request).cached(("dimensions", facts_name), names)


@router.get(
    "/overview",
    summary="The headline tiles of the overview page",
    response_model=list[TileGroup],
    **_AS_RETURNED,
)
def overview(
    request: Request,
    user: Caller,
    range_: RangeParam = None,
    anchor: AnchorParam = "data",
    from_: FromParam = None,
    to: ToParam = None,
    where: WhereParam = [],  # noqa: B006
    clock: ClockParam = "calendar",
) -> list[dict[str, Any]]:
    """Each headline metric over the range: value, change, target, benchmarks, n and trend."""
    view = _view(request)
    config = request.app.state.config
    return _data(request).cached(
        ("overview", view.key()), lambda engine: pages.overview(engine, config, view)
    )


@router.get(
    "/agents",
    summary="Agent activity, speed next to quality",
    response_model=AgentsPage,
    **_AS_RETURNED,
)
def agents(
    request: Request,
    user: Caller,
    range_: RangeParam = None,
    anchor: AnchorParam = "data",
    from_: FromParam = None,
    to: ToParam = None,
    where: WhereParam = [],  # noqa: B006
) -> dict[str, Any]:
    view = _view(request)
    return _data(request).cached(("agents", view.key()), lambda e: pages.agents_page(e, view))


@router.get(
    "/targets",
    summary="Targets with owner, next action, status and trend",
    response_model=list[Tile],
    **_AS_RETURNED,
)
def targets(
    request: Request,
    user: Caller,
    range_: RangeParam = None,
    anchor: AnchorParam = "data",
    from_: FromParam = None,
    to: ToParam = None,
    where: WhereParam = [],  # noqa: B006
    clock: ClockParam = "calendar",
) -> list[dict[str, Any]]:
    view = _view(request)
    config = request.app.state.config
    return _data(request).cached(
        ("targets", view.key()), lambda engine: pages.targets_page(engine, config, view)
    )
