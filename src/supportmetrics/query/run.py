"""Run a query: metric + dimensions + period + range + filters -> result rows.

The metric's population (its fact rows, each with `_value`, filed under the metric's filed-at column
as `_filed_at`) is aggregated by the metric's aggregation kind (`supportmetrics.query.aggregations`),
split by dimensions and local periods, in the backend; the small-sample flag, percent scale, partial
periods, order and comparisons are applied to the aggregated rows here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from supportmetrics.engine import Engine
from supportmetrics.facts.registry import FACT_TABLES
from supportmetrics.facts.sla import ticket_sla_summary
from supportmetrics.localtime import local_timestamp
from supportmetrics.metrics.base import Metric, ResolvedMetric
from supportmetrics.query.aggregations import Aggregation, aggregation
from supportmetrics.query.dimensions import filter_rows, unmatched_filters
from supportmetrics.query.lookup import find_metric
from supportmetrics.query.model import PERIODS, Query, QueryError, Result
from supportmetrics.query.periods import covered, covered_days, is_partial, previous_label
from supportmetrics.stats import is_stat

__all__ = [
    "Population",
    "facts_rows",
    "facts_warnings",
    "population",
    "resolve_metric",
    "run_query",
]


def _check(query: Query) -> Metric:
    chosen = find_metric(query.metric)
    if query.period is not None and query.period not in PERIODS:
        raise QueryError(f"unknown period {query.period!r}; use one of {', '.join(PERIODS)}")
    if query.clock not in ("calendar", "business"):
        raise QueryError(f"unknown clock {query.clock!r}; use calendar or business")
    if query.clock == "business" and not chosen.has_clock:
        raise QueryError(f"{chosen.id} has no business-hours variant; use --clock calendar")
    if not is_stat(query.stat):
        raise QueryError(f"unknown stat {query.stat!r}; use mean, median, p90 or any pNN")
    if query.start and query.end and query.end < query.start:
        raise QueryError(f"--to {query.end} is before --from {query.start}")
    if query.compare not in (None, "previous"):
        raise QueryError(f"unknown comparison {query.compare!r}; use previous")
    return chosen


def resolve_metric(
    engine: Engine, chosen: Metric, given: Mapping[str, str] | None = None
) -> ResolvedMetric:
    """`chosen` under its variants (its defaults, the team's settings, then `given`) and what
    they make of it; a QueryError if a variant is unknown or its fact table cannot be built."""
    settings = engine.config.variants.get(chosen.id, {})
    team = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.items()}
    try:
        chosen.resolve_variants(team)
    except ValueError as exc:
        raise QueryError(f"{exc} (check [variants.{chosen.id}] in the settings)") from None
    try:
        variants = chosen.resolve_variants({**team, **(given or {})})
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    resolved = chosen.resolve(variants)
    if resolved.facts == "sla" and not engine.config.sla:
        raise QueryError(
            f"{chosen.id} needs SLA policies: add [[sla]] tables to supportmetrics.toml"
        )
    return resolved


def run_query(engine: Engine, query: Query, *, check_filters: bool = True) -> Result:
    """Compute `query` on `engine`; with `check_filters`, its warnings name the filter values no
    row of the metric has (one small query per filter; a caller that checks its filters once for
    many queries, as the dashboard does, turns it off)."""
    plan = resolve_metric(engine, _check(query), query.variants)
    rows = (
        _compare(engine, plan, query) if query.compare == "previous" else _rows(engine, plan, query)
    )
    warnings = engine.warnings()
    if query.where and check_filters:
        found = _population(engine, plan, query)
        warnings += unmatched_filters(engine, plan.facts, found, query.where)
    return Result(plan.metric.id, plan.unit, plan.better, rows, query, warnings)


@dataclass(frozen=True)
class Population:
    """The rows a query aggregates, before its split: their fact table, the metric's aggregation
    under the query's variants, and the fact rows with `_filed_at`, `_value` (and `_local` when needed), within
    the query's range and filters (snapshot and cohort metrics: the stretches, unfiltered by range)."""

    facts: str
    aggregation: str
    rows: ir.Table
    resolved: ResolvedMetric

    @property
    def kind(self) -> Aggregation:
        """The aggregation kind, to ask what it allows (drill-down, a statistic)."""
        return aggregation(self.aggregation)


def population(engine: Engine, query: Query) -> Population:
    """The rows behind `query`'s numbers, for drill-down and distributions."""
    plan = resolve_metric(engine, _check(query), query.variants)
    rows = _population(engine, plan, query)
    start, end = (query.start, query.end) if "_filed_at" in rows.columns else (None, None)
    rows = filter_rows(engine, plan.facts, rows, query.where, start, end)
    return Population(plan.facts, plan.aggregation, rows, plan)


def _population(engine: Engine, plan: ResolvedMetric, query: Query) -> ir.Table:
    facts = engine.facts(plan.facts, plan.variants, query.clock)
    rows = plan.metric.build(facts, plan.variants, query.clock)
    if plan.filed_at is not None:
        rows = rows.mutate(_filed_at=rows[plan.filed_at])
    if "_filed_at" not in rows.columns or not _needs_local(query, aggregation(plan.aggregation)):
        return rows
    return local_timestamp(rows, {"_local": "_filed_at"}, engine.offsets())


def _needs_local(query: Query, kind: Aggregation) -> bool:
    """Whether the rows need their local wall time (`_local`): for periods (unless the kind finds
    them another way) and the local hour or weekday (dates filter on the UTC instants days
    begin, without it)."""
    names = {*query.by, *query.where}
    periods = query.period is not None and kind.local_periods
    return periods or not names.isdisjoint(("hour_of_day", "day_of_week"))


def _rows(engine: Engine, plan: ResolvedMetric, query: Query) -> list[dict[str, Any]]:
    population = _population(engine, plan, query)
    kind = aggregation(plan.aggregation)
    rows = kind.rows(engine, plan, query, population, query.start, query.end)
    return _finished(engine, plan, query, rows)


def _finished(
    engine: Engine, plan: ResolvedMetric, query: Query, out: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Aggregated rows with their small-sample and partial-period flags, shares in percent,
    sorted by their dimensions and period."""
    kind = aggregation(plan.aggregation)
    minimum = engine.config.statistics.min_sample
    for row in out:
        if "n" in row and kind.sampled:
            row["low_sample"] = row["n"] < minimum
        if kind.percent and plan.unit == "percent":
            _percent(row)
    if query.period:
        bounds = engine.bounds()
        span = covered(*bounds, engine.config.timezone, query.period, query.start, query.end)
        for row in out:
            row["partial"] = is_partial(row["period"], query.period, span)
    return _sorted(out, kind.dimensions(plan, query.by), query)


def _percent(row: dict[str, Any]) -> None:
    """Shares of a percent-unit metric (csat, ces easy ...) in percent."""
    for key in ("value", "ci_low", "ci_high"):
        if row.get(key) is not None:
            row[key] = 100 * row[key]


def _sorted(rows: list[dict[str, Any]], dims: list[str], query: Query) -> list[dict[str, Any]]:
    keys = [*dims, *(["period"] if query.period else [])]
    front = ["value", "n", "numerator", "denominator", "ci_low", "ci_high", "low_sample"]

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple((row[k] is None, str(row[k]) if row[k] is not None else "") for k in keys)

    arranged = []
    for row in sorted(rows, key=order):
        ordered = {k: row[k] for k in keys if k in row}
        ordered |= {k: row[k] for k in front if k in row}
        ordered |= {k: v for k, v in row.items() if k not in ordered}
        arranged.append(ordered)
    return arranged


def _facts(engine: Engine, name: str) -> tuple[ir.Table, str]:
    """The fact rows `name` (tickets or calls) with `_filed_at` and `_local`, unfiltered, and the
    column they are filed (and ordered) by."""
    exports = {t.name: t.export for t in FACT_TABLES.values() if t.export is not None}
    if name not in exports:
        raise QueryError(f"unknown facts {name!r}; use {' or '.join(exports)}")
    facts = engine.facts(name, clock="business" if name == "tickets" else "calendar")
    if name == "tickets" and engine.config.sla:
        summary = ticket_sla_summary(engine.facts("sla"))
        facts = facts.left_join(summary, "ticket_id").drop("ticket_id_right")
    filed = local_timestamp(
        facts.mutate(_filed_at=facts[exports[name]]), {"_local": "_filed_at"}, engine.offsets()
    )
    return filed, exports[name]


def facts_rows(
    engine: Engine, name: str, where: Mapping[str, Sequence[str]] | None = None
) -> pa.Table:
    """The fact rows `name` (tickets or calls), filtered like a metric; tickets with business-clock
    columns too."""
    facts, filed_by = _facts(engine, name)
    rows = filter_rows(engine, name, facts, where or {}, None, None)
    return engine.arrow(rows.drop("_filed_at", "_local").order_by(filed_by))


def facts_warnings(
    engine: Engine, name: str, where: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """A warning per filter value no fact row of `name` has (see `unmatched_filters`)."""
    return unmatched_filters(engine, name, _facts(engine, name)[0], where) if where else []


def _compare(engine: Engine, plan: ResolvedMetric, query: Query) -> list[dict[str, Any]]:
    """The rows with the previous equal-length period's value, the change, the percent change
    and, where the previous value is missing or partial, why (`compare_note`)."""
    dims = aggregation(plan.aggregation).dimensions(plan, query.by)
    first, end = covered_days(*engine.bounds(), engine.config.timezone)
    first_day, last_day = first.date(), (end - timedelta(days=1)).date()
    if query.period:
        rows = _rows(engine, plan, query)
        previous: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            label = previous_label(row["period"], query.period)
            before = previous.get((*(row[d] for d in dims), label))
            previous[(*(row[d] for d in dims), row["period"])] = row
            _add_change(row, before)
            if before is None:
                row["compare_note"] = _missing_period(row["period"], first, query.start)
            elif before.get("partial"):
                row["compare_note"] = "the previous period is partial"
        return rows
    if query.start is None or query.end is None:
        raise QueryError("--compare previous needs --period, or both --from and --to")
    length = (query.end - query.start).days + 1
    start, stop = query.start - timedelta(days=length), query.start - timedelta(days=1)
    note = None
    if query.start <= first_day and query.end >= last_day:
        note = f"the range holds all the data ({first_day} to {last_day}): nothing to compare with"
    elif stop < first_day:
        note = (
            f"no data before {first_day}: the previous {length} days ({start} to {stop}) hold none"
        )
    if note:
        rows, earlier_rows = _rows(engine, plan, query), []
    else:  # both ranges in one query where the aggregation can
        kind = aggregation(plan.aggregation)
        population = _population(engine, plan, query)
        both = kind.compared_rows(engine, plan, query, population, query.start, query.end, start)
        rows, earlier_rows = (_finished(engine, plan, query, part) for part in both)
    earlier = {tuple(r[d] for d in dims): r for r in earlier_rows}
    for row in rows:
        found = earlier.get(tuple(row[d] for d in dims))
        _add_change(row, found)
        if note:
            row["compare_note"] = note
        elif found is None or found.get("n") == 0:
            row["compare_note"] = f"no data from {start} to {stop}"
        elif start < first_day:
            row["compare_note"] = f"the previous range is partial: the data starts on {first_day}"
    return rows


def _missing_period(label: str, first: datetime, start: date | None) -> str:
    """Why the period before the one labelled `label` has no row."""
    begins = datetime.fromisoformat(label)
    if begins <= first:
        return f"no data before {first.date()}"
    if start is not None and begins <= datetime.combine(start, datetime.min.time()):
        return f"the previous period lies before the range (from {start})"
    return "no data in the previous period"


def _add_change(row: dict[str, Any], previous: dict[str, Any] | None) -> None:
    value = row.get("value")
    before = previous.get("value") if previous else None
    row["previous"] = before
    row["change"] = value - before if value is not None and before is not None else None
    row["change_pct"] = (
        100 * (value - before) / abs(before)
        if value is not None and before not in (None, 0)
        else None
    )
    row["compare_note"] = None
