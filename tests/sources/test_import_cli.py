"""`supportmetrics import` end to end: list, import into the store, --out, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from tests.sources._canonical import FIXTURES

runner = CliRunner()
ZENDESK = str(FIXTURES / "zendesk")


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    assert run("init", str(folder), "--timezone", "America/New_York").exit_code == 0
    return folder


def _counts(ws: Path) -> dict[str, int]:
    result = run("tables", "-w", str(ws), "--format", "json")
    return {t["table"]: t["rows"] for t in json.loads(result.stdout) if t["rows"]}


EXPECTED = {
    "tickets": 5,
    "messages": 16,
    "ticket_events": 24,
    "surveys": 1,
    "survey_invitations": 2,
    "customers": 3,
    "agents": 2,
}


def test_list_names_each_source_with_how_to_export() -> None:
    result = run("import", "--list", "--format", "json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    names = [s["name"] for s in listed]
    mine = [n for n in names if n in ("zendesk", "freshdesk", "intercom", "csv")]
    assert mine == ["zendesk", "freshdesk", "intercom", "csv"]
    assert names[0] == "zendesk" and names[-1] == "csv"
    zendesk = listed[0]
    assert zendesk["title"] == "Zendesk Support"
    assert "ticket_audits" in zendesk["reads"] and "/api/v2/" in zendesk["how to export"]
    table = run("import", "--list")
    assert table.exit_code == 0 and "intercom (Intercom)" in table.stdout


def test_import_loads_the_store_prints_notes_and_reconciliation(ws: Path) -> None:
    result = run("import", "zendesk", ZENDESK, "-w", str(ws), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["written"] is True and report["source"] == "zendesk"
    assert report["rows_loaded"] == sum(EXPECTED.values()) == 53
    assert report["notes"][0] == "1 deleted ticket(s) skipped, with their comments and events"
    measures = report["details"]["reconciliation"]["measures"]
    assert measures["full resolution (business)"] == {"compared": 4, "match": 3, "differ": 1}
    assert "note: 1 deleted ticket(s) skipped" in result.stderr
    assert "first reply (calendar): 4 tickets, 2 match, 2 differ" in result.stderr
    assert _counts(ws) == EXPECTED
    assert not list((ws / ".supportmetrics-tmp").glob("import-*"))


def test_importing_the_same_export_again_changes_nothing(ws: Path) -> None:
    assert run("import", "zendesk", ZENDESK, "-w", str(ws)).exit_code == 0
    before = run("metric", "first_response_time", "-w", str(ws), "--format", "json").stdout
    again = run("import", "zendesk", ZENDESK, "-w", str(ws))
    assert again.exit_code == 0, again.output
    assert "nothing new: every converted row is in the store already" in again.stderr
    assert "0 rows loaded, 0 rejected" in again.stderr
    assert _counts(ws) == EXPECTED
    after = run("metric", "first_response_time", "-w", str(ws), "--format", "json").stdout
    assert json.loads(after)["rows"] == json.loads(before)["rows"]
    assert json.loads(after)["rows"][0]["value"] == 21200.0


def test_out_writes_canonical_files_and_leaves_the_store(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "canonical"
    args = ("import", "freshdesk", str(FIXTURES / "freshdesk"), "--out", str(out))
    result = run(*args, "-w", str(ws), "--format", "json")
    assert result.exit_code == 0, result.output
    tables = {t["table"]: t["rows"] for t in json.loads(result.stdout)["tables"]}
    assert tables == {"tickets": 6, "ticket_events": 2, "messages": 14, "surveys": 2, "agents": 2}
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in tables)
    assert _counts(ws) == {}
    loaded = run("ingest", str(out), "-w", str(ws))
    assert loaded.exit_code == 0, loaded.output
    assert _counts(ws) == tables


def test_out_reconciles_in_a_scratch_workspace(tmp_path: Path) -> None:
    result = run("import", "zendesk", ZENDESK, "--out", str(tmp_path / "o"), "-w", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "timestamps without an offset are read as UTC" in result.stderr
    assert "full resolution (business): 4 tickets, 3 match, 1 differ" in result.stderr
    assert not (tmp_path / "o" / ".supportmetrics-tmp").exists()


def test_the_wrong_file_exits_1_and_writes_nothing(ws: Path) -> None:
    path = FIXTURES / "intercom" / "conversations.jsonl"
    result = run("import", "zendesk", str(path), "-w", str(ws))
    assert result.exit_code == 1
    assert "this is not a Zendesk export: cannot tell which records" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.output
    assert _counts(ws) == {}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("import", "helpscout", ZENDESK), 2, "unknown source 'helpscout'; the sources are: "),
        (("import", "zendesk"), 2, "name a SOURCE and at least one PATH"),
        (("import", "csv", str(FIXTURES / "csv" / "cases.csv")), 1, "exactly one mapping file"),
    ],
)
def test_usage_errors(ws: Path, args: tuple[str, ...], code: int, message: str) -> None:
    result = run(*args, "-w", str(ws))
    assert result.exit_code == code
    assert message in result.stderr


def test_a_failed_conversion_leaves_no_files_in_out(tmp_path: Path) -> None:
    (tmp_path / "tickets.csv").write_text("id,at\nT1,2024-01-08 09:00\n")
    (tmp_path / "messages.csv").write_text("mid,id,at,who\nM1,T1,2024-01-08 09:05,robot\n")
    (tmp_path / "map.toml").write_text(
        '[tickets]\nfile = "tickets.csv"\n[tickets.columns]\nticket_id = "id"\n'
        'created_at = "at"\nchannel = { value = "email" }\n'
        '[messages]\nfile = "messages.csv"\n[messages.columns]\nmessage_id = "mid"\n'
        'ticket_id = "id"\ncreated_at = "at"\nauthor_type = "who"\n'
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run("import", "csv", str(tmp_path), "--out", str(out), "-w", str(tmp_path))
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert (
        "line 2: column author_type (from 'who'): 'robot' is not valid: map it with values = "
        in said
    )
    assert "in [messages.columns] author_type; allowed: customer, agent, bot, system" in said
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_import_takes_on_error_quarantine_and_keeps_the_rejects(ws: Path, tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(
        "id,at,done,ch\nT1,2024-01-08 09:00,2024-01-08 10:00,email\n"
        "T2,2024-01-08 09:00,2024-01-07 10:00,email\n"  # solved before it was created
    )
    (tmp_path / "map.toml").write_text(
        '[tickets]\nfile = "cases.csv"\n[tickets.columns]\nticket_id = "id"\n'
        'created_at = "at"\nsolved_at = "done"\nchannel = "ch"\n'
    )
    args = ("import", "csv", str(tmp_path / "map.toml"), str(tmp_path / "cases.csv"), "-w", str(ws))
    failed = run(*args)
    assert failed.exit_code == 1
    assert "with --on-error quarantine" in failed.stderr
    assert _counts(ws) == {}
    result = run(*args, "--on-error", "quarantine", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["rows_loaded"], report["rows_rejected"]) == (1, 1)
    (rejects,) = report["rejects_files"]
    assert Path(rejects).parent.parent == ws / "rejects"
    assert "T2" in Path(rejects).read_text()
    assert _counts(ws) == {"tickets": 1}
