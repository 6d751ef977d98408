"""The Spark backend: `[store.spark]` settings, Arrow forced on, the lake or database it reads, the
facts it caches and releases, and the CLI on Spark (the catalogue's parity is test_parity's)."""

from __future__ import annotations

import json
from pathlib import Path

import ibis
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.backends import BackendError, Target, backend_named, backend_of
from supportmetrics.cli import app
from supportmetrics.config import CONFIG_FILE, Config, ConfigError, validate_config
from supportmetrics.workspace import WorkspaceError
from tests.backends.providers import spark_session, spark_store
from tests.backends.test_parity import DST_TICKETS
from tests.metrics.conftest import TICKETS


@pytest.mark.parametrize(
    ("store", "message"),
    [
        (
            {"engine": "spark", "spark": {"master": "local[2]", "remote": "sc://h:15002"}},
            "set master (a Spark session here) or remote (Spark Connect), not both",
        ),
        (
            {"engine": "spark", "spark": {"tables": "lake", "database": "support"}},
            "set tables (a Parquet folder) or database (a catalogue), not both",
        ),
        (
            {"engine": "spark", "spark": {"remote": "http://h:15002"}},
            "remote is a Spark Connect address like sc://host:15002",
        ),
        ({"spark": {"master": "local[2]"}}, '[store.spark] is read only with engine = "spark"'),
        (
            {"engine": "spark", "url": "pyspark://x"},
            'engine = "spark" reads its tables from [store.spark]',
        ),
    ],
)
def test_spark_settings_are_checked(store, message) -> None:
    with pytest.raises(ConfigError) as info:
        validate_config({"store": store}, "supportmetrics.toml")
    assert message in str(info.value)


def test_spark_settings_take_static_settings() -> None:
    config = validate_config(
        {
            "store": {
                "engine": "spark",
                "spark": {"master": "local[4]", "conf": {"spark.driver.memory": "2g"}},
            }
        },
        "x",
    )
    assert config.store.spark is not None
    assert config.store.spark.conf == {"spark.driver.memory": "2g"}


@pytest.fixture(scope="module")
def session():
    return spark_session()


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """A lake exported by the CLI from a workspace with the hand-made team and a DST day."""
    tmp = tmp_path_factory.mktemp("lake")
    ws = supportmetrics.init(tmp / "duck", timezone="America/New_York")
    (tmp / "in").mkdir()
    (tmp / "in" / "tickets.csv").write_text(TICKETS)
    (tmp / "in" / "tickets_dst.csv").write_text(DST_TICKETS)
    ws.ingest([tmp / "in"])
    ws.close()
    result = CliRunner().invoke(
        app, ["export-lake", str(tmp / "lake"), "--workspace", str(ws.root), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return tmp / "lake"


def _spark_workspace(folder: Path, lake: Path, timezone: str = "America/New_York") -> Path:
    folder.mkdir()
    (folder / CONFIG_FILE).write_text(f'timezone = "{timezone}"\n[store]\n{spark_store(lake)}\n')
    return folder


def test_arrow_transfer_is_forced_on(session, lake, tmp_path) -> None:
    # Without Arrow, PySpark reads the offsets' nullable integers as nulls and local hours slip.
    session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "false")
    ws = supportmetrics.connect(_spark_workspace(tmp_path / "ws", lake), session=session)
    rows = ws.metric("ticket_volume", by=["hour_of_day"], where={"team": ["dst"]}).rows
    assert [(r["hour_of_day"], r["value"]) for r in rows] == [(0, 1), (1, 1), (3, 1), (8, 1)]
    assert session.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
    ws.close()


def test_the_cli_computes_on_spark_and_closing_releases_the_facts(session, lake, tmp_path) -> None:
    root = _spark_workspace(tmp_path / "ws", lake)
    result = CliRunner().invoke(
        app, ["metric", "ticket_volume", "--by", "channel", "-w", str(root), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert {r["channel"]: r["value"] for r in rows} == {"chat": 3, "email": 8, "web": 1}
    ws = supportmetrics.connect(root)
    assert ws.facts("tickets").num_rows == 12
    engine = ws.engine()
    assert engine.backend is backend_named("spark")
    assert engine.db._cached_dataframes, "the ticket facts are cached on Spark"
    ws.close()
    assert not engine.db._cached_dataframes
    assert session.sql("SELECT 1").collect()[0][0] == 1, "closing leaves the session running"


def test_ingest_into_a_spark_workspace_is_refused(session, lake, tmp_path) -> None:
    ws = supportmetrics.connect(_spark_workspace(tmp_path / "ws", lake))
    (tmp_path / "tickets.csv").write_text(TICKETS)
    with pytest.raises(WorkspaceError, match="ingest loads the embedded store only"):
        ws.ingest([tmp_path / "tickets.csv"])
    assert ws.validate([tmp_path / "tickets.csv"]).total_problems == 0


def test_an_ibis_pyspark_connection_gets_the_spark_backend(session) -> None:
    assert backend_of(ibis.pyspark.connect(session)) is backend_named("spark")


def test_a_lake_that_is_not_there_is_named(session, tmp_path) -> None:
    spark = backend_named("spark")
    db = spark.connect(Target(Config(), tmp_path / "x", tmp_path), session)
    settings = {"store": {"engine": "spark", "spark": {"tables": "nowhere"}}}
    target = Target(validate_config(settings, "x"), tmp_path / "x", tmp_path, tmp_path)
    with pytest.raises(BackendError, match=r"tables: .*/nowhere is not a folder; write"):
        spark.prepare(db, target)
    (tmp_path / "nowhere").mkdir()
    with pytest.raises(BackendError, match="holds none of the canonical tables"):
        spark.prepare(db, target)


def test_a_session_of_another_kind_is_refused(session, tmp_path) -> None:
    with pytest.raises(BackendError, match="takes a pyspark SparkSession, not str"):
        backend_named("spark").connect(Target(Config(), tmp_path, tmp_path), "local[2]")


def test_a_catalogue_database_holds_the_tables(session, lake, tmp_path) -> None:
    session.sql(f"CREATE DATABASE support_parity LOCATION '{tmp_path / 'db'}'")
    for table in ("tickets", "messages"):
        session.sql(f"CREATE TABLE support_parity.{table} USING parquet LOCATION '{lake / table}'")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / CONFIG_FILE).write_text(
        '[store]\nengine = "spark"\n[store.spark]\ndatabase = "support_parity"\n'
    )
    try:
        ws = supportmetrics.connect(tmp_path / "ws", session=session)
        rows = ws.metric("ticket_volume", by=["channel"]).rows
        assert {r["channel"]: r["value"] for r in rows} == {"chat": 3, "email": 8, "web": 1}
        ws.close()
        (tmp_path / "ws" / CONFIG_FILE).write_text(
            '[store]\nengine = "spark"\n[store.spark]\ndatabase = "nowhere"\n'
        )
        with pytest.raises(BackendError, match="database: nowhere"):
            supportmetrics.connect(tmp_path / "ws", session=session).engine()
    finally:
        session.sql("USE default")
        session.sql("DROP DATABASE support_parity CASCADE")


def test_the_dashboard_pool_releases_and_reopens_spark_engines(session, lake, tmp_path) -> None:
    from supportmetrics.web.data import DataSource

    source = DataSource(
        supportmetrics.connect(_spark_workspace(tmp_path / "ws", lake)), max_queries=2
    )

    def volume(engine) -> int:
        return int(engine.db.execute(engine.facts("tickets").count()))

    assert source.run(volume) == 12
    source.stop()  # the server releases every engine when idle: the session stays
    assert source.run(volume) == 12
    source.stop()
