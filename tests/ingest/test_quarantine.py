"""Quarantine files: named after the whole input name, never overwriting a file; validate writes none."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from supportmetrics.cli import app

BAD = "ticket_id,created_at,channel\nT1,2024-01-01,email\nT2,never,chat\n"
OTHER_BAD = "ticket_id,created_at,channel\nT3,2024-01-01,fax\nT4,2024-01-01,web\n"


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _rejected_ids(path: Path) -> list[str]:
    rows = list(csv.DictReader(path.read_text().splitlines()))
    return [row["ticket_id"] for row in rows]


def test_validate_writes_nothing_beside_the_input_nor_in_the_workspace(workspace, write) -> None:
    path = write("tickets.csv", BAD)
    before_input, before_ws = _listing(path.parent), _listing(workspace.root)
    report = workspace.validate([path])
    assert report.total_problems == 1 and report.rejects_files == []
    assert _listing(path.parent) == before_input
    assert _listing(workspace.root) == before_ws
    result = CliRunner().invoke(app, ["validate", str(path), "-w", str(workspace.root)])
    assert result.exit_code == 1 and "not a timestamp" in result.stderr
    assert _listing(path.parent) == before_input


def test_two_versions_of_a_file_in_one_folder_keep_both_sets_of_rejects(workspace, write) -> None:
    v2, v3 = write("tickets.v2.csv", BAD), write("tickets.v3.csv", OTHER_BAD)
    report = workspace.ingest([v2.parent], table="tickets", on_error="quarantine")
    assert report.rows_loaded == 2 and report.rows_rejected == 2
    folder = v2.parent
    assert report.rejects_files == [
        folder / "tickets.v2.rejects.csv",
        v3.parent / "tickets.v3.rejects.csv",
    ]
    assert _rejected_ids(folder / "tickets.v2.rejects.csv") == ["T2"]
    assert _rejected_ids(folder / "tickets.v3.rejects.csv") == ["T3"]
    assert report.rejects_kept == []


def test_a_gzipped_input_gives_a_plain_rejects_csv(workspace, tmp_path) -> None:
    path = tmp_path / "tickets.csv.gz"
    path.write_bytes(gzip.compress(BAD.encode()))
    report = workspace.ingest([path], on_error="quarantine")
    assert report.rejects_files == [tmp_path / "tickets.rejects.csv"]
    assert _rejected_ids(tmp_path / "tickets.rejects.csv") == ["T2"]


def test_an_existing_rejects_file_is_left_alone_and_the_report_says_so(workspace, write) -> None:
    path = write("tickets.csv", BAD)
    mine = path.with_name("tickets.rejects.csv")
    mine.write_text("my own notes\n")
    result = CliRunner().invoke(
        app, ["ingest", str(path), "-w", str(workspace.root), "--on-error", "quarantine"]
    )
    assert result.exit_code == 0, result.output
    assert mine.read_text() == "my own notes\n"
    second = path.with_name("tickets.rejects-2.csv")
    assert _rejected_ids(second) == ["T2"]
    said = "".join(result.stderr.split())  # compared without the console's line wrapping
    assert "".join(f"{mine} already exists and was left as it was".split()) in said
    assert "".join(f"rejected rows and their reasons: {second}".split()) in said
    # A folder scan skips both rejects files; a third run writes -3.
    again = workspace.ingest([path.parent], on_error="quarantine")
    assert again.tables["tickets"].files == [str(path)]
    assert again.rejects_files == [path.with_name("tickets.rejects-3.csv")]
    assert again.rejects_kept == [mine, second]


def test_two_inputs_with_the_same_rejects_name_in_one_run_keep_both(workspace, write) -> None:
    csv_path = write("tickets.csv", BAD)
    parquet = csv_path.with_name("tickets.parquet")
    duckdb.sql(
        "COPY (SELECT 'T5' AS ticket_id, 'later' AS created_at, 'email' AS channel) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    report = workspace.ingest([csv_path, parquet], on_error="quarantine")
    folder = csv_path.parent
    assert report.rejects_files == [
        folder / "tickets.rejects.csv",
        folder / "tickets.rejects-2.csv",
    ]
    assert _rejected_ids(folder / "tickets.rejects.csv") == ["T2"]
    assert _rejected_ids(folder / "tickets.rejects-2.csv") == ["T5"]
    assert report.rejects_kept == []


def test_rejects_files_neutralise_formulas(workspace, write) -> None:
    path = write(
        "tickets.csv", "ticket_id,created_at,channel,team\nT1,never,email,=cmd|' /C calc'!A0\n"
    )
    workspace.ingest([path], on_error="quarantine")
    rows = list(csv.DictReader((path.parent / "tickets.rejects.csv").read_text().splitlines()))
    assert [(r["ticket_id"], r["team"]) for r in rows] == [("T1", "'=cmd|' /C calc'!A0")]
