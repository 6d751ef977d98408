"""Dashboard queries over the one query API: a view's range and filters applied to a metric, the
rows behind a number (drill-down) and the distribution of a duration metric.

The drill-down and distribution read the metric's population (the query runner's plan and
population, filtered with `filter_rows`), so they hold exactly the rows the metric aggregates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from supportmetrics.config import TargetSettings
from supportmetrics.engine import Engine
from supportmetrics.facts.registry import FACT_TABLES, FactTable, fact_table
from supportmetrics.metrics.base import Metric, ResolvedMetric
from supportmetrics.query import (
    Query,
    QueryError,
    Result,
    dimension_names,
    find_metric,
    population,
    resolve_metric,
    run_query,
)
from supportmetrics.query.aggregations import aggregation
from supportmetrics.query.dimensions import column_types, unknown_dimension, unmatched_filters
from supportmetrics.web.params import ParamError, View, check_periods

__all__ = [
    "AGENT_NAME",
    "BUCKETS",
    "SPLIT_FIRST",
    "Applied",
    "breakdown_dimensions",
    "default_split",
    "default_stat",
    "describe",
    "distribution",
    "drill_columns",
    "drill_rows",
    "get_metric",
    "has_drill",
    "metric_query",
    "run",
    "takes_stat",
    "today",
    "view_warnings",
]

BUCKETS: tuple[tuple[str, float, float | None], ...] = (
    ("0-1 h", 0, 3600),
    ("1-4 h", 3600, 4 * 3600),
    ("4-8 h", 4 * 3600, 8 * 3600),
    ("8-24 h", 8 * 3600, 24 * 3600),
    ("24 h+", 24 * 3600, None),
)
HISTOGRAM_BINS = 30
AGENT_NAME = "agent_name"
"""The drill-down column with the name of the row's agent (beside their id)."""


def get_metric(metric_id: str) -> Metric:
    """The catalogue entry `metric_id` (see `find_metric`)."""
    return find_metric(metric_id)


def has_drill(resolved: ResolvedMetric) -> bool:
    """Whether the rows behind the metric's numbers can be listed (a drillable fact table, one
    row per aggregated row)."""
    return fact_table(resolved.facts).drillable and aggregation(resolved.aggregation).drillable


def takes_stat(resolved: ResolvedMetric) -> bool:
    """Whether the metric's value is a statistic of values (mean, median, pNN) the view chooses."""
    return aggregation(resolved.aggregation).takes_stat


def default_stat(resolved: ResolvedMetric) -> str:
    """Durations are skewed: the dashboard shows their median unless told otherwise."""
    duration = takes_stat(resolved) and resolved.unit == "seconds"
    return "median" if duration else "mean"


@dataclass(frozen=True)
class Applied:
    """A view applied to one metric: the query and the filters it could not take."""

    query: Query
    ignored: tuple[str, ...]
    start: date
    end: date
    resolved: ResolvedMetric
    """The metric under the workspace's (and the target's) variants."""


def _dimensions(engine: Engine, facts: str) -> list[str]:
    """`dimension_names`, with a facts table the settings cannot build as a QueryError."""
    try:
        return dimension_names(engine, facts)
    except ValueError as exc:  # e.g. SLA facts without SLA policies
        raise QueryError(str(exc)) from None


def breakdown_dimensions(engine: Engine, resolved: ResolvedMetric) -> list[str]:
    """Dimensions worth a breakdown: categories, not ids or measures."""
    names = _dimensions(engine, resolved.facts)
    schema = column_types(engine, resolved.facts)
    out = []
    for name in names:
        if name == "tags" or name.endswith("_id"):
            continue
        if name in schema and not (schema[name].is_string() or schema[name].is_boolean()):
            continue
        out.append(name)
    return out


def metric_query(
    engine: Engine,
    chosen: Metric,
    view: View,
    *,
    by: tuple[str, ...] = (),
    period: str | None = None,
    stat: str | None = None,
    compare: bool = False,
    target: TargetSettings | None = None,
) -> Applied:
    """The Query for `chosen` under `view` (and its target's own scope, when given)."""
    variants: dict[str, str] = dict(view.variants)
    if target is not None:
        variants |= {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in target.variants.items()
        }
    resolved = resolve_metric(engine, chosen, variants)
    where = view.where_dict()
    ignored: tuple[str, ...] = ()
    if where:
        valid = set(_dimensions(engine, resolved.facts))
        ignored = tuple(name for name in where if name not in valid)
        where = {k: v for k, v in where.items() if k in valid}
    clock = view.clock if chosen.has_clock else "calendar"
    if target is not None:
        where |= target.where
        clock = target.clock
        stat = stat or target.stat
    start, end = view.range(engine.span(), today(engine))
    if period is not None:
        check_periods(start, end, period)
    for name in by:
        if name not in _dimensions(engine, resolved.facts):
            raise unknown_dimension(engine, resolved.facts, name)
    query = Query(
        chosen.id,
        by,
        period,  # type: ignore[arg-type]
        start,
        end,
        where,
        stat or default_stat(resolved),
        clock,  # type: ignore[arg-type]
        variants,
        "previous" if compare and view.preset != "all" else None,  # all data: nothing before
    )
    return Applied(query, ignored, start, end, resolved)


def describe(
    title: str, applied: Applied, low: float | None = None, high: float | None = None
) -> str:
    """What a view of a metric holds, in one line: title, range, filters, clock, variants (for a
    page header and the first line of an export)."""
    query = applied.query
    parts = [title, f"{applied.start} to {applied.end}"]
    parts += [f"{name} = {', '.join(values)}" for name, values in sorted(query.where.items())]
    if low is not None or high is not None:
        parts.append(f"value from {low or 0:g} s" + (f" to under {high:g} s" if high else ""))
    if query.clock == "business":
        parts.append("business hours")
    parts += [f"{name} = {value}" for name, value in sorted(query.variants.items())]
    return "; ".join(parts)


SPLIT_FIRST = ("channel", "queue", "survey", "team", "priority", "issue_type", "direction")
"""The dimensions a metric page splits by first, when it has them and they vary."""


def default_split(engine: Engine, applied: Applied, dimensions: Sequence[str]) -> str | None:
    """The first dimension (SPLIT_FIRST first, then the others in order) with more than one value
    among the rows under the view, so a split never shows one bar (None if none varies)."""
    ordered = [d for d in SPLIT_FIRST if d in dimensions]
    ordered += [d for d in dimensions if d not in ordered]
    try:
        rows = _population_rows(engine, applied, drill=False)
    except QueryError:
        return ordered[0] if ordered else None
    own = [d for d in ordered if d in rows.columns]
    if own:
        counts = engine.arrow(rows.aggregate(**{d: rows[d].nunique() for d in own})).to_pylist()[0]
        for name in own:
            if (counts[name] or 0) > 1:
                return name
    return next((d for d in ordered if d not in own), ordered[0] if ordered else None)


def today(engine: Engine) -> date:
    """Today's date in the workspace's time zone."""
    return datetime.now(ZoneInfo(engine.config.timezone)).date()


def run(engine: Engine, applied: Applied) -> Result:
    """`applied`'s result (its filters are checked once per page: `view_warnings`)."""
    return run_query(engine, applied.query, check_filters=False)


def view_warnings(engine: Engine, applied: Applied) -> list[str]:
    """A warning per filter value the metric's rows never have, over all the data."""
    if not applied.query.where:
        return []
    unfiltered = replace(applied.query, where={}, start=None, end=None)
    behind = population(engine, unfiltered)
    return unmatched_filters(engine, behind.facts, behind.rows, applied.query.where)


def _population_rows(
    engine: Engine,
    applied: Applied,
    low: float | None = None,
    high: float | None = None,
    *,
    drill: bool = True,
) -> ir.Table:
    """The rows the metric aggregates under `applied`, optionally only values in [low, high)."""
    query = applied.query
    behind = population(engine, query)
    if drill and not has_drill(behind.resolved):
        listed = " or ".join(t.name for t in FACT_TABLES.values() if t.drillable)
        raise QueryError(
            f"drill-down is not available for {query.metric}: it is computed over {behind.facts} "
            f"facts, not over the rows of {listed}"
        )
    if (low is not None or high is not None) and not behind.kind.takes_stat:
        raise ParamError("min and max select durations; this metric has none")
    rows = behind.rows
    if low is not None:
        rows = rows.filter(rows._value >= low)
    if high is not None:
        rows = rows.filter(rows._value < high)
    return rows


def drill_columns(engine: Engine, applied: Applied) -> tuple[list[str], list[str]]:
    """The columns the drill-down offers (the default ones first, in order) and the default ones
    (see `drill_rows`)."""
    facts = fact_table(applied.resolved.facts)
    rows = _population_rows(engine, applied)
    every, default = _ordered(rows, facts, applied.resolved.filed_at)
    offered = [c for c in every if c != applied.resolved.filed_at]  # filed_at holds it
    return default + [c for c in offered if c not in default], default


def _ordered(rows: ir.Table, facts: FactTable, filed: str | None) -> tuple[list[str], list[str]]:
    """Every column (key, filed_at, value, the fact columns with the agent's name beside the
    agent) and the default ones."""
    own = [c for c in rows.columns if not c.startswith("_")]
    first: str = facts.key if facts.key is not None and facts.key in own else own[0]
    every = [first, "filed_at", "value"]
    for column in own:
        if column != first:
            every.append(column)
            if column == facts.agent:
                every.append(AGENT_NAME)
    wanted = [c for c in facts.drill_columns if c in own and c not in (first, filed)]
    default = [first, "filed_at", "value"]
    for column in wanted:
        default.append(column)
        if column == facts.agent:
            default.append(AGENT_NAME)
    return every, default


def drill_rows(
    engine: Engine,
    applied: Applied,
    *,
    low: float | None = None,
    high: float | None = None,
    limit: int | None = 50,
    offset: int = 0,
    columns: Sequence[str] | None = None,
) -> tuple[pa.Table, int]:
    """The rows behind the metric's number under `applied` (a page of them) and their count:
    the key, `filed_at`, `value`, then the fact columns (the agent's name, `agent_name`, beside
    the agent's id); only `columns` of them, in that order, when given."""
    rows = _population_rows(engine, applied, low, high)
    facts = fact_table(applied.resolved.facts)
    every, _ = _ordered(rows, facts, applied.resolved.filed_at)
    if facts.agent in rows.columns:
        agents = engine.table("agents")
        names = agents.select(__agent=agents.agent_id, **{AGENT_NAME: agents.name})
        rows = rows.left_join(names, rows[facts.agent] == names["__agent"]).drop("__agent")
    rows = rows.rename(value="_value", filed_at="_filed_at")
    shown = every if columns is None else [c for c in columns if c in every]
    rows = rows.order_by(["filed_at", every[0]])
    total = int(engine.db.to_pyarrow(rows.count()).as_py())
    page = rows if limit is None else rows.limit(limit, offset=offset)
    return engine.arrow(page.select(shown)), total


def distribution(engine: Engine, applied: Applied) -> dict[str, Any]:
    """Counts per duration bucket and an equal-width histogram up to the 99th percentile."""
    rows = _population_rows(engine, applied, drill=False)
    value = rows._value
    counts = {
        label: value.count(where=(value >= low) & (value < high) if high else value >= low)
        for label, low, high in BUCKETS
    }
    summary = engine.arrow(rows.aggregate(p99=value.quantile(0.99), **counts)).to_pylist()[0]
    buckets = [
        {"bucket": label, "count": summary[label] or 0, "low": low, "high": high}
        for label, low, high in BUCKETS
    ]
    top = summary["p99"]
    histogram: list[dict[str, Any]] = []
    if top is not None and not math.isnan(top) and top > 0:
        width = top / HISTOGRAM_BINS
        index = ibis.least((value / width).floor().cast("int64"), HISTOGRAM_BINS - 1)
        binned = rows.mutate(_bin=index)
        binned = binned.group_by("_bin").aggregate(count=binned.count())
        table = engine.arrow(binned.order_by("_bin")).to_pylist()
        histogram = [
            {
                "low_hours": row["_bin"] * width / 3600,
                "high_hours": (row["_bin"] + 1) * width / 3600,
                "count": row["count"],
            }
            for row in table
        ]
    return {"buckets": buckets, "histogram": histogram, "p99": top}
