"""The server's hold on the store: results cached while the store is unchanged, the store released
when idle so an ingest can write, and fresh numbers after it; uncached queries side by side, at most
`[server] max_concurrent_queries` at once, and a slow one blocks neither login nor cached answers."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.config import ServerSettings, SlaPolicy
from supportmetrics.engine import Engine
from supportmetrics.query import Query, run_query
from supportmetrics.web import api, create_app, pages
from supportmetrics.web.data import DataSource
from tests.conftest import WriteFile
from tests.web.conftest import VIEWER, VIEWER_PASSWORD, Site, login

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


def test_the_filter_bar_offers_the_values_an_ingest_brings(
    workspace: supportmetrics.Workspace, write: WriteFile
) -> None:
    """The bar's choices are cached per store version, as every answer is: a channel that arrives
    with an ingest is offered at once."""
    workspace.ingest([write("tickets.csv", HEADER + "T1,2024-01-01T10:00:00Z,email\n")])
    data = DataSource(supportmetrics.connect(workspace.root), idle_seconds=0.2)
    data.start()
    try:
        before = data.cached(("filter options",), pages.filter_options)
        assert before["channel"] == [("email", "email")]
        deadline = time.monotonic() + 5
        while data.workspace._engine is not None:
            assert time.monotonic() < deadline, "the store was not released"
            time.sleep(0.05)
        more = write("more.csv", HEADER + "T2,2024-01-02T10:00:00Z,chat\n")
        workspace.ingest([more], table="tickets", wait=5)
        after = data.cached(("filter options",), pages.filter_options)
        assert after["channel"] == [("chat", "chat"), ("email", "email")]
    finally:
        data.stop()


def test_a_warm_server_computes_the_default_overview_as_it_starts(site: Site) -> None:
    app = create_app(supportmetrics.connect(site.root), users=site.users, idle_seconds=0, warm=True)
    with TestClient(app):
        deadline = time.monotonic() + 60
        while not any("overview" in key[-1] for key in app.state.data._cache):
            assert time.monotonic() < deadline, "the overview was not computed"
            time.sleep(0.1)


def _in_thread(action) -> tuple[threading.Thread, list]:  # type: ignore[no-untyped-def]
    out: list = []
    thread = threading.Thread(target=lambda: out.append(action()), daemon=True)
    thread.start()
    return thread, out


def test_a_slow_query_blocks_neither_other_queries_nor_login(
    site: Site, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    real = api.run_query

    def slow_for_csat(engine, query):  # type: ignore[no-untyped-def]
        if query.metric == "csat":  # an artificially slow query
            started.set()
            assert release.wait(120)
        return real(engine, query)

    monkeypatch.setattr(api, "run_query", slow_for_csat)
    workspace = supportmetrics.connect(site.root)
    assert workspace.config.server.max_concurrent_queries == 1  # the default
    server = ServerSettings(max_concurrent_queries=2)
    workspace.config = workspace.config.model_copy(update={"server": server})
    app = create_app(workspace, users=site.users, idle_seconds=0)
    assert app.state.data.max_queries == 2
    cached = TestClient(app).get("/api/metrics/reopen_rate", headers=auth).json()
    slow, slow_out = _in_thread(lambda: TestClient(app).get("/api/metrics/csat", headers=auth))
    try:
        assert started.wait(60)
        other, other_out = _in_thread(
            lambda: TestClient(app).get("/api/metrics/ticket_volume", headers=auth)
        )
        other.join(60)  # an uncached query runs beside the slow one
        assert not other.is_alive() and other_out[0].status_code == 200
        assert other_out[0].json()["rows"][0]["value"] == 1500  # the site's tickets
        viewer = TestClient(app)
        login(viewer, VIEWER, VIEWER_PASSWORD)  # login answers meanwhile
        assert viewer.get("/api/metrics/reopen_rate").json() == cached  # and cached answers
        assert slow.is_alive()
    finally:
        release.set()
        slow.join(60)
    assert slow_out[0].status_code == 200


def test_at_most_max_queries_run_at_once(site: Site) -> None:
    data = DataSource(supportmetrics.connect(site.root), idle_seconds=0, max_queries=2)
    gate, lock = threading.Event(), threading.Lock()
    running: list[int] = []
    peak: list[int] = []

    def hold(engine: Engine) -> int:
        with lock:
            running.append(1)
            peak.append(len(running))
        gate.wait(60)
        with lock:
            running.pop()
        return _volume(engine)

    threads = [_in_thread(lambda: data.run(hold)) for _ in range(3)]
    deadline = time.monotonic() + 60
    while len(peak) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not threads[0][0].join(0.3) and len(peak) == 2  # the third waits for a slot
    gate.set()
    for thread, out in threads:
        thread.join(60)
        assert out == [1500]
    assert max(peak) == 2 and len(peak) == 3
    data.stop()


def test_new_settings_drop_cached_answers_and_reopen_the_engine(site: Site) -> None:
    data = DataSource(supportmetrics.connect(site.root), idle_seconds=0)
    old = data.cached("settings", lambda engine: engine.config)
    assert data.cached("settings", lambda engine: None) is old  # cached
    new = old.model_copy(update={"sla": [SlaPolicy(name="all", first_response_time=60)]})
    data.reconfigure(new)
    assert data.cached("settings", lambda engine: engine.config) is new  # computed again, anew
    data.stop()


def test_waiting_queries_run_in_the_order_they_came(site: Site) -> None:
    # One slot, held; three more queries queue up one after the other: when the slot frees they
    # run first come, first served (a semaphore would let any of them go next)
    data = DataSource(supportmetrics.connect(site.root), idle_seconds=0, max_queries=1)
    holding, gate = threading.Event(), threading.Event()
    order: list[str] = []

    def held(engine: Engine) -> None:
        holding.set()
        gate.wait(60)

    def named(name: str):
        return lambda engine: order.append(name)

    first = _in_thread(lambda: data.run(held))
    assert holding.wait(60)
    waiting = []
    for name in ("a", "b", "c"):
        waiting.append(_in_thread(lambda name=name: data.run(named(name))))
        deadline = time.monotonic() + 60
        while len(data._slots._waiting) < len(waiting):  # queued before the next one comes
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert order == []
    gate.set()
    for thread, _ in [first, *waiting]:
        thread.join(60)
    assert order == ["a", "b", "c"]
    data.stop()
