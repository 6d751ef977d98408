"""Zendesk records that lack something: closed tickets without history, people missing from users,
and a batch of comments for tickets already in the store (hand-made records, hand-checked rows)."""

from __future__ import annotations

import json
from pathlib import Path

import supportmetrics
from supportmetrics.sources import zendesk
from supportmetrics.sources.incremental import import_records
from tests.sources._canonical import TIMEZONE, convert, rows


def _ticket(id_: int, status: str, requester: int, submitter: int, **extra: object) -> dict:
    return {
        "id": id_,
        "created_at": "2024-01-08T10:00:00Z",
        "updated_at": "2024-01-09T12:00:00Z",
        "via": {"channel": "web"},
        "status": status,
        "requester_id": requester,
        "submitter_id": submitter,
        **extra,
    }


def _write(folder: Path, name: str, records: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_closed_ticket_without_history_gets_an_estimated_solve_time(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    _write(
        folder,
        "tickets",
        [_ticket(1, "closed", 20, 20), _ticket(2, "open", 20, 20), _ticket(3, "solved", 20, 20)],
    )
    _write(
        folder,
        "ticket_audits",
        [
            {
                "id": 31,
                "ticket_id": 3,
                "created_at": "2024-01-08T11:00:00Z",
                "author_id": 900,
                "events": [
                    {
                        "id": 311,
                        "type": "Change",
                        "field_name": "status",
                        "value": "solved",
                        "previous_value": "open",
                    }
                ],
            }
        ],
    )
    conversion = convert("zendesk", tmp_path / "run", folder)
    assert rows(conversion, "tickets", "ticket_id", "status", "solved_at") == [
        ("1", "closed", "2024-01-09T12:00:00Z"),  # estimated: its last update
        ("2", "open", None),
        ("3", "solved", None),  # its status history tells
    ]
    assert (
        "1 solved or closed ticket(s) have no status history (ticket_audits) and no "
        "ticket_metrics: their solve time is estimated as their last update (updated_at); "
        "add ticket_audits or ticket_metrics for exact solve times"
    ) in conversion.notes
    ws = supportmetrics.init(tmp_path / "ws", timezone=TIMEZONE)
    ws.ingest(list(conversion.files.values()))
    facts = {r["ticket_id"]: r for r in ws.facts("tickets").to_pylist()}
    assert facts["1"]["ever_solved"] is True
    assert facts["1"]["last_solved_at"].isoformat().startswith("2024-01-09T12:00:00")  # UTC
    assert facts["3"]["ever_solved"] is True and facts["2"]["ever_solved"] is False


def test_a_submitter_missing_from_users_is_an_agent_unless_the_requester(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    _write(folder, "tickets", [_ticket(1, "open", 20, 901), _ticket(2, "open", 21, 21)])
    _write(folder, "users", [{"id": 20, "role": "end-user", "email": "c@example.com"}])
    conversion = convert("zendesk", tmp_path / "run", folder)
    assert rows(conversion, "tickets", "ticket_id", "created_by") == [
        ("1", "agent"),  # 901 is not in users and is not the requester
        ("2", "customer"),
    ]


def _comment(id_: int, ticket: int, author: int, at: str) -> dict:
    return {
        "id": id_,
        "ticket_id": ticket,
        "created_at": at,
        "author_id": author,
        "public": True,
        "body": "...",
    }


def test_comments_of_stored_tickets_take_their_requester_without_users(tmp_path: Path) -> None:
    """Tickets ingested as canonical rows (not through this importer), then a batch of comments:
    the requester's comment is the customer's, the other the agent's first reply."""
    ws = supportmetrics.init(tmp_path / "ws", timezone=TIMEZONE)
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,created_at,channel,customer_id,created_by\n"
        "7,2024-01-08T10:00:00Z,web,20,customer\n"
    )
    ws.ingest([tmp_path / "tickets.csv"])
    folder = tmp_path / "batch"
    _write(
        folder,
        "ticket_comments",
        [
            _comment(71, 7, 20, "2024-01-08T10:00:00Z"),
            _comment(72, 7, 900, "2024-01-08T10:30:00Z"),
            _comment(81, 8, 20, "2024-01-08T10:00:00Z"),  # ticket 8 is nowhere yet
        ],
    )
    imported = import_records(ws, "zendesk", [str(folder)])
    assert imported.report is not None
    con = ws.read()
    messages = con.execute("SELECT message_id, author_type FROM messages ORDER BY 1").fetchall()
    con.close()
    assert messages == [
        ("71", "customer"),
        ("72", "agent"),
    ]
    assert imported.conversion.notes == [
        "1 comments skipped: their ticket is in neither the batch nor the store (deleted, or not "
        "exported yet); they are kept and attach when it is imported",
        "2 comment(s) by authors missing from users: the ticket's requester counts as the "
        "customer, anyone else as an agent (add users.json so that roles decide)",
    ]
    assert ws.metric("first_response_time").rows[0]["value"] == 1800.0


def test_an_empty_reconciliation_says_nothing_overlapped(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    _write(folder, "tickets", [_ticket(1, "open", 20, 20), _ticket(2, "open", 20, 20)])
    metrics = {
        "ticket_id": 99,
        "solved_at": None,
        "reply_time_in_minutes": {"calendar": 5, "business": 5},
        "full_resolution_time_in_minutes": {"calendar": None, "business": None},
    }
    _write(folder, "ticket_metrics", [metrics])
    ws = supportmetrics.init(tmp_path / "ws", timezone=TIMEZONE)
    imported = import_records(ws, "zendesk", [str(folder)])
    assert imported.report is not None
    conversion = convert("zendesk", tmp_path / "run", folder)
    ws.close()
    assert zendesk.SOURCE.reconcile is not None
    assert zendesk.SOURCE.reconcile(conversion, ws) == [
        "reconciliation with Zendesk's ticket_metrics: nothing to compare, no ticket is in both: "
        "the 2 imported ticket(s) and the 1 ticket_metrics record(s) share no ticket_id. Export "
        "ticket_metrics for the same tickets (the same date range or incremental cursor) to compare"
    ]
