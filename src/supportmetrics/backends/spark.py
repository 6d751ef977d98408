"""Apache Spark: the canonical tables as Parquet folders (`[store.spark] tables`, the layout
`supportmetrics export-lake` writes) or in a catalogue database (`database`), computed by a Spark
session started here (`master`), reached over Spark Connect (`remote`) or passed in from Python.

Facts and steps are cached temporary views (Spark has no temporary tables), unpersisted when the
engine closes. Closing leaves the session running: one session serves every engine of a process
(`getOrCreate`), such as the dashboard's pool, and ends with the process. Arrow transfer is always
on: without it PySpark turns the nullable integer columns of in-memory tables (the time-zone
offsets) into nulls.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends.pyspark import Backend as PySparkBackend
from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession

from supportmetrics.backends.base import Backend, BackendError, Target, cached_table
from supportmetrics.config import SparkSettings
from supportmetrics.schema import TABLES, Kind

__all__ = [
    "ARROW",
    "BACKEND",
    "QUIET",
    "SparkConnection",
    "cached_view",
    "lake_path",
    "start_session",
]

ARROW = "spark.sql.execution.arrow.pyspark.enabled"
"""The setting forced on: Arrow transfer between Python and Spark."""
SPARK_TYPES = {
    Kind.ID: "string",
    Kind.TIMESTAMP: "timestamp_ntz",
    Kind.ENUM: "string",
    Kind.TEXT: "string",
    Kind.BOOL: "boolean",
    Kind.INTEGER: "bigint",
    Kind.NUMBER: "double",
    Kind.TAGS: "array<string>",
}
"""The Spark type of each kind of canonical column (timestamps naive UTC, as the lake holds them)."""
QUIET: dict[str, str | int | float | bool] = {
    "spark.log.level": "ERROR",
    "spark.ui.showConsoleProgress": False,
}
"""Defaults `[store.spark] conf` may override: output is the CLI's to draw."""


class SparkConnection(PySparkBackend):  # type: ignore[misc]
    """Ibis's PySpark backend, except that disconnecting leaves the shared session running."""

    def disconnect(self) -> None:
        """Nothing to stop: the engine has released its cached facts; the session is the
        process's (see the module docstring)."""


def cached_view(db: ibis.BaseBackend, name: str, expr: ir.Table) -> ir.Table:
    """Ibis's cache of `expr` (a cached temporary view, unpersisted on release), once the
    in-memory tables it reads are registered: ibis's PySpark cache runs its query without
    registering them."""
    db._register_in_memory_tables(expr)
    return cached_table(db, name, expr)


def _settings(target: Target) -> SparkSettings:
    return target.config.store.spark or SparkSettings()


def _text(value: str | int | float | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def start_session(settings: SparkSettings) -> SparkSession:
    """The process's Spark session as `settings` describe it (the running one if there is one:
    static settings then keep the values it started with)."""
    builder = SparkSession.builder.appName("supportmetrics")
    if settings.remote:
        builder = builder.remote(settings.remote)
    elif settings.master:
        builder = builder.master(settings.master)
    for key, value in {**QUIET, **settings.conf, ARROW: True}.items():
        builder = builder.config(key, _text(value))
    return builder.getOrCreate()


def _is_spark_session(session: object) -> bool:
    cls = type(session)
    return cls.__name__ == "SparkSession" and cls.__module__.startswith("pyspark.sql")


def _connect(target: Target, session: object | None) -> ibis.BaseBackend:
    if session is None:
        session = start_session(_settings(target))
    elif not _is_spark_session(session):
        raise BackendError(
            f"the spark backend takes a pyspark SparkSession, not {type(session).__name__}"
        )
    if getattr(ibis.options, "pyspark", None) is None:  # as loading `ibis.pyspark` would
        SparkConnection.register_options()
    connection: ibis.BaseBackend = SparkConnection().connect(session)
    return connection


def lake_path(tables: str, root: Path) -> str:
    """Where `[store.spark] tables` points: a URI as it is, a local folder from the workspace."""
    if "://" in tables or tables.startswith("dbfs:"):
        return tables.rstrip("/")
    return str((root / tables).resolve())


def _empty_view(session: SparkSession, name: str) -> None:
    """An empty temporary view with the canonical columns of table `name`."""
    columns = ", ".join(
        f"CAST(NULL AS {SPARK_TYPES[c.kind]}) AS `{c.name}`" for c in TABLES[name].columns
    )
    session.sql(f"SELECT {columns} WHERE false").createOrReplaceTempView(name)


def _register_lake(session: SparkSession, lake: str) -> None:
    """Each canonical table's Parquet folder as a temporary view of its name; a table without a
    folder is an empty view."""
    if "://" not in lake and not lake.startswith("dbfs:") and not Path(lake).is_dir():
        raise BackendError(
            f"[store.spark] tables: {lake} is not a folder; write the canonical tables there with "
            "`supportmetrics export-lake` or point tables at your lake"
        )
    found = []
    for name in TABLES:
        try:
            frame = session.read.parquet(f"{lake}/{name}")
            frame.schema  # noqa: B018 (Spark Connect reports a missing path only here)
        except AnalysisException:
            _empty_view(session, name)
            continue
        frame.createOrReplaceTempView(name)
        found.append(name)
    if not found:
        raise BackendError(
            f"[store.spark] tables: {lake} holds none of the canonical tables (a Parquet folder "
            f"per table: {', '.join(list(TABLES)[:3])}, ...); write them with "
            "`supportmetrics export-lake`"
        )


def _use_database(session: SparkSession, database: str) -> None:
    """Read the canonical tables from `database` (`db` or `catalog.db`), unshadowed by views; a
    table the database lacks is an empty view."""
    for name in TABLES:
        session.catalog.dropTempView(name)
    quoted = ".".join(f"`{part.replace('`', '``')}`" for part in database.split("."))
    try:
        session.sql(f"USE {quoted}").collect()
    except AnalysisException as exc:
        raise BackendError(f"[store.spark] database: {database}: {exc}") from None
    for name in TABLES:
        if not session.catalog.tableExists(name):
            _empty_view(session, name)


def _prepare(db: ibis.BaseBackend, target: Target) -> None:
    """Arrow transfer on, and the canonical tables where the settings say."""
    session: SparkSession = db._session
    session.conf.set(ARROW, "true")
    settings = _settings(target)
    if settings.tables:
        _register_lake(session, lake_path(settings.tables, target.root))
    elif settings.database:
        _use_database(session, settings.database)


BACKEND = Backend("spark", _connect, cached_view, _prepare)
