"""The server's hold on the store: results cached while the store is unchanged, the store released
when idle so an ingest can write, and fresh numbers after it."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.engine import Engine
from supportmetrics.query import Query, run_query
from supportmetrics.web import create_app
from supportmetrics.web.data import DataSource
from tests.conftest import WriteFile
from tests.web.conftest import Site

HEADER = "ticket_id,created_at,channel\n"


def _volume(engine: Engine) -> int:
    return run_query(engine, Query("ticket_volume")).rows[0]["value"]


def test_the_store_is_released_when_idle_and_reread_after_an_ingest(
    workspace: supportmetrics.Workspace, write: WriteFile
) -> None:
    workspace.ingest([write("tickets.csv", HEADER + "T1,2024-01-01T10:00:00Z,email\n")])
    data = DataSource(supportmetrics.connect(workspace.root), idle_seconds=0.2)
    data.start()
    try:
        assert data.cached("volume", _volume) == 1
        calls = []
        assert data.cached("volume", lambda e: calls.append(e) or 0) == 1 and calls == []
        deadline = time.monotonic() + 5
        while data.workspace._engine is not None:  # released after 0.2 s without queries
            assert time.monotonic() < deadline, "the store was not released"
            time.sleep(0.05)
        more = write("more.csv", HEADER + "T2,2024-01-02T10:00:00Z,chat\n")
        workspace.ingest([more], table="tickets", wait=5)  # would time out on a held store
        assert data.cached("volume", _volume) == 2  # a new store version: computed afresh
    finally:
        data.stop()


def test_a_warm_server_computes_the_default_overview_as_it_starts(site: Site) -> None:
    app = create_app(supportmetrics.connect(site.root), users=site.users, idle_seconds=0, warm=True)
    with TestClient(app):
        deadline = time.monotonic() + 60
        while not any("overview" in key[1] for key in app.state.data._cache):
            assert time.monotonic() < deadline, "the overview was not computed"
            time.sleep(0.1)
