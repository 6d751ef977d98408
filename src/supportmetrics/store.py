"""The embedded store: one DuckDB file holding the canonical tables.

Opening it for writing takes DuckDB's file lock; a second writer waits a bounded time for it and then
fails with `WorkspaceBusy`, so the file is never written by two processes at once.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from supportmetrics.schema import TABLES, Table

__all__ = [
    "INGESTS_TABLE",
    "SCHEMA_VERSION",
    "WorkspaceBusy",
    "attached",
    "create_store",
    "quote",
    "retry_while_locked",
    "sql_literal",
    "stored_columns",
]

SCHEMA_VERSION = 1
INGESTS_TABLE = "_ingests"
META_TABLE = "_supportmetrics"

T = TypeVar("T")


class WorkspaceBusy(RuntimeError):
    """Another process holds the store's lock for longer than we were willing to wait."""


def quote(identifier: str) -> str:
    """A DuckDB/SQL identifier, double-quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def _table_ddl(table: Table, prefix: str) -> str:
    columns = ", ".join(f"{quote(c.name)} {c.kind.sql_type}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {prefix}{quote(table.name)} ({columns})"


def create_store(con: duckdb.DuckDBPyConnection, prefix: str = "") -> None:
    """Create the canonical tables, the ingest log and the metadata table where missing, and the
    canonical columns a table made by an earlier version lacks."""
    for table in TABLES.values():
        con.execute(_table_ddl(table, prefix))
    catalog = prefix.rstrip(".") or con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    stored = set(
        con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = 'main'",
            [catalog],
        ).fetchall()
    )
    for table in TABLES.values():
        for column in table.columns:
            if (table.name, column.name) not in stored:
                con.execute(
                    f"ALTER TABLE {prefix}{quote(table.name)} "
                    f"ADD COLUMN {quote(column.name)} {column.kind.sql_type}"
                )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {prefix}{INGESTS_TABLE} ("
        "ingest_id BIGINT, finished_at TIMESTAMP, files VARCHAR[], "
        "rows_loaded BIGINT, rows_rejected BIGINT, detail VARCHAR)"
    )
    con.execute(f"CREATE TABLE IF NOT EXISTS {prefix}{META_TABLE} (key VARCHAR, value VARCHAR)")
    if not con.execute(
        f"SELECT 1 FROM {prefix}{META_TABLE} WHERE key = 'schema_version'"
    ).fetchone():
        con.execute(
            f"INSERT INTO {prefix}{META_TABLE} VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )


def stored_columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a stored table, in order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [catalog, table],
    ).fetchall()
    return dict(rows)


_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


def retry_while_locked(action: Callable[[], T], path: Path, timeout: float) -> T:
    """Run `action` (which opens the store at `path`), retrying while another process holds it."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return action()
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                holder = _LOCK_HOLDER.search(str(exc))
                who = f"process {holder.group(1)}" if holder else "another process"
                raise WorkspaceBusy(
                    f"workspace busy: {who} is using {path} and did not finish within "
                    f"{timeout:g} s; try again when it has finished, or wait longer with "
                    "--wait SECONDS (or [ingest] busy_timeout in supportmetrics.toml)"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def sql_literal(value: object) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


@contextlib.contextmanager
def attached(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    alias: str,
    busy_timeout: float,
    *,
    read_only: bool = False,
) -> Iterator[None]:
    """Attach the store at `path` to `con` as `alias` (writable: holding its lock) for the block.

    Detaching checkpoints; when the block failed, a failing detach never hides the block's error.
    """
    mode = " (READ_ONLY)" if read_only else ""
    retry_while_locked(
        lambda: con.execute(f"ATTACH {sql_literal(path)} AS {alias}{mode}"), path, busy_timeout
    )
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DETACH {alias}")
        raise
    con.execute(f"DETACH {alias}")
