"""CSV written for people: text cells that a spreadsheet would run as formulas get a leading quote
(OWASP's rule), numbers stay numbers, and --raw writes the stored text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.export import neutralise_formulas

runner = CliRunner()
PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
TICKETS = """\
ticket_id,created_at,channel,team,tags,score
T1,2024-01-01T10:00:00Z,email,=cmd|' /C calc'!A0,+1+1;plain,-5
T2,2024-01-01T11:00:00Z,email,-2+3,@SUM(A1),7
T3,2024-01-01T12:00:00Z,chat,"\tx",a-b,-1
T4,2024-01-01T13:00:00Z,chat,"\rx",,3
"""


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    assert run("init", str(folder)).exit_code == 0
    data = tmp_path / "tickets.csv"
    data.write_bytes(TICKETS.encode())
    result = run("ingest", str(data), "-w", str(folder))
    assert result.exit_code == 0, result.output
    return folder


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {row["ticket_id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


def test_the_rule_quotes_text_only() -> None:
    table = pa.table(
        {
            "text": [*PAYLOADS, "a=b", "", None],
            "number": [-5, 1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    safe = neutralise_formulas(table)
    assert safe.column("text").to_pylist() == [
        "'=cmd|' /C calc'!A0",
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "a=b",
        "",
        None,
    ]
    assert safe.column("number").to_pylist() == [-5, 1, 2, 3, 4, 5, 6, 7, 8]


def test_facts_csv_neutralises_formulas_unless_raw(ws: Path) -> None:
    result = run("facts", "tickets", "-w", str(ws), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert [rows[t]["team"] for t in ("T1", "T2", "T3", "T4")] == [
        "'=cmd|' /C calc'!A0",
        "'-2+3",
        "'\tx",
        "'\rx",
    ]
    assert rows["T1"]["tags"] == "'+1+1;plain"  # the joined list is one text cell
    assert rows["T2"]["tags"] == "'@SUM(A1)"
    assert rows["T3"]["tags"] == "a-b"
    assert [rows[t]["score"] for t in ("T1", "T2", "T3")] == ["-5", "7", "-1"]  # a number

    raw = _rows(run("facts", "tickets", "-w", str(ws), "--format", "csv", "--raw").stdout)
    assert raw["T1"]["team"] == "=cmd|' /C calc'!A0"
    assert raw["T2"]["tags"] == "@SUM(A1)"


def test_facts_csv_file_is_neutralised(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "facts.csv"
    assert run("facts", "tickets", "-w", str(ws), "--out", str(out)).exit_code == 0
    assert _rows(out.read_text())["T1"]["team"] == "'=cmd|' /C calc'!A0"


def test_metric_csv_neutralises_dimension_values_unless_raw(ws: Path) -> None:
    args = ("metric", "ticket_volume", "--by", "team", "-w", str(ws), "--format", "csv")
    result = run(*args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert list(rows[0])[:2] == ["team", "value"]
    assert {row["team"] for row in rows} == {"'=cmd|' /C calc'!A0", "'\tx", "'\rx", "'-2+3"}
    raw = csv.DictReader(io.StringIO(run(*args, "--raw").stdout, newline=""))
    assert {row["team"] for row in raw} == {"=cmd|' /C calc'!A0", "\tx", "\rx", "-2+3"}


def test_metric_csv_quotes_a_carriage_return_in_a_cell(ws: Path) -> None:
    """RFC 4180 line ends (CR LF): a cell holding a CR is quoted, so its row stays one row."""
    args = ("metric", "ticket_volume", "--by", "team", "-w", str(ws), "--format", "csv", "--raw")
    text = run(*args).stdout
    assert '"\rx"' in text
    assert len(list(csv.reader(io.StringIO(text, newline="")))) == 5
