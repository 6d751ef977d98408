"""Half-hour periods: local 30-minute slots, in a zone with a :30 offset and across clock changes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from supportmetrics.query.periods import covered, floor, label, next_start
from tests.metrics.conftest import make_workspace

# Asia/Kolkata is UTC+05:30 all year, so a UTC half hour is a local one shifted by :30.
# local queued: C1 09:10, C2 09:25, C3 09:30 (abandons after 60 s), C4 09:59:59, C5 10:00.
# C4 waits 10 s and is answered at 10:00:09 local: its handle time is filed in the 10:00 slot.
KOLKATA_CALLS = """call_id,queued_at,outcome,answered_at,ended_at,direction,queue,agent_id,talk_seconds
C1,2024-01-01T03:40:00Z,answered,2024-01-01T03:40:20Z,2024-01-01T03:45:00Z,inbound,q,A1,280
C2,2024-01-01T03:55:00Z,answered,2024-01-01T03:56:00Z,2024-01-01T03:59:20Z,inbound,q,A2,200
C3,2024-01-01T04:00:00Z,abandoned,,2024-01-01T04:01:00Z,inbound,q,,
C4,2024-01-01T04:29:59Z,answered,2024-01-01T04:30:09Z,2024-01-01T04:31:49Z,inbound,q,A1,100
C5,2024-01-01T04:30:00Z,answered,2024-01-01T04:30:30Z,2024-01-01T04:37:10Z,inbound,q,A2,400
"""

# America/New_York on Sunday 10 March 2024: 02:00 EST (07:00Z) jumps to 03:00 EDT.
# T1 01:45 EST - 03:20 EDT, T2 01:50 EST - 03:40 EDT, T3 03:10 EDT - still open.
NEW_YORK_TICKETS = """ticket_id,created_at,channel,status,solved_at
T1,2024-03-10T06:45:00Z,email,solved,2024-03-10T07:20:00Z
T2,2024-03-10T06:50:00Z,email,solved,2024-03-10T07:40:00Z
T3,2024-03-10T07:10:00Z,email,open,
"""


@pytest.fixture
def kolkata(tmp_path):
    ws = make_workspace(tmp_path, timezone="Asia/Kolkata", calls=KOLKATA_CALLS)
    yield ws
    ws.close()


@pytest.fixture
def new_york(tmp_path):
    ws = make_workspace(tmp_path, timezone="America/New_York", tickets=NEW_YORK_TICKETS)
    yield ws
    ws.close()


def test_half_hour_boundaries_labels_and_steps() -> None:
    assert floor(datetime(2024, 1, 1, 9, 59, 59), "half_hour") == datetime(2024, 1, 1, 9, 30)
    assert floor(datetime(2024, 1, 1, 9, 29), "half_hour") == datetime(2024, 1, 1, 9, 0)
    assert label(datetime(2024, 1, 1, 9, 30), "half_hour") == "2024-01-01T09:30"
    assert label(datetime(2024, 1, 1, 9, 0), "hour") == "2024-01-01T09:00"
    assert next_start(datetime(2024, 1, 1, 23, 30), "half_hour") == datetime(2024, 1, 2)
    # the data covers from the start of its first half hour to its last timestamp
    first, last = datetime(2024, 1, 1, 3, 40), datetime(2024, 1, 1, 4, 37, 10)
    assert covered(first, last, "Asia/Kolkata", "half_hour") == (
        datetime(2024, 1, 1, 9, 0),
        datetime(2024, 1, 1, 10, 7, 10),
    )


def test_counts_and_durations_per_local_half_hour_at_a_half_hour_offset(kolkata) -> None:
    offered = kolkata.metric("abandonment_rate", period="half_hour").rows
    assert [(r["period"], r["numerator"], r["denominator"]) for r in offered] == [
        ("2024-01-01T09:00", 0, 2),
        ("2024-01-01T09:30", 1, 2),
        ("2024-01-01T10:00", 0, 1),
    ]
    handle = kolkata.metric("handle_time", period="half_hour").rows
    # 09:00: C1 280 s and C2 200 s; 10:00: C4 (answered 10:00:09) 100 s and C5 400 s
    assert [(r["period"], r["value"], r["n"]) for r in handle] == [
        ("2024-01-01T09:00", 240.0, 2),
        ("2024-01-01T10:00", 250.0, 2),
    ]
    waits = kolkata.metric("wait_time", period="half_hour").rows
    assert [(r["period"], r["value"]) for r in waits] == [
        ("2024-01-01T09:00", 40.0),  # 20 s and 60 s
        ("2024-01-01T09:30", 10.0),  # C4 (C3 abandoned)
        ("2024-01-01T10:00", 30.0),
    ]
    # the last slot is cut short by the data's end (10:07:10), the others are whole
    assert [r["partial"] for r in offered] == [False, False, True]
    hourly = kolkata.metric("abandonment_rate", period="hour").rows
    assert [(r["period"], r["denominator"]) for r in hourly] == [
        ("2024-01-01T09:00", 4),
        ("2024-01-01T10:00", 1),
    ]


def test_half_hours_on_the_day_the_clocks_go_forward(new_york) -> None:
    created = new_york.metric("ticket_volume", period="half_hour").rows
    assert [(r["period"], r["value"]) for r in created] == [
        ("2024-03-10T01:30", 2),
        ("2024-03-10T03:00", 1),
    ]
    day = date(2024, 3, 10)
    backlog = new_york.metric("backlog", period="half_hour", start=day, end=day).rows
    at_end = {r["period"]: r["value"] for r in backlog}
    # at 02:00 EST (= 03:00 EDT, the end of the 01:30 slot): T1 and T2 open
    assert at_end["2024-03-10T01:30"] == 2
    # at 03:30 EDT: T1 solved at 03:20, T2 and T3 open; at 04:00: T2 solved at 03:40
    assert (at_end["2024-03-10T03:00"], at_end["2024-03-10T03:30"]) == (2, 1)
    assert at_end["2024-03-10T23:30"] == 1
    assert backlog[0]["period"] == "2024-03-10T01:30"  # the slot of the first change


def test_the_command_line_takes_half_hours(kolkata) -> None:
    from typer.testing import CliRunner

    from supportmetrics.cli import app

    args = ["metric", "abandonment_rate", "--period", "half_hour", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "--workspace", str(kolkata.root)])
    assert result.exit_code == 0, result.output
    assert '"period": "2024-01-01T09:30"' in result.output
