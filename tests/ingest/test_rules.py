"""Every validation rule, each with an input that breaks it: where, which rule, and nothing written."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import supportmetrics
from supportmetrics.ingest import IngestError
from supportmetrics.ingest.rules import (
    check_columns,
    duplicate_hashes,
    duplicates,
    violations,
)
from supportmetrics.schema import TABLES

TICKETS = "ticket_id,created_at,channel\nT1,2024-01-01T10:00:00Z,email\n"

# (file name, text, expected line, column, rule)
CASES = [
    (
        "tickets.csv",
        "ticket_id,created_at,channel\n,2024-01-01,email\n",
        2,
        "ticket_id",
        "required",
    ),
    ("tickets.csv", "ticket_id,created_at,channel\nT1,2024-13-01,email\n", 2, "created_at", "type"),
    ("tickets.csv", "ticket_id,created_at,channel\nT1,yesterday,email\n", 2, "created_at", "type"),
    ("tickets.csv", "ticket_id,created_at,channel\nT1,2024-01-01,fax\n", 2, "channel", "enum"),
    (
        "tickets.csv",
        "ticket_id,created_at,channel,priority\nT1,2024-01-01,email,critical\n",
        2,
        "priority",
        "enum",
    ),
    (
        "tickets.csv",
        "ticket_id,created_at,channel,request_quality\nT1,2024-01-01,email,6\n",
        2,
        "request_quality",
        "range",
    ),
    (
        "tickets.csv",
        "ticket_id,created_at,channel,request_quality\nT1,2024-01-01,email,2.5\n",
        2,
        "request_quality",
        "type",
    ),
    (
        "tickets.csv",
        "ticket_id,created_at,channel,sentiment\nT1,2024-01-01,email,1.5\n",
        2,
        "sentiment",
        "range",
    ),
    (
        "tickets.csv",
        "ticket_id,created_at,channel,sentiment\nT1,2024-01-01,email,nan\n",
        2,
        "sentiment",
        "type",
    ),
    (
        "tickets.csv",
        "ticket_id,created_at,channel,solved_at\nT1,2024-01-02,email,2024-01-01\n",
        2,
        "solved_at",
        "order",
    ),
    (
        "tickets.csv",
        "ticket_id,created_at,channel\nT1,2024-01-01,email\nT1,2024-01-02,chat\n",
        2,
        "ticket_id",
        "unique",
    ),
    (
        "messages.csv",
        "message_id,ticket_id,created_at,author_type,public\nM1,T1,2024-01-01,agent,maybe\n",
        2,
        "public",
        "type",
    ),
    (
        "messages.csv",
        "message_id,ticket_id,created_at,author_type\nM1,T9,2024-01-01,agent\n",
        2,
        "ticket_id",
        "reference",
    ),
    (
        "ticket_events.csv",
        "event_id,ticket_id,at,type\nE1,T9,2024-01-01,status\n",
        2,
        "ticket_id",
        "reference",
    ),
    (
        "time_entries.csv",
        "entry_id,ticket_id,agent_id,started_at,seconds\nW1,T1,A1,2024-01-01,-5\n",
        2,
        "seconds",
        "range",
    ),
    (
        "calls.csv",
        "call_id,queued_at,outcome\nC1,2024-01-01T10:00:00Z,answered\n",
        2,
        "answered_at",
        "required",
    ),
    (
        "calls.csv",
        "call_id,queued_at,outcome,answered_at\nC1,2024-01-01T10:00:00Z,answered,2024-01-01T09:59:00Z\n",
        2,
        "answered_at",
        "order",
    ),
    (
        "calls.csv",
        "call_id,queued_at,outcome,answered_at,ended_at\n"
        "C1,2024-01-01T10:00:00Z,answered,2024-01-01T10:01:00Z,2024-01-01T10:00:30Z\n",
        2,
        "ended_at",
        "order",
    ),
    (
        "calls.csv",
        "call_id,queued_at,outcome,talk_seconds\nC1,2024-01-01,abandoned,-1\n",
        2,
        "talk_seconds",
        "range",
    ),
    (
        "surveys.csv",
        "response_id,survey,score,submitted_at\nR1,csat,6,2024-01-01\n",
        2,
        "score",
        "scale",
    ),
    (
        "surveys.csv",
        "response_id,survey,score,submitted_at\nR1,nps,-1,2024-01-01\n",
        2,
        "score",
        "scale",
    ),
    (
        "surveys.csv",
        "response_id,survey,score,submitted_at,scale_min,scale_max\nR1,effort,12,2024-01-01,1,10\n",
        2,
        "score",
        "scale",
    ),
    (
        "surveys.csv",
        "response_id,survey,score,submitted_at,scale_min,scale_max\nR1,effort,5,2024-01-01,5,5\n",
        2,
        "scale_max",
        "scale",
    ),
    (
        "surveys.csv",
        "response_id,survey,score,submitted_at\nR1,csat,,2024-01-01\n",
        2,
        "score",
        "required",
    ),
    (
        "surveys.csv",
        "response_id,survey,score,submitted_at\nR1,csat,four,2024-01-01\n",
        2,
        "score",
        "type",
    ),
    (
        "subscriptions.csv",
        "subscription_id,customer_id,started_at,ended_at,mrr\nS1,C1,2024-02-01,2024-01-01,10\n",
        2,
        "ended_at",
        "order",
    ),
    (
        "subscriptions.csv",
        "subscription_id,customer_id,started_at,mrr\nS1,C1,2024-02-01,-10\n",
        2,
        "mrr",
        "range",
    ),
    (
        "orders.csv",
        "order_id,customer_id,ordered_at,amount,kind\nO1,C1,2024-01-01,5,refund\n",
        2,
        "kind",
        "enum",
    ),
    (
        "self_service.csv",
        "event_id,at,type,results_count\nX1,2024-01-01,search,-2\n",
        2,
        "results_count",
        "range",
    ),
    ("self_service.csv", "event_id,at,type\nX1,2024-01-01,chatbot\n", 2, "type", "enum"),
    (
        "demos.csv",
        "demo_id,held_at,registered_at\nD1,2024-01-01,soon\n",
        2,
        "registered_at",
        "type",
    ),
    ("reviews.csv", "review_id,posted_at,rating\nV1,2024-01-01,7\n", 2, "rating", "range"),
    (
        "reviews.csv",
        "review_id,posted_at,rating,scale_max\nV1,2024-01-01,11,10\n",
        2,
        "rating",
        "range",
    ),
    ("agents.csv", "agent_id,hired_at,left_at\nA1,2024-02-01,2024-01-01\n", 2, "left_at", "order"),
    ("customers.csv", "customer_id,signup_at\nC1,2024-02-30\n", 2, "signup_at", "type"),
]


@pytest.mark.parametrize(("name", "text", "line", "column", "rule"), CASES)
def test_each_rule_rejects_its_input(
    workspace: supportmetrics.Workspace, write, name, text, line, column, rule
) -> None:
    base = workspace.ingest([write("tickets.csv", TICKETS)])
    assert base.rows_loaded == 1
    before = [t.rows for t in workspace.tables()]
    with pytest.raises(IngestError) as info:
        workspace.ingest([write(name, text)])
    found = [(p.line, p.column, p.rule) for p in info.value.problems]
    assert (line, column, rule) in found
    problem = info.value.problems[found.index((line, column, rule))]
    assert problem.file.endswith(name)
    assert problem.message
    assert [t.rows for t in workspace.tables()] == before


def test_every_problem_in_a_file_is_reported(workspace, write) -> None:
    path = write(
        "tickets.csv",
        "ticket_id,created_at,channel,priority\n"
        "T1,2024-01-01,email,high\n"
        "T2,bad,email,high\n"
        "T3,2024-01-01,fax,high\n"
        "T4,2024-01-01,email,extreme\n",
    )
    with pytest.raises(IngestError) as info:
        workspace.ingest([path])
    assert info.value.total == 3
    assert [(p.line, p.column) for p in info.value.problems] == [
        (3, "created_at"),
        (4, "channel"),
        (5, "priority"),
    ]
    assert "line 3, column created_at, value 'bad'" in str(info.value)


def test_references_may_point_into_the_same_batch_or_the_store(workspace, write) -> None:
    tickets = write("tickets.csv", TICKETS)
    messages = write(
        "messages.csv", "message_id,ticket_id,created_at,author_type\nM1,T1,2024-01-01,agent\n"
    )
    assert workspace.ingest([tickets, messages]).rows_loaded == 2
    more = write(
        "messages_2.csv", "message_id,ticket_id,created_at,author_type\nM2,T1,2024-01-02,agent\n"
    )
    assert workspace.ingest([more]).rows_loaded == 1


def test_a_rejected_ticket_takes_its_messages_with_it(workspace, write) -> None:
    tickets = write("tickets.csv", "ticket_id,created_at,channel\nT1,2024-01-01,fax\n")
    messages = write(
        "messages.csv", "message_id,ticket_id,created_at,author_type\nM1,T1,2024-01-01,agent\n"
    )
    report = workspace.ingest([tickets, messages], on_error="quarantine")
    assert report.rows_loaded == 0
    assert {(p.file.rsplit("/", 1)[-1], p.rule) for p in report.problems} == {
        ("tickets.csv", "enum"),
        ("messages.csv", "reference"),
    }


def _staged(con: duckdb.DuckDBPyConnection, rows: list[tuple], present: dict[str, str]) -> None:
    """Stage tickets `rows` (`_line`, then the `present` columns as text) of file 0 as
    `stage_file` does."""
    columns = ", ".join(f"{name} VARCHAR" for name in present)
    con.execute(f"CREATE TABLE input (_file INTEGER, _line BIGINT, {columns})")
    marks = ", ".join("?" for _ in range(len(present) + 1))
    for row in rows:
        con.execute(f"INSERT INTO input VALUES (0, {marks})", list(row))
    _with_checks(con, present)


def test_the_staged_check_column_flags_exactly_the_rows_the_rules_reject() -> None:
    # staged tickets: one text column per input column, as `stage_file` leaves them
    rows = [
        (2, "T1", "2024-01-01T10:00:00Z", "email", "2024-01-02T10:00:00Z", "3"),  # valid
        (3, "T2", "2024-01-01T10:00:00+25:00", "email", None, None),  # offset beyond ±14:00
        (4, "T3", "2024-01-02T10:00:00Z", "email", "2024-01-01T10:00:00Z", None),  # order
        (5, "T4", "9999-12-31", "chat", None, "6"),  # range twice: created_at, request_quality
        (6, "T5", "2024-01-01", "fax", None, None),  # enum
        (7, None, "2024-01-01", "email", None, None),  # required
        (8, "T7", "2024-01-01", "web", None, "2.5"),  # not a whole number
        (9, "T8", "2024-01-01", "em\x00ail", None, None),  # NUL
        (10, "T1", "2024-01-03", "email", None, None),  # a duplicate id: not a row rule
    ]
    with duckdb.connect() as con:
        present = dict.fromkeys(
            ["ticket_id", "created_at", "channel", "solved_at", "request_quality"], "VARCHAR"
        )
        tickets = TABLES["tickets"]
        _staged(con, rows, present)
        found = {
            line for (line,) in con.execute("SELECT _line FROM staged WHERE _broken").fetchall()
        }
        rejected = {
            line
            for select in violations(tickets, "staged", present)
            for _, line, *_ in con.execute(select).fetchall()
        }
        duplicated = [r[1] for r in con.execute(duplicates(tickets, "staged")).fetchall()]
    assert found == rejected == {3, 4, 5, 6, 7, 8, 9}
    assert sorted(duplicated) == [2, 10]


def test_ids_are_checked_by_hash_first_and_a_shared_hash_alone_is_no_duplicate() -> None:
    tickets = TABLES["tickets"]
    with duckdb.connect() as con:
        con.execute("CREATE TABLE input (_file INTEGER, _line BIGINT, ticket_id VARCHAR)")
        con.execute(
            "INSERT INTO input VALUES (0, 2, 'T1'), (1, 2, 'T2'), (1, 3, 'T1'), (1, 4, NULL), "
            "(1, 5, NULL), (2, 2, 'T3')"
        )
        _with_checks(con, {"ticket_id": "VARCHAR"})
        con.execute(f"CREATE TABLE hashes AS {duplicate_hashes('staged')}")
        assert con.execute("SELECT h FROM hashes").fetchall() == [
            con.execute("SELECT hash('T1')").fetchone()
        ]
        # T3's hash stands for two different ids sharing one (a collision): T3 is still unique.
        con.execute("INSERT INTO hashes SELECT hash('T3')")
        found = con.execute(duplicates(tickets, "staged", "hashes")).fetchall()
        assert sorted(found) == sorted(con.execute(duplicates(tickets, "staged")).fetchall())
        assert sorted((f, line, value) for f, line, _, value, *_ in found) == [
            (0, 2, "T1"),
            (1, 3, "T1"),
        ]
        con.execute("DELETE FROM staged WHERE ticket_id = 'T1'")
        assert con.execute(duplicate_hashes("staged")).fetchall() == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(["T1", "T2", "T3", "t1", "T1 ", "é"])), max_size=30
    )
)
def test_duplicate_hashes_are_exactly_the_hashes_of_repeated_ids(ids: list[str | None]) -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TABLE input (_file INTEGER, _line BIGINT, ticket_id VARCHAR)")
        for line, value in enumerate(ids, start=2):
            con.execute("INSERT INTO input VALUES (0, ?, ?)", [line, value])
        _with_checks(con, {"ticket_id": "VARCHAR"})
        found = {h for (h,) in con.execute(duplicate_hashes("staged")).fetchall()}
        repeated = {v for v in ids if v is not None and ids.count(v) > 1}
        expected = {con.execute("SELECT hash(?)", [v]).fetchone()[0] for v in repeated}
    assert found == expected


def _with_checks(con: duckdb.DuckDBPyConnection, present: dict[str, str]) -> None:
    """Stage the tickets in `input` (`_file`, `_line` and the `present` columns) as `stage_file`
    does: with the check columns."""
    checks = check_columns(TABLES["tickets"], present)
    con.execute(f"CREATE TABLE staged AS SELECT *, {checks} FROM input")
