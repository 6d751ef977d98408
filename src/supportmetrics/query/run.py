"""Run a query: metric + dimensions + period + range + filters -> result rows.

The metric's population (its fact rows, each with `_filed_at` and `_value`) is split by dimensions and
local periods and aggregated by the backend; confidence intervals and comparisons are computed on the
aggregated rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from supportmetrics.engine import Engine
from supportmetrics.facts.registry import FACT_TABLES
from supportmetrics.facts.sla import ticket_sla_summary
from supportmetrics.localtime import local_timestamp
from supportmetrics.metrics.base import Metric, ResolvedMetric
from supportmetrics.query.cohorts import cohort_rows, result_dimensions
from supportmetrics.query.dimensions import filter_rows, with_dimensions
from supportmetrics.query.lookup import find_metric
from supportmetrics.query.model import PERIODS, Query, QueryError, Result
from supportmetrics.query.periods import (
    TRUNCATE,
    covered_days,
    is_partial,
    label,
    previous_label,
)
from supportmetrics.query.snapshots import backlog_rows, growth_rows, mrr_rows
from supportmetrics.stats import is_stat, mean_interval, nps_interval, wilson_interval

__all__ = ["Population", "facts_rows", "population", "resolve_metric", "run_query"]

_ACTIVITY = {
    "replies": "reply",
    "notes": "note",
    "solved": "solve",
    "calls": "call",
    "time_entries": "time_entry",
}
"""Agent activity counts: output key -> activity kind."""
_TOP = 5
"""How many values `top` lists per row."""
_COHORTS = ("churn", "retention", "link")
"""Aggregations over customer cohorts (see `cohorts`)."""
_SAMPLED = ("distribution", "share", "tally", "nps", "customers", "answered", *_COHORTS)
"""Aggregations whose rows say whether they are below the minimum sample."""


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


def run_query(engine: Engine, query: Query) -> Result:
    """Compute `query` on `engine`."""
    plan = resolve_metric(engine, _check(query), query.variants)
    rows = _rows(engine, plan, query)
    if query.compare == "previous":
        rows = _compare(engine, plan, query, rows)
    return Result(plan.metric.id, plan.unit, plan.better, rows, query, engine.warnings())


@dataclass(frozen=True)
class Population:
    """The rows a query aggregates, before its split: their fact table, the metric's aggregation
    under the query's variants, and the fact rows with `_filed_at`, `_local` and `_value`, within
    the query's range and filters (snapshot and cohort metrics: the stretches, unfiltered by range)."""

    facts: str
    aggregation: str
    rows: ir.Table
    resolved: ResolvedMetric


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
    if "_filed_at" not in rows.columns:
        return rows
    return local_timestamp(rows, {"_local": "_filed_at"}, engine.offsets())


def _rows(
    engine: Engine,
    plan: ResolvedMetric,
    query: Query,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    start = query.start if start is None else start
    end = query.end if end is None else end
    population = _population(engine, plan, query)
    kind = plan.aggregation
    if kind == "backlog":
        out = backlog_rows(engine, plan.facts, plan.variants, query, population, start, end)
    elif kind == "mrr":
        out = mrr_rows(engine, plan.facts, query, population, start, end)
    elif kind == "growth":
        out = growth_rows(engine, plan.facts, plan.variants, query, population, start, end)
    elif kind in _COHORTS:
        out = cohort_rows(engine, plan.facts, kind, plan.variants, query, population, start, end)
    else:
        out = _aggregated(engine, plan, query, population, start, end)
    minimum = engine.config.statistics.min_sample
    for row in out:
        if "n" in row and kind in _SAMPLED:
            row["low_sample"] = row["n"] < minimum
        _percent(row, plan.unit, kind)
    if query.period:
        covered = covered_days(*engine.bounds(), engine.config.timezone)
        for row in out:
            row["partial"] = is_partial(row["period"], query.period, covered)
    dims = result_dimensions(kind, plan.variants, query.by)
    if kind == "activity":
        dims = ["agent", *dims]
    return _sorted(out, dims, query)


def _aggregated(
    engine: Engine,
    plan: ResolvedMetric,
    query: Query,
    population: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Group by dimensions and period and aggregate in the backend."""
    rows = filter_rows(engine, plan.facts, population, query.where, start, end)
    by = ("agent", *query.by) if plan.aggregation == "activity" else query.by
    rows, dims = with_dimensions(engine, plan.facts, rows, by)
    keys = [rows[c].name(n) for n, c in dims.items()]
    if query.period:
        keys.append(rows._local.truncate(TRUNCATE[query.period]).name("period"))
    if plan.aggregation in _PER_ENTITY:
        rows, keys = _per_entity(rows, keys, plan.aggregation)
    grouped = rows.group_by(keys) if keys else rows
    aggregates = _aggregates(plan, rows, query)
    if plan.metric.extras is not None:
        aggregates |= plan.metric.extras(rows, plan.variants)
    table = engine.db.to_pyarrow(grouped.aggregate(**aggregates))
    out = [_finish(plan, query, row) for row in table.to_pylist()]
    if plan.metric.top is not None:
        _add_top(engine, plan.metric.top, rows, keys, out)
    if plan.aggregation == "activity":
        _add_open_assigned(engine, out)
    return out


_PER_ENTITY = {"customers": "customer_id", "ratio": "agent_id", "answered": "survey"}
"""Aggregations that first sum up each customer's, agent's or survey's rows within a group."""


def _per_entity(rows: ir.Table, keys: list[ir.Value], kind: str) -> tuple[ir.Table, list[str]]:
    """One row per customer (customers: how many rows, whether any is flagged), agent (ratio:
    the sums of `_value` and `_base`, and the rows with a value) or survey (answered: its
    invitations, and those answered, anonymous ones by the count of anonymous responses capped at
    the count of anonymous invitations) within each group."""
    by = [*keys, rows[_PER_ENTITY[kind]].name("__entity")]
    if kind == "customers":
        per = rows.group_by(by).aggregate(__rows=rows.count(), __flagged=rows._value.any())
    elif kind == "answered":
        sent = rows.record == "invitation"
        anonymous = rows.count(where=sent & rows._value.isnull())
        answers = rows.count(where=rows.record == "response")
        per = rows.group_by(by).aggregate(
            __rows=rows.count(where=sent),
            # coalesce: Ibis counts `where` as SUM(CAST(... AS BIGINT)) on Spark, null (not 0)
            # for a survey whose invitations are all anonymous
            __answered=rows.count(where=rows._value.coalesce(False))
            + ibis.least(anonymous, answers),
        )
        per = per.filter(per.__rows > 0)
    else:
        per = rows.group_by(by).aggregate(
            __value=rows._value.sum(),
            __base=rows._base.sum(),
            __rows=rows.count(where=rows._value > 0),
        )
        per = per.filter(per.__base > 0)
    return per, [k.get_name() for k in keys]


def _add_top(
    engine: Engine, column: str, rows: ir.Table, keys: list[Any], out: list[dict[str, Any]]
) -> None:
    """Each row's most frequent values of `column` among its flagged rows (`top`)."""
    names = [k if isinstance(k, str) else k.get_name() for k in keys]
    flagged = rows.filter(rows._value & rows[column].notnull())
    counted = flagged.group_by([*keys, flagged[column].name("__top")]).aggregate(
        __count=flagged.count()
    )
    tops: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
    for row in engine.db.to_pyarrow(counted).to_pylist():
        group = tuple(row[n] for n in names)
        tops.setdefault(group, []).append((row["__count"], row["__top"]))
    for row in out:
        group = tuple(row.pop("__period") if n == "period" else row.get(n) for n in names)
        ranked = sorted(tops.get(group, []), key=lambda pair: (-pair[0], pair[1]))[:_TOP]
        row["top"] = [{column: value, "count": count} for count, value in ranked]


def _add_open_assigned(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Each agent's tickets unsolved now (a current count, whatever the query's period)."""
    tickets = engine.facts("tickets")
    open_now = tickets.filter(~tickets.solved & tickets.assignee_id.notnull())
    counts = engine.db.to_pyarrow(open_now.group_by("assignee_id").aggregate(n=open_now.count()))
    by_agent = dict(zip(*counts.to_pydict().values(), strict=True))
    for row in rows:
        row["open_assigned"] = by_agent.get(row["agent"], 0)


def _aggregates(plan: ResolvedMetric, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
    kind = plan.aggregation
    if kind == "customers":
        again = (rows.__rows >= 2) | rows.__flagged
        return {"numerator": rows.count(where=again), "denominator": rows.count()}
    if kind == "answered":
        return {"numerator": rows.__answered.sum(), "denominator": rows.__rows.sum()}
    if kind == "ratio":
        return {
            "numerator": rows.__value.sum(),
            "denominator": rows.__base.sum(),
            "n": rows.__rows.sum(),
            "agents": rows.count(),
        }
    value = rows._value
    if kind == "distribution":
        aggs: dict[str, ir.Value] = {"n": value.count()}
        if query.stat == "mean":
            aggs |= {"value": value.mean(), "stddev": value.std()}
        else:
            q = 0.5 if query.stat == "median" else float(query.stat[1:]) / 100
            aggs["value"] = value.quantile(q)
        return aggs
    if kind in ("share", "tally"):
        return {"numerator": ibis.ifelse(value, 1, 0).sum(), "denominator": value.count()}
    if kind == "nps":
        return {
            "promoters": rows.count(where=value == "promoter"),
            "passives": rows.count(where=value == "passive"),
            "detractors": rows.count(where=value == "detractor"),
        }
    if kind == "count":
        return {"n": rows.count()}
    if kind == "activity":
        counts = {name: rows.count(where=value == k) for name, k in _ACTIVITY.items()}
        return {
            **counts,
            "activity_kinds": value.nunique(where=value.isin(list(_ACTIVITY.values()))),
            "first_response_mean": rows.value.mean(where=value == "first_response"),
            "csat": rows.value.mean(where=value == "csat"),
            "csat_n": rows.count(where=value == "csat"),
        }
    if kind == "flow":
        return {
            "created": rows.count(where=value == "created"),
            "reopened": rows.count(where=value == "reopened"),
            "outflow": rows.count(where=value == "solved"),
        }
    raise AssertionError(kind)


def _finish(plan: ResolvedMetric, query: Query, row: dict[str, Any]) -> dict[str, Any]:
    """Value, n and interval of one aggregated row."""
    if "period" in row and row["period"] is not None:
        row["__period"] = row["period"]
        row["period"] = label(row["period"], query.period)
    kind = plan.aggregation
    if kind == "distribution":
        stddev = row.pop("stddev", None)
        if query.stat == "mean" and row["value"] is not None:
            interval = mean_interval(row["value"], stddev, row["n"])
            if interval:
                row["ci_low"], row["ci_high"] = interval
    elif kind in ("share", "tally", "customers", "answered"):
        numerator, n = row["numerator"] or 0, row["denominator"] or 0
        row["numerator"], row["n"] = numerator, n
        share = numerator / n if n else None
        row["value"] = numerator if kind == "tally" else share
        if kind == "tally":
            row["share"] = share
        interval = wilson_interval(numerator, n)
        if interval and kind != "tally":
            row["ci_low"], row["ci_high"] = interval
    elif kind == "nps":
        promoters, detractors = row["promoters"], row["detractors"]
        n = promoters + row["passives"] + detractors
        row["n"] = n
        row["value"] = 100 * (promoters - detractors) / n if n else None
        interval = nps_interval(promoters, detractors, n)
        if interval:
            row["ci_low"], row["ci_high"] = interval
    elif kind == "count":
        row["value"] = row["n"]
    elif kind == "ratio":
        numerator, denominator = row["numerator"] or 0.0, row["denominator"] or 0.0
        row["numerator"], row["denominator"], row["n"] = numerator, denominator, row["n"] or 0
        row["value"] = numerator / denominator if denominator else None
    elif kind == "activity":
        row["value"] = row["replies"]
        row["n"] = sum(row[name] for name in _ACTIVITY)
    elif kind == "flow":
        row["inflow"] = row["created"] + row["reopened"]
        row["value"] = row["inflow"] - row["outflow"]
        row["n"] = row["inflow"] + row["outflow"]
    if plan.metric.top is None:
        row.pop("__period", None)
    for key, value in row.items():
        if isinstance(value, float) and math.isnan(value):
            row[key] = None
    return row


def _percent(row: dict[str, Any], unit: str, kind: str) -> None:
    """Shares of a percent-unit metric (csat, ces easy ...) in percent."""
    if unit != "percent" or kind not in ("share", "customers", *_COHORTS):
        return
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


def facts_rows(
    engine: Engine, name: str, where: Mapping[str, Sequence[str]] | None = None
) -> pa.Table:
    """The fact rows `name` (tickets or calls), filtered like a metric; tickets with business-clock
    columns too."""
    exports = {t.name: t.export for t in FACT_TABLES.values() if t.export is not None}
    if name not in exports:
        raise QueryError(f"unknown facts {name!r}; use {' or '.join(exports)}")
    facts = engine.facts(name, clock="business" if name == "tickets" else "calendar")
    if name == "tickets" and engine.config.sla:
        summary = ticket_sla_summary(engine.facts("sla"))
        facts = facts.left_join(summary, "ticket_id").drop("ticket_id_right")
    rows = local_timestamp(
        facts.mutate(_filed_at=facts[exports[name]]), {"_local": "_filed_at"}, engine.offsets()
    )
    rows = filter_rows(engine, name, rows, where or {}, None, None)
    return engine.db.to_pyarrow(rows.drop("_filed_at", "_local").order_by(exports[name]))


def _compare(
    engine: Engine, plan: ResolvedMetric, query: Query, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Add the previous equal-length period's value, the change and the percent change."""
    dims = result_dimensions(plan.aggregation, plan.variants, query.by)
    if query.period:
        previous: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            key = (*(row[d] for d in dims), previous_label(row["period"], query.period))
            previous[(*(row[d] for d in dims), row["period"])] = row
            _add_change(row, previous.get(key))
        return rows
    if query.start is None or query.end is None:
        raise QueryError("--compare previous needs --period, or both --from and --to")
    length = (query.end - query.start).days + 1
    before = _rows(
        engine,
        plan,
        query,
        query.start - timedelta(days=length),
        query.start - timedelta(days=1),
    )
    earlier = {tuple(r[d] for d in dims): r for r in before}
    for row in rows:
        _add_change(row, earlier.get(tuple(row[d] for d in dims)))
    return rows


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
