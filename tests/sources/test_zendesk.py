"""Zendesk: API records in their real shapes -> canonical rows, metrics and the reconciliation.

The fixture (fixtures/zendesk, times UTC; the workspace runs on New York time, Mon-Fri 9-17):
101 email, first reply after 30 min, solved after 60; 102 chat, arrives Mon 16:30 local, trigger
auto-reply, first agent reply Tue 09:10 local, solved, reopened by the customer, private note, moved
Tier 2 -> Billing, solved again; 103 created by an agent on the customer's behalf, on hold; 104 closed
by merging it into 101; 105 deleted; 106 messaging, an answer-bot reply then an admin's after 30 min,
listed twice (incremental export) with the newer version open.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from supportmetrics.sources import SourceError, zendesk
from supportmetrics.sources._engine import connect, write_table
from tests.sources._canonical import FIXTURES, by_ticket, convert, load, rows

HERE = FIXTURES / "zendesk"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory):
    return convert("zendesk", tmp_path_factory.mktemp("zendesk"))


def test_tickets_map_channel_status_people_and_custom_fields(converted) -> None:
    columns = ("ticket_id", "created_at", "channel", "status", "priority", "issue_type")
    columns += ("customer_id", "assignee_id", "team", "created_by", "solved_at", "tags")
    assert rows(converted, "tickets", *columns) == [
        ("101", "2024-01-08T14:00:00Z", "email", "solved", "high", "question", "2001", "1001",
         "Billing", "customer", "2024-01-08T15:00:00Z", ["billing", "vip"]),
        ("102", "2024-01-08T21:30:00Z", "chat", "solved", "normal", "problem", "2002", "1001",
         "Billing", "customer", "2024-01-10T16:00:00Z", ["login"]),
        ("103", "2024-01-09T16:00:00Z", "web", "on_hold", None, None, "2001", "1001", None,
         "agent", None, []),
        ("104", "2024-01-10T14:00:00Z", "other", "closed", "low", "question", "2003", "1001",
         "Billing", "customer", None, ["closed_by_merge"]),
        ("106", "2024-01-11T15:00:00Z", "messaging", "open", "urgent", None, "2002", "1002",
         "Tier 2", "customer", None, ["messaging"]),
    ]  # fmt: skip
    custom = ("ticket_id", "organization", "field_360001", "field_360002", "field_360003")
    assert rows(converted, "tickets", *custom) == [
        ("101", "701", "refund", None, "eu;de"),
        ("102", None, "access", "3", None),
        ("103", "701", None, None, None),
        ("104", None, None, None, None),
        ("106", None, None, None, None),
    ]


def test_comments_become_messages_by_role_privacy_and_via(converted) -> None:
    columns = ("message_id", "ticket_id", "created_at", "author_type", "author_id", "public")
    assert rows(converted, "messages", *columns, "automated") == [
        ("9001", "101", "2024-01-08T14:00:00Z", "customer", "2001", True, False),
        ("9002", "101", "2024-01-08T14:30:00Z", "agent", "1001", True, False),
        ("9101", "102", "2024-01-08T21:30:00Z", "customer", "2002", True, False),
        ("9102", "102", "2024-01-08T21:40:00Z", "system", "-1", True, True),
        ("9103", "102", "2024-01-09T14:10:00Z", "agent", "1001", True, False),
        ("9104", "102", "2024-01-10T13:00:00Z", "customer", "2002", True, False),
        ("9105", "102", "2024-01-10T13:30:00Z", "agent", "1001", False, False),
        ("9106", "102", "2024-01-10T16:00:00Z", "agent", "1001", True, False),
        ("9201", "103", "2024-01-09T16:00:00Z", "agent", "1001", True, False),
        ("9202", "103", "2024-01-09T17:00:00Z", "customer", "2001", True, False),
        ("9203", "103", "2024-01-09T18:00:00Z", "agent", "1001", True, False),
        ("9301", "104", "2024-01-10T14:00:00Z", "customer", "2003", True, False),
        ("9302", "104", "2024-01-10T14:20:00Z", "agent", "1001", False, False),
        ("9501", "106", "2024-01-11T15:00:00Z", "customer", "2002", True, False),
        ("9502", "106", "2024-01-11T15:01:00Z", "bot", "-1", True, False),
        ("9503", "106", "2024-01-11T15:30:00Z", "agent", "1002", True, False),
    ]


def test_audits_give_the_history_and_merges(converted) -> None:
    events = rows(converted, "ticket_events", "ticket_id", "at", "type", "from_value", "to_value")
    assert [e for e in events if e[0] == "102"] == [
        ("102", "2024-01-08T21:30:00Z", "priority", None, "normal"),
        ("102", "2024-01-08T21:30:00Z", "status", None, "new"),
        ("102", "2024-01-08T21:30:00Z", "team", None, "Tier 2"),
        ("102", "2024-01-09T14:10:00Z", "assignee", None, "1001"),
        ("102", "2024-01-09T14:10:00Z", "status", "new", "open"),
        ("102", "2024-01-09T15:00:00Z", "status", "open", "solved"),
        ("102", "2024-01-10T13:00:00Z", "status", "solved", "open"),
        ("102", "2024-01-10T13:30:00Z", "team", "Tier 2", "Billing"),
        ("102", "2024-01-10T16:00:00Z", "status", "open", "solved"),
    ]
    assert [e for e in events if e[0] in ("103", "104")] == [
        ("103", "2024-01-09T16:00:00Z", "assignee", None, "1001"),
        ("103", "2024-01-09T16:00:00Z", "status", None, "on_hold"),
        ("104", "2024-01-10T14:00:00Z", "status", None, "new"),
        ("104", "2024-01-10T14:20:00Z", "merge", "104", None),
        ("104", "2024-01-10T14:20:00Z", "status", "new", "closed"),
    ]
    assert len(events) == 24


def test_users_ratings_and_what_was_skipped(converted) -> None:
    assert rows(converted, "agents") == [
        ("1001", "Ana Agent", "Billing"),
        ("1002", "Bo Admin", None),
    ]
    assert rows(converted, "customers") == [
        ("2001", "701", "2023-05-01T12:00:00Z"),
        ("2002", None, "2023-06-01T00:00:00Z"),
        ("2003", None, "2023-07-01T00:00:00Z"),
    ]
    assert rows(
        converted, "surveys", "response_id", "score", "scale_max", "submitted_at", "invitation_id"
    ) == [("801", 1, 1, "2024-01-08T16:00:00Z", "801")]  # a rating is its own invitation
    assert rows(converted, "survey_invitations", "invitation_id", "ticket_id") == [
        ("801", "101"),
        ("802", "102"),
    ]
    assert converted.notes == [
        "1 deleted ticket(s) skipped, with their comments and events",
        "1 comments skipped: their ticket is not among the imported tickets (deleted, or outside "
        "the export)",
        "1 events skipped: their ticket is not among the imported tickets (deleted, or outside "
        "the export)",
        "1 ratings skipped: their ticket is not among the imported tickets (deleted, or outside "
        "the export)",
    ]


def test_metrics_from_the_import(converted, tmp_path: Path) -> None:
    ws = load(converted, tmp_path)
    facts = by_ticket(ws, "first_response_seconds", "first_response_business_seconds", "reopens")
    assert facts == {
        "101": (1800, 1800, 0),
        "102": (60000, 2400, 1),  # Mon 16:30 -> Tue 09:10 local: 16 h 40 min, 40 business min
        "103": (None, None, 0),  # agent-created: no first response by default
        "104": (None, None, 0),
        "106": (1800, 1800, 0),  # the answer bot's reply does not count
    }
    frt = ws.metric("first_response_time").rows
    assert frt[0]["value"] == (1800 + 60000 + 1800) / 3 and frt[0]["n"] == 3
    resolution = ws.metric("resolution_time", clock="business").rows[0]
    assert resolution["n"] == 3  # 101: 60 min; 102: 30 + 480 + 120 min; 104: 20 min (merged)
    assert resolution["value"] == (3600 + 630 * 60 + 1200) / 3
    reopen = ws.metric("reopen_rate").rows[0]
    assert (reopen["numerator"], reopen["denominator"]) == (1, 3)
    assert ws.metric("survey_response_rate").rows[0]["value"] == 0.5


def test_reconciliation_against_zendesk_ticket_metrics(converted, tmp_path: Path) -> None:
    ws = load(converted, tmp_path)
    assert zendesk.SOURCE.reconcile is not None
    lines = zendesk.SOURCE.reconcile(converted, ws)
    assert lines[:5] == [
        "reconciliation with Zendesk's ticket_metrics (match = within 1 minute):",
        "  first reply (calendar): 4 tickets, 2 match, 2 differ",
        "  first reply (business): 4 tickets, 2 match, 2 differ",
        "  full resolution (calendar): 4 tickets, 4 match, 0 differ",
        "  full resolution (business): 4 tickets, 3 match, 1 differ",
    ]
    differences = {
        (d["ticket_id"], d["measure"]): (d["ours_minutes"], d["zendesk_minutes"], d["why"][:24])
        for d in converted.details["reconciliation"]["differences"]
    }
    assert differences == {
        ("103", "first reply (calendar)"): (None, 120.0, "agent-created ticket: th"),
        ("103", "first reply (business)"): (None, 120.0, "agent-created ticket: th"),
        ("106", "first reply (calendar)"): (30.0, 1.0, "a bot replied first: Zen"),
        ("106", "first reply (business)"): (30.0, 1.0, "a bot replied first: Zen"),
        ("102", "full resolution (business)"): (630.0, 600.0, "calendar minutes agree: "),
    }


def _tickets(path: Path = HERE / "tickets.json") -> list[dict]:
    return json.loads(path.read_text())["tickets"]


@pytest.mark.parametrize("shape", ["jsonl", "array", "airbyte", "singer"])
def test_every_file_shape_gives_the_same_tickets(shape: str, tmp_path: Path, converted) -> None:
    records = _tickets()
    if shape == "jsonl":
        text = "".join(json.dumps(r) + "\n" for r in records)
    elif shape == "array":
        text = json.dumps(records)
    elif shape == "airbyte":
        text = "".join(
            json.dumps({"_airbyte_ab_id": str(i), "_airbyte_emitted_at": 1, "_airbyte_data": r})
            + "\n"
            for i, r in enumerate(records)
        )
    else:
        lines = [{"type": "SCHEMA", "stream": "tickets", "schema": {}, "key_properties": ["id"]}]
        lines += [{"type": "RECORD", "stream": "tickets", "record": r} for r in records]
        lines += [{"type": "STATE", "value": {"bookmarks": {}}}]
        text = "".join(json.dumps(line) + "\n" for line in lines)
    name = "_airbyte_raw_tickets.jsonl" if shape == "airbyte" else "tickets.jsonl"
    (tmp_path / name).write_text(text, encoding="utf-8")
    again = convert("zendesk", tmp_path / "run", tmp_path / name)
    columns = ("ticket_id", "created_at", "channel", "status", "tags")
    assert rows(again, "tickets", *columns) == rows(converted, "tickets", *columns)


def test_a_records_kind_is_told_by_its_fields_when_the_name_says_nothing(tmp_path: Path) -> None:
    shutil.copy(HERE / "ticket_audits.jsonl", tmp_path / "export-0001.jsonl")
    conversion = convert("zendesk", tmp_path / "run", tmp_path / "export-0001.jsonl")
    assert set(conversion.files) == {"messages", "ticket_events"}
    assert len(rows(conversion, "messages")) == 17  # ticket 105's comment too: no tickets given


def test_users_file_given_as_tickets_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tickets.json"
    path.write_text((HERE / "users.json").read_text().replace('"users"', '"tickets"'))
    with pytest.raises(SourceError) as error:
        convert("zendesk", tmp_path / "run", path)
    assert str(error.value) == (
        "this is not a Zendesk tickets export: expected each record to have id, created_at, "
        f'status, via; {path} "tickets" record 1 has no status, via (its fields: active, '
        "created_at, default_group_id, email, id, name, role, time_zone)"
    )
    assert not (tmp_path / "run" / "out").exists()


def test_freshdesk_tickets_are_not_zendesk_tickets(tmp_path: Path) -> None:
    path = FIXTURES / "freshdesk" / "tickets.json"
    with pytest.raises(SourceError, match="this is not a Zendesk tickets export: expected") as e:
        convert("zendesk", tmp_path, path)
    assert "record 1 has no via" in str(e.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,created_at\n1,2024-01-01\n", "expected JSON records ([...] or one {...} per line)"),
        ('{"id": 1, "created_at": ', "is not valid JSON or JSON Lines"),
        ("", "the file is empty"),
        ('{"foo": 1}\n', "cannot tell which records"),
    ],
)
def test_not_json_records(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(text)
    with pytest.raises(SourceError, match=re.escape(message)):
        convert("zendesk", tmp_path, path)


def test_an_engine_error_while_writing_names_the_table(tmp_path: Path) -> None:
    with connect("UTC") as con, pytest.raises(SourceError) as error:
        write_table(con, "SELECT CAST('x' AS INTEGER) AS n", tmp_path, "tickets")
    assert str(error.value).startswith("cannot convert the tickets table: Could not convert")
    assert not (tmp_path / "tickets.parquet").exists()


def test_timestamps_without_offset_are_in_the_workspace_zone(tmp_path: Path) -> None:
    ticket = {**_tickets()[0], "created_at": "2024-01-08 09:00:00"}
    (tmp_path / "tickets.jsonl").write_text(json.dumps(ticket) + "\n")
    conversion = convert("zendesk", tmp_path / "run", tmp_path / "tickets.jsonl")
    assert rows(conversion, "tickets", "ticket_id", "created_at") == [
        ("101", "2024-01-08T14:00:00Z")
    ]


def test_a_ticket_time_that_is_no_timestamp(tmp_path: Path) -> None:
    ticket = {**_tickets()[0], "created_at": "gestern"}
    (tmp_path / "tickets.jsonl").write_text(json.dumps(ticket) + "\n")
    with pytest.raises(SourceError) as error:
        convert("zendesk", tmp_path / "run", tmp_path / "tickets.jsonl")
    assert str(error.value) == (
        "Zendesk ticket 101: created_at 'gestern' is not a timestamp; expected ISO 8601 such as "
        "2024-05-01T14:03:00Z (without an offset: the workspace's time zone)"
    )


def test_a_custom_field_id_with_quotes_is_a_column_name_not_sql(tmp_path: Path) -> None:
    records = _tickets()
    records[0]["custom_fields"] = [{"id": 'x" , 1 AS "y', "value": "refund"}]
    (tmp_path / "tickets.json").write_text(json.dumps({"tickets": records}), encoding="utf-8")
    conversion = convert("zendesk", tmp_path / "run", tmp_path / "tickets.json")
    assert rows(conversion, "tickets", "ticket_id", 'field_x" , 1 AS "y')[0] == ("101", "refund")
