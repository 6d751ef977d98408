"""The timestamps the product accepts: 1970-01-01 through 2100-12-31 (UTC), UTC offsets within ±14:00.

Ingest and every importer reject values outside the range (`infinity`, BC years, 0001-01-01, 9999-12-31
...) and offsets such as +25:00. A store written before the range existed may still hold such rows:
`out_of_range` counts them, and `in_range` is the filter the engine reads every table through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

__all__ = [
    "FIRST",
    "LAST_YEAR",
    "RANGE_TEXT",
    "OutOfRange",
    "in_range",
    "in_range_sql",
    "offset_beyond_sql",
    "out_of_range",
]

FIRST = datetime(1970, 1, 1)
"""The earliest instant accepted (UTC)."""
LAST_YEAR = 2100
"""The last year accepted: every instant before 2101-01-01T00:00:00Z."""
_END = datetime(LAST_YEAR + 1, 1, 1)
RANGE_TEXT = f"{FIRST:%Y-%m-%d} to {LAST_YEAR}-12-31 (UTC)"


def in_range_sql(expr: str, *, zoned: bool = False) -> str:
    """SQL: the timestamp `expr` (UTC, or TIMESTAMPTZ when `zoned`) lies in the range."""
    kind, zone = ("TIMESTAMPTZ", "+00") if zoned else ("TIMESTAMP", "")
    return (
        f"({expr} >= {kind} '{FIRST:%Y-%m-%d %H:%M:%S}{zone}' "
        f"AND {expr} < {kind} '{_END:%Y-%m-%d %H:%M:%S}{zone}')"
    )


_BEYOND = (
    r"'\d:\d\d(?:[.,]\d+)?\s*[+-]"
    r"(?:(?:1[5-9]|[2-9]\d)(?::?\d\d)?|\d\d?:?[6-9]\d|14:?(?:0[1-9]|[1-5]\d))(?::\d\d)?$'"
)
"""A UTC offset beyond ±14:00 right after a time of day. An offset is a sign, one or two digits of
hours, then two of minutes (optionally after a colon) and `:SS` seconds: +02:00, -0530, +05,
-04:56:02. Beyond: hours 15-99, minutes 60-99, or 14 hours and minutes 01-59."""


def offset_beyond_sql(text: str) -> str:
    """SQL: the timestamp text `text` ends in a UTC offset beyond ±14:00 (or with minutes over 59);
    false for NULL.

    One regular expression anchored at the end spells out the offsets beyond the range digit by
    digit, so nothing is extracted or converted: it costs less than parsing the timestamp.
    """
    return f"COALESCE(regexp_matches({text}, {_BEYOND}), false)"


def in_range(value: ir.TimestampValue) -> ir.BooleanValue:
    """Ibis: `value` is NULL or lies in the range (the filter for stored rows)."""
    return value.isnull() | ((value >= ibis.literal(FIRST)) & (value < ibis.literal(_END)))


@dataclass(frozen=True)
class OutOfRange:
    """Stored rows of one table whose timestamp column lies outside the range."""

    table: str
    column: str
    rows: int
    examples: tuple[str, ...]
    """The first few of their ids."""

    def __str__(self) -> str:
        ids = ", ".join(self.examples) + (", ..." if self.rows > len(self.examples) else "")
        return (
            f"{self.table}.{self.column}: {self.rows} row(s) with a timestamp outside "
            f"{RANGE_TEXT} are left out of every metric (ids: {ids}); load them again "
            "with corrected values"
        )


def out_of_range(
    db: ibis.BaseBackend, tables: dict[str, ir.Table], keys: dict[str, str], examples: int = 5
) -> list[OutOfRange]:
    """Every (table, timestamp column) holding values outside the range, with counts and ids.

    One query counts them for all tables together; the ids are fetched only where there are some.
    """
    counts = []
    for name, table in tables.items():
        schema = table.schema()
        for column in (c for c in table.columns if schema[c].is_timestamp()):
            counts.append(
                table.aggregate(
                    table=ibis.literal(name),
                    column=ibis.literal(column),
                    rows=table.count(where=~in_range(table[column])),
                )
            )
    if not counts:
        return []
    found = db.to_pyarrow(ibis.union(*counts).filter(ibis._.rows > 0)).to_pylist()
    result = []
    for row in sorted(found, key=lambda r: (list(tables).index(r["table"]), r["column"])):
        table = tables[row["table"]]
        key = table[keys[row["table"]]]
        bad = table.filter(~in_range(table[row["column"]])).select(key.cast("string").name("k"))
        ids = db.to_pyarrow(bad.order_by("k").limit(examples)).column("k").to_pylist()
        result.append(OutOfRange(row["table"], row["column"], row["rows"], tuple(ids)))
    return result
