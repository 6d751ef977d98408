"""The engine gives the same result on every backend as on the embedded DuckDB store, row for row.

The demo dataset and the hand-made team are loaded into DuckDB (the reference), copied to each
backend SUPPORTMETRICS_TEST_BACKENDS lists (comma-separated, default `postgres`; see providers.py),
and the whole catalogue is computed on both: overall, split by a dimension (channel, or the
customer's tier where the facts have no channel) and weekly (monthly for the customer cohorts), in
calendar and business hours. A backend that is not reachable is skipped, except in CI where it must
run. Cases a backend cannot do yet carry `notimpl`/`notyet` marks (see marks.py).
"""

from __future__ import annotations

import math

import pytest

import supportmetrics
from supportmetrics import demo
from supportmetrics.config import CONFIG_FILE
from supportmetrics.metrics import CATALOGUE, Metric
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
    assert len(want) == len(got) == 1508
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
