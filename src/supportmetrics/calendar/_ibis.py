"""Business seconds as portable Ibis expressions: equi-joins on the calendar table, arithmetic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ._schedule import DEFAULT_SCHEDULE_ID

__all__ = ["business_instant", "calendar_bounds", "schedule_of_team", "with_business_seconds"]

_DAY = 86_400
_KEY_COLUMNS = ("schedule_id", "epoch_day", "cum_before")
_TMP = "__sm_cal_"


def schedule_of_team(team: ir.StringValue, team_schedules: Mapping[str, str]) -> ir.StringValue:
    """Each row's schedule id: its team's from `team_schedules`, else the default schedule."""
    if not team_schedules:
        return ibis.literal(DEFAULT_SCHEDULE_ID)
    return team.substitute(dict(team_schedules), else_=DEFAULT_SCHEDULE_ID)


def _width(calendar: ir.Table) -> int:
    """Number of open/len column pairs, checking the calendar's shape."""
    missing = [c for c in (*_KEY_COLUMNS, "open_0", "len_0") if c not in calendar.columns]
    if missing:
        raise ValueError(f"not a calendar table (see calendar_table): missing {missing}")
    k = 0
    while f"open_{k}" in calendar.columns and f"len_{k}" in calendar.columns:
        k += 1
    return k


def _as_table(calendar: ir.Table | pa.Table) -> ir.Table:
    return ibis.memtable(calendar) if isinstance(calendar, pa.Table) else calendar


def _add_instants(
    table: ir.Table,
    instants: Mapping[str, str],
    calendar: ir.Table | pa.Table,
    schedule_column: str | None,
    schedule: str | ir.StringValue | None,
) -> ir.Table:
    """Add one column F(ts) per ``{output name: timestamp column}``, one left equi-join each."""
    calendar = _as_table(calendar)
    width = _width(calendar)
    for ts in instants.values():
        if ts not in table.columns:
            raise ValueError(f"no column {ts!r} in the table")
        if not table[ts].type().is_timestamp():
            raise TypeError(f"column {ts!r} is {table[ts].type()}, not a timestamp")
    if any(c.startswith(_TMP) for c in table.columns):
        raise ValueError(f"column names starting with {_TMP!r} are reserved")
    if schedule_column is not None and schedule is not None:
        raise ValueError("pass schedule_column or schedule, not both")
    if schedule_column is not None:
        if schedule_column not in table.columns:
            raise ValueError(f"no schedule column {schedule_column!r} in the table")
        schedule = table[schedule_column]
    elif schedule is None:
        schedule = DEFAULT_SCHEDULE_ID

    original = table.columns
    sid = f"{_TMP}sid"
    if isinstance(schedule, str):
        calendar = calendar.filter(calendar.schedule_id == schedule)
    else:
        table = table.mutate(**{sid: schedule})

    cal_columns = {f"{c}_{k}": calendar[f"{c}_{k}"] for k in range(width) for c in ("open", "len")}
    cal_columns.update({c: calendar[c] for c in _KEY_COLUMNS})
    keys = {}
    for i, ts in enumerate(instants.values()):
        epoch = table[ts].epoch_seconds().cast("int64")
        epoch_day = epoch // _DAY
        keys[f"{_TMP}day{i}"] = epoch_day
        keys[f"{_TMP}sod{i}"] = epoch - epoch_day * _DAY
    table = table.mutate(**keys)

    joined = table
    values = {}
    for i, name in enumerate(instants):
        p = f"{_TMP}{i}_"
        cal = calendar.select(**{p + c: v for c, v in cal_columns.items()})
        predicates = [table[f"{_TMP}day{i}"] == cal[p + "epoch_day"]]
        if not isinstance(schedule, str):
            predicates.append(table[sid] == cal[p + "schedule_id"])
        joined = joined.left_join(cal, predicates)
        value = cal[p + "cum_before"]
        for k in range(width):
            inside = ibis.greatest(table[f"{_TMP}sod{i}"] - cal[f"{p}open_{k}"], 0)
            value = value + ibis.least(inside, cal[f"{p}len_{k}"])
        values[name] = value
    return joined.select(*original, **values)


def business_instant(
    table: ir.Table,
    ts_column: str,
    calendar: ir.Table | pa.Table,
    *,
    schedule_column: str | None = None,
    schedule: str | ir.StringValue | None = None,
    name: str | None = None,
) -> ir.Table:
    """Add column ``name`` (default ``F_<ts_column>``): business seconds from the calendar's
    origin to the timestamp, so that business seconds between a and b are F(b) - F(a). Only
    differences of F computed against the same calendar table are meaningful.

    The schedule of each row is ``table[schedule_column]``, or ``schedule`` (a schedule id or a
    string expression over ``table``), or ``"default"``. The result is null when the timestamp or
    schedule is null, the schedule is unknown, or the timestamp's UTC day is outside the calendar.
    """
    name = name or f"F_{ts_column}"
    if name in table.columns:
        raise ValueError(f"column {name!r} already exists")
    return _add_instants(table, {name: ts_column}, calendar, schedule_column, schedule)


def with_business_seconds(
    table: ir.Table,
    pairs: Mapping[str, tuple[str, str]],
    calendar: ir.Table | pa.Table,
    *,
    schedule_column: str | None = None,
    schedule: str | ir.StringValue | None = None,
) -> ir.Table:
    """Add one int64 column per ``{name: (start column, end column)}``: business seconds from
    start to end, in one query (one left equi-join on the calendar per distinct timestamp column).

    The value is F(end) - F(start): negative when end is before start (callers clip), null when
    either timestamp is null or outside the calendar, or the schedule is null or unknown.
    Schedule selection as in :func:`business_instant`.
    """
    if not pairs:
        return table
    for name, pair in pairs.items():
        if name in table.columns:
            raise ValueError(f"column {name!r} already exists")
        if len(pair) != 2:
            raise ValueError(f"pair {name!r} must be (start column, end column), got {pair!r}")
    columns = list(dict.fromkeys(c for pair in pairs.values() for c in pair))
    instants = {f"{_TMP}F{i}": c for i, c in enumerate(columns)}
    by_column = {c: n for n, c in instants.items()}
    table = _add_instants(table, instants, calendar, schedule_column, schedule)
    table = table.mutate(
        **{
            name: table[by_column[end]] - table[by_column[start]]
            for name, (start, end) in pairs.items()
        }
    )
    return table.drop(*instants)


def calendar_bounds(table: ir.Table, columns: Sequence[str]) -> tuple[date, date] | None:
    """Earliest and latest UTC dates in the timestamp ``columns`` of ``table`` (runs one query).

    Pass them to :func:`calendar_table` so every timestamp falls inside the calendar. None when
    every value is null.
    """
    if not columns:
        raise ValueError("calendar_bounds needs at least one column")
    aggs = {}
    for i, c in enumerate(columns):
        aggs[f"lo{i}"] = table[c].min()
        aggs[f"hi{i}"] = table[c].max()
    row = table.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    lows = [row[f"lo{i}"] for i in range(len(columns)) if row[f"lo{i}"] is not None]
    highs = [row[f"hi{i}"] for i in range(len(columns)) if row[f"hi{i}"] is not None]
    if not lows:
        return None
    return min(lows).date(), max(highs).date()
