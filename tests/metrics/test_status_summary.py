"""The status summary of `ticket_core`: from status changes when a ticket has them, else from the
history its `solved_at` / `closed_at` imply (see `status_events`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import pytest

from supportmetrics.facts.tickets import ticket_core


def _at(hour: int) -> datetime:
    return datetime(2024, 1, 1, hour)


_TICKETS: list[dict[str, Any]] = [
    # (ticket, solved_at, closed_at); status left empty so the history's last status shows.
    {"ticket_id": "D1", "solved_at": _at(10), "closed_at": _at(11)},
    {"ticket_id": "D2", "solved_at": _at(10), "closed_at": _at(10)},
    {"ticket_id": "D3", "solved_at": _at(10), "closed_at": _at(9)},
    {"ticket_id": "D4", "solved_at": None, "closed_at": _at(11)},
    {"ticket_id": "D5", "solved_at": None, "closed_at": None},
    {"ticket_id": "D6", "solved_at": _at(10), "closed_at": None},
    {"ticket_id": "D7", "solved_at": _at(12), "closed_at": None},
]
_EVENT_COLUMNS = ("ticket_id", "at", "type", "from_value", "to_value")
_EVENTS = [
    # D6 changed team but never status: its history is still derived from solved_at.
    ("D6", _at(9), "team", "a", "b"),
    ("D7", _at(10), "status", "new", "solved"),
    ("D7", _at(11), "status", "solved", "open"),
    ("D7", _at(11), "assignee", None, "x"),
]


@pytest.fixture(scope="module")
def facts() -> dict[str, dict[str, Any]]:
    tickets = ibis.memtable(
        [
            {**row, "created_at": _at(8), "status": None, "created_by": "customer"}
            for row in _TICKETS
        ],
        schema={
            "ticket_id": "string",
            "solved_at": "timestamp",
            "closed_at": "timestamp",
            "created_at": "timestamp",
            "status": "string",
            "created_by": "string",
        },
    )
    events = ibis.memtable(
        [
            {**dict(zip(_EVENT_COLUMNS, e, strict=True)), "event_id": f"E{i}"}
            for i, e in enumerate(_EVENTS)
        ],
        schema={
            "ticket_id": "string",
            "event_id": "string",
            "at": "timestamp",
            "type": "string",
            "from_value": "string",
            "to_value": "string",
        },
    )
    messages = ibis.memtable(
        {
            "message_id": ["M1"],
            "ticket_id": ["D7"],
            "created_at": [_at(9)],
            "author_type": ["agent"],
            "author_id": ["A1"],
            "public": [True],
            "automated": [False],
        }
    )
    tables = {"tickets": tickets, "ticket_events": events, "messages": messages}
    rows = ibis.duckdb.connect().to_pyarrow(ticket_core(tables.__getitem__)).to_pylist()
    return {row["ticket_id"]: row for row in rows}


@pytest.mark.parametrize(
    ("ticket", "status", "first_solved", "last_solved"),
    [
        ("D1", "closed", _at(10), _at(10)),
        ("D2", "solved", _at(10), _at(10)),  # closed as it was solved: the solve comes first
        ("D3", "solved", _at(10), _at(10)),  # closed before the solve: solved stays last
        ("D4", "closed", _at(11), _at(11)),
        ("D5", "new", None, None),
        ("D6", "solved", _at(10), _at(10)),
        ("D7", "open", _at(10), None),  # reopened: not solved now, solved_at unused
    ],
)
def test_status_summary(facts, ticket, status, first_solved, last_solved) -> None:
    row = facts[ticket]
    assert row["current_status"] == status
    assert row["first_solved_at"] == first_solved
    assert row["last_solved_at"] == last_solved
    assert row["ever_solved"] is (first_solved is not None)


def test_reopens_and_event_counts(facts) -> None:
    assert {t: facts[t]["reopens"] for t in facts} == {
        "D1": 0, "D2": 0, "D3": 0, "D4": 0, "D5": 0, "D6": 0, "D7": 1
    }  # fmt: skip
    assert facts["D6"]["transfers"] == 1
    assert facts["D7"]["reassignments"] == 0  # from nobody: an assignment, not a reassignment
    assert facts["D7"]["first_response_seconds"] == 3600.0
