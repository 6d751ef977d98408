"""Due times in business hours: the instant a business-seconds budget runs out, by equi-joins.

Open intervals start and end on whole local minutes, so every business minute is one real minute.
`minutes_table` lists them (schedule, index = F // 60, UTC epoch second the minute starts); the due
time of a budget of T business seconds from t is the minute holding F(t) + T, plus the seconds into
it: one more equi-join, no range join.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from ._ibis import business_instant

__all__ = ["minutes_table", "with_business_due"]

_DAY = 86_400
_TMP = "__sm_due_"


def minutes_table(calendar: pa.Table) -> pa.Table:
    """One row per business minute of `calendar` (see `calendar_table`): `schedule_id`,
    `minute` (business seconds from the origin // 60) and `epoch` (UTC second it starts)."""
    width = sum(1 for name in calendar.column_names if name.startswith("len_"))
    ids = calendar.column("schedule_id").to_numpy(zero_copy_only=False)
    days = calendar.column("epoch_day").to_numpy()
    before = calendar.column("cum_before").to_numpy()
    parts_id, parts_minute, parts_epoch = [], [], []
    for k in range(width):
        opens = calendar.column(f"open_{k}").to_numpy()
        lengths = calendar.column(f"len_{k}").to_numpy()
        counts = lengths // 60
        rows = np.repeat(np.arange(len(counts)), counts)
        # position of each minute inside its interval: 0, 1, ... per interval
        within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        parts_id.append(ids[rows])
        parts_minute.append(before[rows] // 60 + within)
        parts_epoch.append(days[rows] * _DAY + opens[rows] + 60 * within)
        before = before + lengths
    return pa.table(
        {
            "schedule_id": pa.array(np.concatenate(parts_id), pa.string()),
            "minute": pa.array(np.concatenate(parts_minute), pa.int64()),
            "epoch": pa.array(np.concatenate(parts_epoch), pa.int64()),
        }
    )


def with_business_due(
    table: ir.Table,
    budgets: Mapping[str, tuple[str, str]],
    calendar: ir.Table,
    minutes: ir.Table,
    *,
    schedule_column: str,
) -> ir.Table:
    """Add `{name: (start column, budget seconds column)}` due timestamps in business hours.

    Null when the start or budget is null, or the due time falls outside the calendar.
    """
    original = table.columns
    for i, (name, (start, budget)) in enumerate(budgets.items()):
        f = f"{_TMP}F{i}"
        table = business_instant(table, start, calendar, schedule_column=schedule_column, name=f)
        target = table[f] + table[budget]
        table = table.mutate(**{f"{_TMP}v{i}": target, f"{_TMP}b{i}": target // 60})
        m = minutes.rename(
            **{f"{_TMP}s{i}": "schedule_id", f"{_TMP}m{i}": "minute", f"{_TMP}e{i}": "epoch"}
        )
        table = table.left_join(
            m,
            [
                table[schedule_column] == m[f"{_TMP}s{i}"],
                table[f"{_TMP}b{i}"] == m[f"{_TMP}m{i}"],
            ],
        )
        offset = (
            table[f"{_TMP}e{i}"]
            + table[f"{_TMP}v{i}"]
            - 60 * table[f"{_TMP}b{i}"]
            - table[start].epoch_seconds().cast("int64")
        )
        table = table.mutate(**{name: table[start] + offset.as_interval("s")})
        table = table.select(*original, *(n for n in budgets if n in table.columns))
    return table
