"""Dashboard queries over the one query API: a view's range and filters applied to a metric, the
rows behind a number (drill-down) and the distribution of a duration metric.

The drill-down and distribution read the metric's population (the query runner's plan and
population, filtered with `filter_rows`), so they hold exactly the rows the metric aggregates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from supportmetrics.config import TargetSettings
from supportmetrics.engine import Engine
from supportmetrics.facts.registry import FACT_TABLES, fact_table
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
from supportmetrics.query.dimensions import unknown_dimension, unmatched_filters
from supportmetrics.web.params import ParamError, View, check_periods

__all__ = [
    "BUCKETS",
    "Applied",
    "breakdown_dimensions",
    "default_stat",
    "distribution",
    "drill_rows",
    "get_metric",
    "has_drill",
    "metric_query",
    "run",
    "takes_stat",
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
    schema = engine.facts(resolved.facts).schema()
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
    variants: dict[str, str] = {}
    if target is not None:
        variants = {
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
    start, end = view.range(engine.span())
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


def drill_rows(
    engine: Engine,
    applied: Applied,
    *,
    low: float | None = None,
    high: float | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[pa.Table, int]:
    """The rows behind the metric's number under `applied` (a page of them) and their count."""
    rows = _population_rows(engine, applied, low, high)
    keep = [c for c in rows.columns if not c.startswith("_") or c in ("_value", "_filed_at")]
    first = next(c for c in keep if not c.startswith("_"))
    rows = rows.select(keep).rename(value="_value", filed_at="_filed_at")
    rows = rows.relocate(first, "filed_at", "value").order_by(["filed_at", first])
    total = int(engine.db.to_pyarrow(rows.count()).as_py())
    page = rows if limit is None else rows.limit(limit, offset=offset)
    return engine.arrow(page), total


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
