"""Each query shape compiled once: queries differing only in their dates share one SQL text, and
give exactly what compiling each of them gives."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS, make_workspace, values


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace = make_workspace(
        tmp_path_factory.mktemp("compiled"),
        tickets=TICKETS,
        messages=MESSAGES,
        ticket_events=EVENTS,
    )
    yield workspace
    workspace.close()


def test_a_range_and_its_previous_range_compile_once(ws) -> None:
    queries = ws.engine().queries
    before = queries.compiled
    # Tue 2 - Wed 3 January: T3 (5 min) and T4 (agent-created: no first response) ... T5-T7 none
    result = ws.metric(
        "first_response_time", start=date(2024, 1, 2), end=date(2024, 1, 3), compare="previous"
    )
    assert values(result) == [300]
    assert values(result, "previous") == [3600]  # Sun 31 Dec - Mon 1 Jan: T1 after 1 h
    assert queries.compiled - before == 1  # both ranges in one query
    ws.metric("first_response_time", start=date(2024, 1, 4), end=date(2024, 1, 4))
    assert queries.compiled - before == 2  # one range alone: its own shape
    ws.metric("first_response_time", start=date(2024, 1, 5), end=date(2024, 1, 6))
    assert queries.compiled - before == 2
    assert values(ws.metric("ticket_volume", start=date(2024, 1, 1), end=date(2024, 1, 1))) == [2]
    assert queries.compiled - before == 3


def test_running_sums_over_other_periods_share_one_shape(ws) -> None:
    # Each range brings its own in-memory table of periods: one stand-in serves them all
    queries = ws.engine().queries
    first = ws.metric("backlog", period="day", start=date(2024, 1, 1), end=date(2024, 1, 3))
    before = queries.compiled
    second = ws.metric("backlog", period="day", start=date(2024, 1, 3), end=date(2024, 1, 5))
    assert queries.compiled == before
    assert values(first) == [1, 1, 2]  # see test_backlog_is_a_snapshot_at_each_period_end
    assert values(second) == [2, 2, 2]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dates(date(2023, 12, 25), date(2024, 1, 8)),
    st.integers(0, 6),
    st.sampled_from(["first_response_time", "ticket_volume", "reopen_rate", "backlog"]),
    st.sampled_from([None, "day"]),
)
def test_a_shared_shape_answers_as_compiling_each_query_does(ws, start, days, metric, period):
    engine = ws.engine()
    end = start + timedelta(days=days)
    kwargs = {"start": start, "end": end, "period": period, "by": ["channel"]}
    shared = ws.metric(metric, **kwargs).rows
    queries, engine.queries = engine.queries, None  # every query compiled on its own
    try:
        assert ws.metric(metric, **kwargs).rows == shared
    finally:
        engine.queries = queries
