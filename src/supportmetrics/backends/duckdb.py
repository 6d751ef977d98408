"""The embedded store: the workspace's DuckDB file, opened read-only, within `[engine]` limits;
its facts are persisted per data version (see `supportmetrics.fact_cache`)."""

from __future__ import annotations

import hashlib
import os

import duckdb
import ibis

from supportmetrics.backends.base import Backend, BackendError, Target, temporary_table
from supportmetrics.store import retry_while_locked, sql_literal

__all__ = ["BACKEND", "READ_TIMEOUT"]

READ_TIMEOUT = 30.0
"""Seconds to wait for a writer to release the store before opening it."""
_HEADERS = 3 * 4096
"""DuckDB's file header and its two database headers: every checkpoint rewrites one of them with
a new iteration count."""


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


def _data_version(target: Target) -> str | None:
    """The store file's headers, identity, size and modification time, hashed: a committed write
    changes them (DuckDB checkpoints on close, and the read-only connection holding the file
    keeps writers out). None while a write-ahead log is beside the file (a writer stopped before
    its checkpoint: that data is read from the log, not the file)."""
    path = target.store_path
    if path.with_name(path.name + ".wal").exists():
        return None
    try:
        with path.open("rb") as store:
            stat = os.fstat(store.fileno())
            headers = store.read(_HEADERS)
    except FileNotFoundError:
        return None
    hashed = hashlib.blake2b(headers, digest_size=10)
    hashed.update(f"{stat.st_dev}-{stat.st_ino}-{stat.st_size}-{stat.st_mtime_ns}".encode())
    return hashed.hexdigest()


BACKEND = Backend("duckdb", _connect, temporary_table, _prepare, _data_version)
