"""How the parity suite reaches each backend: a function that copies the reference DuckDB
workspace's canonical tables there and yields a workspace reading them. A new backend is one
function and one entry in PROVIDERS."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import ibis
import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.schema import TABLES

__all__ = [
    "PROVIDERS",
    "SPARK_CONF",
    "Provider",
    "listed",
    "spark_session",
    "spark_store",
    "unreachable",
]

Provider = Callable[
    [supportmetrics.Workspace, Path, str], AbstractContextManager[supportmetrics.Workspace]
]
"""(reference workspace, empty folder, extra TOML settings) -> a workspace on the backend."""

POSTGRES = os.environ.get("SUPPORTMETRICS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
SPARK_CONF = {
    "spark.sql.shuffle.partitions": 4,
    "spark.ui.enabled": False,
    "spark.driver.memory": "2g",
}
"""Local Spark for tests: small shuffles, no UI, a 2 GB driver (one session per test run)."""


def unreachable(backend: str, where: str, exc: Exception) -> None:
    """Skip (fail under CI, where every listed backend must run): `backend` is not reachable."""
    message = f"{backend} is not reachable at {where}: {exc}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (listed in SUPPORTMETRICS_TEST_BACKENDS, required in CI)")
    pytest.skip(message)


def _copy(source: supportmetrics.Workspace, target: ibis.BaseBackend) -> None:
    db = source.engine().db
    for table in TABLES:
        target.create_table(table, db.table(table).to_pyarrow())


def _workspace(folder: Path, source: supportmetrics.Workspace, store: str, extra: str):
    folder.mkdir()
    (folder / CONFIG_FILE).write_text(
        f'timezone = "{source.config.timezone}"\n[store]\n{store}\n{extra}'
    )
    return supportmetrics.connect(folder)


@contextmanager
def postgres(
    source: supportmetrics.Workspace, folder: Path, extra: str
) -> Iterator[supportmetrics.Workspace]:
    """A fresh schema on the server at SUPPORTMETRICS_TEST_POSTGRES, dropped afterwards."""
    try:
        server = ibis.connect(POSTGRES)
    except Exception as exc:  # any driver or connection error means: no server here
        unreachable("PostgreSQL", POSTGRES, exc)
    schema = f"sm_parity_{uuid.uuid4().hex[:10]}"
    server.raw_sql(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES}?schema={schema}"
    try:
        _copy(source, ibis.connect(url))
        ws = _workspace(folder, source, f'url = "{url}"', extra)
        yield ws
        ws.close()
    finally:
        server.raw_sql(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def duckdb(
    source: supportmetrics.Workspace, folder: Path, extra: str
) -> Iterator[supportmetrics.Workspace]:
    """A copy of the reference store in a workspace of its own."""
    source.close()
    folder.mkdir()
    shutil.copyfile(source.store_path, folder / "copy.duckdb")
    ws = _workspace(folder / "ws", source, 'path = "../copy.duckdb"', extra)
    yield ws
    ws.close()


def spark_session() -> object:
    """The test run's local Spark session (`local[2]`, SPARK_CONF), started on first use; skipped
    (failed in CI) without Java or pyspark."""
    if shutil.which("java") is None:
        unreachable(
            "Spark",
            "local[2]",
            OSError("no java on PATH (apt-get install openjdk-17-jre-headless)"),
        )
    try:
        from supportmetrics.backends.spark import start_session
        from supportmetrics.config import SparkSettings
    except ImportError as exc:
        unreachable("Spark", "local[2]", exc)
    return start_session(SparkSettings(master="local[2]", conf=SPARK_CONF))


def _toml(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else json.dumps(value)


def spark_store(lake: Path) -> str:
    """The `[store]` settings of a workspace computing on the test run's Spark from `lake`."""
    conf = ", ".join(f'"{key}" = {_toml(value)}' for key, value in SPARK_CONF.items())
    return (
        f'engine = "spark"\n[store.spark]\nmaster = "local[2]"\ntables = "{lake}"\n'
        f"conf = {{ {conf} }}"
    )


@contextmanager
def spark(
    source: supportmetrics.Workspace, folder: Path, extra: str
) -> Iterator[supportmetrics.Workspace]:
    """The reference's tables exported as a Parquet lake (`export-lake`), computed on local Spark."""
    from supportmetrics.lake import export_lake

    spark_session()
    folder.mkdir()
    export_lake(source, folder / "lake")
    source.close()
    ws = _workspace(folder / "ws", source, spark_store(folder / "lake"), extra)
    yield ws
    ws.close()


PROVIDERS: dict[str, Provider] = {"duckdb": duckdb, "postgres": postgres, "spark": spark}
DEFAULT = "duckdb,postgres,spark"


def listed() -> list[str]:
    """The backends SUPPORTMETRICS_TEST_BACKENDS names (comma-separated; default all of them)."""
    names = [n.strip() for n in os.environ.get("SUPPORTMETRICS_TEST_BACKENDS", DEFAULT).split(",")]
    unknown = sorted({n for n in names if n} - PROVIDERS.keys())
    if unknown:
        raise pytest.UsageError(
            f"SUPPORTMETRICS_TEST_BACKENDS names {', '.join(unknown)}; "
            f"the parity suite knows: {', '.join(PROVIDERS)}"
        )
    return [n for n in names if n]
