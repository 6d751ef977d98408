"""The DuckDB connection a conversion runs in, and writing its results as canonical Parquet files.

Memory is bounded by the workspace's `[ingest] memory_limit`; beyond it DuckDB spills to a temporary
folder. The command sets both with `limits(...)`; a conversion called directly gets the defaults.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from supportmetrics.schema import TABLES
from supportmetrics.sources.base import Conversion, SourceError
from supportmetrics.store import sql_literal
from supportmetrics.time_range import RANGE_TEXT, in_range_sql, offset_beyond_sql

__all__ = ["connect", "has_store", "known_tickets", "limits", "timestamp", "write_table"]

_MEMORY_LIMIT: ContextVar[str] = ContextVar("memory_limit", default="2GB")
_TEMP_PARENT: ContextVar[Path | None] = ContextVar("temp_parent", default=None)
_STORE_TICKETS: ContextVar[Path | None] = ContextVar("store_tickets", default=None)


@contextmanager
def limits(memory_limit: str, temp_parent: Path | None = None) -> Iterator[None]:
    """Run conversions inside with this memory limit, spilling under `temp_parent`."""
    tokens = (_MEMORY_LIMIT.set(memory_limit), _TEMP_PARENT.set(temp_parent))
    try:
        yield
    finally:
        _MEMORY_LIMIT.reset(tokens[0])
        _TEMP_PARENT.reset(tokens[1])


@contextmanager
def known_tickets(path: Path | None) -> Iterator[None]:
    """Conversions inside see the store's tickets (Parquet: ticket_id, customer_id) as the view
    `store_tickets`, so that a batch's comments, events and ratings attach to stored tickets."""
    token = _STORE_TICKETS.set(path)
    try:
        yield
    finally:
        _STORE_TICKETS.reset(token)


def has_store() -> bool:
    """Whether the conversion runs for a store (its tickets are in `store_tickets`)."""
    return _STORE_TICKETS.get() is not None


@contextmanager
def connect(timezone: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """An engine reading naive timestamps in `timezone`; its tables and spill live in a temporary folder."""
    parent = _TEMP_PARENT.get()
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    spill = Path(tempfile.mkdtemp(prefix="convert-", dir=parent))
    con = duckdb.connect(
        str(spill / "work.duckdb"),
        config={"memory_limit": _MEMORY_LIMIT.get(), "temp_directory": str(spill / "spill")},
    )
    try:
        con.execute(f"SET TimeZone = {sql_literal(timezone)}")
        con.execute("SET enable_progress_bar = false")
        stored = _STORE_TICKETS.get()
        con.execute(
            "CREATE VIEW store_tickets AS "
            + (
                f"SELECT CAST(ticket_id AS VARCHAR) AS ticket_id, CAST(customer_id AS VARCHAR) "
                f"AS customer_id FROM read_parquet({sql_literal(stored)})"
                if stored is not None and stored.exists()
                else "SELECT NULL::VARCHAR AS ticket_id, NULL::VARCHAR AS customer_id WHERE false"
            )
        )
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def timestamp(expr: str) -> str:
    """SQL reading ISO 8601 text as a UTC instant; text without an offset is in the session zone.

    An offset beyond ±14:00 stops the conversion with an error naming the value.
    """
    text = f"CAST({expr} AS VARCHAR)"
    return (
        f"(CASE WHEN {offset_beyond_sql(text)} THEN error('UTC offset beyond ±14:00 in ' || "
        f"{text} || ': correct the offset in the source') ELSE TRY_CAST({expr} AS TIMESTAMPTZ) END)"
    )


def _check_range(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    """A SourceError naming the first record of a written table with a timestamp out of range."""
    read = f"read_parquet({sql_literal(path)})"
    columns = con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()
    key = TABLES[table].key
    checks = [
        f"SELECT CAST({_ident(key)} AS VARCHAR), {sql_literal(name)}, CAST({_ident(name)} AS VARCHAR) "
        f"FROM {read} WHERE NOT {in_range_sql(_ident(name), zoned=kind.endswith('TIME ZONE'))}"
        for name, kind, *_ in columns
        if kind.startswith("TIMESTAMP")
    ]
    row = con.execute(" UNION ALL ".join(checks) + " LIMIT 1").fetchone() if checks else None
    if row:
        raise SourceError(
            f"cannot convert the {table} table: {key} {row[0]}: {row[1]} {row[2]} is outside the "
            f"supported range {RANGE_TEXT}; correct it in the source, or leave it empty"
        )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_table(con: duckdb.DuckDBPyConnection, sql: str, out_dir: Path, table: str) -> Path | None:
    """Write the rows of `sql` to `out_dir/<table>.parquet`; None (and no file) when there are none.

    An engine error (a malformed record far into a file ...) is a SourceError naming the table.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{table}.parquet"
    try:
        row = con.execute(f"COPY ({sql}) TO {sql_literal(path)} (FORMAT parquet)").fetchone()
    except duckdb.Error as exc:
        path.unlink(missing_ok=True)
        reason = str(exc).splitlines()[0].split("Error: ", 1)[-1].strip()
        raise SourceError(f"cannot convert the {table} table: {reason}") from None
    if not row or not row[0]:
        path.unlink(missing_ok=True)
        return None
    try:
        _check_range(con, path, table)
    except SourceError:
        path.unlink(missing_ok=True)
        raise
    return path


class Writer:
    """Collects a conversion's output: canonical files written, notes for the user."""

    def __init__(self, con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
        self.con, self.out_dir = con, out_dir
        self.conversion = Conversion(files={})

    def write(self, table: str, sql: str) -> None:
        """Write `sql`'s rows as the canonical `table` (nothing when there are none)."""
        path = write_table(self.con, sql, self.out_dir, table)
        if path is not None:
            self.conversion.files[table] = path

    def attached(self, alias: str, batch_tickets: bool) -> str:
        """A condition keeping rows whose ticket is in the batch (`tickets`, by `id`) or in the
        store; without either (a conversion to files, no tickets given) every row is kept."""
        parts = [f"{alias}.ticket_id IN (SELECT id FROM tickets)"] if batch_tickets else []
        if has_store():
            parts.append(f"{alias}.ticket_id IN (SELECT ticket_id FROM store_tickets)")
        return "(" + " OR ".join(parts) + ")" if parts else "true"

    def detached(self, sql: str, alias: str, what: str, batch_tickets: bool) -> None:
        """Note how many rows of `sql` (aliased `alias`) have no ticket in the batch or store."""
        condition = self.attached(alias, batch_tickets)
        if condition != "true":
            why = (
                "their ticket is in neither the batch nor the store (deleted, or not exported "
                "yet); they are kept and attach when it is imported"
                if has_store()
                else "their ticket is not among the imported tickets (deleted, or outside the export)"
            )
            self.skipped(f"SELECT 1 FROM ({sql}) {alias} WHERE NOT {condition}", what, why)

    def note(self, text: str) -> None:
        self.conversion.notes.append(text)

    def count(self, sql: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM ({sql})").fetchone()
        return int(row[0]) if row else 0

    def skipped(self, sql: str, what: str, why: str) -> None:
        """Note how many rows of `sql` are skipped, and why (nothing when none are)."""
        count = self.count(sql)
        if count:
            self.note(f"{count} {what} skipped: {why}")

    def check_timestamps(self, table: str, key: str, columns: Sequence[str], what: str) -> None:
        """A SourceError naming the first record of `table` whose `columns` hold no timestamp, or
        one outside the supported range, or one with an offset beyond ±14:00."""
        for column in columns:
            text = f"CAST({column} AS VARCHAR)"
            parsed = f"TRY_CAST({column} AS TIMESTAMPTZ)"
            row = self.con.execute(
                f"SELECT {key}, {text}, {parsed} IS NULL FROM {table} WHERE {column} IS NOT NULL "
                f"AND ({parsed} IS NULL OR NOT {in_range_sql(parsed, zoned=True)} "
                f"OR {offset_beyond_sql(text)}) LIMIT 1"
            ).fetchone()
            if row:
                problem = (
                    "is not a timestamp; expected ISO 8601 such as 2024-05-01T14:03:00Z "
                    "(without an offset: the workspace's time zone)"
                    if row[2]
                    else f"is outside the supported range {RANGE_TEXT} or has a UTC offset "
                    "beyond ±14:00; correct it in the source"
                )
                raise SourceError(f"{what} {row[0]}: {column} {row[1]!r} {problem}")
