"""Asterisk queue_log -> calls: the rows produced, hand-checked, and call metrics computed from them.

`fixtures/asterisk/queue_log` (newer layout, data1..data5, Mon 4 Mar 2024 from 09:00 UTC):
1709542810.1    support   waits 20 s (one agent rings unanswered), Agent/1001 talks 300 s
1709542900.3    support   caller hangs up after 45 s
1709543000.4    sales     times out after 60 s, goes on to support (#2): 10 s wait, 120 s talk,
                          blind transfer
1709545100.6    atención  30 s wait, 100 s talk, caller hangs up
1709545300.8    support   caller leaves with a key after 25 s
1709545400.9    support   queue empty: out after 2 s
1709546000.10   support   still waiting when the log ends (left out)
Agent/1001 logged in 09:00-09:53:20 (3200 s), paused 09:06:40-09:36:40 in two queues (1800 s);
Agent/1002 logged in 09:00-10:00 (3600 s).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app
from supportmetrics.sources import SourceError
from supportmetrics.sources.asterisk import SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "asterisk"
COLUMNS = (
    "call_id, strftime(queued_at, '%H:%M:%S'), outcome, strftime(answered_at, '%H:%M:%S'), "
    "strftime(ended_at, '%H:%M:%S'), queue, agent_id, talk_seconds, hold_seconds, transferred, "
    "exit_event, rings_unanswered"
)


def _calls(path: Path) -> list[tuple]:
    return duckdb.sql(
        f"SET TimeZone = 'UTC'; SELECT {COLUMNS} FROM '{path}' ORDER BY queued_at, call_id"
    ).fetchall()


def test_new_layout_calls(tmp_path) -> None:
    conversion = SOURCE.convert([str(FIXTURES / "queue_log")], tmp_path, "UTC")
    assert _calls(conversion.files["calls"]) == [
        ("1709542810.1", "09:00:10", "answered", "09:00:30", "09:05:30", "support", "Agent/1001",
         300, 0, False, "COMPLETEAGENT", 1),
        ("1709542900.3", "09:01:40", "abandoned", None, "09:02:25", "support", None,
         None, None, False, "ABANDON", 0),
        ("1709543000.4", "09:03:20", "timeout", None, "09:04:20", "sales", None,
         None, None, False, "EXITWITHTIMEOUT", 0),
        ("1709543000.4#2", "09:04:20", "answered", "09:04:30", "09:06:30", "support", "Agent/1002",
         120, 0, True, "BLINDTRANSFER", 0),
        ("1709545100.6", "09:38:20", "answered", "09:38:50", "09:40:30", "atención", "Agent/1001",
         100, 0, False, "COMPLETECALLER", 0),
        ("1709545300.8", "09:41:40", "abandoned", None, "09:42:05", "support", None,
         None, None, False, "EXITWITHKEY", 0),
        ("1709545400.9", "09:43:20", "timeout", None, "09:43:22", "support", None,
         None, None, False, "EXITEMPTY", 0),
    ]  # fmt: skip
    assert conversion.notes[:3] == [
        "calls: 7 call(s) offered to a queue",
        "left out 1 call(s) still waiting in a queue when the log ends",
        "ignored events that describe no call: ADDMEMBER x1, CONFIGRELOAD x1, QUEUESTART x1",
    ]
    assert conversion.details["agent_availability"] == [
        {"agent_id": "Agent/1001", "logged_in_seconds": 3200, "paused_seconds": 1800},
        {"agent_id": "Agent/1002", "logged_in_seconds": 3600, "paused_seconds": 0},
    ]
    # The two queues' PAUSE (and UNPAUSE) lines at the same second make one change.
    assert duckdb.sql(
        "SET TimeZone = 'UTC'; SELECT availability_id, strftime(started_at, '%H:%M:%S'), "
        f"strftime(ended_at, '%H:%M:%S'), state FROM '{conversion.files['agent_availability']}' "
        "ORDER BY agent_id, started_at"
    ).fetchall() == [
        ("Agent/1001|1709542800", "09:00:00", "09:06:40", "available"),
        ("Agent/1001|1709543200", "09:06:40", "09:36:40", "paused"),
        ("Agent/1001|1709545000", "09:36:40", "09:53:20", "available"),
        ("Agent/1002|1709542800", "09:00:00", "10:00:00", "available"),
    ]


def test_occupancy_from_the_queue_log(tmp_path) -> None:
    # Agent/1001 handled 300 + 100 s in 3200 s logged in (1800 s of them paused); Agent/1002
    # handled 120 s in 3600 s.
    conversion = SOURCE.convert([str(FIXTURES / "queue_log")], tmp_path / "out", "UTC")
    ws = supportmetrics.init(tmp_path / "ws")
    ws.ingest([tmp_path / "out"])
    try:
        assert ws.metric("occupancy").rows[0]["value"] == pytest.approx(520 / 6800)
        no_breaks = ws.metric("occupancy", variants={"paused": "exclude"}).rows[0]
        assert no_breaks["value"] == pytest.approx(520 / 5000)
        by_agent = ws.metric("occupancy", by=["agent"]).rows
        assert [(r["agent"], r["value"]) for r in by_agent] == [
            ("Agent/1001", pytest.approx(400 / 3200)),
            ("Agent/1002", pytest.approx(120 / 3600)),
        ]
    finally:
        ws.close()
    assert set(conversion.files) == {"calls", "agent_availability"}


def test_old_layout_and_a_call_begun_in_the_previous_log(tmp_path) -> None:
    # 1199181550.7 entered the queue in the rotated-out file: queued = CONNECT - holdtime (40 s).
    # Old EXITWITHTIMEOUT has only the position, so 1199181450.5, whose ENTERQUEUE is in that file
    # too, has no queue time and is left out. TRANSFER has extension|context|holdtime|calltime.
    conversion = SOURCE.convert([str(FIXTURES / "queue_log.old")], tmp_path, "UTC")
    assert _calls(conversion.files["calls"]) == [
        ("1199181550.7", "09:59:10", "answered", "09:59:50", "10:04:50", "helpdesk", "Agent/200",
         300, 0, False, "COMPLETECALLER", 0),
        ("1199181600.11", "10:00:00", "answered", "10:00:12", "10:01:40", "helpdesk", "Agent/201",
         88, 0, True, "TRANSFER", 0),
        ("1199181720.13", "10:02:00", "timeout", None, "10:03:00", "helpdesk", None,
         None, None, False, "EXITWITHTIMEOUT", 0),
        ("1199181800.14", "10:03:20", "abandoned", None, "10:03:29", "helpdesk", None,
         None, None, False, "ABANDON", 0),
    ]  # fmt: skip
    assert conversion.notes == [
        "calls: 4 call(s) offered to a queue",
        "left out 1 call(s) that entered the queue before the log starts and record no wait: "
        "give the earlier (rotated) log too",
    ]
    assert conversion.details["agent_availability"] == []


def test_realtime_times_are_read_in_the_workspace_zone(tmp_path) -> None:
    # 10:00 in Paris (UTC+1 in March before the switch) is 09:00 UTC.
    conversion = SOURCE.convert([str(FIXTURES / "queue_log.realtime")], tmp_path, "Europe/Paris")
    assert _calls(conversion.files["calls"]) == [
        ("1709542800.1", "09:00:00", "answered", "09:00:15", "09:02:15", "support", "PJSIP/alice",
         120, 0, False, "COMPLETEAGENT", 0),
    ]  # fmt: skip


def test_call_metrics(tmp_path) -> None:
    # Two files, one a rotated log as logrotate compresses it.
    rotated = tmp_path / "queue_log.1.gz"
    rotated.write_bytes(gzip.compress((FIXTURES / "queue_log.old").read_bytes()))
    out = tmp_path / "out"
    SOURCE.convert([str(FIXTURES / "queue_log"), str(rotated)], out, "UTC")
    ws = supportmetrics.init(tmp_path / "ws")
    try:
        ws.ingest([out])
        # Answered waits: 20, 10, 30 (2024) and 40, 12 (2008).
        assert [r["value"] for r in ws.metric("wait_time").rows] == [22.4]
        # Abandoned (hang-up or key): 45, 25 and 9.
        assert [
            r["value"] for r in ws.metric("wait_time", variants={"calls": "abandoned"}).rows
        ] == [pytest.approx(79 / 3)]
        by_queue = ws.metric("wait_time", by=["queue"]).rows
        assert [(r["queue"], r["value"]) for r in by_queue] == [
            ("atención", 30),
            ("helpdesk", 26),
            ("support", 15),
        ]
        # Talk + hold: 300, 120, 100, 300, 88.
        assert [r["value"] for r in ws.metric("handle_time").rows] == [181.6]
        # Offered: 5 answered, 3 abandoned (all after 5 s or more), 3 timed out.
        (abandoned,) = ws.metric("abandonment_rate").rows
        assert (abandoned["numerator"], abandoned["denominator"]) == (3, 11)
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("ticket_id,created_at,channel\nT1,2024-01-01,email\n", 1),
        ("1709542810|1.1|q|NONE|ENTERQUEUE||1|1\n\n1709542811|1.1|q|NONE|CONNECT|1\nhello\n", 4),
        ("1709542810,1.1,q,NONE,ENTERQUEUE\n", 1),
    ],
)
def test_not_a_queue_log(tmp_path, text, line) -> None:
    path = tmp_path / "queue_log"
    path.write_text(text)
    with pytest.raises(
        SourceError, match=f"this is not an Asterisk queue_log: expected .* at line {line}"
    ):
        SOURCE.convert([str(path)], tmp_path / "out", "UTC")


def test_missing_and_empty_files(tmp_path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        SOURCE.convert([str(tmp_path / "nope")], tmp_path / "out", "UTC")
    (tmp_path / "empty").write_text("")
    with pytest.raises(SourceError, match="the file is empty"):
        SOURCE.convert([str(tmp_path / "empty")], tmp_path / "out", "UTC")


def test_import_command(tmp_path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    log = str(FIXTURES / "queue_log")
    result = runner.invoke(app, ["import", "asterisk", log, "-w", str(ws), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["source"], report["rows_loaded"]) == ("asterisk", 7 + 4)  # calls, stretches
    assert "note: agent availability (2 agent(s)): 6800 s logged in, 1800 s paused" in " ".join(
        result.stderr.split()
    )
    twcs = str(FIXTURES.parent / "twitter" / "twcs.csv")
    wrong = runner.invoke(app, ["import", "asterisk", twcs, "-w", str(ws)])
    assert wrong.exit_code == 1
    message = " ".join(wrong.stderr.split())
    assert "twcs.csv: this is not an Asterisk queue_log: expected pipe-separated lines" in message
    assert "at line 1, found 'tweet_id,author_id," in message
    assert "nothing was written" in message
