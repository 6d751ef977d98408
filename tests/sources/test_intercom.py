"""Intercom: conversations with their parts -> canonical rows and metrics.

The fixture (fixtures/intercom, Unix seconds): 1001 Messenger chat, the Operator bot answers first and
assigns the Billing team, an admin takes it and replies after 10 min, adds a note, closes it; the
customer writes again (reopened), the admin replies and closes with a message, rated 4/5;
1002 an email the admin started (agent-created), snoozed; 1003 a WhatsApp lead with no parts, no
priority and no tags.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmetrics.sources import SourceError
from tests.sources._canonical import FIXTURES, by_ticket, convert, load, rows


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory):
    return convert("intercom", tmp_path_factory.mktemp("intercom"))


def test_conversations_become_tickets(converted) -> None:
    assert rows(converted, "tickets") == [
        ("1001", "2024-01-08T14:00:00Z", "chat", "solved", "high", "u1", "991", "Billing",
         "customer", ["billing"]),
        ("1002", "2024-01-10T15:00:00Z", "email", "on_hold", "normal", "u2", "992", None, "agent",
         []),
        ("1003", "2024-01-11T15:00:00Z", "messaging", "open", None, "u3", None, None, "customer",
         None),
    ]  # fmt: skip


def test_source_and_parts_become_messages(converted) -> None:
    columns = ("message_id", "ticket_id", "created_at", "author_type", "author_id", "public")
    assert rows(converted, "messages", *columns) == [
        ("5001", "1001", "2024-01-08T14:00:30Z", "bot", "op1", True),
        ("5004", "1001", "2024-01-08T14:10:00Z", "agent", "991", True),
        ("5005", "1001", "2024-01-08T14:12:00Z", "agent", "991", False),
        ("5007", "1001", "2024-01-09T13:00:00Z", "customer", "u1", True),
        ("5009", "1001", "2024-01-09T13:30:00Z", "agent", "991", True),
        ("5010", "1001", "2024-01-09T14:00:00Z", "agent", "991", True),  # closed with a message
        ("6001", "1002", "2024-01-10T16:00:00Z", "customer", "u2", True),
        ("6002", "1002", "2024-01-10T16:30:00Z", "agent", "992", True),
        ("source-403918330", "1001", "2024-01-08T14:00:00Z", "customer", "u1", True),
        ("source-403918331", "1002", "2024-01-10T15:00:00Z", "agent", "992", True),
        ("source-403918332", "1003", "2024-01-11T15:00:00Z", "customer", "u3", True),
    ]


def test_parts_give_status_and_assignment_history(converted) -> None:
    columns = ("ticket_id", "at", "type", "from_value", "to_value", "actor_id")
    assert rows(converted, "ticket_events", *columns) == [
        ("1001", "2024-01-08T14:00:31Z", "team", None, "Billing", "op1"),
        ("1001", "2024-01-08T14:05:00Z", "assignee", None, "991", "991"),
        ("1001", "2024-01-08T14:20:00Z", "status", "open", "solved", "991"),
        ("1001", "2024-01-09T13:00:00Z", "status", "solved", "open", "u1"),
        ("1001", "2024-01-09T14:00:00Z", "status", "open", "solved", "991"),
        ("1002", "2024-01-10T16:31:00Z", "status", "open", "on_hold", "992"),
    ]
    assert rows(converted, "surveys", "response_id", "score", "scale_max", "comment") == [
        ("1001-rating", 4.0, 5, "Gut 👍")
    ]
    assert rows(converted, "agents") == [("991", "Ana Ärger", "Billing"), ("992", "Bo", None)]


def test_metrics_from_the_import(converted, tmp_path: Path) -> None:
    ws = load(converted, tmp_path)
    facts = by_ticket(ws, "first_response_seconds", "resolution_full_seconds", "reopens")
    assert facts == {
        "1001": (600, 86400, 1),  # the bot's answer at 14:00:30 does not count
        "1002": (None, None, 0),
        "1003": (None, None, 0),
    }
    assert ws.metric("reopen_rate").rows[0]["value"] == 1.0
    bots = ws.metric("first_response_time", variants={"count_bots": "true"}).rows[0]
    assert bots["value"] == 30.0
    assert ws.metric("csat").rows[0]["value"] == 100.0


def test_a_zendesk_file_is_refused(tmp_path: Path) -> None:
    path = FIXTURES / "zendesk" / "ticket_audits.jsonl"
    with pytest.raises(SourceError, match="this is not an Intercom export: cannot tell which"):
        convert("intercom", tmp_path, path)
