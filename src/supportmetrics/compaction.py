"""Compaction: give back the space the store file holds but no longer uses.

DuckDB reuses freed blocks but never shrinks the file (neither CHECKPOINT nor VACUUM does), so a
file that grew through replaced rows, dropped columns or interrupted writes is copied into a fresh
database file, which then atomically replaces the store, while the store's lock is held.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from supportmetrics.store import sql_literal

__all__ = ["MIN_COMPACT_BYTES", "Compaction", "compact_attached", "live_bytes", "worthwhile"]

MIN_COMPACT_BYTES = 1 << 20
"""Smaller store files are never compacted automatically: their fixed overhead dominates."""
FRESH = "compacted"


@dataclass(frozen=True)
class Compaction:
    """The store file's size before and after a compaction, in bytes."""

    before: int
    after: int

    def to_dict(self) -> dict[str, int]:
        return {"before": self.before, "after": self.after}


def live_bytes(con: duckdb.DuckDBPyConnection, catalog: str) -> int:
    """The bytes of the blocks the attached store `catalog` uses (its live data)."""
    row = con.execute(
        "SELECT used_blocks * block_size FROM pragma_database_size() WHERE database_name = ?",
        [catalog],
    ).fetchone()
    return int(row[0]) if row else 0


def worthwhile(con: duckdb.DuckDBPyConnection, catalog: str, path: Path) -> bool:
    """The automatic rule: compact when the (checkpointed) file is at least 1 MiB and more than
    twice its live data."""
    size = path.stat().st_size
    return size >= MIN_COMPACT_BYTES and size > 2 * live_bytes(con, catalog)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def compact_attached(con: duckdb.DuckDBPyConnection, catalog: str, path: Path) -> Compaction:
    """Rewrite the store attached (writable) as `catalog` from `path` into a fresh file and put
    that in its place. On any failure the fresh file is removed and the store is left as it was."""
    con.execute(f"CHECKPOINT {catalog}")  # nothing may be left in the write-ahead log
    before = path.stat().st_size
    fresh = path.with_name(path.name + ".compacting")
    _remove(fresh)  # a leftover of a compaction that was killed: we hold the lock, so it is stale
    try:
        con.execute(f"ATTACH {sql_literal(fresh)} AS {FRESH}")
        try:
            con.execute(f"COPY FROM DATABASE {catalog} TO {FRESH}")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH {FRESH}")
            raise
        con.execute(f"DETACH {FRESH}")
        shutil.copymode(path, fresh)
        _fsync(fresh)
        os.replace(fresh, path)
        _fsync(path.parent)
    except BaseException:
        _remove(fresh)
        raise
    return Compaction(before, path.stat().st_size)
