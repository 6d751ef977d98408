"""The dashboard pages (HTML): overview, catalogue, metric, drill-down rows, agents, targets, SLA
policies (their edit forms post to `settings_routes`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from supportmetrics.engine import Engine
from supportmetrics.facts.registry import fact_table
from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import QueryError, find_metric
from supportmetrics.web import pages, planning_pages
from supportmetrics.web.auth import page_session
from supportmetrics.web.data import DataSource
from supportmetrics.web.drill import ALL, cell, chosen_columns, header, ticket_link
from supportmetrics.web.params import (
    ANCHORS,
    FILTERS,
    PRESET_LABELS,
    PRESETS,
    ParamError,
    View,
    parse_view,
)
from supportmetrics.web.queries import describe, drill_columns, drill_rows, get_metric, metric_query
from supportmetrics.web.settings_forms import policy_form, target_form, target_metrics
from supportmetrics.web.status import data_status, last_loaded
from supportmetrics.web.users import Session

__all__ = ["known", "router", "sla_response", "targets_response"]

router = APIRouter(include_in_schema=False)
CurrentSession = Annotated[Session, Depends(page_session)]
PAGE_SIZE = 50
METRIC_EXTRA = ("by", "period", "stat", "variant")
ROWS_EXTRA = ("min", "max", "offset", "stat", "columns", "variant")


def _data(request: Request) -> DataSource:
    return request.app.state.data


def _view(request: Request, extra: tuple[str, ...] = ()) -> View:
    return parse_view(list(request.query_params.multi_items()), extra)


def _render(
    request: Request,
    name: str,
    session: Session,
    view: View,
    context: dict[str, Any],
    controls: tuple[str, ...] = (),
    status: int = 200,
) -> Response:
    """A page with the filter bar; `controls` are the view's page parameters the page itself
    shows as fields of the filter form (the others travel as hidden fields)."""
    templates = request.app.state.templates
    path = request.url.path
    data = _data(request)
    # what the bar offers depends on the data only: its queries run once per data version
    options = data.cached(("filter options",), pages.filter_options)
    loaded = data.cached(("last loaded",), last_loaded)

    def filter_bar(engine: Engine) -> str:
        """The filter bar depends on the view and the data only: rendered once per both (it
        lists every agent, the largest part of a page)."""
        macros = templates.get_template("macros.html").module
        presets = [(key, PRESET_LABELS[key]) for key in PRESETS]
        status = data_status(engine, view, loaded)
        hidden = [(k, v) for k, v in view.extra if k not in controls and k != "offset"]
        if "variant" not in controls:
            hidden += [("variant", f"{k}={v}") for k, v in view.variants]
        return macros.filter_bar(view, FILTERS, options, presets, path, hidden, status, ANCHORS)

    bar = data.cached(("filter bar", path, view.key(), controls), filter_bar)
    warnings = data.cached(
        ("filter warnings", view.where), lambda engine: pages.filter_warnings(engine, view)
    )
    base = {"session": session, "view": view, "filter_bar": bar, "warnings": warnings}
    return templates.TemplateResponse(request, name, base | context, status_code=status)


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
    known(metric_id)
    view = _view(request, METRIC_EXTRA)
    config = request.app.state.config
    page = _data(request).cached(
        ("metric page", metric_id, view.key()),
        lambda engine: pages.metric_page(engine, config, metric_id, view),
    )
    controls = ("by", "period", "stat", "variant")
    why_path = f"/metrics/{metric_id}/why"
    context = {
        "page": page,
        "why_link": _linked(why_path, view),
        "why_panel": _linked(f"{why_path}/panel", view),
    }
    return _render(request, "metric.html", session, view, context, controls=controls)


def _linked(path: str, view: View) -> str:
    """`path` with the view's parameters."""
    query = view.query_string()
    return f"{path}?{query}" if query else path


def _why(request: Request, metric_id: str, view: View) -> dict[str, Any] | None:
    """The explain panel's data for `view` (computed on request: a metric page view does not
    pay for it)."""
    return _data(request).cached(
        ("why changed", metric_id, view.key()),
        lambda engine: planning_pages.why_changed(engine, metric_id, view),
    )


@router.get("/metrics/{metric_id}/why")
def why(request: Request, metric_id: str, session: CurrentSession) -> Response:
    """The "Why did this change?" panel as a page of its own (the metric page's link, followed
    without JavaScript)."""
    known(metric_id)
    view = _view(request, METRIC_EXTRA)
    context = {
        "metric": pages.catalogue_entry(get_metric(metric_id)),
        "why": _why(request, metric_id, view),
        "back": _linked(f"/metrics/{metric_id}", view),
    }
    return _render(request, "why.html", session, view, context)


@router.get("/metrics/{metric_id}/why/panel")
def why_panel(request: Request, metric_id: str, session: CurrentSession) -> Response:
    """The panel alone, as HTML the metric page's script puts in place."""
    known(metric_id)
    view = _view(request, METRIC_EXTRA)
    context = {"why": _why(request, metric_id, view), "session": session}
    return request.app.state.templates.TemplateResponse(request, "why_changed.html", context)


def known(metric_id: str) -> None:
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
    known(metric_id)
    chosen = get_metric(metric_id)
    view = _view(request, ROWS_EXTRA)
    picked = [v for k, v in request.query_params.multi_items() if k == "column" and v]
    if picked:  # the column picker's checkboxes
        view = view.with_extra(columns=",".join(picked))
    offset = int(_number(view, "offset") or 0)
    if offset < 0:
        raise ParamError("offset takes a number >= 0")
    low, high = _number(view, "min"), _number(view, "max")

    def compute(engine: Engine) -> dict[str, Any]:
        applied = metric_query(engine, chosen, view)
        every, default = drill_columns(engine, applied)
        shown = chosen_columns(view.get("columns"), every, default)
        table, total = drill_rows(
            engine, applied, low=low, high=high, limit=PAGE_SIZE, offset=offset, columns=shown
        )
        return {
            "applied": applied,
            "stated": describe(chosen.title, applied, low, high),
            "total": total,
            "every": every,
            "default": default,
            "columns": table.column_names,
            "rows": table.to_pylist(),
        }

    found = _data(request).cached(("rows page", metric_id, view.key()), compute)
    resolved = found["applied"].resolved
    headers = {c: header(c, chosen.title, resolved.filed_at) for c in found["every"]}
    links = fact_table(resolved.facts).key != "ticket_id"
    table = [
        [
            {
                "text": cell(row[c], c, resolved.unit),
                "sort": _sort_key(row[c]),
                "link": ticket_link(row[c]) if links and c == "ticket_id" and row[c] else None,
            }
            for c in found["columns"]
        ]
        for row in found["rows"]
    ]
    base = view.with_extra(offset=None)
    pages_links = {
        "previous": base.with_extra(offset=str(max(offset - PAGE_SIZE, 0))) if offset else None,
        "next": base.with_extra(offset=str(offset + PAGE_SIZE))
        if offset + PAGE_SIZE < found["total"]
        else None,
    }
    export = base.with_extra(stat=None, columns=",".join(found["columns"]))
    context = {
        "metric": pages.catalogue_entry(chosen),
        "found": found,
        "headers": headers,
        "table": table,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "links": pages_links,
        "csv_query": export.api_query_string() + "&comment=true",
        "csv_all_query": export.with_extra(columns=ALL).api_query_string() + "&comment=true",
        "all_columns": base.with_extra(columns=ALL).query_string(),
        "default_columns": base.with_extra(columns=None).query_string(),
        "back": View(
            view.preset,
            view.start,
            view.end,
            view.where,
            view.clock,
            (),
            view.anchor,
            view.variants,
        ).query_string(),
    }
    return _render(request, "rows.html", session, view, context, controls=("columns",))


def _sort_key(value: Any) -> str:
    """A cell's `data-sort`: numbers and times as they compare, the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


@router.get("/agents")
def agents(request: Request, session: CurrentSession) -> Response:
    view = _view(request)
    found = _data(request).cached(("agents", view.key()), lambda e: pages.agents_page(e, view))
    return _render(request, "agents.html", session, view, {"page": found})


@router.get("/targets")
def targets(request: Request, session: CurrentSession) -> Response:
    return targets_response(request, session)


def targets_response(
    request: Request, session: Session, edit: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """The targets page; `edit` is a refused form (its fields and problems) shown again."""
    view = _view(request)
    config = request.app.state.config
    found = _data(request).cached(
        ("targets", view.key()), lambda engine: pages.targets_page(engine, config, view)
    )
    forms = {metric_id: target_form(t) for metric_id, t in config.targets.items()}
    context = {
        "targets": found,
        "forms": forms,
        "choices": target_metrics(config.targets),
        "edit": edit,
    }
    return _render(request, "targets.html", session, view, context, status=status)


@router.get("/sla")
def sla(request: Request, session: CurrentSession) -> Response:
    return sla_response(request, session)


def sla_response(
    request: Request, session: Session, edit: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """The SLA policies with their attainment over the view's range; `edit` as on targets."""
    view = _view(request)
    config = request.app.state.config
    attainment = _data(request).cached(
        ("sla", view.key()), lambda engine: pages.sla_page(engine, config, view)
    )
    context = {
        "policies": [
            {"form": policy_form(p), "attainment": attainment.get(p.name)} for p in config.sla
        ],
        "edit": edit,
        "attainment_link": f"/metrics/sla_attainment?{view.with_extra(by='sla_policy').query_string()}",
    }
    return _render(request, "sla.html", session, view, context, status=status)
