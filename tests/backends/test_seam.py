"""The backend seam: the registry chooses a backend module from the store settings, the DuckDB
module prepares its connection, the engine materialises through the backend's policy."""

from __future__ import annotations

from pathlib import Path

import duckdb
import ibis
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics import backends
from supportmetrics.backends import BackendError, Target, backend_named
from supportmetrics.backends.registry import choose
from supportmetrics.cli import app
from supportmetrics.config import CONFIG_FILE, Config, ConfigError
from tests.backends import fake_backend
from tests.backends.marks import expected_failure
from tests.backends.providers import unreachable
from tests.metrics.conftest import TICKETS, make_workspace


def _setting(db: ibis.BaseBackend, name: str) -> str:
    return db.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]


def test_duckdb_preparation_applies_the_engine_settings(tmp_path) -> None:
    config = Config.model_validate({"engine": {"memory_limit": "256MB"}})
    folder = tmp_path / "it's here"  # a quote in the spill path is kept, not an SQL error
    db = ibis.duckdb.connect()
    backend_named("duckdb").prepare(db, Target(config, tmp_path / "x.duckdb", folder))
    assert _setting(db, "memory_limit") in ("256.0 MiB", "244.1 MiB", "256.0 MB")
    assert _setting(db, "temp_directory") == str(folder / "engine")
    assert (folder / "engine").is_dir()
    assert _setting(db, "enable_progress_bar") is False


@pytest.mark.parametrize(
    ("engine", "url", "chosen"),
    [
        (None, None, "duckdb"),
        (None, "postgres://u@h:5432/db?schema=s", "postgres"),
        (None, "postgresql://u@h/db", "postgres"),
        (None, "sqlite:///x.db", "ibis"),
        ("ibis", "postgres://u@h/db", "ibis"),
    ],
)
def test_the_store_settings_choose_the_backend(engine, url, chosen) -> None:
    assert choose(engine, url) == chosen


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setitem(backends.BACKENDS, "fake", "tests.backends.fake_backend")
    fake_backend.STORED.clear()
    return fake_backend.STORED


def test_a_registered_backend_is_chosen_and_materialises_the_facts(tmp_path, fake) -> None:
    ws = make_workspace(tmp_path, tickets=TICKETS)
    ws.close()
    config = ws.root / CONFIG_FILE
    config.write_text(config.read_text().replace("[store]\n", '[store]\nengine = "fake"\n'))
    ws = supportmetrics.connect(ws.root)
    rows = ws.metric("ticket_volume", by=["channel"]).rows
    assert {r["channel"]: r["value"] for r in rows} == {"chat": 3, "email": 4, "web": 1}
    assert ws.engine().backend is fake_backend.BACKEND
    assert fake[0].startswith("_sm_")
    ws.close()


def test_an_unknown_backend_is_refused_with_the_known_ones(tmp_path) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    config = ws.root / CONFIG_FILE
    config.write_text(config.read_text().replace("[store]\n", '[store]\nengine = "spork"\n'))
    with pytest.raises(ConfigError) as info:
        supportmetrics.connect(ws.root)
    assert "store.engine: unknown backend; the backends are: duckdb, postgres, ibis, spark" in str(
        info
    )
    result = CliRunner().invoke(app, ["metric", "ticket_volume", "--workspace", str(ws.root)])
    assert result.exit_code == 1
    assert "unknown backend" in result.output and "Traceback" not in result.output
    with pytest.raises(BackendError, match="unknown backend 'spork'; the backends are: duckdb"):
        backend_named("spork")


@pytest.mark.parametrize("kind", ["ibis", "duckdb"])
def test_a_session_passed_in_is_used_and_left_open(tmp_path, kind) -> None:
    ws = make_workspace(tmp_path, tickets=TICKETS)
    ws.close()
    con = duckdb.connect(str(ws.store_path), read_only=True)
    session = ibis.duckdb.from_connection(con) if kind == "ibis" else con
    for _ in range(2):  # a second workspace on the session names its tables apart
        ws = supportmetrics.connect(ws.root, session=session)
        assert ws.metric("ticket_volume").rows[0]["value"] == 8
        assert ws.engine().backend is backend_named("duckdb")
        ws.close()
    assert con.execute("SELECT count(*) FROM tickets").fetchone()[0] == 8


def test_a_url_backend_needs_a_url() -> None:
    target = Target(Config(), Path("x"), Path("t"))
    with pytest.raises(BackendError, match=r"connects from \[store\] url"):
        backend_named("postgres").connect(target, None)


class _Item:
    def __init__(self, **marks: pytest.MarkDecorator) -> None:
        self.marks = marks

    def iter_markers(self, name: str):
        return [self.marks[name].mark] if name in self.marks else []


def test_notimpl_and_notyet_marks_become_strict_xfails_on_their_backends() -> None:
    item = _Item(notyet=pytest.mark.notyet(["spark"], reason="no temp tables", raises=KeyError))
    mark = expected_failure(item, "spark")
    assert mark is not None
    assert mark.kwargs == {"strict": True, "reason": "notyet: no temp tables", "raises": KeyError}
    assert expected_failure(item, "postgres") is None
    assert expected_failure(_Item(), "spark") is None


def test_an_unreachable_backend_skips_locally_and_fails_in_ci(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not reachable at here"):
        unreachable("PostgreSQL", "here", OSError("refused"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        unreachable("PostgreSQL", "here", OSError("refused"))
