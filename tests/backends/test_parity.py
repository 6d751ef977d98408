"""The engine gives the same result on every backend as on the embedded DuckDB store, row for row.

The demo dataset, the hand-made team, calls with sub-second waits and tickets on a daylight-saving
day are loaded into DuckDB (the reference), copied to each backend SUPPORTMETRICS_TEST_BACKENDS
lists (comma-separated, default `duckdb,postgres,spark`; see providers.py), and the whole catalogue
is computed on both: overall, split by a dimension (channel, or the customer's tier where the facts
have no channel) and weekly (monthly for the customer cohorts), in calendar and business hours. A
backend that is not reachable is skipped, except in CI where it must run. Cases a backend cannot do
yet carry `notimpl`/`notyet` marks (see marks.py).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import ibis
import pytest

import supportmetrics
from supportmetrics import demo
from supportmetrics.config import CONFIG_FILE
from supportmetrics.metrics import CATALOGUE, Metric
from supportmetrics.query.periods import label, spine
from supportmetrics.staffing import available_agents
from tests.backends.providers import PROVIDERS, listed
from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS

_BY_TIER = ("subscriptions", "sessions", "usage", "self_service", "invitations", "reviews")
_BY_AGENT = ("demos", "occupancy")
_MONTHLY = ("churn", "retention", "link", "mrr", "growth")
POLICIES = """
[[sla]]
name = "urgent"
priority = ["urgent"]
first_response_time = "30m"
resolution_time = "8h"

[[sla]]
name = "standard"
clock = "business"
first_response_time = "4h"
next_response_time = "8h"
resolution_time = "3d"
"""
SUB_SECOND_CALLS = """call_id,queued_at,outcome,answered_at,ended_at,queue
F1,2024-01-01T10:00:00.300Z,abandoned,,2024-01-01T10:00:05Z,subsecond
F2,2024-01-01T10:10:00Z,answered,2024-01-01T10:10:20.300Z,2024-01-01T10:12:00Z,subsecond
F3,2024-01-01T10:20:00.300Z,answered,2024-01-01T10:20:20Z,2024-01-01T10:22:00Z,subsecond
"""
"""F1 gives up after 4.7 s (a short abandon, though its whole-second stamps are 5 s apart); F2 is
answered after 20.3 s (outside 20 s), F3 after 19.7 s (inside)."""
DST_TICKETS = """ticket_id,created_at,channel,team
D1,2024-03-10T05:30:00Z,email,dst
D2,2024-03-10T06:59:00Z,email,dst
D3,2024-03-10T07:00:00Z,email,dst
D4,2024-03-10T12:15:00Z,email,dst
"""
"""New York springs forward on 2024-03-10 at 07:00 UTC: 00:30 and 01:59 EST, then 03:00 and
08:15 EDT."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The DuckDB workspace holding the demo data and the hand-made team."""
    tmp = tmp_path_factory.mktemp("parity")
    ws = supportmetrics.init(tmp / "duck", timezone="America/New_York")
    config = ws.root / CONFIG_FILE
    config.write_text(config.read_text() + POLICIES)
    ws = supportmetrics.connect(ws.root)
    data = tmp / "data"
    demo.write(demo.generate(1500, seed=11), data, "parquet")
    ws.ingest([data])
    team = tmp / "team"
    team.mkdir()
    # The hand-made team joins the demo data under its own ids, edge cases included.
    for table, text in {"tickets": TICKETS, "messages": MESSAGES, "ticket_events": EVENTS}.items():
        (team / f"{table}_team.csv").write_text(text.replace(",T", ",X").replace("\nT", "\nX"))
    (team / "calls_subsecond.csv").write_text(SUB_SECOND_CALLS)
    (team / "tickets_dst.csv").write_text(DST_TICKETS)
    ws.ingest([team])
    yield ws
    ws.close()


@pytest.fixture(scope="module", params=listed())
def other(request, reference, tmp_path_factory):
    """The same data on the backend under test."""
    folder = tmp_path_factory.mktemp(request.param) / "ws"
    with PROVIDERS[request.param](reference, folder, POLICIES) as ws:
        yield ws


@pytest.fixture
def pair(reference, other):
    """(DuckDB workspace, the backend's workspace) holding the same demo data and team."""
    return reference, other


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def _splits(metric: Metric) -> dict[str, dict]:
    by = "tier" if metric.facts in _BY_TIER else "agent" if metric.facts in _BY_AGENT else "channel"
    period = "month" if metric.aggregation in _MONTHLY else "week"
    return {"overall": {}, f"by_{by}": {"by": [by]}, f"per_{period}": {"period": period}}


QUERIES = [
    pytest.param(metric.id, query, clock, id=f"{metric.id}-{label}-{clock}")
    for metric in CATALOGUE.values()
    for label, query in _splits(metric).items()
    for clock in (("calendar", "business") if metric.has_clock else ("calendar",))
]


@pytest.mark.parametrize(("metric_id", "query", "clock"), QUERIES)
def test_same_rows(pair, metric_id: str, query: dict, clock: str) -> None:
    duck, postgres = pair
    expected = duck.metric(metric_id, clock=clock, **query).rows
    actual = postgres.metric(metric_id, clock=clock, **query).rows
    assert len(actual) == len(expected)
    assert expected, "the parity data should give every metric some rows"
    for want, got in zip(expected, actual, strict=True):
        assert want.keys() == got.keys()
        for key in want:
            assert _same(got[key], want[key]), (key, got, want)


def test_facts_tickets_match(pair) -> None:
    duck, postgres = pair
    want = duck.facts("tickets").sort_by("ticket_id").to_pylist()
    got = postgres.facts("tickets").sort_by("ticket_id").to_pylist()
    assert len(want) == len(got) == 1512
    for a, b in zip(want, got, strict=True):
        for key in a:
            assert _same(b[key], a[key]) or (a[key] is None and b[key] is None), (key, a, b)


@pytest.mark.parametrize("met_by", ["reply_or_solve", "reply"])
def test_sla_first_reply_variants_match(pair, met_by: str) -> None:
    duck, postgres = pair
    query = {"by": ["target"], "variants": {"first_reply_met_by": met_by}}
    assert (
        duck.metric("sla_attainment", **query).rows
        == postgres.metric("sla_attainment", **query).rows
    )


def test_sub_second_waits_are_exact(pair) -> None:
    # F1's 4.7 s abandon is short and leaves the denominator (with each side's fraction dropped,
    # 10:00:00.3 to 10:00:05 would be 5 s and count); F3's 19.7 s answer is within 20 s.
    subsecond = {"where": {"queue": ["subsecond"]}}
    for ws in pair:
        (abandoned,) = ws.metric("abandonment_rate", **subsecond).rows
        assert (abandoned["numerator"], abandoned["denominator"]) == (0, 2)
        (level,) = ws.metric("service_level", **subsecond).rows
        assert (level["numerator"], level["denominator"]) == (1, 2)
        (speed,) = ws.metric("average_speed_of_answer", **subsecond).rows
        assert speed["value"] == pytest.approx(20.0, abs=1e-9)
    duck, other = pair
    want = duck.facts("calls", where={"queue": ["subsecond"]}).sort_by("call_id")
    got = other.facts("calls", where={"queue": ["subsecond"]}).sort_by("call_id")
    assert got["wait_seconds"].to_pylist() == pytest.approx([4.7, 20.3, 19.7], abs=1e-9)
    assert want["wait_seconds"].to_pylist() == pytest.approx([4.7, 20.3, 19.7], abs=1e-9)


def test_local_hours_on_a_daylight_saving_day(pair) -> None:
    for ws in pair:
        rows = ws.metric("ticket_volume", by=["hour_of_day"], where={"team": ["dst"]}).rows
        assert [(r["hour_of_day"], r["value"]) for r in rows] == [(0, 1), (1, 1), (3, 1), (8, 1)]


COARSE_DELTA = {"duckdb": 1, "postgres": 0, "spark": 0}
"""Whole seconds from 10:00:00.9 to 10:00:01.1 by `delta(unit="second")`: DuckDB counts the second
boundary crossed, the others the whole seconds elapsed; why elapsed time never uses coarse units."""


def test_coarse_delta_differs_and_microseconds_are_exact(other) -> None:
    db = other.engine().db
    start, end = datetime(2024, 1, 1, 10, 0, 0, 900000), datetime(2024, 1, 1, 10, 0, 1, 100000)
    t = ibis.memtable({"start": [start], "end": [end]})
    row = db.to_pyarrow(
        t.select(
            seconds=t.end.delta(t.start, unit="second"),
            micros=t.end.delta(t.start, unit="microsecond"),
        )
    ).to_pylist()[0]
    assert row == {"seconds": COARSE_DELTA[other.engine().backend.name], "micros": 200_000}


def test_half_hours_and_agents_available_match(pair) -> None:
    query = {"period": "half_hour", "where": {"team": ["dst"]}}
    for ws in pair:
        rows = ws.metric("ticket_volume", **query).rows
        assert [(r["period"][11:], r["value"]) for r in rows] == [
            ("00:30", 1),
            ("01:30", 1),
            ("03:00", 1),
            ("08:00", 1),
        ]
    duck, other = pair
    last = datetime.combine(duck.engine().span()[1], datetime.min.time())
    halves = [label(m, "half_hour") for m in spine(last - timedelta(days=14), last, "half_hour")]
    want = available_agents(duck.engine(), halves, 1800)
    got = available_agents(other.engine(), halves, 1800)
    assert want is not None and sum(want.values()) > 0
    assert got == pytest.approx(want)
