"""Each query shape compiled once: queries differing only in their dates share one SQL text, and
give exactly what compiling each of them gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportmetrics.compiled import _digest
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


_FRESH_PROCESS = """
import json, sys
from datetime import date
import supportmetrics
ws = supportmetrics.connect(sys.argv[1])
result = ws.metric("first_response_time", by=["channel"], start=date(2024, 1, 2),
                   end=date(2024, 1, 3), compare="previous")
print(json.dumps({"compiled": ws.engine().queries.compiled, "rows": result.rows}, default=str))
"""


def _fresh_run(folder, seed: str) -> dict:
    """The query in a new process with its own string hashing (`PYTHONHASHSEED`)."""
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
        check=True,
    )
    return json.loads(done.stdout)


def test_a_fresh_process_reads_the_texts_another_process_compiled(ws) -> None:
    folder = ws.root
    first = _fresh_run(folder, "1")
    second = _fresh_run(folder, "2")
    assert first["compiled"] >= 1
    assert second["compiled"] == 0  # the same shape, read from compiled.json
    assert second["rows"] == first["rows"]
    assert [row["value"] for row in first["rows"]] == [300]


def test_damaged_kept_texts_are_compiled_again(ws, tmp_path) -> None:
    _fresh_run(ws.root, "3")  # keeps the texts
    kept = list(ws.root.rglob("compiled.json"))
    assert kept
    for path in kept:
        text = json.loads(path.read_text())
        path.write_text(json.dumps({digest: ["SELECT 1", 7] for digest in text}))
    again = _fresh_run(ws.root, "4")
    assert again["compiled"] >= 1
    assert [row["value"] for row in again["rows"]] == [300]


_DIGEST = """
import ibis
from supportmetrics.compiled import _digest
table = ibis.table({"a": "int64", "b": "int64", "c": "int64", "d": "int64"}, name="t")
print(_digest(table.drop("a", "b", "c").op()))
"""


def test_a_shape_digest_is_the_same_in_every_process() -> None:
    """A set of column names iterates in a per-process order; its digest does not change."""
    digests = {
        subprocess.run(
            [sys.executable, "-c", _DIGEST],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(digests) == 1 and "None" not in digests.pop()


def test_a_shape_digest_reads_its_placeholders_without_rebuilding_the_shape() -> None:
    """The digest of a query with its dated literals and tables standing for placeholders is the
    digest of the query rebuilt with the placeholders (a fresh process finds its kept text by it
    without rebuilding the graph)."""
    table = ibis.table({"at": "timestamp", "x": "float64"}, name="facts_1")
    day = ibis.timestamp("2024-03-01 00:00:00")
    expr = table.filter(table.at >= day).aggregate(n=table.x.count(), mean=table.x.mean()).op()
    stand_in = ibis.table({"at": "timestamp", "x": "float64"}, name="sm_shape_stored_0").op()
    placeholder = ibis.timestamp("1001-01-01 00:00:00").op()
    standing = {table.op(): stand_in, day.op(): placeholder}
    read = _digest(expr, standing)
    assert read is not None
    assert read == _digest(expr.replace(standing))
    assert read != _digest(expr)
    other_day = ibis.timestamp("2024-04-01 00:00:00")
    later = table.filter(table.at >= other_day).aggregate(n=table.x.count(), mean=table.x.mean())
    assert _digest(later.op(), {table.op(): stand_in, other_day.op(): placeholder}) == read
