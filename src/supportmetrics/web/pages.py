"""What each dashboard page shows, as plain data: the JSON API returns it, the templates render it.

Every function takes the engine and a View and works for any metric in the catalogue; a headline tile
whose metric the catalogue does not have is left out.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any

from supportmetrics.config import Config, TargetSettings
from supportmetrics.display import change_class, human, human_change, human_interval
from supportmetrics.engine import Engine
from supportmetrics.facts.registry import fact_table
from supportmetrics.metrics import CATALOGUE, Metric
from supportmetrics.query import Query, QueryError, dimension_names, population, resolve_metric
from supportmetrics.query.dimensions import unmatched_filters
from supportmetrics.web import charts
from supportmetrics.web.order import natural_order
from supportmetrics.web.params import View, auto_period
from supportmetrics.web.queries import (
    breakdown_dimensions,
    default_split,
    default_stat,
    describe,
    distribution,
    get_metric,
    has_drill,
    metric_query,
    run,
    takes_stat,
    view_warnings,
)

__all__ = [
    "HEADLINE",
    "agents_page",
    "catalogue_entry",
    "filter_options",
    "filter_warnings",
    "metric_page",
    "overview",
    "sla_page",
    "targets_page",
    "variant_controls",
]

HEADLINE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Speed next to its quality partners",
        (
            "first_response_time",
            "resolution_time",
            "handle_time",
            "csat",
            "first_contact_resolution",
        ),
    ),
    ("Customer experience", ("nps", "ces")),
    ("Workload and commitments", ("ticket_volume", "backlog", "sla_attainment")),
    ("Contact center", ("abandonment_rate", "service_level")),
)
"""Overview groups: speed tiles sit next to the quality metrics that keep them honest."""


def catalogue_entry(chosen: Metric) -> dict[str, Any]:
    """A metric's catalogue declaration as JSON."""
    return {
        "id": chosen.id,
        "family": chosen.family,
        "title": chosen.title,
        "definition": chosen.definition,
        "facts": chosen.facts,
        "aggregation": chosen.aggregation,
        "unit": chosen.unit,
        "better": chosen.better,
        "filed_under": chosen.filed_under,
        "has_clock": chosen.has_clock,
        "drill_down": has_drill(chosen.resolve()),
        "variants": [
            {
                "name": v.name,
                "default": v.default,
                "description": v.description,
                "choices": list(v.choices) if v.choices else None,
            }
            for v in chosen.variants
        ],
        "benchmarks": [{"text": b.text, "source": b.source} for b in chosen.benchmarks],
    }


COUNTED = {"ticket_id": "Tickets", "call_id": "Calls", "response_id": "Responses"}
"""What a distribution counts, by its fact table's key."""
ROW_KEYS = ("value", "n", "ci_low", "ci_high", "low_sample", "previous", "change", "change_pct")


def _complete(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Result rows with every key the pages read (None where the metric has none)."""
    return [dict.fromkeys(ROW_KEYS) | row for row in rows]


def _met(value: float | None, target: float, better: str | None) -> bool | None:
    if value is None or better is None:
        return None
    return value <= target if better == "lower" else value >= target


def _target(config: Config, chosen: Metric, value: float | None) -> dict[str, Any] | None:
    settings = config.targets.get(chosen.id)
    if settings is None:
        return None
    number = settings.number(chosen.unit)
    return {
        "value": number,
        "display": human(number, chosen.unit),
        "owner": settings.owner,
        "next_action": settings.next_action,
        "met": _met(value, number, chosen.better),
        "scope": _scope(settings),
    }


def _scope(settings: TargetSettings) -> str:
    parts = [f"{k}={','.join(v)}" for k, v in settings.where.items()]
    parts += [f"{k}={v}" for k, v in settings.variants.items()]
    if settings.stat:
        parts.append(settings.stat)
    if settings.clock == "business":
        parts.append("business hours")
    return ", ".join(parts)


def _link(path: str, view: View) -> str:
    query = view.query_string()
    return f"{path}?{query}" if query else path


def _headline(engine: Engine, chosen: Metric, view: View, target: TargetSettings | None) -> dict:
    """The metric over the view's range with the previous equal range, and its trend."""
    applied = metric_query(engine, chosen, view, compare=True, target=target)
    result = run(engine, applied)
    row = result.rows[0] if result.rows else {}
    period = auto_period(applied.start, applied.end)
    trend = run(engine, metric_query(engine, chosen, view, period=period, target=target))
    value, unit = row.get("value"), result.unit
    return {
        "unit": unit,
        "better": result.better,
        "value": value,
        "display": human(value, unit),
        "previous": row.get("previous"),
        "change": row.get("change"),
        "change_display": human_change(row.get("change"), unit, row.get("previous")),
        "change_class": change_class(row.get("change"), result.better),
        "change_pct": row.get("change_pct"),
        "compare_note": row.get("compare_note"),
        "n": row.get("n"),
        "low_sample": bool(row.get("low_sample")),
        "ci_low": row.get("ci_low"),
        "ci_high": row.get("ci_high"),
        "ci_display": human_interval(row.get("ci_low"), row.get("ci_high"), unit),
        "stat": applied.query.stat if takes_stat(applied.resolved) else None,
        "clock": applied.query.clock,
        "from": applied.start.isoformat(),
        "to": applied.end.isoformat(),
        "days": (applied.end - applied.start).days + 1,
        "ignored_filters": list(applied.ignored),
        "period": period,
        "trend": [
            {"period": r["period"], "value": r.get("value"), "n": r.get("n")} for r in trend.rows
        ],
    }


def _tile(engine: Engine, config: Config, chosen: Metric, view: View) -> dict[str, Any]:
    tile: dict[str, Any] = {
        "metric": chosen.id,
        "title": chosen.title,
        "unit": chosen.unit,
        "better": chosen.better,
        "benchmarks": [{"text": b.text, "source": b.source} for b in chosen.benchmarks],
        "link": _link(f"/metrics/{chosen.id}", view),
    }
    try:
        tile |= _headline(engine, chosen, view, config.targets.get(chosen.id))
    except QueryError as exc:
        return tile | {"error": str(exc), "target": _target(config, chosen, None)}
    tile["target"] = _target(config, chosen, tile["value"])
    tile["spark"] = (
        charts.sparkline(tile["trend"], tile["unit"], tile["period"]) if tile["trend"] else None
    )
    return tile


def overview(engine: Engine, config: Config, view: View) -> list[dict[str, Any]]:
    """The headline tiles in their groups (metrics not in the catalogue left out)."""
    groups = []
    for title, ids in HEADLINE:
        tiles = [_tile(engine, config, CATALOGUE[i], view) for i in ids if i in CATALOGUE]
        if tiles:
            groups.append({"title": title, "tiles": tiles})
    return groups


def _period_range(label: str, period: str) -> tuple[date, date] | None:
    """The local dates of the period starting at `label` (None for (half) hours: finer than a
    date)."""
    if period in ("half_hour", "hour"):
        return None
    first = datetime.fromisoformat(label).date()
    if period == "day":
        return first, first
    if period == "week":
        return first, first + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    last_month = first.month - 1 + months - 1
    year, month = first.year + last_month // 12, last_month % 12 + 1
    return first, date(year, month, calendar.monthrange(year, month)[1])


def _drill_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def metric_page(engine: Engine, config: Config, metric_id: str, view: View) -> dict[str, Any]:
    """Headline, trend, breakdown by a dimension, duration distribution and drill-down links."""
    chosen = get_metric(metric_id)
    resolved = resolve_metric(engine, chosen, dict(view.variants))
    stat = view.get("stat") or default_stat(resolved)
    durations = takes_stat(resolved)
    stat_view = view.with_extra(stat=stat if durations else None)
    drill = has_drill(resolved)
    page: dict[str, Any] = {"metric": catalogue_entry(chosen), "drill": drill}
    settled = resolve_metric(engine, chosen) if view.variants else resolved
    page["variant_controls"] = variant_controls(chosen, settled, view)
    page["stated"] = None
    target = config.targets.get(chosen.id)
    applied = metric_query(engine, chosen, view, stat=stat, compare=True)
    result = run(engine, applied)
    row = _complete(result.rows[:1] or [{}])[0]
    unit = result.unit
    page["range"] = {
        "from": applied.start.isoformat(),
        "to": applied.end.isoformat(),
        "days": (applied.end - applied.start).days + 1,
    }
    page["stat"] = applied.query.stat if durations else None
    page["clock"] = applied.query.clock
    page["ignored_filters"] = list(applied.ignored)
    page["stated"] = describe(chosen.title, applied)
    page["unit"] = unit
    page["better"] = result.better
    page["headline"] = row | {
        "display": human(row.get("value"), unit),
        "change_display": human_change(row.get("change"), unit, row.get("previous")),
        "change_class": change_class(row.get("change"), result.better),
    }
    page["target"] = _target(config, chosen, row.get("value")) if target else None
    rows_path = f"/metrics/{chosen.id}/rows"
    page["rows_link"] = _link(rows_path, stat_view) if drill else None

    period = view.get("period") or auto_period(applied.start, applied.end)
    trend = run(engine, metric_query(engine, chosen, view, period=period, stat=stat, compare=True))
    trend.rows = _complete(trend.rows)
    for r in trend.rows:
        span = _period_range(r["period"], period)
        r["display"] = human(r["value"], unit)
        r["change_display"] = human_change(r["change"], unit, r["previous"])
        r["drill"] = _link(rows_path, stat_view.with_range(*span)) if drill and span else None
    page["period"] = period
    page["trend"] = trend.rows
    page["trend_chart"] = charts.trend(
        trend.rows,
        unit,
        page["target"]["value"] if page["target"] else None,
        period=period,
        title=chosen.title,
    )

    dimensions = breakdown_dimensions(engine, resolved)
    page["dimensions"] = dimensions
    by = view.get("by")
    if by is not None and by not in dimensions:
        raise QueryError(
            f"cannot break {chosen.id} down by {by!r}; use one of: " + ", ".join(dimensions)
        )
    split = None
    if by is not None:
        split = run(engine, metric_query(engine, chosen, view, by=(by,), stat=stat))
    elif (by := default_split(engine, applied, dimensions)) is not None:
        try:
            split = run(engine, metric_query(engine, chosen, view, by=(by,), stat=stat))
        except QueryError:  # a metric whose rows split by none of them (cohorts): no split
            by = None
    page["by"] = by
    page["breakdown"] = []
    if by and split is not None:
        split.rows = natural_order(_complete(split.rows), by)
        for r in split.rows:
            value = _drill_value(r.get(by))
            r["display"] = human(r.get("value"), unit)
            r["drill"] = (
                _link(rows_path, stat_view.with_where({by: value})) if drill and value else None
            )
        page["breakdown"] = split.rows
        page["breakdown_chart"] = charts.breakdown(split.rows, by, unit, chosen.title)

    page["distribution"] = None
    if durations and unit == "seconds":
        shape = distribution(engine, applied)
        for bucket in shape["buckets"]:
            bounds = {
                "min": str(int(bucket["low"])),
                "max": bucket["high"] and str(int(bucket["high"])),
            }
            bucket["drill"] = _link(rows_path, stat_view.with_extra(**bounds)) if drill else None
        counted = COUNTED.get(fact_table(resolved.facts).key or "", "rows")
        shape["counted"] = counted
        shape["buckets_chart"] = charts.bars(shape["buckets"], "bucket", "count", counted)
        shape["histogram_chart"] = (
            charts.histogram(shape["histogram"], chosen.title, counted)
            if shape["histogram"]
            else None
        )
        page["distribution"] = shape
    return page


def _variant_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def variant_controls(chosen: Metric, settled: Any, view: View) -> list[dict[str, Any]]:
    """A metric page's definition variants: name, choices (None: free text), the value the
    workspace's settings give it (`settled`: the metric resolved without the view's variants)
    and the view's value."""
    given = dict(view.variants)
    controls = []
    for variant in chosen.variants:
        default = _variant_text(settled.variants.get(variant.name, variant.default))
        choices = list(variant.choices) if variant.choices else None
        if choices is None and isinstance(variant.default, bool):
            choices = ["true", "false"]
        controls.append(
            {
                "name": variant.name,
                "description": variant.description,
                "default": default,
                "value": given.get(variant.name, default),
                "choices": choices,
            }
        )
    return controls


def agents_page(engine: Engine, view: View) -> dict[str, Any]:
    """Agent activity with speed (median first response, as on every page) next to quality
    (CSAT), each flagged when it rests on fewer observations than `[statistics] min_sample`."""
    chosen = get_metric("agent_activity")
    applied = metric_query(engine, chosen, view)
    names = _agent_names(engine)
    rows = run(engine, applied).rows
    minimum = engine.config.statistics.min_sample
    for r in rows:
        r["name"] = names.get(r["agent"], r["agent"])
        r["label"] = r["name"]
        r["first_response_display"] = human(r.get("first_response_median"), "seconds")
        r["first_response_low_sample"] = 0 < (r.get("first_response_n") or 0) < minimum
        r["csat_display"] = human(r.get("csat"), "share")
        r["csat_low_sample"] = 0 < (r.get("csat_n") or 0) < minimum
    rows.sort(key=lambda r: (-(r.get("replies") or 0), r["agent"]))
    return {
        "range": {"from": applied.start.isoformat(), "to": applied.end.isoformat()},
        "ignored_filters": list(applied.ignored),
        "min_sample": minimum,
        "warnings": view_warnings(engine, applied),
        "rows": rows,
        "chart": charts.agents_scatter(rows),
    }


def _agent_names(engine: Engine) -> dict[str, str]:
    table = engine.db.to_pyarrow(engine.db.table("agents").select("agent_id", "name"))
    return {row["agent_id"]: row["name"] or row["agent_id"] for row in table.to_pylist()}


def targets_page(engine: Engine, config: Config, view: View) -> list[dict[str, Any]]:
    """Each target with its owner, next action, status over the view's range and its trend."""
    out = []
    for metric_id in config.targets:
        chosen = CATALOGUE[metric_id]
        tile = _tile(engine, config, chosen, view)
        if tile.get("trend"):
            tile["trend_chart"] = charts.trend(
                tile["trend"],
                tile["unit"],
                tile["target"]["value"],
                period=tile["period"],
                title=tile["title"],
            )
        out.append(tile)
    return out


def sla_page(engine: Engine, config: Config, view: View) -> dict[str, dict[str, Any]]:
    """Per SLA policy name: its attainment over the view's range (share of targets met) and n."""
    if not config.sla or "sla_attainment" not in CATALOGUE:
        return {}
    chosen = CATALOGUE["sla_attainment"]
    try:
        result = run(engine, metric_query(engine, chosen, view, by=("sla_policy",)))
    except QueryError:
        return {}
    return {
        r["sla_policy"]: {
            "value": r.get("value"),
            "display": human(r.get("value"), result.unit),
            "n": r.get("n"),
        }
        for r in result.rows
    }


def filter_options(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """The values each filter in the filter bar offers: (value, label)."""
    options: dict[str, list[tuple[str, str]]] = {}
    tickets = engine.table("tickets")  # stored columns: no ticket facts to build
    for name in ("channel", "team", "priority", "issue_type"):
        column = tickets[name]
        values = engine.db.to_pyarrow(tickets.select(column).distinct().order_by(name))
        options[name] = [(v, v) for v in values.column(0).to_pylist() if v is not None]
    tiers = engine.db.table("customers").select("tier").distinct().order_by("tier")
    options["tier"] = [(v, v) for v in engine.db.to_pyarrow(tiers).column(0).to_pylist() if v]
    names = _agent_names(engine)
    options["agent"] = sorted(((k, v) for k, v in names.items()), key=lambda kv: kv[1])
    return options


def filter_warnings(engine: Engine, view: View) -> list[str]:
    """A warning per filter value of `view` that no ticket has (a value that never occurs in the
    data filters every number down to nothing: say so rather than show zeros)."""
    where = view.where_dict()
    if not where:
        return []
    tickets = population(engine, Query("ticket_volume"))
    known = set(dimension_names(engine, tickets.facts))
    checked = {name: values for name, values in where.items() if name in known}
    return unmatched_filters(engine, tickets.facts, tickets.rows, checked)
