"""Which fact tables a query builds: a metric builds only the facts it reads.

On the hand-made team (conftest) with a few CSAT responses and the contact-center calls.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.facts.registry import FACT_TABLES
from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS, make_workspace, values
from tests.metrics.test_contact_center import CALLS

SURVEYS = """response_id,survey,score,submitted_at,ticket_id,customer_id,channel
S1,csat,5,2024-01-01T13:00:00Z,T1,,
S2,csat,4,2024-01-02T13:00:00Z,T3,,
S3,csat,2,2024-01-02T14:00:00Z,T4,,
S4,csat,4,2024-01-04T11:00:00Z,T8,,
S5,csat,5,2024-01-04T12:00:00Z,,C9,phone
"""


@pytest.fixture
def ws(tmp_path):
    workspace = make_workspace(
        tmp_path,
        tickets=TICKETS,
        messages=MESSAGES,
        ticket_events=EVENTS,
        surveys=SURVEYS,
        calls=CALLS,
    )
    yield workspace
    workspace.close()


def _forbid(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Building any of the fact tables `names` fails the test."""
    for name in names:

        def fail(engine: Any, options: Any, clock: Any, name: str = name) -> Any:
            raise AssertionError(f"built the {name} facts")

        monkeypatch.setitem(FACT_TABLES, name, replace(FACT_TABLES[name], build=fail))


def test_volume_csat_and_abandonment_build_no_ticket_facts(ws, monkeypatch) -> None:
    _forbid(monkeypatch, "tickets", "ticket_core")
    assert values(ws.metric("ticket_volume")) == [8]
    assert values(ws.metric("ticket_volume", by=["channel"]), "n") == [3, 4, 1]
    # S1 T1 replied after 1 h; S2 T3 and S4 T8 within 1 h; S3 T4 is agent-created (no first
    # response); S5 has no ticket. Satisfied (4-5 of 1-5): S1, S2, S4, S5.
    by_bucket = ws.metric("csat", by=["first_response_bucket"])
    assert [(r["first_response_bucket"], r["n"], r["value"]) for r in by_bucket.rows] == [
        ("0-1h", 2, 100.0),
        ("1-4h", 1, 100.0),
        ("no reply", 1, 0.0),
        (None, 1, 100.0),
    ]
    assert values(ws.metric("csat")) == [80.0]
    # Offered K1, K2, K4, K5, K7, K8; abandoned K4 and K5.
    assert values(ws.metric("abandonment_rate", by=["queue"])) == [0, pytest.approx(2 / 4)]


def test_response_and_resolution_times_build_no_repeat_window_or_waits(ws, monkeypatch) -> None:
    _forbid(monkeypatch, "tickets")
    (row,) = ws.metric("first_response_time").rows
    assert (row["value"], row["n"]) == (1900, 3)
    # Mon-Fri 09:00-17:00 UTC: T3 replied at 08:05 before opening -> 0
    business = ws.metric("first_response_time", clock="business")
    assert values(business) == [pytest.approx((3600 + 0 + 1800) / 3)]
    full = ws.metric("resolution_time", stat="median")
    assert values(full) == [(3600 + 10800) / 2]  # of 300, 3600, 3600, 10800, 10800, 14400
    # Solved ever: T1, T3, T4, T5, T7, T8; reopened: T3.
    assert values(ws.metric("reopen_rate")) == [pytest.approx(1 / 6)]


@pytest.mark.parametrize("clock", ["calendar", "business"])
def test_ticket_facts_are_the_core_facts_with_repeats_waits_and_sales(ws, clock) -> None:
    engine = ws.engine()
    core = engine.db.to_pyarrow(engine.facts("ticket_core", clock=clock).order_by("ticket_id"))
    full = engine.db.to_pyarrow(engine.facts("tickets", clock=clock).order_by("ticket_id"))
    if clock == "calendar":  # the core facts hold both clocks' durations (one table, one file)
        business = [c for c in core.column_names if c.endswith("_business_seconds")]
        assert business == [
            "first_response_business_seconds",
            "resolution_first_business_seconds",
            "resolution_full_business_seconds",
        ]
        core = core.drop_columns(business)
    at = core.column_names.index("single_agent") + 1
    waits = [
        f"{name}{suffix}"
        for name in ("requester_wait", "agent_wait", "on_hold")
        for suffix in ("_seconds", "_business_seconds")
        if clock == "business" or suffix == "_seconds"
    ]
    assert full.column_names == [
        *core.column_names[:at],
        "repeat_contact",
        *core.column_names[at:],
        *waits,
        "sales",
        "sales_amount",
    ]
    assert full.select(core.column_names).equals(core)
    # T1 (C1, billing) was solved at 12:00 Mon and C1's T4 (billing) opened Tue 09:00: a repeat.
    flagged = full.filter(full["repeat_contact"]).column("ticket_id").to_pylist()
    assert flagged == ["T1"]


def test_a_dimension_of_the_full_ticket_facts_is_joined_only_when_asked(ws, monkeypatch) -> None:
    # T1 (repeat: C1's T4 followed within the window) replied after 1 h; T3 after 5 min, T8 30 min
    by_repeat = ws.metric("first_response_time", by=["repeat_contact"])
    assert [(r["repeat_contact"], r["value"], r["n"]) for r in by_repeat.rows] == [
        (False, (300 + 1800) / 2, 2),
        (True, 3600, 1),
    ]
    volume = ws.metric("ticket_volume", by=["repeat_contact"], where={"channel": ["email"]})
    assert [(r["repeat_contact"], r["value"]) for r in volume.rows] == [(False, 3), (True, 1)]
    ws.close()
    _forbid(monkeypatch, "tickets")
    assert values(ws.metric("ticket_volume", by=["channel"])) == [3, 4, 1]


@pytest.mark.parametrize(
    "name", [n for n, t in FACT_TABLES.items() if t.wider and not t.borrows_all]
)
def test_borrowed_dimensions_are_what_the_wider_table_adds(ws, name) -> None:
    if name == "sla":  # its facts need a policy
        path = ws.root / CONFIG_FILE
        path.write_text(path.read_text() + '[[sla]]\nname = "all"\nfirst_response_time = "1h"\n')
        ws = supportmetrics.connect(ws.root)
    engine = ws.engine()
    table = FACT_TABLES[name]
    assert table.wider is not None
    own, wider = engine.facts(name), engine.facts(table.wider)
    schema = wider.schema()
    added = {
        c
        for c in wider.columns
        if c not in own.columns and not c.startswith("_") and not schema[c].is_timestamp()
    }
    assert set(table.borrowed) == added
