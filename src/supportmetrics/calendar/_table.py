"""The business-hours calendar table: one row per (schedule, UTC day)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from ._schedule import Schedule, zone

__all__ = ["calendar_table", "local_to_utc"]

_DAY = 86_400
_EPOCH = date(1970, 1, 1)
# Local days whose open hours can reach a UTC day: UTC offsets stay well within ±2 days.
_MARGIN = timedelta(days=2)


def _wall_at(instant: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(instant, tz).replace(tzinfo=None)


def local_to_utc(day: date, minute: int, tz: ZoneInfo) -> int:
    """Epoch seconds of the local wall time ``minute`` minutes after midnight of ``day``.

    A repeated wall time (clocks going back) is its first occurrence; a skipped one (clocks going
    forward) is the instant the clocks jump, i.e. the earliest instant whose wall time is later.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    first = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    if _wall_at(first, tz) == wall:
        return first
    second = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    if _wall_at(second, tz) == wall:
        return second
    # In a gap: the wall clock rises through it between the two readings; find the jump.
    lo, hi = sorted((first, second))
    while lo < hi:
        mid = (lo + hi) // 2
        if _wall_at(mid, tz) >= wall:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _open_pieces(
    schedule: Schedule, tz: ZoneInfo, first: date, days: int
) -> list[list[tuple[int, int]]]:
    """Per UTC day from ``first``: the sorted, merged open (start, length) seconds of that day."""
    base = (first - _EPOCH).days
    pieces: list[list[tuple[int, int]]] = [[] for _ in range(days)]
    weekly = schedule.weekly_intervals()
    lo_local, hi_local = first - _MARGIN, first + timedelta(days=days) + _MARGIN
    closed = schedule.closed_dates(range(lo_local.year, hi_local.year + 1))
    local = lo_local
    while local <= hi_local:
        if local not in closed:
            for start_min, end_min in weekly.get(local.weekday(), ()):
                begin = local_to_utc(local, start_min, tz)
                end = local_to_utc(local, end_min, tz)
                while begin < end:  # cut at UTC midnights
                    day = begin // _DAY
                    stop = min(end, (day + 1) * _DAY)
                    if 0 <= day - base < days:
                        pieces[day - base].append((begin - day * _DAY, stop - begin))
                    begin = stop
        local += timedelta(days=1)
    merged_days = []
    for day_pieces in pieces:
        merged: list[tuple[int, int]] = []
        for start, length in sorted(day_pieces):
            if merged and merged[-1][0] + merged[-1][1] >= start:
                prev_start, prev_len = merged[-1]
                merged[-1] = (prev_start, max(prev_len, start + length - prev_start))
            else:
                merged.append((start, length))
        merged_days.append(merged)
    return merged_days


def calendar_table(
    schedules: Mapping[str, Schedule], start: date, end: date, default_timezone: str
) -> pa.Table:
    """Build the calendar table for ``schedules`` covering UTC days ``start - 1`` .. ``end + 1``.

    Columns: ``schedule_id`` (string), ``day`` (date32, the UTC day), ``epoch_day`` (int64, days
    since 1970-01-01, the join key), ``cum_before`` (int64, business seconds from the first row's
    UTC midnight to this day's), then ``open_k``/``len_k`` for k < K (int64 seconds since UTC
    midnight and lengths; unused slots have length 0), K being the most any row needs (at least 1).
    Rows are sorted by schedule_id, then day.
    """
    if not schedules:
        raise ValueError("calendar_table needs at least one schedule")
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise TypeError("calendar_table takes dates, not datetimes")
    if end < start:
        raise ValueError(f"calendar range is empty: end {end} is before start {start}")
    zone(default_timezone)
    first = start - timedelta(days=1)
    days = (end - start).days + 3
    base = (first - _EPOCH).days

    ids: list[str] = []
    cum_before: list[int] = []
    rows: list[list[tuple[int, int]]] = []
    for schedule_id in sorted(schedules):
        schedule = schedules[schedule_id]
        pieces = _open_pieces(schedule, schedule.zone(default_timezone), first, days)
        total = 0
        for day_pieces in pieces:
            cum_before.append(total)
            total += sum(length for _, length in day_pieces)
        ids.extend([schedule_id] * days)
        rows.extend(pieces)

    width = max(1, *(len(r) for r in rows))
    epoch_days = [base + i for i in range(days)] * len(schedules)
    columns: dict[str, pa.Array] = {
        "schedule_id": pa.array(ids, pa.string()),
        "day": pa.array(epoch_days, pa.int32()).cast(pa.date32()),
        "epoch_day": pa.array(epoch_days, pa.int64()),
        "cum_before": pa.array(cum_before, pa.int64()),
    }
    for k in range(width):
        columns[f"open_{k}"] = pa.array([r[k][0] if k < len(r) else 0 for r in rows], pa.int64())
        columns[f"len_{k}"] = pa.array([r[k][1] if k < len(r) else 0 for r in rows], pa.int64())
    return pa.table(columns)
