"""The social shortcuts are their base metrics on the social channel."""

from __future__ import annotations

from tests.metrics.conftest import make_workspace, values

TICKETS = """ticket_id,created_at,channel
S1,2024-01-01T09:00:00Z,social
S2,2024-01-01T10:00:00Z,social
E1,2024-01-01T09:00:00Z,email
"""
MESSAGES = """message_id,ticket_id,created_at,author_type,author_id
M1,S1,2024-01-01T09:10:00Z,agent,A1
M2,S2,2024-01-01T10:30:00Z,agent,A1
M3,E1,2024-01-01T12:00:00Z,agent,A1
"""


def test_social_shortcuts(tmp_path) -> None:
    ws = make_workspace(tmp_path, tickets=TICKETS, messages=MESSAGES)
    try:
        assert values(ws.metric("social_response_time")) == [1200]  # (600 + 1800) / 2
        assert values(ws.metric("social_volume")) == [2]
        assert values(ws.metric("ticket_volume")) == [3]
    finally:
        ws.close()
