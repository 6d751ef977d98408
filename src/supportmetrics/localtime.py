"""Local wall time for UTC timestamps, portably: a small per-UTC-day offsets table and one equi-join.

Ibis has no time-zone conversion, so the store keeps UTC and local time is derived here: for each UTC
day the table holds the zone's UTC offset at the start of that day, and (when the offset changes that
day) the second of the day it changes and the offset after. Local time is then UTC plus the offset in
force: two integers and a comparison, the same on every backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

__all__ = ["local_timestamp", "offsets_table", "utc_midnight"]

_DAY = 86_400
_EPOCH = date(1970, 1, 1)


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    delta = instant.astimezone(zone).utcoffset()
    assert delta is not None
    return int(delta.total_seconds())


def utc_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant (naive) at which local day `day` begins in `timezone`: a filter on UTC
    timestamps against it selects the same rows as one on their local wall time against the
    day, without the offsets join (a midnight skipped by a clock change begins the day at the
    change)."""
    local = datetime.combine(day, datetime.min.time(), ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def offsets_table(timezone: str, start: date, end: date) -> pa.Table:
    """One row per UTC day from `start` - 1 to `end` + 1: `epoch_day`, `offset_start`, `change_at`
    (seconds after UTC midnight at which the offset changes, or null) and `offset_end`.

    Zones change their offset at most once a day, which every IANA zone satisfies in practice.
    """
    zone = ZoneInfo(timezone)
    first, last = start - timedelta(days=1), end + timedelta(days=1)
    days, starts, changes, ends = [], [], [], []
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        before = _offset(zone, midnight)
        after = _offset(zone, midnight + timedelta(days=1) - timedelta(seconds=1))
        change = None
        if before != after:  # bisect for the first second with the new offset
            lo, hi = 0, _DAY - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if _offset(zone, midnight + timedelta(seconds=mid)) == before:
                    lo = mid + 1
                else:
                    hi = mid
            change = lo
        days.append((day - _EPOCH).days)
        starts.append(before)
        changes.append(change)
        ends.append(after)
        day += timedelta(days=1)
    return pa.table(
        {
            "epoch_day": pa.array(days, pa.int64()),
            "offset_start": pa.array(starts, pa.int64()),
            "change_at": pa.array(changes, pa.int64()),
            "offset_end": pa.array(ends, pa.int64()),
        }
    )


def local_timestamp(
    table: ir.Table, columns: dict[str, str], offsets: ir.Table | pa.Table
) -> ir.Table:
    """Add `{output: local wall time of column}` columns (naive timestamps) to `table`.

    A timestamp outside the offsets table's range gives null; build the table over the data's range.
    """
    if isinstance(offsets, pa.Table):
        offsets = ibis.memtable(offsets)
    result = table
    for i, (output, column) in enumerate(columns.items()):
        epoch = result[column].epoch_seconds().cast("int64")
        day_key, second_key = f"__sm_day{i}", f"__sm_sod{i}"
        result = result.mutate(**{day_key: epoch // _DAY, second_key: epoch % _DAY})
        o = offsets.rename(
            **{f"__sm_{c}{i}": c for c in ("epoch_day", "offset_start", "change_at", "offset_end")}
        )
        result = result.left_join(o, result[day_key] == o[f"__sm_epoch_day{i}"])
        offset = ibis.ifelse(
            result[f"__sm_change_at{i}"].notnull()
            & (result[second_key] >= result[f"__sm_change_at{i}"]),
            result[f"__sm_offset_end{i}"],
            result[f"__sm_offset_start{i}"],
        )
        result = result.mutate(
            **{output: result[column] + offset.cast("int64").as_interval("s")}
        ).drop(
            day_key,
            second_key,
            *(f"__sm_{c}{i}" for c in ("epoch_day", "offset_start", "change_at", "offset_end")),
        )
    return result
