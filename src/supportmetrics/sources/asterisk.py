"""Asterisk `queue_log` files -> `calls`, one row per call offered to a queue.

Each line is `time|callid|queue|agent|event|data...`: the old layout (data1..data3, or one `data`
field holding `a|b|c`) and the newer one (data1..data5) split the same way on `|`. `time` is epoch
seconds (UTC), or `YYYY-MM-DD HH:MM:SS` as realtime exports write it (read in the workspace's time
zone). Field meanings follow the Asterisk queue log documentation:

    ENTERQUEUE(url|callerid)                CONNECT(holdtime|bridgedchanneluniqueid|ringtime)
    ABANDON(position|origposition|waittime) EXITWITHTIMEOUT(position|origposition|waittime)
    EXITEMPTY(position|origposition|waittime)  EXITWITHKEY(key|position|origposition|waittime)
    COMPLETEAGENT / COMPLETECALLER(holdtime|calltime|origposition)
    TRANSFER / BLINDTRANSFER(extension|context|holdtime|calltime|origposition)
    ATTENDEDTRANSFER(method|method-data|holdtime|calltime|origposition)
    RINGNOANSWER(ringtime)  AGENTLOGIN / AGENTLOGOFF  PAUSE / UNPAUSE (PAUSEALL / UNPAUSEALL)

A call is every event of one callid from its ENTERQUEUE to the next one (a call sent on to a
second queue is a second call, `<callid>#2`). "holdtime" in the log is the time waiting in the
queue, so it is the wait, not canonical hold time: hold_seconds is 0 for answered calls (the log
does not record hold during the conversation). Agent availability (logins, pauses) has no
canonical table yet: its totals are reported in the conversion's notes and details.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import duckdb

from supportmetrics.sources._engine import connect, write_table
from supportmetrics.sources.base import Conversion, Source, SourceError
from supportmetrics.store import sql_literal

__all__ = ["SOURCE", "convert"]

FIELDS = 12
"""Fields read per line: time, callid, queue, agent, event and up to seven data fields."""
DATA_FIELDS = 5
"""Data fields kept: no event this source reads uses more than data1..data5."""
SNIFF_BYTES = 64 * 1024
HEAD_LINES = 50
"""Lines checked up front for the queue_log shape, so a wrong file fails with its line number."""
EXPECTED = (
    "pipe-separated lines time|callid|queue|agent|event|data..., "
    "e.g. 1366720340|1366720340.303267|support|SIP/8007|CONNECT|12|1366720328.77|3"
)
_TIME = re.compile(r"\d{9,11}(\.\d+)?|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?")
_EVENT = re.compile(r"[A-Z][A-Z_]*")

EXITS = {
    # event: (outcome, data field holding the wait in the queue)
    "ABANDON": ("abandoned", "d3"),
    "EXITWITHKEY": ("abandoned", "d4"),
    "EXITWITHTIMEOUT": ("timeout", "d3"),
    "EXITEMPTY": ("timeout", "d3"),
}
ENDS = {
    # event: (data field holding the wait, data field holding the talk time)
    "COMPLETEAGENT": ("d1", "d2"),
    "COMPLETECALLER": ("d1", "d2"),
    "TRANSFER": ("d3", "d4"),
    "BLINDTRANSFER": ("d3", "d4"),
    "ATTENDEDTRANSFER": ("d3", "d4"),
}
TRANSFERS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
CALL_EVENTS = ("ENTERQUEUE", "CONNECT", "RINGNOANSWER", *EXITS, *ENDS)
STATES = {
    # availability event: (state, the state it sets: 1 in / 0 out)
    "AGENTLOGIN": ("login", 1),
    "AGENTCALLBACKLOGIN": ("login", 1),
    "AGENTLOGOFF": ("login", 0),
    "AGENTCALLBACKLOGOFF": ("login", 0),
    "PAUSE": ("pause", 1),
    "PAUSEALL": ("pause", 1),
    "UNPAUSE": ("pause", 0),
    "UNPAUSEALL": ("pause", 0),
}


def _check_head(path: Path) -> None:
    """SourceError unless the first lines of `path` (gzip-compressed or not) are queue_log lines."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: cannot read the file: {exc}") from None
    if not head.strip():
        raise SourceError(f"{path}: the file is empty; expected an Asterisk queue_log ({EXPECTED})")
    lines = head.decode("utf-8", errors="replace").split("\n")
    if len(head) == SNIFF_BYTES:
        lines.pop()  # may be cut short
    for number, line in enumerate(lines[:HEAD_LINES], start=1):
        fields = line.rstrip("\r").split("|")
        if not line.strip():
            continue
        if len(fields) < 5 or not _TIME.fullmatch(fields[0]) or not _EVENT.fullmatch(fields[4]):
            raise SourceError(
                f"{path}: this is not an Asterisk queue_log: expected {EXPECTED} at line {number}, "
                f"found {line[:120]!r}. Give the queue_log file itself (by default "
                "/var/log/asterisk/queue_log)."
            )


def _stage(con: duckdb.DuckDBPyConnection, paths: Sequence[Path], timezone: str) -> None:
    """Table `ql`: one row per non-empty line, in file order (`rec`), its fields typed; a line
    repeated word for word (a log given again after it grew, overlapping rotations) is read once."""
    columns = "{" + ", ".join(f"'f{i}': 'VARCHAR'" for i in range(FIELDS)) + "}"
    files = "[" + ", ".join(sql_literal(p) for p in paths) + "]"
    data = ", ".join(f"NULLIF(TRIM(f{i + 4}), '') AS d{i}" for i in range(1, DATA_FIELDS + 1))
    none = "('', 'NONE', 'REALTIME')"
    con.execute(
        f"""
        CREATE TEMP TABLE ql AS
        SELECT * FROM (SELECT row_number() OVER () AS rec, * FROM (
            SELECT CASE WHEN regexp_full_match(f0, '\\d+(\\.\\d+)?') THEN to_timestamp(f0::DOUBLE)
                        ELSE timezone({sql_literal(timezone)}, TRY_CAST(f0 AS TIMESTAMP)) END AS ts,
                   CASE WHEN TRIM(f1) NOT IN {none} THEN TRIM(f1) END AS callid,
                   CASE WHEN TRIM(f2) NOT IN {none} THEN TRIM(f2) END AS queue,
                   CASE WHEN TRIM(f3) NOT IN {none} THEN TRIM(f3) END AS agent,
                   UPPER(TRIM(f4)) AS event, {data}
            FROM read_csv({files}, delim='|', header=false, columns={columns}, null_padding=true,
                          quote='', escape='', auto_detect=false, strict_mode=false)
        ))
        QUALIFY ts IS NULL OR row_number() OVER (
            PARTITION BY ts, callid, queue, agent, event, {", ".join(f"d{i}" for i in range(1, DATA_FIELDS + 1))}
            ORDER BY rec) = 1
        """
    )


def _seconds(start: str, end: str) -> str:
    return f"CAST(round(epoch({end}) - epoch({start})) AS BIGINT)"


def _int(field: str) -> str:
    return f"TRY_CAST({field} AS BIGINT)"


def _calls_sql() -> str:
    events = ", ".join(sql_literal(e) for e in CALL_EVENTS)
    ends = ", ".join(sql_literal(e) for e in (*EXITS, *ENDS))
    exit_wait = " ".join(f"WHEN {sql_literal(e)} THEN {_int(f)}" for e, (_, f) in EXITS.items())
    end_wait = " ".join(f"WHEN {sql_literal(e)} THEN {_int(w)}" for e, (w, _) in ENDS.items())
    end_talk = " ".join(f"WHEN {sql_literal(e)} THEN {_int(t)}" for e, (_, t) in ENDS.items())
    outcome = " ".join(
        f"WHEN {sql_literal(e)} THEN {sql_literal(o)}" for e, (o, _) in EXITS.items()
    )
    transfers = ", ".join(sql_literal(e) for e in TRANSFERS)
    return f"""
    WITH ev AS (
        SELECT *, sum(CASE WHEN event = 'ENTERQUEUE' THEN 1 ELSE 0 END)
                  OVER (PARTITION BY callid ORDER BY ts, rec ROWS UNBOUNDED PRECEDING) AS seg
        FROM ql WHERE callid IS NOT NULL AND ts IS NOT NULL AND event IN ({events})
    ), seg AS (
        SELECT callid, seg,
               min(ts) FILTER (event = 'ENTERQUEUE') AS entered_at,
               arg_min(queue, rec) AS queue,
               min(ts) FILTER (event = 'CONNECT') AS connect_at,
               arg_min(agent, rec) FILTER (event = 'CONNECT') AS connect_agent,
               arg_min({_int("d1")}, rec) FILTER (event = 'CONNECT') AS connect_wait,
               arg_max(event, rec) FILTER (event IN ({ends})) AS end_event,
               arg_max(ts, rec) FILTER (event IN ({ends})) AS end_at,
               arg_max(agent, rec) FILTER (event IN ({ends})) AS end_agent,
               arg_max(CASE event {exit_wait} {end_wait} END, rec)
                   FILTER (event IN ({ends})) AS end_wait,
               arg_max(CASE event {end_talk} END, rec) FILTER (event IN ({ends})) AS calltime,
               count(*) FILTER (event = 'RINGNOANSWER') AS rings_unanswered,
               bool_or(event IN ({transfers})) AS transferred
        FROM ev GROUP BY callid, seg
    ), typed AS (
        SELECT *,
               CASE WHEN connect_at IS NOT NULL OR end_event IN ({", ".join(sql_literal(e) for e in ENDS)})
                    THEN 'answered' ELSE CASE end_event {outcome} END END AS outcome,
               row_number() OVER (PARTITION BY callid ORDER BY seg) AS n
        FROM seg
    ), timed AS (
        SELECT *,
               CASE WHEN outcome = 'answered'
                    THEN coalesce(connect_at, end_at - to_seconds(calltime)) END AS answered_at
        FROM typed
    )
    SELECT CASE WHEN n = 1 THEN callid ELSE callid || '#' || n END AS call_id,
           coalesce(entered_at, answered_at - to_seconds(coalesce(connect_wait, end_wait)),
                    end_at - to_seconds(end_wait)) AS queued_at,
           outcome, answered_at, end_at AS ended_at, 'inbound' AS direction, queue,
           CASE WHEN outcome = 'answered' THEN coalesce(connect_agent, end_agent) END AS agent_id,
           CASE WHEN outcome = 'answered'
                THEN coalesce(calltime, {_seconds("answered_at", "end_at")}) END AS talk_seconds,
           CASE WHEN outcome = 'answered' THEN 0 END AS hold_seconds,
           coalesce(transferred, false) AS transferred,
           end_event AS exit_event, rings_unanswered
    FROM timed
    """


def _availability_sql() -> str:
    """Stretches each agent was logged in, `available` or `paused` (canonical agent_availability).

    Every login, logoff, pause and unpause is a change point; the login and pause states are
    carried forward to each point (a login also ends a pause) and each point opens a stretch that
    lasts to the agent's next point. The stretch still open when the log ends has no end. A
    stretch is named by its agent and start (`Agent/1001|1709542800`, Unix seconds), the same
    whichever batch of the log it was read in.
    """
    kind_case = (
        "CASE event "
        + " ".join(f"WHEN {sql_literal(e)} THEN {sql_literal(k)}" for e, (k, _) in STATES.items())
        + " END"
    )
    state_case = (
        "CASE event "
        + " ".join(f"WHEN {sql_literal(e)} THEN {v}" for e, (_, v) in STATES.items())
        + " END"
    )
    names = ", ".join(sql_literal(e) for e in STATES)
    return f"""
        WITH points AS (
            SELECT agent, ts, rec,
                   CASE WHEN ({kind_case}) = 'login' THEN {state_case} END AS login_state,
                   CASE WHEN ({kind_case}) = 'pause' THEN {state_case} ELSE 0 END AS pause_state
            FROM ql WHERE agent IS NOT NULL AND ts IS NOT NULL AND event IN ({names})
        ), carried AS (
            SELECT agent, ts, rec,
                   last_value(login_state IGNORE NULLS) OVER run AS logged_in,
                   pause_state,
                   lead(ts) OVER (PARTITION BY agent ORDER BY ts, rec) AS until
            FROM points
            WINDOW run AS (PARTITION BY agent ORDER BY ts, rec ROWS UNBOUNDED PRECEDING)
        )
        SELECT agent || '|' || regexp_replace(CAST(epoch(ts) AS VARCHAR), '\\.0$', '')
                   AS availability_id, agent AS agent_id,
               ts AS started_at, until AS ended_at,
               CASE WHEN pause_state = 1 THEN 'paused' ELSE 'available' END AS state
        FROM carried
        WHERE logged_in = 1 AND (until IS NULL OR until > ts)
    """


def _availability_totals(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Per agent: seconds logged in and paused (closed stretches)."""
    rows = con.execute(
        f"""
        SELECT agent_id,
               coalesce(sum({_seconds("started_at", "ended_at")}), 0),
               coalesce(sum({_seconds("started_at", "ended_at")}) FILTER (state = 'paused'), 0)
        FROM availability GROUP BY agent_id ORDER BY agent_id
        """
    ).fetchall()
    keys = ("agent_id", "logged_in_seconds", "paused_seconds")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def convert(inputs: Sequence[str], out_dir: Path, timezone: str) -> Conversion:
    """Convert queue_log files (`time|callid|queue|agent|event|data...`) to `calls`."""
    paths = [Path(p) for p in inputs]
    for path in paths:
        if not path.is_file():
            raise SourceError(f"{path}: no such file; give the queue_log file(s) to read")
        _check_head(path)
    with connect(timezone) as con:
        _stage(con, paths, timezone)
        con.execute(f"CREATE TEMP TABLE segments AS {_calls_sql()}")
        done = "outcome IS NOT NULL AND queued_at IS NOT NULL"
        calls_path = write_table(con, f"SELECT * FROM segments WHERE {done}", out_dir, "calls")
        counts = con.execute(
            f"SELECT count(*) FILTER ({done}), count(*) FILTER (outcome IS NULL), "
            "count(*) FILTER (outcome IS NOT NULL AND queued_at IS NULL) FROM segments"
        ).fetchone()
        unreadable = con.execute(
            "SELECT count(*), min(rec) FROM ql WHERE ts IS NULL "
            "OR NOT coalesce(regexp_full_match(event, '[A-Z][A-Z_]*'), false)"
        ).fetchone()
        known = ", ".join(sql_literal(e) for e in (*CALL_EVENTS, *STATES))
        ignored = con.execute(
            f"SELECT event, count(*) FROM ql WHERE ts IS NOT NULL AND event NOT IN ({known}) "
            "GROUP BY event ORDER BY event"
        ).fetchall()
        con.execute(f"CREATE TEMP TABLE availability AS {_availability_sql()}")
        availability_path = write_table(
            con, "SELECT * FROM availability", out_dir, "agent_availability"
        )
        availability = _availability_totals(con)
    assert counts is not None and unreadable is not None
    notes = [f"calls: {counts[0]} call(s) offered to a queue"]
    if counts[1]:
        notes.append(f"left out {counts[1]} call(s) still waiting in a queue when the log ends")
    if counts[2]:
        notes.append(
            f"left out {counts[2]} call(s) that entered the queue before the log starts and "
            "record no wait: give the earlier (rotated) log too"
        )
    if unreadable[0]:
        notes.append(
            f"skipped {unreadable[0]} unreadable line(s) (no time or event); the first is "
            f"non-empty line {unreadable[1]} of the input"
        )
    if ignored:
        notes.append(
            "ignored events that describe no call: "
            + ", ".join(f"{event} x{count}" for event, count in ignored)
        )
    if availability:
        logged = sum(int(str(a["logged_in_seconds"])) for a in availability)
        paused = sum(int(str(a["paused_seconds"])) for a in availability)
        notes.append(
            f"agent availability ({len(availability)} agent(s)): {logged} s logged in, "
            f"{paused} s paused"
        )
    files = {"calls": calls_path} if calls_path else {}
    if availability_path:
        files["agent_availability"] = availability_path
    return Conversion(files, notes, {"agent_availability": availability})


SOURCE = Source(
    name="asterisk",
    title="Asterisk queue_log",
    reads="Asterisk queue_log files (old and new field layouts), one or more",
    how_to_export="Copy /var/log/asterisk/queue_log (and its rotated files) from the Asterisk server.",
    convert=convert,
)
