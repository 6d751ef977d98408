"""A page's charts as PNG or SVG (rendered on the server with vl-convert) and its tables as CSV,
each under the same view parameters as the page and stating them (a CSV's first line starts with
"# " and says the metric or page, range and filters)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from supportmetrics.export import safe_rows
from supportmetrics.web import pages
from supportmetrics.web.auth import page_session
from supportmetrics.web.data import DataSource
from supportmetrics.web.pages_routes import known
from supportmetrics.web.params import ParamError, View, parse_view
from supportmetrics.web.status import view_statement
from supportmetrics.web.users import Session

__all__ = ["CHARTS", "TABLES", "router"]

router = APIRouter(include_in_schema=False)
CurrentSession = Annotated[Session, Depends(page_session)]
METRIC_EXTRA = ("by", "period", "stat", "variant")
CHARTS = ("trend", "breakdown", "buckets", "histogram")
"""The charts of a metric page, by name (`chart=`)."""
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "trend": (("period", "period"), ("value", "value"), ("n", "n"), ("change", "change")),
    "breakdown": (
        ("value", "value"),
        ("n", "n"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
        ("low_sample", "low_sample"),
    ),
    "buckets": (("bucket", "bucket"), ("count", "count")),
}
"""The tables of a metric page (`table=`): (CSV header, row key); a breakdown starts with its
dimension."""
EXPORT_WIDTH = 900


def _data(request: Request) -> DataSource:
    return request.app.state.data


def _metric_page(request: Request, metric_id: str) -> tuple[View, dict[str, Any]]:
    known(metric_id)
    view = parse_view(list(request.query_params.multi_items()), METRIC_EXTRA)
    config = request.app.state.config
    page = _data(request).cached(
        ("metric page", metric_id, view.key()),
        lambda engine: pages.metric_page(engine, config, metric_id, view),
    )
    return view, page


def _chart_spec(page: dict[str, Any], chart: str) -> dict[str, Any]:
    if chart == "trend":
        spec = page.get("trend_chart")
    elif chart == "breakdown":
        spec = page.get("breakdown_chart")
    else:
        shape = page.get("distribution") or {}
        spec = shape.get(f"{chart}_chart")
    if not spec:
        raise ParamError(f"this page has no {chart} chart; it has: " + ", ".join(_charts(page)))
    return _sized(spec)


def _charts(page: dict[str, Any]) -> list[str]:
    shape = page.get("distribution") or {}
    found = ["trend"] if page.get("trend_chart") else []
    found += ["breakdown"] if page.get("breakdown_chart") else []
    return found + [c for c in ("buckets", "histogram") if shape.get(f"{c}_chart")]


def _sized(spec: Any) -> Any:
    """The spec with "container" widths (which need a page) set to EXPORT_WIDTH pixels."""
    if isinstance(spec, dict):
        return {
            k: EXPORT_WIDTH if k == "width" and v == "container" else _sized(v)
            for k, v in spec.items()
        }
    if isinstance(spec, list):
        return [_sized(v) for v in spec]
    return spec


@router.get("/metrics/{metric_id}/chart.{fmt}")
def chart_image(
    request: Request,
    metric_id: str,
    fmt: Literal["png", "svg"],
    session: CurrentSession,
    chart: Annotated[Literal["trend", "breakdown", "buckets", "histogram"], Query()] = "trend",
) -> Response:
    """One chart of the metric page under the same view, as PNG (2x) or SVG."""
    import vl_convert

    _, page = _metric_page(request, metric_id)
    spec = _chart_spec(page, chart)
    name = f"{metric_id}-{chart}.{fmt}"
    disposition = {"Content-Disposition": f'inline; filename="{name}"'}
    if fmt == "png":
        image = vl_convert.vegalite_to_png(spec, scale=2)
        return Response(image, media_type="image/png", headers=disposition)
    svg = vl_convert.vegalite_to_svg(spec)
    return Response(svg, media_type="image/svg+xml", headers=disposition)


def _csv(statement: str, header: list[str], rows: list[list[Any]], name: str) -> Response:
    out = io.StringIO()
    out.write(f"# {' '.join(statement.split())}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    keyed = safe_rows([{str(i): v for i, v in enumerate(row)} for row in rows])
    writer.writerows([["" if v is None else v for v in row.values()] for row in keyed])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/metrics/{metric_id}/table.csv")
def metric_table(
    request: Request,
    metric_id: str,
    session: CurrentSession,
    table: Annotated[Literal["trend", "breakdown", "buckets"], Query()] = "trend",
) -> Response:
    """One table of the metric page under the same view, as CSV (raw values: seconds, shares)."""
    _, page = _metric_page(request, metric_id)
    columns = list(TABLES[table])
    if table == "breakdown":
        if not page.get("by"):
            raise ParamError("this page has no breakdown table")
        columns.insert(0, (page["by"], page["by"]))
        rows = page["breakdown"]
    elif table == "buckets":
        if not page.get("distribution"):
            raise ParamError("this page has no buckets table")
        rows = page["distribution"]["buckets"]
    else:
        rows = page["trend"]
    statement = page["stated"] + f"; unit {page['metric']['unit']}"
    if table == "trend":
        statement += f"; by {page['period']}"
    return _csv(
        statement,
        [header for header, _ in columns],
        [[row.get(key) for _, key in columns] for row in rows],
        f"{metric_id}-{table}.csv",
    )


@router.get("/agents/table.csv")
def agents_table(request: Request, session: CurrentSession) -> Response:
    """The agents page's table under the same view, as CSV."""
    view = parse_view(list(request.query_params.multi_items()))
    found = _data(request).cached(("agents", view.key()), lambda e: pages.agents_page(e, view))
    columns = (
        "agent",
        "name",
        "replies",
        "solved",
        "calls",
        "notes",
        "first_response_mean",
        "first_response_median",
        "first_response_n",
        "csat",
        "csat_n",
        "open_assigned",
    )
    return _csv(
        _statement(request, view, "Agents"),
        list(columns),
        [[row.get(c) for c in columns] for row in found["rows"]],
        "agents.csv",
    )


TILE_COLUMNS = (
    "metric",
    "title",
    "unit",
    "value",
    "previous",
    "change",
    "change_pct",
    "n",
    "low_sample",
    "ci_low",
    "ci_high",
    "from",
    "to",
)
TARGET_COLUMNS = ("target", "met", "owner", "next_action", "scope")


def _tile_row(tile: dict[str, Any]) -> list[Any]:
    """A tile's numbers (raw values) and its target, as one CSV row."""
    target = tile.get("target") or {}
    return [tile.get(c) for c in TILE_COLUMNS] + [
        target.get("value"),
        target.get("met"),
        target.get("owner"),
        target.get("next_action"),
        target.get("scope"),
    ]


def _statement(request: Request, view: View, title: str) -> str:
    stated = _data(request).cached(
        ("view statement", view.key()), lambda e: view_statement(e, view)
    )
    return "; ".join([title, f"{stated['from']} to {stated['to']}", *stated["filters"]])


@router.get("/overview.csv")
def overview_table(request: Request, session: CurrentSession) -> Response:
    """The overview's tiles under the same view, as CSV: one row per metric with its group."""
    view = parse_view(list(request.query_params.multi_items()))
    config = request.app.state.config
    groups = _data(request).cached(
        ("overview", view.key()), lambda engine: pages.overview(engine, config, view)
    )
    rows = [[group["title"], *_tile_row(tile)] for group in groups for tile in group["tiles"]]
    header = ["group", *TILE_COLUMNS, *TARGET_COLUMNS]
    return _csv(_statement(request, view, "Overview"), header, rows, "overview.csv")


@router.get("/targets/table.csv")
def targets_table(request: Request, session: CurrentSession) -> Response:
    """The targets page's targets under the same view, as CSV."""
    view = parse_view(list(request.query_params.multi_items()))
    config = request.app.state.config
    found = _data(request).cached(
        ("targets", view.key()), lambda engine: pages.targets_page(engine, config, view)
    )
    header = [*TILE_COLUMNS, *TARGET_COLUMNS]
    return _csv(
        _statement(request, view, "Targets"), header, [_tile_row(t) for t in found], "targets.csv"
    )
