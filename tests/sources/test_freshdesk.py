"""Freshdesk: API v2 records -> canonical rows (numeric codes mapped) and metrics.

The fixture (fixtures/freshdesk, UTC): 1 email, replied after 20 min, private note, resolved after
2 h, rated 103 (extremely happy); 2 portal, urgent, resolved, reopened by the customer, closed
(stats.reopened_at), rated -103; 3 outbound email (agent-created), pending; 4 chat, closed by merging
it into 1 (a private note says so); 5 spam; 6 feedback widget, "waiting on customer" (6), no stats,
tags or custom fields; 7 WhatsApp with a custom status code 12.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supportmetrics.sources import SourceError
from tests.sources._canonical import FIXTURES, by_ticket, convert, load, rows


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory):
    return convert("freshdesk", tmp_path_factory.mktemp("freshdesk"))


def test_tickets_map_numeric_status_priority_and_source(converted) -> None:
    columns = ("ticket_id", "created_at", "channel", "status", "priority", "issue_type")
    columns += ("customer_id", "assignee_id", "team", "created_by", "solved_at", "closed_at")
    assert rows(converted, "tickets", *columns) == [
        ("1", "2024-01-08T14:00:00Z", "email", "solved", "normal", "Question", "501", "9001",
         "Support", "customer", "2024-01-08T16:00:00Z", None),
        ("2", "2024-01-09T15:00:00Z", "web", "closed", "urgent", "Incident", "502", "9001",
         "Support", "customer", "2024-01-10T15:00:00Z", "2024-01-10T15:00:00Z"),
        ("3", "2024-01-11T14:00:00Z", "email", "pending", "low", None, "503", "9002", None,
         "agent", None, None),
        ("4", "2024-01-08T15:00:00Z", "chat", "closed", "high", "Question", "501", "9001",
         "Support", "customer", "2024-01-08T15:10:00Z", "2024-01-08T15:10:00Z"),
        ("6", "2024-01-12T14:00:00Z", "web", "pending", "normal", "Problem", "505", "9002",
         "Support", "customer", None, None),
        ("7", "2024-01-12T15:00:00Z", "messaging", "open", "normal", None, "506", None, None,
         "customer", None, None),
    ]  # fmt: skip
    assert rows(converted, "tickets", "ticket_id", "tags", "cf_product", "cf_region") == [
        ("1", ["refund"], "Pro", None),
        ("2", ["login"], "Free", "EU"),
        ("3", [], None, None),
        ("4", [], "Pro", None),
        ("6", None, None, None),
        ("7", ["whatsapp"], None, None),
    ]
    assert converted.notes == [
        "1 spam or deleted ticket(s) skipped: not requests",
        "1 ticket(s) with a custom status (code 8 or more) are counted as open",
        "1 outbound ticket(s) (source 10: sent by an agent) count as agent-created tickets; 0 of "
        "them were resolved when sent (resolved_at = created_at)",
        "1 conversations skipped: their ticket is not among the imported tickets (deleted, or "
        "outside the export)",
    ]


def test_description_and_conversations_become_messages(converted) -> None:
    columns = ("message_id", "ticket_id", "created_at", "author_type", "author_id", "public")
    assert rows(converted, "messages", *columns) == [
        ("1-description", "1", "2024-01-08T14:00:00Z", "customer", "501", True),
        ("11", "1", "2024-01-08T14:20:00Z", "agent", "9001", True),
        ("12", "1", "2024-01-08T15:00:00Z", "customer", "501", True),
        ("13", "1", "2024-01-08T15:30:00Z", "agent", "9001", False),
        ("2-description", "2", "2024-01-09T15:00:00Z", "customer", "502", True),
        ("21", "2", "2024-01-09T16:00:00Z", "agent", "9001", True),
        ("22", "2", "2024-01-10T14:00:00Z", "customer", "502", True),
        ("3-description", "3", "2024-01-11T14:00:00Z", "agent", "9002", True),
        ("31", "3", "2024-01-11T15:00:00Z", "customer", "503", True),
        ("32", "3", "2024-01-11T15:30:00Z", "agent", "9002", True),
        ("4-description", "4", "2024-01-08T15:00:00Z", "customer", "501", True),
        ("41", "4", "2024-01-08T15:10:00Z", "agent", "9001", False),
        ("6-description", "6", "2024-01-12T14:00:00Z", "customer", "505", True),
        ("7-description", "7", "2024-01-12T15:00:00Z", "customer", "506", True),
    ]


def test_stats_give_the_reopen_and_ratings_a_seven_point_scale(converted) -> None:
    assert rows(converted, "ticket_events") == [
        ("2-reopened", "2", "2024-01-10T14:00:00Z", "status", "solved", "open"),
        ("2-resolved", "2", "2024-01-10T15:00:00Z", "status", "open", "closed"),
    ]
    columns = ("response_id", "score", "scale_min", "scale_max", "ticket_id", "comment")
    assert rows(converted, "surveys", *columns) == [
        ("71", 7, 1, 7, "1", "Schnell geholfen 👍"),
        ("72", 1, 1, 7, "2", None),
    ]
    assert rows(converted, "agents") == [("9001", "Ana Müller", "Support"), ("9002", "Ben", None)]


def test_metrics_from_the_import(converted, tmp_path: Path) -> None:
    ws = load(converted, tmp_path)
    assert by_ticket(ws, "first_response_seconds", "resolution_full_seconds", "reopens") == {
        "1": (1200, 7200, 0),
        "2": (3600, 86400, 1),
        "3": (None, None, 0),  # outbound: agent-created
        "4": (None, 600, 0),
        "6": (None, None, 0),
        "7": (None, None, 0),
    }
    assert ws.metric("first_response_time").rows[0]["value"] == (1200 + 3600) / 2
    assert ws.metric("resolution_time").rows[0]["value"] == (7200 + 86400 + 600) / 3
    csat = ws.metric("csat").rows[0]
    assert (csat["numerator"], csat["denominator"]) == (1, 2)


def test_zendesk_tickets_are_not_freshdesk_tickets(tmp_path: Path) -> None:
    path = FIXTURES / "zendesk" / "tickets.json"
    with pytest.raises(SourceError) as error:
        convert("freshdesk", tmp_path, path)
    assert str(error.value).startswith(
        "this is not a Freshdesk tickets export: expected each record to have id, created_at, "
        f'status, source; {path} "tickets" record 1 has no source'
    )


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=re.escape(f"{tmp_path / 'nope.json'}: no such file")):
        convert("freshdesk", tmp_path, tmp_path / "nope.json")
