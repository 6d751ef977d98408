"""One query API for every metric: metric + dimensions + period + range + filters -> result rows.

The metric's population (its fact rows, each with `_filed_at` and `_value`) is split by dimensions and
local periods and aggregated by the backend; confidence intervals and comparisons are computed on the
aggregated rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from supportmetrics.engine import Engine
from supportmetrics.facts.sla import ticket_sla_summary
from supportmetrics.localtime import local_timestamp
from supportmetrics.metrics import CATALOGUE, Metric, metric
from supportmetrics.stats import mean_interval, wilson_interval

__all__ = ["PERIODS", "Period", "Query", "QueryError", "Result", "facts_rows", "run_query"]

Period = Literal["hour", "day", "week", "month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("hour", "day", "week", "month", "quarter", "year")
_TRUNCATE = {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
_STAT = re.compile(r"^(mean|median|p(\d{1,2}(\.\d+)?))$")
DERIVED_DIMENSIONS = ("hour_of_day", "day_of_week", "tag")
_AGENT_COLUMN = {
    "tickets": "assignee_id",
    "backlog": "assignee_id",
    "flow": "assignee_id",
    "replies": "reply_author_id",
    "calls": "agent_id",
    "handling": "agent_id",
    "sla": "assignee_id",
    "activity": "agent_id",
}
_HIDDEN = ("_filed_at", "_value", "_local")
_ACTIVITY = {
    "replies": "reply",
    "notes": "note",
    "solved": "solve",
    "calls": "call",
    "time_entries": "time_entry",
}
"""Agent activity counts: output key -> activity kind."""


class QueryError(ValueError):
    """A query names something that does not exist or takes another value; the message lists the
    valid ones."""


@dataclass(frozen=True)
class Query:
    """What to compute (see `supportmetrics metric --help` for the same options on the CLI)."""

    metric: str
    by: tuple[str, ...] = ()
    period: Period | None = None
    start: date | None = None
    end: date | None = None
    """Inclusive local dates."""
    where: Mapping[str, Sequence[str]] = field(default_factory=dict)
    stat: str = "mean"
    clock: Literal["calendar", "business"] = "calendar"
    variants: Mapping[str, str] = field(default_factory=dict)
    compare: Literal["previous"] | None = None


@dataclass
class Result:
    """A metric's rows, with its unit and direction."""

    metric: str
    unit: str
    better: str | None
    rows: list[dict[str, Any]]
    query: Query

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "unit": self.unit, "better": self.better, "rows": self.rows}


def _check(query: Query) -> Metric:
    try:
        chosen = metric(query.metric)
    except KeyError:
        raise QueryError(
            f"unknown metric {query.metric!r}; the metrics are: {', '.join(CATALOGUE)}"
        ) from None
    if query.period is not None and query.period not in PERIODS:
        raise QueryError(f"unknown period {query.period!r}; use one of {', '.join(PERIODS)}")
    if query.clock not in ("calendar", "business"):
        raise QueryError(f"unknown clock {query.clock!r}; use calendar or business")
    if query.clock == "business" and not chosen.has_clock:
        raise QueryError(f"{chosen.id} has no business-hours variant; use --clock calendar")
    if not _STAT.match(query.stat):
        raise QueryError(f"unknown stat {query.stat!r}; use mean, median, p90 or any pNN")
    if query.start and query.end and query.end < query.start:
        raise QueryError(f"--to {query.end} is before --from {query.start}")
    if query.compare not in (None, "previous"):
        raise QueryError(f"unknown comparison {query.compare!r}; use previous")
    return chosen


def _variants(engine: Engine, chosen: Metric, query: Query) -> dict[str, Any]:
    """The metric's variants: its defaults, the team's settings, then the query's own."""
    settings = engine.config.variants.get(chosen.id, {})
    team = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.items()}
    try:
        chosen.resolve_variants(team)
    except ValueError as exc:
        raise QueryError(f"{exc} (check [variants.{chosen.id}] in the settings)") from None
    try:
        return chosen.resolve_variants({**team, **query.variants})
    except ValueError as exc:
        raise QueryError(str(exc)) from None


def run_query(engine: Engine, query: Query) -> Result:
    """Compute `query` on `engine`."""
    chosen = _check(query)
    variants = _variants(engine, chosen, query)
    if chosen.facts == "sla" and not engine.config.sla:
        raise QueryError(
            f"{chosen.id} needs SLA policies: add [[sla]] tables to supportmetrics.toml"
        )
    rows = _rows(engine, chosen, variants, query)
    if query.compare == "previous":
        rows = _compare(engine, chosen, variants, query, rows)
    return Result(chosen.id, chosen.unit, chosen.better, rows, query)


def _population(engine: Engine, chosen: Metric, variants: dict[str, Any], query: Query) -> ir.Table:
    facts = engine.facts(chosen.facts, variants, query.clock)
    rows = chosen.build(facts, variants, query.clock)
    return local_timestamp(rows, {"_local": "_filed_at"}, engine.offsets())


def dimension_names(engine: Engine, facts_name: str) -> list[str]:
    """Every name `by` and `where` accept for a fact table."""

    def useful(table: ir.Table, skip: str = "") -> list[str]:
        schema = table.schema()
        return [c for c in table.columns if c != skip and not schema[c].is_timestamp()]

    facts = engine.facts(facts_name)
    own = [c for c in useful(facts) if not c.startswith("_")]
    customers = [f"customer.{c}" for c in useful(engine.db.table("customers"), "customer_id")]
    agents = [f"agent.{c}" for c in useful(engine.db.table("agents"), "agent_id")]
    shortcuts = ["tier", "region", "agent"] if "customer_id" in facts.columns else ["agent"]
    derived = [d for d in DERIVED_DIMENSIONS if d != "tag" or "tags" in facts.columns]
    return sorted({*own, *derived, *shortcuts, *customers, *agents})


def _with_dimensions(
    engine: Engine, facts_name: str, rows: ir.Table, names: Sequence[str]
) -> tuple[ir.Table, dict[str, str]]:
    """Add a column per dimension name; returns the table and name -> column."""
    columns: dict[str, str] = {}
    joined: set[str] = set()
    for name in names:
        column = f"__d_{len(columns)}"
        if name in rows.columns and name not in _HIDDEN and not name.startswith("__"):
            value = rows[name]
            if name == "tags":
                raise QueryError("split by tag (one row per tag), not tags")
        elif name == "hour_of_day":
            value = rows._local.hour()
        elif name == "day_of_week":
            value = rows._local.day_of_week.full_name()
        elif name == "tag" and "tags" in rows.columns:
            rows = rows.mutate(**{column: rows.tags.unnest()})
            columns[name] = column
            continue
        elif name == "agent" and _AGENT_COLUMN[facts_name] in rows.columns:
            value = rows[_AGENT_COLUMN[facts_name]]
        elif (
            name in ("tier", "region") or name.startswith("customer.")
        ) and "customer_id" in rows.columns:
            attribute = name.removeprefix("customer.")
            rows, value = _attribute(
                engine, rows, "customers", "customer_id", "customer_id", attribute, joined
            )
        elif name.startswith("agent.") and _AGENT_COLUMN[facts_name] in rows.columns:
            rows, value = _attribute(
                engine,
                rows,
                "agents",
                _AGENT_COLUMN[facts_name],
                "agent_id",
                name.removeprefix("agent."),
                joined,
            )
        else:
            raise QueryError(
                f"unknown dimension {name!r} for {facts_name} facts; the dimensions are: "
                + ", ".join(dimension_names(engine, facts_name))
            )
        rows = rows.mutate(**{column: value})
        columns[name] = column
    return rows, columns


def _attribute(
    engine: Engine,
    rows: ir.Table,
    table: str,
    key: str,
    target: str,
    attribute: str,
    joined: set[str],
) -> tuple[ir.Table, ir.Value]:
    source = engine.db.table(table)
    if attribute not in source.columns or attribute == target:
        valid = ", ".join(c for c in source.columns if c != target)
        raise QueryError(f"{table} has no attribute {attribute!r}; it has: {valid}")
    prefix = f"__{table}_"
    if table not in joined:
        renamed = source.rename(**{f"{prefix}{c}": c for c in source.columns})
        rows = rows.left_join(renamed, rows[key] == renamed[f"{prefix}{target}"])
        joined.add(table)
    return rows, rows[f"{prefix}{attribute}"]


def _filter(
    engine: Engine,
    facts_name: str,
    rows: ir.Table,
    where: Mapping[str, Sequence[str]],
    start: date | None,
    end: date | None,
) -> ir.Table:
    if start is not None:
        rows = rows.filter(rows._local >= datetime.combine(start, datetime.min.time()))
    if end is not None:
        limit = datetime.combine(end + timedelta(days=1), datetime.min.time())
        rows = rows.filter(rows._local < limit)
    if where:
        rows, columns = _with_dimensions(engine, facts_name, rows, list(where))
        for name, values in where.items():
            column = rows[columns[name]]
            wanted = [str(v) for v in values]
            text = column.cast("string")
            if column.type().is_boolean():
                text = ibis.ifelse(column, "true", "false")
            rows = rows.filter(text.isin(wanted))
        rows = rows.drop(*columns.values())
    return rows


def _rows(
    engine: Engine,
    chosen: Metric,
    variants: dict[str, Any],
    query: Query,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    start = query.start if start is None else start
    end = query.end if end is None else end
    population = _population(engine, chosen, variants, query)
    if chosen.aggregation == "backlog":
        return _backlog(engine, chosen, variants, query, population, start, end)
    rows = _filter(engine, chosen.facts, population, query.where, start, end)
    by = ("agent", *query.by) if chosen.aggregation == "activity" else query.by
    rows, dims = _with_dimensions(engine, chosen.facts, rows, by)
    keys = [rows[c].name(n) for n, c in dims.items()]
    if query.period:
        keys.append(rows._local.truncate(_TRUNCATE[query.period]).name("period"))
    grouped = rows.group_by(keys) if keys else rows
    table = engine.db.to_pyarrow(grouped.aggregate(**_aggregates(chosen, rows, query)))
    out = [
        _finish(chosen, query, row, engine.config.statistics.min_sample)
        for row in table.to_pylist()
    ]
    if chosen.aggregation == "activity":
        _add_open_assigned(engine, out)
    return _sorted(out, list(dims), query)


def _add_open_assigned(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Each agent's tickets unsolved now (a current count, whatever the query's period)."""
    tickets = engine.facts("tickets")
    open_now = tickets.filter(~tickets.solved & tickets.assignee_id.notnull())
    counts = engine.db.to_pyarrow(open_now.group_by("assignee_id").aggregate(n=open_now.count()))
    by_agent = dict(zip(*counts.to_pydict().values(), strict=True))
    for row in rows:
        row["open_assigned"] = by_agent.get(row["agent"], 0)


def _aggregates(chosen: Metric, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
    value = rows._value
    if chosen.aggregation == "distribution":
        aggs: dict[str, ir.Value] = {"n": value.count()}
        if query.stat == "mean":
            aggs |= {"value": value.mean(), "stddev": value.std()}
        else:
            q = 0.5 if query.stat == "median" else float(query.stat[1:]) / 100
            aggs["value"] = value.quantile(q)
        return aggs
    if chosen.aggregation == "share":
        return {
            "numerator": ibis.ifelse(value, 1, 0).sum(),
            "denominator": value.count(),
        }
    if chosen.aggregation == "count":
        return {"n": rows.count()}
    if chosen.aggregation == "activity":
        counts = {name: rows.count(where=value == kind) for name, kind in _ACTIVITY.items()}
        return {
            **counts,
            "activity_kinds": value.nunique(where=value.isin(list(_ACTIVITY.values()))),
            "first_response_mean": rows.value.mean(where=value == "first_response"),
            "csat": rows.value.mean(where=value == "csat"),
            "csat_n": rows.count(where=value == "csat"),
        }
    if chosen.aggregation == "flow":
        return {
            "created": rows.count(where=value == "created"),
            "reopened": rows.count(where=value == "reopened"),
            "outflow": rows.count(where=value == "solved"),
        }
    raise AssertionError(chosen.aggregation)


def _finish(chosen: Metric, query: Query, row: dict[str, Any], min_sample: int) -> dict[str, Any]:
    """Value, n, interval and small-sample flag of one aggregated row."""
    if "period" in row and row["period"] is not None:
        row["period"] = _label(row["period"], query.period)
    kind = chosen.aggregation
    if kind == "distribution":
        stddev = row.pop("stddev", None)
        n = row["n"]
        if query.stat == "mean" and row["value"] is not None:
            interval = mean_interval(row["value"], stddev, n)
            if interval:
                row["ci_low"], row["ci_high"] = interval
    elif kind == "share":
        numerator, n = row["numerator"] or 0, row["denominator"]
        row["numerator"], row["n"] = numerator, n
        row["value"] = numerator / n if n else None
        interval = wilson_interval(numerator, n)
        if interval:
            row["ci_low"], row["ci_high"] = interval
    elif kind == "count":
        row["value"] = row["n"]
    elif kind == "activity":
        row["value"] = row["replies"]
        row["n"] = sum(row[name] for name in _ACTIVITY)
    elif kind == "flow":
        row["inflow"] = row["created"] + row["reopened"]
        row["value"] = row["inflow"] - row["outflow"]
        row["n"] = row["inflow"] + row["outflow"]
    if kind in ("distribution", "share"):
        row["low_sample"] = row["n"] < min_sample
    for key, value in row.items():
        if isinstance(value, float) and math.isnan(value):
            row[key] = None
    return row


def _label(value: datetime, period: str | None) -> str:
    return value.strftime("%Y-%m-%dT%H:00") if period == "hour" else value.strftime("%Y-%m-%d")


def _sorted(rows: list[dict[str, Any]], dims: list[str], query: Query) -> list[dict[str, Any]]:
    keys = [*dims, *(["period"] if query.period else [])]
    front = ["value", "n", "numerator", "denominator", "ci_low", "ci_high", "low_sample"]

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple((row[k] is None, str(row[k]) if row[k] is not None else "") for k in keys)

    arranged = []
    for row in sorted(rows, key=order):
        ordered = {k: row[k] for k in keys}
        ordered |= {k: row[k] for k in front if k in row}
        ordered |= {k: v for k, v in row.items() if k not in ordered}
        arranged.append(ordered)
    return arranged


def _backlog(
    engine: Engine,
    chosen: Metric,
    variants: dict[str, Any],
    query: Query,
    segments: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Snapshots at each period end: unsolved stretches that cover the instant, and the aged ones.

    Each stretch adds +1 at its start and -1 at its end; an aged stretch adds +1 when the ticket
    turns N hours old (if still unsolved) and -1 at the end. Per period the changes are summed,
    and a running sum over periods gives the snapshot at each period's end.
    """
    period = query.period or "day"
    segments = _filter(engine, chosen.facts, segments, query.where, None, None)
    rows, dims = _with_dimensions(engine, chosen.facts, segments, query.by)
    aged_at = ibis.greatest(
        rows.start, rows.created_at + ibis.interval(hours=int(variants["aged_hours"]))
    )
    aged = rows.end.isnull() | (aged_at < rows.end)
    base = {n: rows[c] for n, c in dims.items()}
    changes = (
        rows.select(**base, at=rows.start, delta=ibis.literal(1), aged=ibis.literal(0))
        .union(
            rows.filter(rows.end.notnull()).select(
                **base, at=rows.end, delta=ibis.literal(-1), aged=ibis.ifelse(aged, -1, 0)
            )
        )
        .union(
            rows.filter(aged).select(
                **base, at=aged_at, delta=ibis.literal(0), aged=ibis.literal(1)
            )
        )
    )
    changes = local_timestamp(changes, {"_local": "at"}, engine.offsets())
    keys = [*dims, changes._local.truncate(_TRUNCATE[period]).name("period")]
    per_period = engine.db.to_pyarrow(
        changes.group_by(keys).aggregate(delta=changes.delta.sum(), aged=changes.aged.sum())
    ).to_pylist()
    return _running(per_period, list(dims), period, query, start, end)


def _running(
    per_period: list[dict[str, Any]],
    dims: list[str],
    period: str,
    query: Query,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Running sums of per-period changes over a gap-free list of periods, per dimension values."""
    if not per_period:
        return []
    starts = sorted({row["period"] for row in per_period})
    last = starts[-1]
    if end is not None:
        last = max(last, _floor(datetime.combine(end, datetime.min.time()), period))
    spine = _spine(starts[0], last, period)
    by_group: dict[tuple[Any, ...], dict[datetime, dict[str, Any]]] = {}
    for row in per_period:
        by_group.setdefault(tuple(row[d] for d in dims), {})[row["period"]] = row
    out = []
    for group, changes in by_group.items():
        backlog = aged = 0
        for moment in spine:
            change = changes.get(moment)
            if change:
                backlog += change["delta"]
                aged += change["aged"]
            local = moment.date()
            if start is not None and _next(moment, period).date() <= start:
                continue
            if end is not None and local > end:
                continue
            row = dict(zip(dims, group, strict=True))
            if query.period:
                row["period"] = _label(moment, period)
            row |= {"value": backlog, "n": backlog, "aged": aged}
            out.append(row)
    if not query.period:  # one snapshot: at the end of the range (or of the data)
        out = _last_per_group(out, dims)
    return _sorted(out, dims, query)


def _last_per_group(rows: list[dict[str, Any]], dims: list[str]) -> list[dict[str, Any]]:
    last: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        last[tuple(row[d] for d in dims)] = row
    return list(last.values())


def _floor(moment: datetime, period: str) -> datetime:
    """The start of the period holding `moment` (weeks start on Monday)."""
    if period == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = datetime(moment.year, moment.month, moment.day)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    first_month = {"month": moment.month, "quarter": 3 * ((moment.month - 1) // 3) + 1, "year": 1}
    return datetime(moment.year, first_month[period], 1)


def _next(moment: datetime, period: str) -> datetime:
    if period == "hour":
        return moment + timedelta(hours=1)
    if period == "day":
        return moment + timedelta(days=1)
    if period == "week":
        return moment + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=1)


def _spine(first: datetime, last: datetime, period: str) -> list[datetime]:
    moments = [first]
    while moments[-1] < last:
        moments.append(_next(moments[-1], period))
    return moments


EXPORTS = {"tickets": "created_at", "calls": "queued_at"}


def facts_rows(
    engine: Engine, name: str, where: Mapping[str, Sequence[str]] | None = None
) -> pa.Table:
    """The fact rows `name` (tickets or calls), filtered like a metric; tickets with business-clock
    columns too."""
    if name not in EXPORTS:
        raise QueryError(f"unknown facts {name!r}; use {' or '.join(EXPORTS)}")
    facts = engine.facts(name, clock="business" if name == "tickets" else "calendar")
    if name == "tickets" and engine.config.sla:
        summary = ticket_sla_summary(engine.facts("sla"))
        facts = facts.left_join(summary, "ticket_id").drop("ticket_id_right")
    rows = local_timestamp(
        facts.mutate(_filed_at=facts[EXPORTS[name]]), {"_local": "_filed_at"}, engine.offsets()
    )
    rows = _filter(engine, name, rows, where or {}, None, None)
    return engine.db.to_pyarrow(rows.drop("_filed_at", "_local").order_by(EXPORTS[name]))


def _compare(
    engine: Engine,
    chosen: Metric,
    variants: dict[str, Any],
    query: Query,
    rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Add the previous equal-length period's value, the change and the percent change."""
    dims = list(query.by)
    if query.period:
        previous: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            previous_key = (*(row[d] for d in dims), _previous_label(row["period"], query.period))
            previous[(*(row[d] for d in dims), row["period"])] = row
            _add_change(row, previous.get(previous_key))
        return rows
    if query.start is None or query.end is None:
        raise QueryError("--compare previous needs --period, or both --from and --to")
    length = (query.end - query.start).days + 1
    before = _rows(
        engine,
        chosen,
        variants,
        query,
        query.start - timedelta(days=length),
        query.start - timedelta(days=1),
    )
    earlier = {tuple(r[d] for d in dims): r for r in before}
    for row in rows:
        _add_change(row, earlier.get(tuple(row[d] for d in dims)))
    return rows


def _previous_label(label: str, period: str) -> str:
    moment = datetime.fromisoformat(label)
    if period in ("hour", "day", "week"):
        step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
        return _label(moment - step[period], period)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month = moment.month - 1 - months
    return _label(moment.replace(year=moment.year + month // 12, month=month % 12 + 1), period)


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
