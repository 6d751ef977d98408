"""Self-service metrics on hand-made knowledge-base, bot and IVR events beside the team's tickets.

Sessions: s1 kb (C1, resolved, ends Mon 08:03; C1 opens T1 at 09:00), s2 bot (C2, not resolved;
C2 opens T2 at 10:00), s3 bot (C9, resolved, no tickets), s4 kb (no customer, a vote only), s5 ivr
(C3, resolved, Mon 07:00; C3's T3 comes 25 h later) and X7, a search without a session.
"""

from __future__ import annotations

import pytest

from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS, make_workspace, values

EVENTS_SS = """event_id,at,type,session_id,customer_id,query,results_count,article_id,helpful,resolved
X1,2024-01-01T08:00:00Z,search,s1,C1,reset password,0,,,
X2,2024-01-01T08:01:00Z,search,s1,C1,reset pw,3,,,
X3,2024-01-01T08:02:00Z,article_view,s1,C1,,,KB1,,
X4,2024-01-01T08:03:00Z,article_vote,s1,C1,,,KB1,true,true
X5,2024-01-01T09:00:00Z,bot_session,s2,C2,,,,,false
X6,2024-01-02T09:00:00Z,bot_session,s3,C9,,,,,true
X7,2024-01-02T10:00:00Z,search,,,reset password,0,,,
X8,2024-01-02T11:00:00Z,article_vote,s4,,,,KB1,false,
X9,2024-01-01T07:00:00Z,ivr_session,s5,C3,,,,,true
"""


@pytest.fixture
def kb(tmp_path):
    ws = make_workspace(
        tmp_path, tickets=TICKETS, messages=MESSAGES, ticket_events=EVENTS, self_service=EVENTS_SS
    )
    yield ws
    ws.close()


def test_self_service_usage(kb) -> None:
    # 6 sessions beside 8 tickets.
    (row,) = kb.metric("self_service_usage").rows
    assert (row["numerator"], row["denominator"]) == (6, 14)
    by_kind = kb.metric("self_service_usage", by=["kind"])
    assert [(r["kind"], r["n"]) for r in by_kind.rows] == [
        ("bot", 2),
        ("ivr", 1),
        ("kb", 3),
        ("ticket", 8),
    ]


@pytest.mark.parametrize(
    ("variants", "successes"),
    [
        ({}, 2),  # s3 and s5: resolved, and no ticket within 24 h
        ({"definition": "resolved"}, 3),  # s1, s3, s5
        ({"definition": "no_ticket"}, 4),  # all but s1 and s2
        ({"hours": "48"}, 1),  # s5's ticket 25 h later now counts against it
    ],
)
def test_self_service_success(kb, variants, successes) -> None:
    (row,) = kb.metric("self_service_success", variants=variants).rows
    assert (row["numerator"], row["denominator"]) == (successes, 6)


def test_failed_searches_with_the_top_queries(kb) -> None:
    (row,) = kb.metric("failed_searches").rows
    assert (row["value"], row["n"], row["share"]) == (2, 3, pytest.approx(2 / 3))
    assert row["top"] == [{"query": "reset password", "count": 2}]
    by_query = kb.metric("failed_searches", by=["query"])
    assert [(r["query"], r["value"]) for r in by_query.rows] == [
        ("reset password", 2),
        ("reset pw", 0),
    ]
    daily = kb.metric("failed_searches", period="day")
    assert [(r["period"], r["value"], r["top"]) for r in daily.rows] == [
        ("2024-01-01", 1, [{"query": "reset password", "count": 1}]),
        ("2024-01-02", 1, [{"query": "reset password", "count": 1}]),
    ]


def test_article_helpfulness(kb) -> None:
    by_article = kb.metric("article_helpfulness", by=["article_id"])
    assert [(r["article_id"], r["numerator"], r["n"]) for r in by_article.rows] == [("KB1", 1, 2)]


def test_bot_resolution_rate(kb) -> None:
    # Bot sessions: s3 resolved, s2 not. Tickets with bot messages: T5, solved with no agent reply.
    assert values(kb.metric("bot_resolution_rate")) == [0.5]
    tickets = kb.metric("bot_resolution_rate", variants={"source": "tickets"})
    assert (tickets.rows[0]["numerator"], tickets.rows[0]["n"]) == (1, 1)
