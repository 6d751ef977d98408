"""Custom columns: the columns a table holds beyond the data model, listed and dropped."""

from __future__ import annotations

import contextlib
import fnmatch
from dataclasses import asdict, dataclass

import duckdb

from supportmetrics.schema import TABLES
from supportmetrics.store import quote, stored_columns

__all__ = ["ColumnError", "CustomColumn", "custom_columns", "drop_custom_columns"]


class ColumnError(ValueError):
    """A column name that names no custom column; the message lists what does."""


@dataclass(frozen=True)
class CustomColumn:
    """A custom column of a stored table: its type and how many rows have a value in it."""

    table: str
    column: str
    type: str
    values: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _custom(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    canonical = TABLES[table].by_name
    return {c: t for c, t in stored_columns(con, catalog, table).items() if c not in canonical}


def custom_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[CustomColumn]:
    """Every custom column of every table, with its type and count of values (one scan a table)."""
    found = []
    for table in TABLES:
        columns = _custom(con, catalog, table)
        if not columns:
            continue
        counts = ", ".join(f"count({quote(c)})" for c in columns)
        row = con.execute(f"SELECT {counts} FROM {catalog}.{quote(table)}").fetchone()
        assert row is not None
        found += [
            CustomColumn(table, c, t, n) for (c, t), n in zip(columns.items(), row, strict=True)
        ]
    return found


def _resolve(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> list[tuple[str, str]]:
    """(table, column) pairs that `TABLE.NAME` names; NAME may be a pattern (`*`, `?`, `[...]`)."""
    table, dot, pattern = name.partition(".")
    table, pattern = table.strip().lower(), pattern.strip().lower()
    if not dot or not pattern:
        raise ColumnError(f"{name!r}: write TABLE.COLUMN, e.g. tickets.region")
    if table not in TABLES:
        raise ColumnError(f"{name!r}: no table {table!r}; the tables are: {', '.join(TABLES)}")
    if pattern in TABLES[table].by_name:
        raise ColumnError(
            f"{name!r}: {pattern} is a column of the data model, not a custom column; only "
            "custom columns can be dropped"
        )
    custom = _custom(con, catalog, table)
    matches = [c for c in custom if fnmatch.fnmatchcase(c, pattern)]
    if not matches:
        listed = ", ".join(custom) if custom else "none"
        raise ColumnError(
            f"{name!r}: {table} has no such custom column; its custom columns: {listed}"
        )
    return [(table, c) for c in matches]


def drop_custom_columns(
    con: duckdb.DuckDBPyConnection, catalog: str, names: list[str]
) -> list[str]:
    """Drop the custom columns `names` (TABLE.NAME, patterns allowed) in one transaction; return
    them as `table.column`. Nothing is dropped when one name is wrong."""
    pairs = list(dict.fromkeys(pair for name in names for pair in _resolve(con, catalog, name)))
    con.execute("BEGIN TRANSACTION")
    try:
        for table, column in pairs:
            con.execute(f"ALTER TABLE {catalog}.{quote(table)} DROP COLUMN {quote(column)}")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has ended the transaction
            con.execute("ROLLBACK")
        raise
    return [f"{table}.{column}" for table, column in pairs]
