"""Contact-center metrics on hand-made calls (UTC workspace, so hours are UTC hours).

Offered with the default 5 s short-abandon threshold: K1, K2, K8 answered; K4 (waited 15 s) and K5
(no end time: its wait is unknown, so it is kept) abandoned; K7 timed out. Left out: K3 and K6
(short abandons, 3 s and 0 s), K9 (resolved in the IVR), K10 (outbound), K11 (voicemail).
"""

from __future__ import annotations

import pytest

from tests.metrics.conftest import make_workspace, values

CALLS = """call_id,queued_at,outcome,answered_at,ended_at,direction,queue,agent_id
K1,2024-01-01T10:00:00Z,answered,2024-01-01T10:00:10Z,2024-01-01T10:04:00Z,inbound,sales,A1
K2,2024-01-01T10:05:00Z,answered,2024-01-01T10:05:40Z,2024-01-01T10:09:00Z,,sales,A2
K3,2024-01-01T10:10:00Z,abandoned,,2024-01-01T10:10:03Z,,sales,
K4,2024-01-01T10:20:00Z,abandoned,,2024-01-01T10:20:15Z,,support,
K5,2024-01-01T10:30:00Z,abandoned,,,,support,
K6,2024-01-01T10:40:00Z,abandoned,,2024-01-01T10:40:00Z,,support,
K7,2024-01-01T11:00:00Z,timeout,,2024-01-01T11:05:00Z,,support,
K8,2024-01-01T11:10:00Z,answered,2024-01-01T11:10:20Z,2024-01-01T11:15:00Z,,support,A1
K9,2024-01-01T11:20:00Z,self_service,,2024-01-01T11:22:00Z,,support,
K10,2024-01-01T12:00:00Z,answered,2024-01-01T12:00:05Z,2024-01-01T12:03:00Z,outbound,sales,A2
K11,2024-01-01T12:10:00Z,voicemail,,2024-01-01T12:11:00Z,,support,
"""


@pytest.fixture
def calls(tmp_path):
    ws = make_workspace(tmp_path, calls=CALLS)
    yield ws
    ws.close()


def test_abandonment_and_answered_rate(calls) -> None:
    (row,) = calls.metric("abandonment_rate").rows
    assert (row["numerator"], row["denominator"]) == (2, 6)
    assert values(calls.metric("answered_rate")) == [0.5]
    # Without the threshold the short abandons K3 and K6 count: 4 of 8.
    no_threshold = calls.metric("abandonment_rate", variants={"threshold": "0"}).rows[0]
    assert (no_threshold["numerator"], no_threshold["denominator"]) == (4, 8)


def test_abandonment_by_queue_and_hour(calls) -> None:
    by_queue = calls.metric("abandonment_rate", by=["queue"])
    assert [(r["queue"], r["numerator"], r["n"]) for r in by_queue.rows] == [
        ("sales", 0, 2),
        ("support", 2, 4),
    ]
    by_hour = calls.metric("abandonment_rate", by=["hour_of_day"])
    assert [(r["hour_of_day"], r["numerator"], r["n"]) for r in by_hour.rows] == [
        (10, 2, 4),
        (11, 0, 2),
    ]
    by_day = calls.metric("answered_rate", by=["day_of_week"], period="day")
    assert [(r["day_of_week"], r["period"], r["value"]) for r in by_day.rows] == [
        ("Monday", "2024-01-01", 0.5)
    ]


def test_service_level(calls) -> None:
    # Answered within 20 s: K1 (10 s) and K8 (20 s) of the 6 offered.
    (row,) = calls.metric("service_level").rows
    assert (row["numerator"], row["denominator"]) == (2, 6)
    # abandoned_before_t=excluded: K4 gave up within 20 s and leaves the denominator; K5's wait
    # is unknown and K7 waited 300 s, so they stay.
    excluded = calls.metric("service_level", variants={"abandoned_before_t": "excluded"})
    assert (excluded.rows[0]["numerator"], excluded.rows[0]["denominator"]) == (2, 5)
    assert values(calls.metric("service_level", variants={"t": "40"})) == [0.5]


def test_average_speed_of_answer(calls) -> None:
    # Inbound answered: K1 10 s, K2 40 s, K8 20 s (K10 is outbound).
    assert values(calls.metric("average_speed_of_answer")) == [pytest.approx(70 / 3)]
    assert values(calls.metric("average_speed_of_answer", stat="median")) == [20]
    by_agent = calls.metric("average_speed_of_answer", by=["agent"])
    assert [(r["agent"], r["value"]) for r in by_agent.rows] == [("A1", 15), ("A2", 40)]


def test_self_service_rate(calls) -> None:
    # K9 of the 10 inbound calls.
    (row,) = calls.metric("self_service_rate").rows
    assert (row["numerator"], row["denominator"]) == (1, 10)


def test_no_calls(tmp_path) -> None:
    ws = make_workspace(tmp_path, tickets="ticket_id,created_at,channel\nT1,2024-01-01,email\n")
    try:
        assert ws.metric("abandonment_rate").rows == [
            {"value": None, "n": 0, "numerator": 0, "denominator": 0, "low_sample": True}
        ]
    finally:
        ws.close()


def test_waits_are_exact_seconds(tmp_path) -> None:
    # F1 gives up after 4.7 s (a short abandon, though its whole-second stamps are 5 s apart);
    # F2 is answered after 20.3 s (outside 20 s), F3 after 19.7 s (inside).
    calls = (
        "call_id,queued_at,outcome,answered_at,ended_at\n"
        "F1,2024-01-01T10:00:00.300Z,abandoned,,2024-01-01T10:00:05Z\n"
        "F2,2024-01-01T10:10:00Z,answered,2024-01-01T10:10:20.300Z,2024-01-01T10:12:00Z\n"
        "F3,2024-01-01T10:20:00.300Z,answered,2024-01-01T10:20:20Z,2024-01-01T10:22:00Z\n"
    )
    ws = make_workspace(tmp_path, calls=calls)
    try:
        assert values(ws.metric("abandonment_rate"), "denominator") == [2]
        assert values(ws.metric("service_level")) == [0.5]
        assert values(ws.metric("average_speed_of_answer")) == [pytest.approx(20.0)]
    finally:
        ws.close()
