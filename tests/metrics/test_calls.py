"""Call and handling metrics, and request quality, on small hand-made tables."""

from __future__ import annotations

import pytest

from tests.metrics.conftest import TICKETS, make_workspace, values

CALLS = """call_id,queued_at,outcome,answered_at,ended_at,queue,agent_id,talk_seconds,hold_seconds,after_call_seconds
C1,2024-01-01T10:00:00Z,answered,2024-01-01T10:00:30Z,2024-01-01T10:05:30Z,sales,A1,280,10,60
C2,2024-01-01T11:00:00Z,abandoned,,2024-01-01T11:00:03Z,sales,,,,
C3,2024-01-01T11:10:00Z,abandoned,,2024-01-01T11:11:00Z,support,,,,
C4,2024-01-01T12:00:00Z,answered,2024-01-01T12:01:30Z,,support,A2,100,,
C5,2024-01-01T13:00:00Z,voicemail,,,support,,,,
"""

TIME_ENTRIES = """entry_id,ticket_id,agent_id,started_at,seconds
W1,T1,A1,2024-01-01T09:10:00Z,600
W2,T1,A1,2024-01-01T11:00:00Z,300
W3,T8,A3,2024-01-04T09:10:00Z,120
"""


@pytest.fixture
def center(tmp_path):
    ws = make_workspace(tmp_path, tickets=TICKETS, calls=CALLS, time_entries=TIME_ENTRIES)
    yield ws
    ws.close()


def test_wait_time(center) -> None:
    # Answered: C1 30 s, C4 90 s. Abandoned: C2 3 s, C3 60 s. C5 has no end: no wait.
    assert values(center.metric("wait_time")) == [60]
    assert values(center.metric("wait_time", variants={"calls": "abandoned"})) == [31.5]
    by_queue = center.metric("wait_time", by=["queue"])
    assert [(r["queue"], r["value"]) for r in by_queue.rows] == [("sales", 30), ("support", 90)]


def test_handle_time(center) -> None:
    # Calls: C1 280 + 10 + 60 = 350, C4 100. Tickets: T1 600 + 300 = 900, T8 120.
    assert values(center.metric("handle_time")) == [225]
    assert values(center.metric("handle_time", variants={"source": "tickets"})) == [510]
    by_agent = center.metric("handle_time", by=["agent"])
    assert [(r["agent"], r["value"]) for r in by_agent.rows] == [("A1", 350), ("A2", 100)]


def test_request_quality(tmp_path) -> None:
    tickets = (
        "ticket_id,created_at,channel,request_quality\n"
        "R1,2024-01-01,email,1\nR2,2024-01-01,email,3\nR3,2024-01-01,chat,5\nR4,2024-01-01,chat,\n"
    )
    ws = make_workspace(tmp_path, tickets=tickets)
    try:
        (row,) = ws.metric("request_quality").rows
        assert (row["numerator"], row["denominator"]) == (2, 3)
        strict = ws.metric("request_quality", variants={"threshold": "4"}).rows[0]
        assert strict["numerator"] == 1
        distribution = ws.metric("ticket_volume", by=["request_quality"])
        assert [(r["request_quality"], r["value"]) for r in distribution.rows] == [
            (1, 1),
            (3, 1),
            (5, 1),
            (None, 1),
        ]
    finally:
        ws.close()


AVAILABILITY = """availability_id,agent_id,started_at,ended_at,state
V1,A1,2024-01-01T10:00:00Z,2024-01-01T11:00:00Z,available
V2,A1,2024-01-01T11:00:00Z,2024-01-01T11:30:00Z,paused
V3,A3,2024-01-01T09:00:00Z,2024-01-01T10:00:00Z,
V4,A1,2024-01-01T12:00:00Z,,available
"""


def test_occupancy(tmp_path) -> None:
    # A1 handled C1 (280 + 10 + 60 = 350 s) in 1 h available + 30 min paused; A3 was logged in for
    # an hour and took no call; A2 (C4) has no availability and is left out; V4 is still open.
    ws = make_workspace(tmp_path, calls=CALLS, agent_availability=AVAILABILITY)
    try:
        (row,) = ws.metric("occupancy").rows
        assert (row["numerator"], row["denominator"], row["n"], row["agents"]) == (350, 9000, 1, 2)
        assert row["value"] == pytest.approx(350 / 9000)
        no_breaks = ws.metric("occupancy", variants={"paused": "exclude"})
        assert values(no_breaks) == [pytest.approx(350 / 7200)]
        by_agent = ws.metric("occupancy", by=["agent"])
        assert [(r["agent"], r["value"]) for r in by_agent.rows] == [
            ("A1", pytest.approx(350 / 5400)),
            ("A3", 0.0),
        ]
    finally:
        ws.close()


def test_occupancy_without_availability(center) -> None:
    assert center.metric("occupancy").rows == [
        {"value": None, "n": 0, "numerator": 0.0, "denominator": 0.0, "agents": 0}
    ]
