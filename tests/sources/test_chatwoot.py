"""A Chatwoot database -> canonical tables, read from a real PostgreSQL holding Chatwoot's tables.

`fixtures/chatwoot/schema.sql` creates the tables with their db/schema.rb column names and types in a
fresh schema; `data.sql` fills one account on Mon 6 May 2024 (UTC):
10  web chat: customer 09:00, greeting (template) 09:00:01, bot 09:01, private note 09:05, Alice
    09:10; resolved 09:20, reopened by the customer 09:30, Alice 09:40, resolved 09:50; CSAT 4
11  email Bob starts (outbound) 11:00, customer 12:00, Bob 12:30; open
12  WhatsApp, a bot has it (pending): customer 13:00, bot 13:00:30
13  API, snoozed, urgent: customer 14:00, automation message 14:00:10, Alice 14:30
14  a campaign's conversation: campaign message 15:00, customer 15:05; resolved (updated 15:20)
    with no reporting event; CSAT 2
Needs a server (SUPPORTMETRICS_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432/test);
skipped without one, except in CI where it must run.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app
from supportmetrics.sources import SourceError
from supportmetrics.sources.chatwoot import SOURCE

URL = os.environ.get("SUPPORTMETRICS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
FIXTURES = Path(__file__).parent / "fixtures" / "chatwoot"


def _server():  # type: ignore[no-untyped-def]
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and not reachable at {URL}: {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {URL}: {exc}")


def _schema(*statements: str) -> Iterator[str]:
    """A fresh schema holding `statements`; yields the importer's URL for it, drops it after."""
    name = f"sm_chatwoot_{uuid.uuid4().hex[:10]}"
    with _server() as con:
        con.execute(f'CREATE SCHEMA "{name}"')
        con.execute(f'SET search_path = "{name}"')
        for sql in statements:
            con.execute(sql)
        try:
            yield f"{URL}?schema={name}"
        finally:
            con.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture(scope="module")
def chatwoot() -> Iterator[str]:
    yield from _schema((FIXTURES / "schema.sql").read_text(), (FIXTURES / "data.sql").read_text())


@pytest.fixture(scope="module")
def converted(chatwoot, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("chatwoot")
    conversion = SOURCE.convert([chatwoot], out, "America/New_York")
    assert conversion.notes == [
        "tickets: 5; messages: 19; ticket_events: 3; surveys: 2; survey_invitations: 2; "
        "customers: 4; agents: 3"
    ]
    return conversion.files


def _rows(path: Path) -> list[tuple]:
    """Every row, timestamps as UTC `HH:MM:SS` text (all on 6 May 2024 unless shown in full)."""
    relation = duckdb.read_parquet(str(path))
    columns = [
        f"CASE WHEN \"{c}\"::DATE = DATE '2024-05-06' THEN strftime(\"{c}\", '%H:%M:%S') "
        f"ELSE strftime(\"{c}\", '%Y-%m-%d %H:%M:%S') END"
        if str(t).startswith("TIMESTAMP")
        else f'"{c}"'
        for c, t in zip(relation.columns, relation.types, strict=True)
    ]
    order = f"CAST(regexp_extract({relation.columns[0]}, '\\d+') AS INTEGER)"
    return duckdb.sql(
        f"SET TimeZone = 'UTC'; SELECT {', '.join(columns)} FROM '{path}' ORDER BY {order}"
    ).fetchall()


def test_tickets(converted) -> None:
    # ticket_id, created_at, channel, status, priority, customer_id, assignee_id, team,
    # created_by, solved_at, tags, inbox, display_id
    assert _rows(converted["tickets"]) == [
        ("10", "09:00:00", "chat", "solved", "high", "1", "1", "Billing", "customer", "09:50:00",
         ["billing", "vip"], "Website", 1),
        ("11", "11:00:00", "email", "open", None, "2", "2", "Técnico", "agent", None, None,
         "Support email", 2),
        ("12", "13:00:00", "messaging", "new", "low", "3", None, None, "customer", None, None,
         "WhatsApp", 3),
        ("13", "14:00:00", "other", "pending", "urgent", "4", "1", None, "customer", None, None,
         "API", 4),
        ("14", "15:00:00", "chat", "solved", None, "1", "1", None, "system", "15:20:00", None,
         "Website", 5),
    ]  # fmt: skip


def test_messages(converted) -> None:
    # Activity messages (105, 107) are history, not messages.
    assert _rows(converted["messages"]) == [
        ("100", "10", "09:00:00", "customer", "1", True, False),
        ("101", "10", "09:00:01", "system", None, True, True),
        ("102", "10", "09:01:00", "bot", None, True, False),
        ("103", "10", "09:05:00", "agent", "1", False, False),
        ("104", "10", "09:10:00", "agent", "1", True, False),
        ("106", "10", "09:30:00", "customer", "1", True, False),
        ("108", "10", "09:40:00", "agent", "1", True, False),
        ("109", "10", "09:50:00", "system", None, True, True),
        ("110", "11", "11:00:00", "agent", "2", True, False),
        ("111", "11", "12:00:00", "customer", "2", True, False),
        ("112", "11", "12:30:00", "agent", "2", True, False),
        ("120", "12", "13:00:00", "customer", "3", True, False),
        ("121", "12", "13:00:30", "bot", None, True, False),
        ("130", "13", "14:00:00", "customer", "4", True, False),
        ("131", "13", "14:00:10", "system", None, True, True),
        ("132", "13", "14:30:00", "agent", "1", True, False),
        ("140", "14", "15:00:00", "agent", "1", True, True),
        ("141", "14", "15:05:00", "customer", "1", True, False),
        ("142", "14", "15:21:00", "system", None, True, True),
    ]


def test_history_surveys_and_people(converted) -> None:
    # The first conversation_opened of 10 (09:00) and of 11 are openings, not reopens.
    assert _rows(converted["ticket_events"]) == [
        ("chatwoot-3", "10", "09:20:00", "status", "open", "solved"),
        ("chatwoot-4", "10", "09:30:00", "status", "solved", "open"),
        ("chatwoot-5", "10", "09:50:00", "status", "open", "solved"),
    ]
    assert _rows(converted["surveys"]) == [
        ("1", "csat", 4, 1, 5, "09:55:00", "10", "1", "1", "chat", "Muy bien 👍", "109"),
        ("2", "csat", 2, 1, 5, "15:25:00", "14", "1", "1", "chat", None, "142"),
    ]
    assert _rows(converted["survey_invitations"]) == [
        ("109", "csat", "09:50:00", "10", "1"),
        ("142", "csat", "15:21:00", "14", "1"),
    ]
    assert _rows(converted["customers"]) == [
        ("1", "ES", "2024-01-10 08:00:00"),
        ("2", None, "2024-02-01 12:00:00"),
        ("3", "CN", "12:59:00"),
        ("4", "US", "2024-03-01 00:00:00"),
    ]
    assert _rows(converted["agents"]) == [
        ("1", "Alice", "Billing"),
        ("2", "Bob Brown", "Billing"),
        ("3", "Ünal Öz", None),
    ]


def test_metrics(converted, tmp_path) -> None:
    # A New York workspace: Chatwoot's times are UTC instants and stay so.
    ws = supportmetrics.init(tmp_path / "ws", timezone="America/New_York")
    try:
        ws.ingest(list(converted.values()))
        assert [r["value"] for r in ws.metric("ticket_volume").rows] == [5]
        # 10: 600 s (Alice); 13: 1800 s. 11 is outbound; 12 and 14 have no agent reply (the
        # campaign message is automated).
        assert [r["value"] for r in ws.metric("first_response_time").rows] == [1200]
        # Counting bots: 10 60 s, 12 30 s, 13 1800 s (the automation message never counts).
        bots = ws.metric("first_response_time", variants={"count_bots": "true"}).rows
        assert [r["value"] for r in bots] == [630]
        # Last solve: 10 at 09:50 (3000 s), 14 at 15:20 from updated_at (1200 s); first solve of
        # 10 at 09:20 (1200 s).
        assert [r["value"] for r in ws.metric("resolution_time").rows] == [2100]
        first = ws.metric("resolution_time", variants={"solve": "first"}).rows
        assert [r["value"] for r in first] == [1200]
        (reopen,) = ws.metric("reopen_rate").rows
        assert (reopen["numerator"], reopen["denominator"]) == (1, 2)
        (csat,) = ws.metric("csat").rows
        assert (csat["numerator"], csat["denominator"]) == (1, 2)
    finally:
        ws.close()


def test_import_command(chatwoot, tmp_path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    result = runner.invoke(app, ["import", "chatwoot", chatwoot, "-w", str(ws), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["source"], report["rows_loaded"]) == ("chatwoot", 5 + 19 + 3 + 2 + 2 + 4 + 3)
    again = runner.invoke(app, ["import", "chatwoot", chatwoot, "-w", str(ws), "--format", "json"])
    assert again.exit_code == 0, again.output
    tables = json.loads(runner.invoke(app, ["tables", "-w", str(ws), "--format", "json"]).stdout)
    assert {t["table"]: t["rows"] for t in tables if t["rows"]}["messages"] == 19


def test_an_older_chatwoot_without_priority_or_labels(tmp_path) -> None:
    schema = (FIXTURES / "schema.sql").read_text()
    data = (FIXTURES / "data.sql").read_text()
    drop = "ALTER TABLE conversations DROP COLUMN priority, DROP COLUMN cached_label_list"
    for url in _schema(schema, data, drop):
        tickets = SOURCE.convert([url], tmp_path, "UTC").files["tickets"]
        assert duckdb.sql(
            f"SELECT count(*), count(priority), count(tags), count(status) FROM '{tickets}'"
        ).fetchall() == [(5, 0, 0, 5)]


def test_not_a_chatwoot_database(tmp_path) -> None:
    for url in _schema("CREATE TABLE conversations (id serial PRIMARY KEY)"):
        with pytest.raises(SourceError, match="is not a Chatwoot database: table") as caught:
            SOURCE.convert([url], tmp_path, "UTC")
        assert (
            "messages, inboxes, users, teams, team_members, contacts, csat_survey_responses, "
            "reporting_events not found in schema sm_chatwoot_" in str(caught.value)
        )


def test_unreachable_server_and_wrong_input(tmp_path) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(SourceError, match="cannot connect to the Chatwoot database") as caught:
        SOURCE.convert(["postgresql://chatwoot:s3cret@127.0.0.1:1/chatwoot"], tmp_path, "UTC")
    assert "chatwoot:***@127.0.0.1:1" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    with pytest.raises(SourceError, match="is not a PostgreSQL URL"):
        SOURCE.convert(["conversations.csv"], tmp_path, "UTC")
    with pytest.raises(SourceError, match="give one PostgreSQL URL"):
        SOURCE.convert([], tmp_path, "UTC")
