"""The embedded store: the workspace's DuckDB file, opened read-only, within `[engine]` limits."""

from __future__ import annotations

import duckdb
import ibis

from supportmetrics.backends.base import Backend, BackendError, Target, temporary_table
from supportmetrics.store import retry_while_locked, sql_literal

__all__ = ["BACKEND", "READ_TIMEOUT"]

READ_TIMEOUT = 30.0
"""Seconds to wait for a writer to release the store before opening it."""


def _connect(target: Target, session: object | None) -> ibis.BaseBackend:
    if isinstance(session, duckdb.DuckDBPyConnection):
        return ibis.duckdb.from_connection(session)
    if session is not None:
        raise BackendError(f"the duckdb backend takes a DuckDB connection, not {type(session)}")
    path = str(target.store_path)
    return retry_while_locked(
        lambda: ibis.duckdb.connect(path, read_only=True), target.store_path, READ_TIMEOUT
    )


def _prepare(db: ibis.BaseBackend, target: Target) -> None:
    """The `[engine]` memory limit, a spill folder inside the workspace, and no progress bar
    (output is the CLI's to draw)."""
    spill = target.temp_folder / "engine"
    spill.mkdir(parents=True, exist_ok=True)
    db.raw_sql("SET enable_progress_bar = false")
    db.raw_sql(f"SET memory_limit = {sql_literal(target.config.engine.memory_limit)}")
    db.raw_sql(f"SET temp_directory = {sql_literal(str(spill))}")


BACKEND = Backend("duckdb", _connect, temporary_table, _prepare)
