"""SLA attainment on the hand-made team (conftest.py), under two policies.

urgent (priority urgent, calendar): first response 15 min, resolution 2 h.
standard (everything else, business hours Mon-Fri 09-17 UTC): first response 1 h, next response 30 min,
resolution 8 h. Open tickets are judged now (long after January 2024), so an open one is breached.

first response (stop: first agent reply, or the first solve if sooner; first_reply_met_by=reply:
the first agent reply only, so T5 and T7, solved without one, breach it -> 2 of 7)
  T1 due Mon 10:00, reply 10:00 met | T2 due Mon 11:00, none: breached | T3 due Tue 10:00 (opens 09:00),
  reply 08:05 met | T5 due Wed 11:00, solved 10:05 met | T6 due Wed 12:00, none: breached |
  T7 due Wed 13:00, solved 13:00 met | T8 urgent due Thu 09:15, reply 09:30 breached   -> 4 of 7
next response (customer messages after an agent reply)
  T3 08:00 (after the 07:50 reply) due 09:30, reply 08:05 met | T4 10:00 due 10:30, reply 11:00
  breached                                                                                -> 1 of 2
resolution (last solve)
  T1 due Mon 17:00 met | T2 breached | T3 due Tue 17:00 met | T4 due Tue 17:00 met | T5 due Thu 11:00
  met | T6 due Thu 11:00, open: breached | T7 met | T8 urgent due 11:00, solved 10:00 met  -> 6 of 8
per ticket (any miss is a miss): T1 T3 T5 T7 met; T2 T4 T6 T8 missed                    -> 4 of 8
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import ibis.expr.operations as ops
import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.facts.registry import FACT_TABLES
from supportmetrics.query import QueryError
from tests.metrics.conftest import make_workspace

POLICIES = """
[[sla]]
name = "urgent"
priority = ["urgent"]
first_response_time = "15m"
resolution_time = "2h"

[[sla]]
name = "standard"
clock = "business"
first_response_time = "1h"
next_response_time = "30m"
resolution_time = "8h"
"""


@pytest.fixture
def sla_team(team):
    path = team.root / CONFIG_FILE
    path.write_text(path.read_text() + POLICIES)
    ws = supportmetrics.connect(team.root)
    yield ws
    ws.close()


def _counts(result) -> list[tuple]:
    return [(r.get("target"), r["numerator"], r["denominator"]) for r in result.rows]


def test_attainment_per_target(sla_team) -> None:
    result = sla_team.metric("sla_attainment", by=["target"])
    assert _counts(result) == [
        ("first_response_time", 4, 7),
        ("next_response_time", 1, 2),
        ("resolution_time", 6, 8),
    ]
    overall = sla_team.metric("sla_attainment").rows[0]
    assert (overall["numerator"], overall["denominator"]) == (11, 17)


def test_attainment_reads_ticket_core_and_borrows_what_only_tickets_adds(
    sla_team, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = FACT_TABLES["tickets"]

    def not_built(*args: object) -> None:
        raise AssertionError("built the tickets facts")

    monkeypatch.setitem(FACT_TABLES, "tickets", replace(tickets, build=not_built))
    overall = sla_team.metric("sla_attainment").rows[0]
    assert (overall["numerator"], overall["denominator"]) == (11, 17)
    monkeypatch.setitem(FACT_TABLES, "tickets", tickets)
    # T1 (a repeat contact followed it: T4) met both its targets; the others 9 of 15
    by_repeat = sla_team.metric("sla_attainment", by=["repeat_contact"])
    assert [(r["repeat_contact"], r["numerator"], r["denominator"]) for r in by_repeat.rows] == [
        (False, 9, 15),
        (True, 2, 2),
    ]


def test_attainment_per_ticket_and_by_policy(sla_team) -> None:
    per_ticket = sla_team.metric("sla_attainment", variants={"per": "ticket"}).rows[0]
    assert (per_ticket["numerator"], per_ticket["denominator"]) == (4, 8)
    by_policy = sla_team.metric("sla_attainment", by=["sla_policy"])
    assert [(r["sla_policy"], r["numerator"], r["denominator"]) for r in by_policy.rows] == [
        ("standard", 10, 15),
        ("urgent", 1, 2),
    ]
    first = sla_team.metric("sla_attainment", variants={"target": "first_response_time"})
    assert (first.rows[0]["numerator"], first.rows[0]["denominator"]) == (4, 7)


def test_ticket_facts_show_due_times_and_breaches(sla_team) -> None:
    facts = {r["ticket_id"]: r for r in sla_team.facts("tickets").to_pylist()}
    assert facts["T8"]["sla_policy"] == "urgent"
    assert facts["T8"]["first_response_due_at"] == datetime(2024, 1, 4, 9, 15)
    assert facts["T8"]["first_response_breached"] is True
    assert facts["T6"]["resolution_due_at"] == datetime(2024, 1, 4, 11, 0)
    assert facts["T4"]["next_response_breaches"] == 1
    assert facts["T1"]["sla_breached"] is False


def test_no_policies_is_a_clear_error(team) -> None:
    with pytest.raises(QueryError, match=r"needs SLA policies.*\[\[sla\]\]"):
        team.metric("sla_attainment")


def test_a_calendar_policy_with_one_target(team) -> None:
    # First responses: T1 1 h, T3 5 min, T5 solved (no reply) after 5 min, T7 solved (auto-reply
    # only) after 1 h, T8 30 min; T2 and T6 are open with no reply, long past due; T4 is
    # agent-created. Met within 45 min: T3, T5, T8.
    path = team.root / CONFIG_FILE
    path.write_text(path.read_text() + '[[sla]]\nname = "all"\nfirst_response_time = "45m"\n')
    ws = supportmetrics.connect(team.root)
    try:
        result = ws.metric("sla_attainment", by=["target"])
        assert _counts(result) == [("first_response_time", 3, 7)]
        due = {r["ticket_id"]: r["first_response_due_at"] for r in ws.facts("tickets").to_pylist()}
        assert due["T1"].isoformat() == "2024-01-01T09:45:00"
        assert due["T4"] is None
    finally:
        ws.close()


def test_first_reply_met_by_reply_only(sla_team) -> None:
    # T5 (a bot's reply, solved 10:05) and T7 (an auto-reply, solved 13:00) met the first reply
    # target by their solve; with first_reply_met_by=reply they breach it (due long past).
    by_target = {"by": ["target"], "where": {"target": ["first_response_time"]}}
    default = sla_team.metric("sla_attainment", **by_target)
    assert _counts(default) == [("first_response_time", 4, 7)]
    replies = sla_team.metric(
        "sla_attainment", variants={"first_reply_met_by": "reply"}, **by_target
    )
    assert _counts(replies) == [("first_response_time", 2, 7)]
    # The other targets do not change: next response 1 of 2, resolution 6 of 8.
    others = sla_team.metric(
        "sla_attainment", by=["target"], variants={"first_reply_met_by": "reply"}
    )
    assert _counts(others) == [
        ("first_response_time", 2, 7),
        ("next_response_time", 1, 2),
        ("resolution_time", 6, 8),
    ]


def test_a_solve_before_the_first_reply_meets_it(tmp_path) -> None:
    # Created 09:00, solved 09:30 without a reply, reopened 10:00, answered 11:00; due 10:00.
    # reply_or_solve: the solve (09:30) comes first and is in time -> met; reply: 11:00 -> breached.
    ws = make_workspace(
        tmp_path,
        tickets="ticket_id,created_at,channel\nX,2024-01-01T09:00:00Z,phone\n",
        messages="message_id,ticket_id,created_at,author_type\nM,X,2024-01-01T11:00:00Z,agent\n",
        ticket_events=(
            "event_id,ticket_id,at,type,from_value,to_value\n"
            "E1,X,2024-01-01T09:30:00Z,status,new,solved\n"
            "E2,X,2024-01-01T10:00:00Z,status,solved,open\n"
        ),
    )
    path = ws.root / CONFIG_FILE
    path.write_text(path.read_text() + '[[sla]]\nname = "all"\nfirst_response_time = "1h"\n')
    ws = supportmetrics.connect(ws.root)
    try:
        assert _counts(ws.metric("sla_attainment", by=["target"])) == [
            ("first_response_time", 1, 1)
        ]
        reply = ws.metric("sla_attainment", by=["target"], variants={"first_reply_met_by": "reply"})
        assert _counts(reply) == [("first_response_time", 0, 1)]
    finally:
        ws.close()


CALENDAR_POLICY = '[[sla]]\nname = "all"\nfirst_response_time = "45m"\nresolution_time = "2h"\n'
UNMATCHED_BUSINESS_POLICY = (
    '[[sla]]\nname = "none"\nclock = "business"\npriority = ["none"]\nresolution_time = "1h"\n'
)


def test_calendar_policies_read_the_ticket_facts_without_a_stored_copy(team) -> None:
    # Calendar clocks and no next-response target: the SLA rows are a projection of ticket_core
    # (nothing stored); a business policy that matches no ticket makes the engine store them, and
    # every number is the same both ways.
    path = team.root / CONFIG_FILE
    base = path.read_text()
    results = {}
    for name, policies in {
        "view": CALENDAR_POLICY,
        "stored": CALENDAR_POLICY + UNMATCHED_BUSINESS_POLICY,
    }.items():
        path.write_text(base + policies)
        ws = supportmetrics.connect(team.root)
        try:
            engine = ws.engine()
            facts = engine.facts("sla")
            stored = isinstance(facts.op(), ops.PhysicalTable)
            assert stored == (name == "stored")
            results[name] = [
                _counts(ws.metric("sla_attainment", by=["target"])),
                ws.metric("sla_attainment", by=["tier", "target"]).rows,
                sorted(facts.drop("sla_policy").to_pyarrow().to_pylist(), key=str),
            ]
        finally:
            ws.close()
    # first response within 45 min: T3, T5, T8 of 7 (as above); resolution (last solve) within
    # 2 h: T5 (5 min), T7 (1 h), T8 (1 h); T1 and T4 take 3 h, T3 4 h, T2 and T6 are open
    assert results["view"][0] == [("first_response_time", 3, 7), ("resolution_time", 3, 8)]
    assert results["view"] == results["stored"]
