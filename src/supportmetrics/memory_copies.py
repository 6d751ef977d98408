"""Copy persisted fact files into a DuckDB connection's memory in the background.

A server reads the same facts for many queries: from memory they cost several times less than from
their Parquet file, but copying them (seconds per table at a million tickets) made the first page
after a start wait for every copy. `MemoryCopies` copies them on a cursor of their own, one after the
other, into an in-memory database attached for that purpose, while queries go on reading the files;
the engine then switches each fact table to its copy between two queries (`ready`): a temporary view
of the same name space and columns as the file's view, so every compiled query shape still fits.
On Linux the copying thread runs at the lowest priority, so the queries answered meanwhile keep the
processor.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

from supportmetrics.store import sql_literal

__all__ = ["MemoryCopies"]


class MemoryCopies:
    """The fact files one DuckDB connection copies into its memory (see the module docstring)."""

    def __init__(self, db: ibis.BaseBackend, prefix: str) -> None:
        self.db = db
        self.catalog = f"{prefix}_memory"
        """The in-memory database the copies go to, named apart from other engines' (connections
        to one file share a DuckDB instance, and with it the databases attached to it)."""
        self._lock = threading.Lock()
        self._queued: list[tuple[tuple[Any, ...], Path, str]] = []
        self._copied: list[tuple[tuple[Any, ...], str]] = []
        self._worker: threading.Thread | None = None
        self._cursor: Any = None
        self._attached = False
        self._closed = False

    def add(self, key: tuple[Any, ...], path: Path, name: str) -> None:
        """Copy the Parquet file `path` when `start` is called; its view will be named `name`."""
        with self._lock:
            self._queued.append((key, path, name))

    def start(self) -> None:
        """Start copying what is queued, in the background (nothing if already copying)."""
        with self._lock:
            if self._closed or not self._queued or self._worker is not None:
                return
            if self._cursor is None:
                self._cursor = self.db.con.cursor()
            self._worker = threading.Thread(target=self._copy_all, daemon=True)
            self._worker.start()

    def wait(self) -> None:
        """Wait until what is being copied is copied (tests and benchmarks)."""
        worker = self._worker
        if worker is not None:
            worker.join()

    def ready(self) -> list[tuple[tuple[Any, ...], ir.Table]]:
        """The fact tables whose copies have finished since the last call, each as a temporary
        view on the engine's own connection (call it from the thread that queries it)."""
        with self._lock:
            copied, self._copied = self._copied, []
            if self._closed:
                return []
        out = []
        for key, name in copied:
            source = f'"{self.catalog}".main."{name}"'
            self.db.raw_sql(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * FROM {source}')
            out.append((key, self.db.table(name)))
        return out

    def close(self) -> None:
        """Stop copying and free the copies (before the connection closes)."""
        with self._lock:
            self._closed = True
            self._queued.clear()
            self._copied.clear()
            cursor, worker = self._cursor, self._worker
        if cursor is None:
            return
        if worker is not None:
            cursor.interrupt()
            worker.join()
        if self._attached:
            cursor.execute(f'DETACH DATABASE IF EXISTS "{self.catalog}"')
        cursor.close()

    def _copy_all(self) -> None:
        if sys.platform == "linux":  # this thread only: the copies take what queries leave
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while True:
            with self._lock:
                if self._closed or not self._queued:
                    self._worker = None
                    return
                key, path, name = self._queued.pop(0)
            try:
                self._copy(path, name)
            except duckdb.Error:  # interrupted, or out of memory: the file's view stays
                continue
            with self._lock:
                self._copied.append((key, name))

    def _copy(self, path: Path, name: str) -> None:
        if not self._attached:
            self._cursor.execute(f"ATTACH ':memory:' AS \"{self.catalog}\" (READ_WRITE)")
            self._attached = True
        file = sql_literal(str(path))
        target = f'"{self.catalog}".main."{name}"'
        self._cursor.execute(f"CREATE TABLE {target} AS SELECT * FROM read_parquet({file})")
