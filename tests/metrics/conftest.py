"""A small hand-made support team whose every metric is worked out by hand in the tests.

Eight tickets, UTC workspace (so local = UTC), Mon 1 - Thu 4 January 2024:
T1 email  09:00 Mon  customer 09:00, agent 10:00, agent 12:00; open 09:30, solved 12:00
T2 chat   10:00 Mon  no reply, no history: still open
T3 chat   08:00 Tue  agent 07:50 (before creation), customer 08:00, agent 08:05; solved 08:30,
                     reopened 09:00, solved 10:00, closed 10:30, reopened 11:00, solved 12:00
T4 email  09:00 Tue  agent-created: agent 09:00, customer 10:00, agent 11:00; solved_at 12:00
T5 chat   10:00 Wed  bot 10:01 only; solved_at 10:05
T6 email  11:00 Wed  internal note 11:30 only; still open (pending)
T7 email  12:00 Wed  automated agent auto-reply 12:00:05 only; solved_at 13:00
T8 web    09:00 Thu  customer 09:00, agent 09:30; solved_at 10:00, closed_at Fri 09:00
"""

from __future__ import annotations

from pathlib import Path

import pytest

import supportmetrics

TICKETS = """ticket_id,created_at,channel,status,priority,team,customer_id,created_by,solved_at,closed_at,issue_type
T1,2024-01-01T09:00:00Z,email,solved,high,billing,C1,customer,,,billing
T2,2024-01-01T10:00:00Z,chat,open,low,billing,C2,customer,,,billing
T3,2024-01-02T08:00:00Z,chat,solved,normal,tech,C3,customer,,,bug
T4,2024-01-02T09:00:00Z,email,solved,normal,tech,C1,agent,2024-01-02T12:00:00Z,,billing
T5,2024-01-03T10:00:00Z,chat,solved,low,tech,C4,customer,2024-01-03T10:05:00Z,,how_to
T6,2024-01-03T11:00:00Z,email,pending,normal,billing,C5,customer,,,billing
T7,2024-01-03T12:00:00Z,email,solved,low,billing,C6,customer,2024-01-03T13:00:00Z,,billing
T8,2024-01-04T09:00:00Z,web,closed,urgent,tech,C7,customer,2024-01-04T10:00:00Z,2024-01-05T09:00:00Z,bug
"""

MESSAGES = """message_id,ticket_id,created_at,author_type,author_id,public,automated
M1,T1,2024-01-01T09:00:00Z,customer,,true,false
M2,T1,2024-01-01T10:00:00Z,agent,A1,true,false
M3,T1,2024-01-01T12:00:00Z,agent,A1,true,false
M4,T3,2024-01-02T07:50:00Z,agent,A2,true,false
M5,T3,2024-01-02T08:00:00Z,customer,,true,false
M6,T3,2024-01-02T08:05:00Z,agent,A2,true,false
M7,T4,2024-01-02T09:00:00Z,agent,A2,true,false
M8,T4,2024-01-02T10:00:00Z,customer,,true,false
M9,T4,2024-01-02T11:00:00Z,agent,A2,true,false
M10,T5,2024-01-03T10:01:00Z,bot,,true,false
M11,T6,2024-01-03T11:30:00Z,agent,A1,false,false
M12,T7,2024-01-03T12:00:05Z,agent,A1,true,true
M13,T8,2024-01-04T09:00:00Z,customer,,true,false
M14,T8,2024-01-04T09:30:00Z,agent,A3,true,false
"""

EVENTS = """event_id,ticket_id,at,type,from_value,to_value
E1,T1,2024-01-01T09:30:00Z,status,new,open
E2,T1,2024-01-01T12:00:00Z,status,open,solved
E3,T3,2024-01-02T08:30:00Z,status,new,solved
E4,T3,2024-01-02T09:00:00Z,status,solved,open
E5,T3,2024-01-02T10:00:00Z,status,open,solved
E6,T3,2024-01-02T10:30:00Z,status,solved,closed
E7,T3,2024-01-02T11:00:00Z,status,closed,open
E8,T3,2024-01-02T12:00:00Z,status,open,solved
E9,T6,2024-01-03T11:30:00Z,status,new,pending
"""


def make_workspace(root: Path, timezone: str = "UTC", **files: str) -> supportmetrics.Workspace:
    """A workspace in `root` loaded with `files` (table name -> CSV text)."""
    ws = supportmetrics.init(root / "ws", timezone=timezone)
    data = root / "data"
    data.mkdir()
    for name, text in files.items():
        (data / f"{name}.csv").write_text(text)
    ws.ingest([data])
    return ws


@pytest.fixture
def team(tmp_path: Path):
    ws = make_workspace(tmp_path, tickets=TICKETS, messages=MESSAGES, ticket_events=EVENTS)
    yield ws
    ws.close()


def values(result, key: str = "value") -> list:
    return [row[key] for row in result.rows]
