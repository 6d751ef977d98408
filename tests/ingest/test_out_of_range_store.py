"""A store written before the timestamp range existed still opens: `tables` counts the rows out of
range, metrics leave them out with a warning, the web API answers; importers refuse such values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app
from supportmetrics.web import create_app
from supportmetrics.web.users import Users
from tests.sources._canonical import FIXTURES

runner = CliRunner()

TICKETS = (
    "ticket_id,created_at,channel,solved_at\n"
    "T1,2024-01-01T10:00:00Z,email,\n"
    "T2,2024-01-02T10:00:00Z,email,\n"
    "T3,2024-01-03T10:00:00Z,chat,2024-01-03T12:00:00Z\n"
    "T4,2024-01-04T10:00:00Z,chat,\n"
)
MESSAGES = (
    "message_id,ticket_id,created_at,author_type\n"
    "M1,T1,2024-01-01T11:00:00Z,agent\n"
    "M2,T4,2024-01-04T10:30:00Z,agent\n"
)


@pytest.fixture
def old_store(workspace, write) -> supportmetrics.Workspace:
    """Four tickets and two replies, three values then made out of range as an older version
    accepted them: T2 created at infinity, T3 solved in 9999, M2 written in the year 1."""
    workspace.ingest([write("tickets.csv", TICKETS), write("messages.csv", MESSAGES)])
    workspace.close()
    with duckdb.connect(str(workspace.store_path)) as con:
        con.execute("UPDATE tickets SET created_at = 'infinity' WHERE ticket_id = 'T2'")
        con.execute("UPDATE tickets SET solved_at = '9999-12-31 23:59:59' WHERE ticket_id = 'T3'")
        con.execute("UPDATE messages SET created_at = '0001-01-01' WHERE message_id = 'M2'")
    return workspace


WARNINGS = [
    "tickets.created_at: 1 row(s) with a timestamp outside 1970-01-01 to 2100-12-31 (UTC) "
    "are left out of every metric (ids: T2); load them again with corrected values",
    "tickets.solved_at: 1 row(s) with a timestamp outside 1970-01-01 to 2100-12-31 (UTC) "
    "are left out of every metric (ids: T3); load them again with corrected values",
    "messages.created_at: 1 row(s) with a timestamp outside 1970-01-01 to 2100-12-31 (UTC) "
    "are left out of every metric (ids: M2); load them again with corrected values",
]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_tables_names_the_rows_out_of_range(old_store) -> None:
    result = runner.invoke(app, ["tables", "-w", str(old_store.root), "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {t["table"]: t for t in json.loads(result.stdout)}
    assert listed["tickets"]["rows"] == 4
    assert listed["tickets"]["out_of_range"] == {"created_at": 1, "solved_at": 1}
    assert (listed["tickets"]["first"], listed["tickets"]["last"]) == (
        "2024-01-01T10:00:00Z",
        "2024-01-04T10:00:00Z",
    )
    assert listed["messages"]["out_of_range"] == {"created_at": 1}
    assert listed["calls"]["out_of_range"] == {}
    assert "Traceback" not in result.output
    for warning in WARNINGS:
        assert f"warning: {warning}" in _flat(result.stderr)
    csv = runner.invoke(app, ["tables", "-w", str(old_store.root), "--format", "csv"])
    assert csv.exit_code == 0 and ',"created_at: 1, solved_at: 1"' in csv.stdout


def test_metrics_skip_those_rows_with_a_warning(old_store) -> None:
    args = ["metric", "ticket_volume", "-w", str(old_store.root), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["rows"] == [{"value": 2, "n": 2}]  # T1 and T4; T2 and T3 are left out
    assert body["warnings"] == WARNINGS
    assert f"warning: {WARNINGS[0]}" in _flat(result.stderr)
    # T4's reply (M2) is out of range, so only T1's first response (1 h) is left.
    frt = old_store.metric("first_response_time")
    assert [(r["value"], r["n"]) for r in frt.rows] == [(3600.0, 1)]
    assert frt.warnings == WARNINGS
    facts = runner.invoke(app, ["facts", "tickets", "-w", str(old_store.root), "--format", "json"])
    assert facts.exit_code == 0, facts.output
    assert sorted(json.loads(line)["ticket_id"] for line in facts.stdout.splitlines()) == [
        "T1",
        "T4",
    ]


def test_the_web_api_answers(old_store) -> None:
    users = Users.of_workspace(old_store.root)
    users.add("ana", "correct horse battery", "admin")
    headers = {"Authorization": f"Bearer {users.create_token('ana', 'tests')}"}
    client = TestClient(create_app(supportmetrics.connect(old_store.root), users=users))
    volume = client.get("/api/metrics/ticket_volume", headers=headers)
    assert volume.status_code == 200
    assert volume.json()["rows"][0]["n"] == 2 and volume.json()["warnings"] == WARNINGS
    for path in (
        "/api/overview",
        "/api/agents",
        "/api/targets",
        "/api/facts/tickets",
        "/api/dimensions/tickets",
        "/api/metrics/first_response_time/rows",
        "/api/metrics/backlog?period=day",
    ):
        assert client.get(path, headers=headers).status_code == 200, path


def _import(ws: Path, source: str, *paths: Path):
    return runner.invoke(app, ["import", source, *map(str, paths), "-w", str(ws)])


def _rows(ws: Path) -> int:
    return sum(t.rows for t in supportmetrics.connect(ws).tables())


def test_zendesk_refuses_out_of_range_values_and_offsets(workspace, tmp_path) -> None:
    export = tmp_path / "zendesk"
    shutil.copytree(FIXTURES / "zendesk", export)
    tickets = export / "tickets.json"
    original = tickets.read_text()
    tickets.write_text(original.replace('"2024-01-09T16:00:00Z"', '"9999-12-31T23:59:59Z"', 1))
    result = _import(workspace.root, "zendesk", export)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        "Zendesk ticket 103: created_at '9999-12-31T23:59:59Z' is outside the supported range"
        in (_flat(result.stderr))
    )
    tickets.write_text(original.replace('"2024-01-09T16:00:00Z"', '"2024-01-09T16:00:00+25:00"', 1))
    result = _import(workspace.root, "zendesk", export)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ticket 103: created_at '2024-01-09T16:00:00+25:00' is outside" in _flat(result.stderr)
    tickets.write_text(original)
    (export / "ticket_audits.jsonl").unlink()  # the comments then give the messages
    comments = export / "ticket_comments.jsonl"
    text = comments.read_text()
    comments.write_text(text.replace("2024-01-08T14:00:00Z", "2024-01-08T14:00:00-99:00", 1))
    result = _import(workspace.root, "zendesk", export)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "UTC offset beyond ±14:00 in 2024-01-08T14:00:00-99:00" in _flat(result.stderr)
    comments.write_text(text.replace("2024-01-08T14:00:00Z", "0001-01-01T00:00:00Z", 1))
    result = _import(workspace.root, "zendesk", export)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot convert the messages table: message_id 9001: created_at" in _flat(result.stderr)
    assert _rows(workspace.root) == 0


def test_csv_mapping_names_the_csv_line(workspace, tmp_path) -> None:
    export = tmp_path / "csv"
    shutil.copytree(FIXTURES / "csv", export)
    cases = export / "cases.csv"
    cases.write_text(
        cases.read_text(encoding="utf-8").replace("09.01.2024;09:15", "09.01.9999;09:15")
    )
    result = _import(workspace.root, "csv", export)
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = _flat(result.stderr)
    assert f"{cases} line 3: column created_at" in message.replace("\n", "")
    assert "'09.01.9999 09:15' is not valid: outside the supported range" in message
    assert _rows(workspace.root) == 0
