"""What a backend module provides: how to connect, prepare and materialise on one engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

if TYPE_CHECKING:
    from supportmetrics.config import Config

__all__ = [
    "Backend",
    "BackendError",
    "Materialise",
    "Target",
    "cached_table",
    "no_preparation",
    "temporary_table",
    "unversioned",
    "view",
]


class BackendError(RuntimeError):
    """The store setting names no usable backend, or a session the backend cannot take."""


@dataclass(frozen=True)
class Target:
    """Where the engine's tables are: the workspace settings, its embedded store file, the
    folder it may spill to and the workspace folder other relative paths in the settings start
    from (the current folder when not given)."""

    config: Config
    store_path: Path
    temp_folder: Path
    root: Path = Path()


Materialise = Callable[[ibis.BaseBackend, str, ir.Table], ir.Table]
"""Store `expr` under a name on `db` for the connection's lifetime and return it as a table."""


def temporary_table(db: ibis.BaseBackend, name: str, expr: ir.Table) -> ir.Table:
    """A temporary table, dropped with the connection (DuckDB, PostgreSQL)."""
    return db.create_table(name, expr, temp=True)


def cached_table(db: ibis.BaseBackend, name: str, expr: ir.Table) -> ir.Table:
    """Ibis's cache of `expr` (a cached temporary view on engines without temporary tables),
    released when the expression is no longer referenced or the connection closes."""
    return expr.cache()


def view(db: ibis.BaseBackend, name: str, expr: ir.Table) -> ir.Table:
    """A view: nothing stored, every use recomputes `expr` (engines that cannot write)."""
    return db.create_view(name, expr, overwrite=True)


def no_preparation(db: ibis.BaseBackend, target: Target) -> None:
    """Use the backend's own settings."""


def unversioned(target: Target) -> str | None:
    """No data version: the facts are materialised per connection, never persisted."""
    return None


@dataclass(frozen=True)
class Backend:
    """One engine: connect (from the settings, or from a `session` object passed in from
    Python), prepare the connection, the materialisation policy of the engine's facts, and the
    version of the data (see `supportmetrics.fact_cache`)."""

    name: str
    connect: Callable[[Target, object | None], ibis.BaseBackend]
    materialise: Materialise = temporary_table
    prepare: Callable[[ibis.BaseBackend, Target], None] = no_preparation
    data_version: Callable[[Target], str | None] = unversioned
    """A value that changes with every write to the data, read while the connection holds it
    unchanged; when a backend gives one, the facts are persisted per version as Parquet files
    (read and written with the connection's `read_parquet` and `to_parquet`) and reused by every
    later process. None (the default) keeps them per connection."""
