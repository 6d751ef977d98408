"""Snapshots at period ends: the backlog (unsolved tickets) and MRR (recurring revenue), and MRR growth.

Each stretch [start, end) adds its weight at its start and takes it away at its end; per period the
changes are summed in the engine, and a running sum over a gap-free list of periods gives the
snapshot at each period's end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.localtime import local_timestamp
from supportmetrics.query.dimensions import filter_rows, with_dimensions
from supportmetrics.query.model import Query, QueryError
from supportmetrics.query.periods import TRUNCATE, floor, label, next_start, previous_label, spine

__all__ = ["backlog_rows", "growth_rows", "mrr_rows"]


def backlog_rows(
    engine: Engine,
    facts_name: str,
    variants: Mapping[str, Any],
    query: Query,
    segments: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Unsolved stretches that cover each period end, and how many of them were older than
    `aged_hours` then (an aged stretch adds 1 to `aged` when the ticket turns N hours old)."""
    rows, dims = _split(engine, facts_name, query, segments)
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
    totals = {"value": "delta", "n": "delta", "aged": "aged"}
    return _running(engine, changes, list(dims), totals, query, start, end)


def mrr_rows(
    engine: Engine,
    facts_name: str,
    query: Query,
    stretches: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Monthly recurring revenue at each period end (`value`) and the subscriptions behind it (`n`)."""
    rows, dims = _split(engine, facts_name, query, stretches)
    base = {n: rows[c] for n, c in dims.items()}
    amount = rows._value.cast("float64")
    changes = rows.select(**base, at=rows.start, amount=amount, count=ibis.literal(1)).union(
        rows.filter(rows.end.notnull()).select(
            **base, at=rows.end, amount=-amount, count=ibis.literal(-1)
        )
    )
    totals = {"value": "amount", "n": "count"}
    out = _running(engine, changes, list(dims), totals, query, start, end)
    for row in out:
        row["value"] = round(row["value"], 6)
    return out


def growth_rows(
    engine: Engine,
    facts_name: str,
    variants: Mapping[str, Any],
    query: Query,
    stretches: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Percent change of MRR at each period end against the end of the period before (versus=
    previous) or of the same period a year before (versus=year). Monthly without --period."""
    period = query.period or "month"
    steps = 1
    if variants["versus"] == "year":
        if period in ("hour", "day", "week"):
            raise QueryError("mrr_growth versus=year needs --period month, quarter or year")
        steps = {"month": 12, "quarter": 4, "year": 1}[period]
    first = floor(datetime.combine(start, datetime.min.time()), period) if start else None
    widened = next_start(first, period, -steps).date() if first else None
    series = mrr_rows(
        engine,
        facts_name,
        Query(query.metric, query.by, period, where=query.where),
        stretches,
        widened,
        end,
    )
    dims = list(query.by)
    by_key = {(*(r[d] for d in dims), r["period"]): r for r in series}
    out = []
    for row in series:
        if first is not None and row["period"] < label(first, period):
            continue
        before = by_key.get((*(row[d] for d in dims), previous_label(row["period"], period, steps)))
        previous = before["value"] if before else None
        growth = 100 * (row["value"] - previous) / previous if previous else None
        out.append({**row, "value": growth, "mrr": row["value"], "previous_mrr": previous})
    if not query.period:
        out = _last_per_group(out, dims)
        for row in out:
            del row["period"]
    return out


def _split(
    engine: Engine, facts_name: str, query: Query, rows: ir.Table
) -> tuple[ir.Table, dict[str, str]]:
    rows = filter_rows(engine, facts_name, rows, query.where, None, None)
    return with_dimensions(engine, facts_name, rows, query.by)


def _running(
    engine: Engine,
    changes: ir.Table,
    dims: list[str],
    totals: Mapping[str, str],
    query: Query,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Running sums (output key -> change column) over a gap-free list of periods, per group."""
    period = query.period or "day"
    changes = local_timestamp(changes, {"_local": "at"}, engine.offsets())
    keys = [*dims, changes._local.truncate(TRUNCATE[period]).name("period")]
    columns = sorted(set(totals.values()))
    per_period = engine.db.to_pyarrow(
        changes.group_by(keys).aggregate(**{c: changes[c].sum() for c in columns})
    ).to_pylist()
    if not per_period:
        return []
    starts = sorted({row["period"] for row in per_period})
    last = starts[-1]
    if end is not None:
        last = max(last, floor(datetime.combine(end, datetime.min.time()), period))
    moments = spine(starts[0], last, period)
    by_group: dict[tuple[Any, ...], dict[datetime, dict[str, Any]]] = {}
    for row in per_period:
        by_group.setdefault(tuple(row[d] for d in dims), {})[row["period"]] = row
    out = []
    for group, group_changes in by_group.items():
        running = dict.fromkeys(columns, 0)
        for moment in moments:
            change = group_changes.get(moment)
            if change:
                for c in columns:
                    running[c] += change[c] or 0
            if start is not None and next_start(moment, period).date() <= start:
                continue
            if end is not None and moment.date() > end:
                continue
            row = dict(zip(dims, group, strict=True))
            if query.period:
                row["period"] = label(moment, period)
            row |= {key: running[column] for key, column in totals.items()}
            out.append(row)
    if not query.period:  # one snapshot: at the end of the range (or of the data)
        out = _last_per_group(out, dims)
    return out


def _last_per_group(rows: Sequence[dict[str, Any]], dims: list[str]) -> list[dict[str, Any]]:
    last: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        last[tuple(row[d] for d in dims)] = row
    return list(last.values())
