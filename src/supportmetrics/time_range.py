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
MAX_OFFSET_MINUTES = 14 * 60

_OFFSET = r"'\d:\d\d(?:[.,]\d+)?\s*[+-](\d\d?)(?::?(\d\d))?(?::\d\d)?$'"
"""A UTC offset right after a time of day: +02:00, -0530, +05, -04:56:02."""


def in_range_sql(expr: str, *, zoned: bool = False) -> str:
    """SQL: the timestamp `expr` (UTC, or TIMESTAMPTZ when `zoned`) lies in the range."""
    kind, zone = ("TIMESTAMPTZ", "+00") if zoned else ("TIMESTAMP", "")
    return (
        f"({expr} >= {kind} '{FIRST:%Y-%m-%d %H:%M:%S}{zone}' "
        f"AND {expr} < {kind} '{_END:%Y-%m-%d %H:%M:%S}{zone}')"
    )


_USUAL_HOURS = ", ".join(f"'{sign}{h:02d}'" for sign in "+-" for h in range(15))
"""Endings `+05`: a sign and two digits, within ±14:00."""
_USUAL_HOURS_MINUTES = ", ".join(
    f"'{sign}{h:02d}:{m:02d}'"
    for sign in "+-"
    for h in range(15)
    for m in (0, 15, 30, 45)
    if h < 14 or m == 0
)
"""Endings `-04:30`: a sign, hours and quarter hours, within ±14:00."""


def _usual_offset_sql(text: str) -> str:
    """SQL: `text` ends in one of the usual offsets within ±14:00 (`+00`, `-05:00`, `+05:45`),
    told apart without a regular expression. Digits and a colon after the last sign are all the
    offset pattern can take, so where this holds it finds that same offset, or matches nothing."""
    return f"(right({text}, 3) IN ({_USUAL_HOURS}) OR right({text}, 6) IN ({_USUAL_HOURS_MINUTES}))"


def offset_beyond_sql(text: str) -> str:
    """SQL: the timestamp text `text` ends in a UTC offset beyond ±14:00 (or with minutes over 59).

    The regular expressions only run where a sign ends the text and the ending is not one of the
    usual offsets within the range (`+00`, `-05:00` ...): they cost far more than the parse.
    """
    hours = f"TRY_CAST(regexp_extract({text}, {_OFFSET}, 1) AS INTEGER)"
    minutes = f"COALESCE(TRY_CAST(NULLIF(regexp_extract({text}, {_OFFSET}, 2), '') AS INTEGER), 0)"
    beyond = f"COALESCE({minutes} > 59 OR {hours} * 60 + {minutes} > {MAX_OFFSET_MINUTES}, false)"
    tail = f"right({text}, 9)"
    return (
        f"(CASE WHEN NOT (contains({tail}, '+') OR contains({tail}, '-')) THEN false "
        f"WHEN {_usual_offset_sql(text)} THEN false ELSE {beyond} END)"
    )


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
