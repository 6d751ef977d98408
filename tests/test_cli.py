"""The command line end to end: exit codes, output formats, messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.schema import TABLES

runner = CliRunner()
TICKETS = (
    "ticket_id,created_at,channel\nT1,2024-01-01T10:00:00Z,email\nT2,2024-01-02T10:00:00Z,chat\n"
)


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    assert run("init", str(folder), "--timezone", "Europe/Paris").exit_code == 0
    return folder


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_ingest_then_tables_as_json(ws: Path, tmp_path: Path) -> None:
    result = run(
        "ingest", str(_file(tmp_path, "tickets.csv", TICKETS)), "-w", str(ws), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["written"] is True and report["rows_loaded"] == 2
    assert report["tables"]["tickets"]["rows_loaded"] == 2

    tables = json.loads(run("tables", "-w", str(ws), "--format", "json").stdout)
    tickets = next(t for t in tables if t["table"] == "tickets")
    assert tickets == {
        "table": "tickets",
        "rows": 2,
        "first": "2024-01-01T10:00:00Z",
        "last": "2024-01-02T10:00:00Z",
        "custom_columns": [],
        "out_of_range": {},
    }


def test_tables_as_csv_and_the_workspace_from_the_environment(ws: Path) -> None:
    result = run("tables", "--format", "csv", env={"SUPPORTMETRICS_WORKSPACE": str(ws)})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "table,rows,first,last,custom_columns,out_of_range"
    assert lines[1] == "tickets,0,,,[],"
    assert len(lines) == 1 + len(TABLES)


def test_invalid_input_exits_1_with_the_problem_and_writes_nothing(
    ws: Path, tmp_path: Path
) -> None:
    path = _file(tmp_path, "tickets.csv", TICKETS + "T3,2024-01-03,pigeon\n")
    result = run("ingest", str(path), "-w", str(ws))
    assert result.exit_code == 1
    assert "pigeon" in result.stderr and "unknown value" in result.stderr
    assert "nothing was ingested" in result.stderr
    assert "Traceback" not in result.output
    tables = json.loads(run("tables", "-w", str(ws), "--format", "json").stdout)
    assert all(t["rows"] == 0 for t in tables)


def test_invalid_input_as_json(ws: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, "tickets.csv", TICKETS + "T3,2024-01-03,pigeon\n")
    result = run("ingest", str(path), "-w", str(ws), "--format", "json")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["written"] is False and body["total_problems"] == 1
    assert body["problems"][0] | {"file": None} == {
        "file": None,
        "rule": "enum",
        "message": "unknown value: use one of email, chat, phone, social, web, messaging, sms, other",
        "line": 4,
        "column": "channel",
        "value": "pigeon",
    }


def test_quarantine_names_the_rejects_file(ws: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, "tickets.csv", TICKETS + "T3,2024-01-03,pigeon\n")
    result = run("ingest", str(path), "-w", str(ws), "--on-error", "quarantine")
    assert result.exit_code == 0
    assert "tickets.rejects.csv" in result.stderr.replace("\n", "")
    assert (tmp_path / "tickets.rejects.csv").exists()
    assert "2 rows loaded, 1 rejected" in result.stderr


def test_validate_exit_codes(ws: Path, tmp_path: Path) -> None:
    good = _file(tmp_path, "tickets.csv", TICKETS)
    assert run("validate", str(good), "-w", str(ws)).exit_code == 0
    bad = _file(tmp_path, "tickets_bad.csv", TICKETS + "T3,soon,email\n")
    result = run("validate", str(bad), "-w", str(ws))
    assert result.exit_code == 1 and "not a timestamp" in result.stderr


def test_not_a_workspace(tmp_path: Path) -> None:
    result = run("tables", "-w", str(tmp_path))
    assert result.exit_code == 1
    assert "supportmetrics init" in result.stderr


def test_unknown_table_option(ws: Path, tmp_path: Path) -> None:
    result = run("ingest", str(_file(tmp_path, "x.csv", TICKETS)), "--table", "tix", "-w", str(ws))
    assert result.exit_code == 1
    assert "no table 'tix'" in result.stderr


def test_busy_workspace_exits_3(ws: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
            "time.sleep(5)",
            str(ws / "supportmetrics.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
    try:
        path = _file(tmp_path, "tickets.csv", TICKETS)
        result = run("ingest", str(path), "-w", str(ws), "--wait", "0.2")
        assert result.exit_code == 3
        assert "workspace busy" in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_the_console_script_is_installed() -> None:
    exe = shutil.which("supportmetrics", path=str(Path(sys.executable).parent))
    assert exe is not None
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    for command in (
        "init",
        "ingest",
        "validate",
        "tables",
        "columns",
        "compact",
        "demo-data",
        "demo",
    ):
        assert command in done.stdout


def test_demo_data_is_deterministic_and_ingests_cleanly(tmp_path: Path, ws: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        result = run("demo-data", "--tickets", "300", "--seed", "7", "--out", str(out))
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(f"{t}.csv" for t in TABLES)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    result = run("ingest", str(first), "-w", str(ws), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows_rejected"] == 0 and report["tables"]["tickets"]["rows_loaded"] == 300


def test_demo_makes_a_workspace_and_summarises_it(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run("demo", str(folder), "--tickets", "400", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "loaded" in result.stderr
    tables = json.loads(run("tables", "-w", str(folder), "--format", "json").stdout)
    rows = {t["table"]: t["rows"] for t in tables}
    assert rows["tickets"] == 400
    assert all(rows[name] > 0 for name in TABLES), rows


def test_the_demo_workspace_has_schedules_sla_policies_and_targets(tmp_path: Path) -> None:
    from supportmetrics.config import load_config

    folder = tmp_path / "demo"
    assert run("demo", str(folder), "--tickets", "300", "--no-serve").exit_code == 0
    config = load_config(folder / "supportmetrics.toml")
    assert config.timezone == "America/New_York"
    assert [p.name for p in config.sla] == ["urgent", "enterprise", "standard"]
    assert config.sla[0].first_response_time == 3600 and config.sla[1].clock == "business"
    assert config.schedules["default"].hours["mon"] == ["08:00-18:00"]
    assert config.team_schedules() == {"billing": "billing"}
    assert set(config.targets) == {
        "first_response_time",
        "resolution_time",
        "csat",
        "first_contact_resolution",
        "reopen_rate",
        "sla_attainment",
    }
    assert all(t.owner and t.next_action for t in config.targets.values())
    # SLA attainment has policies to measure: a value, not "needs SLA policies"
    result = run("metric", "sla_attainment", "-w", str(folder), "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert 0 < row["value"] < 1 and row["n"] > 300
    # a second run keeps the settings as they are (no tables added twice)
    text = (folder / "supportmetrics.toml").read_text()
    assert run("demo", str(folder), "--tickets", "300", "--no-serve").exit_code == 0
    assert (folder / "supportmetrics.toml").read_text() == text


def test_error_messages_keep_square_brackets(ws: Path) -> None:
    # Messages are plain text, not markup: "[x]" must reach the user as typed.
    result = run("metric", "csat", "--variant", "threshold=[x]", "--workspace", str(ws))
    assert result.exit_code == 2
    assert "got '[x]'" in " ".join(result.output.split())


def _console(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line as a user runs it (its entry point, not the Typer app)."""
    return subprocess.run(
        [sys.executable, "-m", "supportmetrics", *args], capture_output=True, text=True
    )


def _with_store_url(tmp_path: Path, url: str) -> Path:
    folder = tmp_path / "ws"
    assert run("init", str(folder)).exit_code == 0
    config = folder / "supportmetrics.toml"
    config.write_text(config.read_text().replace("[store]\n", f'[store]\nurl = "{url}"\n', 1))
    return folder


def test_an_unreachable_store_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    folder = _with_store_url(tmp_path, "postgres://nobody@127.0.0.1:1/test")
    result = _console("metric", "ticket_volume", "-w", str(folder))
    assert result.returncode == 1
    assert "error: cannot connect to the postgres store" in " ".join(result.stderr.split())
    assert "Connection refused" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_into_a_database_store_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    folder = _with_store_url(tmp_path, "postgres://nobody@127.0.0.1:1/test")
    data = tmp_path / "tickets.csv"
    data.write_text("ticket_id,created_at\nT1,2024-01-01\n")
    result = _console("ingest", str(data), "-w", str(folder))
    assert result.returncode == 1
    assert "ingest loads the embedded store only" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
