"""Loading: idempotent upserts, quarantine, all-or-nothing under SIGKILL, and two writers at once."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

import supportmetrics
from supportmetrics import WorkspaceBusy
from supportmetrics.ingest import IngestError

TICKETS = (
    "ticket_id,created_at,channel,priority\n"
    "T1,2024-01-01T10:00:00Z,email,low\n"
    "T2,2024-01-02T10:00:00Z,chat,high\n"
)
MESSAGES = (
    "message_id,ticket_id,created_at,author_type\n"
    "M1,T1,2024-01-01T10:05:00Z,customer\n"
    "M2,T1,2024-01-01T11:00:00Z,agent\n"
)


def _dump(workspace) -> dict[str, list[tuple]]:
    with workspace.read() as con:
        return {
            name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in supportmetrics.TABLES
        }


def test_ingesting_the_same_files_twice_changes_nothing(workspace, write) -> None:
    paths = [write("tickets.csv", TICKETS), write("messages.csv", MESSAGES)]
    first = workspace.ingest(paths)
    once = _dump(workspace)
    second = workspace.ingest(paths)
    assert first.rows_loaded == second.rows_loaded == 4
    assert _dump(workspace) == once
    assert len(once["tickets"]) == 2 and len(once["messages"]) == 2


def test_a_row_whose_id_exists_replaces_the_stored_one(workspace, write) -> None:
    workspace.ingest([write("tickets.csv", TICKETS)])
    corrected = write(
        "tickets_fix.csv",
        "ticket_id,created_at,channel,priority\nT2,2024-01-02T10:00:00Z,chat,urgent\n"
        "T3,2024-01-03T10:00:00Z,web,normal\n",
    )
    workspace.ingest([corrected])
    with workspace.read() as con:
        rows = con.execute("SELECT ticket_id, priority FROM tickets ORDER BY 1").fetchall()
    assert rows == [("T1", "low"), ("T2", "urgent"), ("T3", "normal")]


def test_quarantine_loads_valid_rows_and_writes_rejects_beside_the_input(workspace, write) -> None:
    path = write(
        "tickets.csv",
        "ticket_id,created_at,channel\nT1,2024-01-01,email\nT2,never,chat\nT3,2024-01-01,fax\n"
        "T4,2024-01-01,web\n",
    )
    report = workspace.ingest([path], on_error="quarantine")
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (4, 2, 2)
    rejects = path.with_name("tickets.rejects.csv")
    assert report.rejects_files == [rejects]
    rows = list(csv.reader(rejects.read_text().splitlines()))
    assert rows[0] == ["line", "errors", "ticket_id", "created_at", "channel"]
    assert [r[0] for r in rows[1:]] == ["3", "4"]
    assert rows[1][1].startswith("created_at: not a timestamp")
    assert rows[1][2:] == ["T2", "never", "chat"]
    assert rows[2][1].startswith("channel: unknown value: use one of email")
    assert rows[2][2:] == ["T3", "2024-01-01", "fax"]
    with workspace.read() as con:
        assert con.execute("SELECT ticket_id FROM tickets ORDER BY 1").fetchall() == [
            ("T1",),
            ("T4",),
        ]
    # Re-ingesting the folder skips the rejects file and changes nothing.
    again = workspace.ingest([path.parent], on_error="quarantine")
    assert again.tables["tickets"].files == [str(path)]


def test_validate_is_a_dry_run(workspace, write) -> None:
    report = workspace.validate([write("tickets.csv", TICKETS + "T3,bad,email,low\n")])
    assert not report.written
    assert report.total_problems == 1 and report.rows_loaded == 2
    assert all(t.rows == 0 for t in workspace.tables())


def test_the_ingest_log_records_each_load(workspace, write) -> None:
    workspace.ingest([write("tickets.csv", TICKETS)])
    workspace.ingest([write("messages.csv", MESSAGES)])
    with workspace.read() as con:
        log = con.execute(
            "SELECT ingest_id, rows_loaded, detail FROM _ingests ORDER BY 1"
        ).fetchall()
    assert log == [(1, 2, '{"tickets": 2}'), (2, 2, '{"messages": 2}')]


def _big_tickets(path: Path, rows: int, prefix: str = "B") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        f"COPY (SELECT '{prefix}' || i AS ticket_id, "
        "TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS created_at, "
        "['email', 'chat', 'web'][1 + i % 3] AS channel, 'x' || (i % 97) AS issue_type, "
        "'note number ' || i AS comment FROM range(?) t(i)) "
        f"TO '{path}' (HEADER)",
        params=[rows],
    )
    return path


def test_a_problem_in_a_later_table_undoes_the_tables_written_before_it(workspace, write) -> None:
    # Tables are written one after another inside one transaction: agents come last.
    workspace.ingest([write("tickets.csv", TICKETS)])
    before = _dump(workspace)
    paths = [
        write("tickets_2.csv", "ticket_id,created_at,channel\nT3,2024-01-03T10:00:00Z,web\n"),
        write("messages.csv", MESSAGES),
        write("agents.csv", "agent_id,name,hired_at\nA1,Ann,yesterday\n"),
    ]
    with pytest.raises(IngestError) as info:
        workspace.ingest(paths)
    assert [(p.file.rsplit("/", 1)[-1], p.line, p.rule) for p in info.value.problems] == [
        ("agents.csv", 2, "type")
    ]
    assert _dump(workspace) == before


def test_every_table_is_checked_after_one_fails_and_references_still_see_the_valid_rows(
    workspace, write
) -> None:
    # tickets fail first (T2's channel), so nothing is written; the messages are still checked
    # against the batch's valid tickets: T1 is known, T2 (rejected) and T9 are not.
    paths = [
        write(
            "tickets.csv",
            "ticket_id,created_at,channel\nT1,2024-01-01T10:00:00Z,email\n"
            "T2,2024-01-02T10:00:00Z,fax\n",
        ),
        write(
            "messages.csv",
            "message_id,ticket_id,created_at,author_type\nM1,T1,2024-01-01T10:05:00Z,customer\n"
            "M2,T2,2024-01-02T10:05:00Z,customer\nM3,T9,2024-01-02T10:05:00Z,robot\n",
        ),
    ]
    expected = [
        ("messages.csv", 3, "ticket_id", "reference"),
        ("messages.csv", 4, "author_type", "enum"),
        ("messages.csv", 4, "ticket_id", "reference"),
        ("tickets.csv", 3, "channel", "enum"),
    ]

    def found(problems) -> list[tuple[str, int | None, str | None, str]]:
        return sorted((p.file.rsplit("/", 1)[-1], p.line, p.column, p.rule) for p in problems)

    with pytest.raises(IngestError) as info:
        workspace.ingest(paths)
    assert found(info.value.problems) == expected
    assert found(workspace.validate(paths).problems) == expected
    assert all(not rows for rows in _dump(workspace).values())
    report = workspace.ingest(paths, on_error="quarantine")
    assert (report.tables["tickets"].rows_loaded, report.tables["messages"].rows_loaded) == (1, 1)
    assert sorted(p.name for p in report.rejects_files) == [
        "messages.rejects.csv",
        "tickets.rejects.csv",
    ]
    with workspace.read() as con:
        assert con.execute("SELECT message_id, ticket_id FROM messages").fetchall() == [
            ("M1", "T1")
        ]


INGEST_AND_REPORT = textwrap.dedent(
    """
    import sys
    import supportmetrics
    ws = supportmetrics.connect(sys.argv[1])
    def step(name):
        print(name, flush=True)
    ws.ingest([sys.argv[2]], step=step)
    print("done", flush=True)
    """
)


def test_sigkill_during_the_write_leaves_the_store_as_it_was(workspace, write, tmp_path) -> None:
    workspace.ingest([write("tickets.csv", TICKETS)])
    before = _dump(workspace)
    big = _big_tickets(tmp_path / "tickets_big.csv", 3_000_000)
    proc = subprocess.Popen(
        [sys.executable, "-c", INGEST_AND_REPORT, str(workspace.root), str(big)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("writing"):
            break
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    reopened = supportmetrics.connect(workspace.root)
    assert _dump(reopened) == before
    # The store still takes writes after the crash.
    more = write("tickets_more.csv", "ticket_id,created_at,channel\nT9,2024-01-09,web\n")
    assert reopened.ingest([more]).rows_loaded == 1


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def test_a_second_writer_waits_a_bounded_time_then_reports_busy(workspace, write) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(workspace.store_path), "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    path = write("tickets.csv", TICKETS)
    started = time.monotonic()
    with pytest.raises(WorkspaceBusy, match=r"workspace busy: process \d+ is using"):
        workspace.ingest([path], wait=0.5)
    assert time.monotonic() - started < 3.5
    # Waiting long enough succeeds once the holder lets go.
    assert workspace.ingest([path], wait=30).rows_loaded == 2
    holder.wait()


def test_two_ingests_at_once_both_land_whole(workspace, tmp_path) -> None:
    first = _big_tickets(tmp_path / "a" / "tickets.csv", 200_000, "A")
    second = _big_tickets(tmp_path / "b" / "tickets.csv", 300_000, "B")
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", INGEST_AND_REPORT, str(workspace.root), str(p)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in (first, second)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    with workspace.read() as con:
        counts = con.execute(
            "SELECT left(ticket_id, 1), count(*) FROM tickets GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert counts == [("A", 200_000), ("B", 300_000)]


def test_a_failed_batch_writes_nothing_even_when_other_files_are_valid(workspace, write) -> None:
    good = write("tickets.csv", TICKETS)
    bad = write("messages.csv", MESSAGES + "M3,T1,2024-01-01T12:00:00Z,robot\n")
    with pytest.raises(IngestError):
        workspace.ingest([good, bad])
    assert all(t.rows == 0 for t in workspace.tables())


@pytest.mark.parametrize("write", [True, False], ids=["ingest", "validate"])
def test_a_big_csv_names_the_lines_of_its_broken_rows(tmp_path: Path, write: bool) -> None:
    # Big enough to be read in parallel chunks: its rows are numbered by their place in the
    # staged copy (inside the ingest's transaction, and outside it in a dry run).
    ws = supportmetrics.init(tmp_path / "ws")
    path = tmp_path / "tickets.csv"
    broken = {2, 423_457, 800_001}  # line 1 is the header
    with path.open("w", newline="") as out:
        out.write("ticket_id,created_at,channel,subject\n")
        for line in range(2, 800_002):
            channel = "fax" if line in broken else "email"
            out.write(f"T{line},2024-01-01T10:00:00Z,{channel},a subject of some length {line}\n")
    if write:
        with pytest.raises(IngestError) as caught:
            ws.ingest([path])
        problems = caught.value.problems
    else:
        problems = ws.validate([path]).problems
    assert {(p.line, p.value, p.rule) for p in problems} == {(n, "fax", "enum") for n in broken}
