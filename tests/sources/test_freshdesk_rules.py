"""Freshdesk: survey feedback conversations (source 6) are the rating's comment, and outbound
tickets (source 10) are counted in the summary (hand-made records, hand-checked rows)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sources._canonical import convert, rows

AT = "2024-01-08T10:00:00Z"


def _ticket(id_: int, source: int, resolved: str | None) -> dict:
    return {
        "id": id_,
        "created_at": AT,
        "updated_at": "2024-01-08T12:00:00Z",
        "status": 4,
        "priority": 1,
        "source": source,
        "requester_id": 501,
        "responder_id": 9001,
        "spam": False,
        "deleted": False,
        "stats": {"resolved_at": resolved, "closed_at": None, "reopened_at": None},
    }


def _conversation(id_: int, source: int, incoming: bool, at: str, text: str) -> dict:
    return {
        "id": id_,
        "ticket_id": 1,
        "user_id": 501 if incoming else 9001,
        "incoming": incoming,
        "private": False,
        "source": source,
        "body_text": text,
        "created_at": at,
    }


def test_survey_feedback_is_the_ratings_comment_and_outbound_is_counted(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    tickets = [_ticket(1, 1, "2024-01-08T11:00:00Z"), _ticket(2, 10, AT), _ticket(3, 10, None)]
    (folder / "tickets.json").write_text(json.dumps(tickets))
    conversations = [
        _conversation(11, 0, False, "2024-01-08T10:30:00Z", "Wir prüfen das."),
        _conversation(12, 6, True, "2024-01-08T12:00:00Z", "Sehr freundlich"),
    ]
    (folder / "conversations.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations)
    )
    rating = {
        "id": 71,
        "survey_id": 3,
        "user_id": 501,
        "agent_id": 9001,
        "feedback": None,
        "ticket_id": 1,
        "created_at": "2024-01-08T12:00:00Z",
        "ratings": {"default_question": 103},
    }
    (folder / "satisfaction_ratings.json").write_text(json.dumps([rating]))
    conversion = convert("freshdesk", tmp_path / "run", folder)
    assert rows(conversion, "messages", "message_id", "author_type") == [
        ("1-description", "customer"),
        ("11", "agent"),
        ("2-description", "agent"),
        ("3-description", "agent"),
    ]
    assert rows(conversion, "surveys", "response_id", "score", "comment") == [
        ("71", 7, "Sehr freundlich")
    ]
    assert rows(conversion, "tickets", "ticket_id", "created_by") == [
        ("1", "customer"),
        ("2", "agent"),
        ("3", "agent"),
    ]
    assert conversion.notes == [
        "2 outbound ticket(s) (source 10: sent by an agent) count as agent-created tickets; 1 of "
        "them were resolved when sent (resolved_at = created_at)",
        "1 survey feedback conversation(s) (source 6) are their satisfaction rating's comment, "
        "not messages",
    ]
