"""Snapshots at period ends: the backlog (unsolved tickets) and MRR (recurring revenue), and MRR growth.

Each stretch [start, end) adds its weight at its start and takes it away at its end; per period the
changes are summed in the engine, and a running sum over a gap-free list of periods (a cumulative
window, also in the engine) gives the snapshot at each period's end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.localtime import local_timestamp, utc_midnight
from supportmetrics.query.dimensions import filter_rows, with_dimensions
from supportmetrics.query.model import Query, QueryError
from supportmetrics.query.periods import floor, label, next_start, previous_label, spine, truncate

__all__ = ["backlog_rows", "backlog_snapshots", "growth_rows", "mrr_rows"]


def backlog_rows(
    engine: Engine,
    facts_name: str,
    aged_hours: int,
    query: Query,
    segments: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Unsolved stretches that cover each period end, and how many of them were older than
    `aged_hours` hours then (an aged stretch adds 1 to `aged` when the ticket turns N hours old)."""
    rows, dims = _split(engine, facts_name, query, segments)
    aged_at, aged = _aged(rows, aged_hours)
    base = {n: rows[c] for n, c in dims.items()}
    if not query.period:  # one snapshot: when `end` ends, else after all the data
        return _snapshots(engine, rows, base, aged_at, aged, [end])[0]
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
    horizon = timedelta(hours=aged_hours)
    return _running(engine, changes, list(dims), totals, query, start, end, horizon)


def backlog_snapshots(
    engine: Engine,
    facts_name: str,
    aged_hours: int,
    query: Query,
    segments: ir.Table,
    ends: Sequence[date],
) -> list[list[dict[str, Any]]]:
    """`backlog_rows` without a period, for each local day of `ends`, in one scan."""
    rows, dims = _split(engine, facts_name, query, segments)
    aged_at, aged = _aged(rows, aged_hours)
    base = {n: rows[c] for n, c in dims.items()}
    return _snapshots(engine, rows, base, aged_at, aged, ends)


def _aged(rows: ir.Table, aged_hours: int) -> tuple[ir.Value, ir.BooleanValue]:
    """When each stretch turns `aged_hours` old (or starts, if later), and whether before its end."""
    aged_at = ibis.greatest(rows.start, rows.created_at + ibis.interval(hours=aged_hours))
    return aged_at, rows.end.isnull() | (aged_at < rows.end)


def _snapshots(
    engine: Engine,
    rows: ir.Table,
    base: Mapping[str, ir.Value],
    aged_at: ir.Value,
    aged: ir.Value,
    ends: Sequence[date | None],
) -> list[list[dict[str, Any]]]:
    """The backlog when each local day of `ends` ends (None: after all the data), counted
    directly: the stretches open at that instant, and those of them aged by then. The same numbers
    as the running sums' last period (a stretch counts from its start's local day through the day
    before its end's; after all the data every stretch still open has aged, as the running sums
    run until it has), in one grouped scan for every end instead of a window over every day."""
    zone = ZoneInfo(engine.config.timezone)
    instants: list[datetime | None] = []
    aggregates: dict[str, ir.Value] = {}
    for index, end in enumerate(ends):
        if end is None:
            instants.append(None)
            open_then = rows.end.isnull()
            aged_then = open_then
        else:
            midnight = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
            at = ibis.literal(midnight.astimezone(UTC).replace(tzinfo=None), "timestamp")
            instants.append(at.op().value)
            open_then = (rows.start < at) & (rows.end.isnull() | (rows.end >= at))
            aged_then = open_then & aged & (aged_at < at)
        aggregates[f"__value_{index}"] = ibis.ifelse(open_then, 1, 0).sum()
        aggregates[f"__aged_{index}"] = ibis.ifelse(aged_then, 1, 0).sum()
    counts = rows.group_by([v.name(n) for n, v in base.items()]) if base else rows
    table = counts.aggregate(**aggregates, __first=rows.start.min())
    found: list[dict[str, Any]] = engine.arrow(table.order_by(*base) if base else table).to_pylist()
    firsts = [row.pop("__first") for row in found]
    first = min((f for f in firsts if f is not None), default=None)
    out: list[list[dict[str, Any]]] = []
    for index, instant in enumerate(instants):
        if first is None or (instant is not None and first >= instant):
            out.append([])  # no stretch, or the day ends before them
            continue
        snapshot = []
        for row in found:
            value, aged_count = row[f"__value_{index}"], row[f"__aged_{index}"]
            own = {k: v for k, v in row.items() if not k.startswith("__")}
            snapshot.append(own | {"value": value, "n": value, "aged": aged_count})
        out.append(snapshot)
    return out


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
    versus: str,
    query: Query,
    stretches: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Percent change of MRR at each period end against the end of the period before (versus=
    previous) or of the same period a year before (versus=year). Monthly without --period."""
    period = query.period or "month"
    steps = 1
    if versus == "year":
        if period in ("half_hour", "hour", "day", "week"):
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
    horizon: timedelta = timedelta(0),
) -> list[dict[str, Any]]:
    """Running sums (output key -> change column) per group at the end of every period from the
    first change's to the last change's (or `end`'s, if later), in one backend query: the changes
    summed per period (those before the first period shown as one change at its start), every
    group crossed with every period, a cumulative window over them.
    `horizon`: how far after the data's last timestamp a change can be."""
    period = query.period or "day"
    columns = sorted(set(totals.values()))
    first_shown = floor(datetime.combine(start, datetime.min.time()), period) if start else None
    carried = None
    if first_shown is not None:  # the changes before the first period shown, summed
        begins = utc_midnight(first_shown.date(), engine.config.timezone)
        before = changes.filter(changes.at < begins)
        carried = (before.group_by(dims) if dims else before).aggregate(
            **{c: before[c].sum() for c in columns}
        )
        carried = carried.filter(carried[columns[0]].notnull()).mutate(
            __at=ibis.literal(first_shown, "timestamp")
        )
        changes = changes.filter(changes.at >= begins)
    if end is not None and not dims and period not in ("hour", "half_hour"):
        # the changes after the last period shown count for none of them (with dimensions, a
        # group's later changes still give it rows; an hour or half-hour grid reaches the data's
        # last slot)
        after = next_start(floor(datetime.combine(end, datetime.min.time()), period), period)
        changes = changes.filter(changes.at < utc_midnight(after.date(), engine.config.timezone))
    changes = local_timestamp(changes, {"_local": "at"}, engine.offsets())
    at = truncate(changes._local, period).name("__at")
    per_period = changes.group_by([*dims, at]).aggregate(**{c: changes[c].sum() for c in columns})
    if carried is not None:  # as one change at the start of the first period shown
        both = per_period.union(carried.select(*dims, "__at", *columns))
        per_period = both.group_by([*dims, "__at"]).aggregate(**{c: both[c].sum() for c in columns})
    end_start = floor(datetime.combine(end, datetime.min.time()), period) if end else None
    grid = _periods(engine, period, first_shown, start, end, end_start, horizon)
    span = per_period.aggregate(__first=per_period.__at.min(), __last=per_period.__at.max())
    last = span.__last if end_start is None else ibis.greatest(span.__last, end_start)
    grid = grid.cross_join(span)
    grid = grid.filter((grid.__at >= grid.__first) & (grid.__at <= last))
    if dims:
        grid = per_period.select(*dims).distinct().cross_join(grid)
    on = [grid[d].identical_to(per_period[d]) for d in dims] + [grid.__at == per_period.__at]
    joined = grid.left_join(per_period, on)
    window = ibis.cumulative_window(group_by=[joined[d] for d in dims], order_by=joined.__at)
    running = joined.select(
        *dims,
        "__at",
        "__shown",
        "__label",
        **{c: joined[c].coalesce(0).sum().over(window) for c in columns},
    )
    running = running.filter(running.__shown)
    if not query.period:  # one snapshot: at the end of the range (or of the data)
        running = running.mutate(__final=running.__at.max().over(ibis.window()))
        running = running.filter(running.__at == running.__final)
    out = running.select(
        *dims,
        "__at",
        *([running.__label.name("period")] if query.period else []),
        **{key: running[column] for key, column in totals.items()},
    )
    rows: list[dict[str, Any]] = engine.arrow(out.order_by(["__at", *dims])).to_pylist()
    for row in rows:
        del row["__at"]
    return rows


def _periods(
    engine: Engine,
    period: str,
    first_shown: datetime | None,
    start: date | None,
    end: date | None,
    end_start: datetime | None,
    horizon: timedelta,
) -> ir.Table:
    """Every local period start (`__at`, `__label`) that can hold a change: from the data's first
    timestamp (or `first_shown`, if later) to its last plus `horizon` (a day wider each side, for
    daylight-saving shifts) and to `end_start`; `__shown` when the period ends after `start` and
    starts by `end`."""
    first, last = engine.bounds()
    zone = ZoneInfo(engine.config.timezone)

    def local(moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)

    lo = floor(local(first) - timedelta(days=1), period)
    if first_shown is not None:
        lo = max(lo, first_shown)
    hi = floor(local(last + horizon) + timedelta(days=1), period)
    if end_start is not None:
        hi = max(hi, end_start)
    moments = spine(lo, hi, period)
    return ibis.memtable(
        {
            "__at": moments,
            "__shown": [
                (
                    start is None
                    or next_start(m, period) > datetime.combine(start, datetime.min.time())
                )
                and (end is None or m.date() <= end)
                for m in moments
            ],
            "__label": [label(m, period) for m in moments],
        }
    )


def _last_per_group(rows: Sequence[dict[str, Any]], dims: list[str]) -> list[dict[str, Any]]:
    last: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        last[tuple(row[d] for d in dims)] = row
    return list(last.values())
