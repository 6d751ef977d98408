"""Compaction: the store file gives back the space it no longer uses, with the data unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app


def _dump(workspace: supportmetrics.Workspace) -> dict[str, object]:
    """Every table of the store, rows and column types."""
    with workspace.read() as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {
            name: (
                con.execute(f'DESCRIBE "{name}"').fetchall(),
                sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr),
            )
            for name in sorted(names)
        }


def _tickets(path: Path, rows: int, *, notes: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = ", md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS notes" if notes else ""
    duckdb.sql(
        "COPY (SELECT 'W' || i AS ticket_id, TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND "
        f"AS created_at, ['email', 'chat'][1 + i % 2] AS channel, i % 7 AS score{extra} "
        f"FROM range({rows}) t(i)) TO '{path}' (HEADER)"
    )
    return path


def test_compact_brings_a_grown_store_back_with_identical_data(workspace, tmp_path) -> None:
    path = _tickets(tmp_path / "in" / "tickets.csv", 200_000)
    workspace.ingest([path])
    first = workspace.store_path.stat().st_size
    sizes = []
    for _ in range(4):  # re-ingesting the same rows replaces them: the file grows
        report = workspace.ingest([path])
        sizes.append(report.store_bytes[1])
        if sizes[-1] > 1.5 * first:
            break
    assert max(sizes) > 1.5 * first, (first, sizes)
    before = _dump(workspace)
    result = CliRunner().invoke(app, ["compact", "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    after = workspace.store_path.stat().st_size
    assert after <= 1.1 * first, (first, sizes, after)
    assert "store file compacted" in result.stderr
    assert _dump(workspace) == before
    assert not workspace.store_path.with_name("supportmetrics.duckdb.compacting").exists()
    # The compacted store takes writes as before.
    more = tmp_path / "more" / "tickets.csv"
    more.parent.mkdir()
    more.write_text("ticket_id,created_at,channel,score\nX1,2024-02-01,web,3\n")
    assert workspace.ingest([more]).rows_loaded == 1


def test_an_ingest_compacts_when_the_file_holds_more_than_twice_its_data(
    workspace, tmp_path
) -> None:
    wide = _tickets(tmp_path / "wide" / "tickets.csv", 100_000, notes=True)
    narrow = _tickets(tmp_path / "narrow" / "tickets.csv", 100_000)
    messages = tmp_path / "messages.csv"
    duckdb.sql(
        "COPY (SELECT 'M' || i AS message_id, 'W' || (i % 100000) AS ticket_id, "
        "TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS created_at, 'agent' AS author_type "
        f"FROM range(200000) t(i)) TO '{messages}' (HEADER)"
    )
    workspace.ingest([wide])
    assert workspace.ingest([messages]).compacted is None
    assert workspace.drop_columns(["tickets.notes"]) == ["tickets.notes"]
    # The notes' blocks are free now, in the middle of the file: the next ingest compacts.
    result = CliRunner().invoke(
        app, ["ingest", str(narrow), "-w", str(workspace.root), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    compacted = report["compacted"]
    assert compacted["before"] > 2 * compacted["after"], compacted
    assert (
        report["store_bytes"]["after"] == compacted["after"] == workspace.store_path.stat().st_size
    )
    # The same rows as loading the narrow tickets and the messages into a fresh store.
    fresh = supportmetrics.init(tmp_path / "fresh", timezone="America/New_York")
    fresh.ingest([narrow])
    fresh.ingest([messages])
    ours, theirs = _dump(workspace), _dump(fresh)
    for name in ("tickets", "messages"):
        assert ours[name] == theirs[name], name


def test_compact_waits_for_a_busy_store_then_exits_3(workspace) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
            "time.sleep(5)",
            str(workspace.store_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        result = CliRunner().invoke(app, ["compact", "-w", str(workspace.root), "--wait", "0.2"])
        assert result.exit_code == 3 and "workspace busy" in result.stderr
    finally:
        holder.kill()
        holder.wait()
