"""The dashboard pages (HTML): overview, catalogue, metric, drill-down rows, agents, targets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from supportmetrics.engine import Engine
from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import QueryError, find_metric
from supportmetrics.web import pages, planning_pages
from supportmetrics.web.auth import page_session
from supportmetrics.web.data import DataSource
from supportmetrics.web.params import FILTERS, PRESET_LABELS, PRESETS, ParamError, View, parse_view
from supportmetrics.web.queries import drill_rows, get_metric, metric_query
from supportmetrics.web.users import Session

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
CurrentSession = Annotated[Session, Depends(page_session)]
PAGE_SIZE = 50
METRIC_EXTRA = ("by", "period", "stat")
ROWS_EXTRA = ("min", "max", "offset", "stat")


def _data(request: Request) -> DataSource:
    return request.app.state.data


def _view(request: Request, extra: tuple[str, ...] = ()) -> View:
    return parse_view(list(request.query_params.multi_items()), extra)


def _render(
    request: Request, name: str, session: Session, view: View, context: dict[str, Any]
) -> Response:
    templates = request.app.state.templates
    path = request.url.path

    def filter_bar(engine: Engine) -> str:
        """The filter bar depends on the view and the data only: rendered once per both (it
        lists every agent, the largest part of a page)."""
        macros = templates.get_template("macros.html").module
        presets = [(key, PRESET_LABELS[key]) for key in PRESETS]
        return macros.filter_bar(view, FILTERS, pages.filter_options(engine), presets, path)

    bar = _data(request).cached(("filter bar", path, view.key()), filter_bar)
    base = {"session": session, "view": view, "filter_bar": bar}
    return templates.TemplateResponse(request, name, base | context)


@router.get("/")
def overview(request: Request, session: CurrentSession) -> Response:
    view = _view(request)
    config = request.app.state.config
    groups = _data(request).cached(
        ("overview", view.key()), lambda engine: pages.overview(engine, config, view)
    )
    return _render(request, "overview.html", session, view, {"groups": groups})


@router.get("/metrics")
def catalogue(request: Request, session: CurrentSession) -> Response:
    view = _view(request)
    families: dict[str, list[dict[str, Any]]] = {}
    for chosen in CATALOGUE.values():
        families.setdefault(chosen.family, []).append(pages.catalogue_entry(chosen))
    return _render(request, "catalogue.html", session, view, {"families": families})


@router.get("/metrics/{metric_id}")
def metric(request: Request, metric_id: str, session: CurrentSession) -> Response:
    _known(metric_id)
    view = _view(request, METRIC_EXTRA)
    config = request.app.state.config
    page = _data(request).cached(
        ("metric page", metric_id, view.key()),
        lambda engine: pages.metric_page(engine, config, metric_id, view),
    )
    why = _data(request).cached(
        ("why changed", metric_id, view.key()),
        lambda engine: planning_pages.why_changed(engine, metric_id, view),
    )
    return _render(request, "metric.html", session, view, {"page": page, "why": why})


def _known(metric_id: str) -> None:
    """A 404 naming the metrics (and the closest ids) for a metric the catalogue lacks."""
    try:
        find_metric(metric_id)
    except QueryError as exc:
        raise HTTPException(404, str(exc)) from None


def _number(view: View, name: str) -> float | None:
    text = view.get(name)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise ParamError(f"{name} takes a number; got {text!r}") from None


@router.get("/metrics/{metric_id}/rows")
def rows(request: Request, metric_id: str, session: CurrentSession) -> Response:
    """One page of the rows behind a metric, with a CSV export of all of them."""
    _known(metric_id)
    chosen = get_metric(metric_id)
    view = _view(request, ROWS_EXTRA)
    offset = int(_number(view, "offset") or 0)
    if offset < 0:
        raise ParamError("offset takes a number >= 0")
    low, high = _number(view, "min"), _number(view, "max")

    def compute(engine: Engine) -> dict[str, Any]:
        applied = metric_query(engine, chosen, view)
        table, total = drill_rows(
            engine, applied, low=low, high=high, limit=PAGE_SIZE, offset=offset
        )
        return {
            "applied": applied,
            "total": total,
            "columns": table.column_names,
            "rows": table.to_pylist(),
        }

    found = _data(request).cached(("rows page", metric_id, view.key()), compute)
    base = view.with_extra(offset=None)
    pages_links = {
        "previous": base.with_extra(offset=str(max(offset - PAGE_SIZE, 0))) if offset else None,
        "next": base.with_extra(offset=str(offset + PAGE_SIZE))
        if offset + PAGE_SIZE < found["total"]
        else None,
    }
    context = {
        "metric": pages.catalogue_entry(chosen),
        "found": found,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "links": pages_links,
        "csv_query": base.with_extra(stat=None).query_string(),
        "back": View(view.preset, view.start, view.end, view.where, view.clock, ()).query_string(),
    }
    return _render(request, "rows.html", session, view, context)


@router.get("/agents")
def agents(request: Request, session: CurrentSession) -> Response:
    view = _view(request)
    found = _data(request).cached(("agents", view.key()), lambda e: pages.agents_page(e, view))
    return _render(request, "agents.html", session, view, {"page": found})


@router.get("/targets")
def targets(request: Request, session: CurrentSession) -> Response:
    view = _view(request)
    config = request.app.state.config
    found = _data(request).cached(
        ("targets", view.key()), lambda engine: pages.targets_page(engine, config, view)
    )
    return _render(request, "targets.html", session, view, {"targets": found})
