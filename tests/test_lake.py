"""`supportmetrics export-lake`: a workspace's canonical tables as Parquet, one folder per table."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.config import CONFIG_FILE
from supportmetrics.schema import TABLES
from tests.metrics.conftest import MESSAGES, TICKETS, make_workspace


def _export(*args: str):
    return CliRunner().invoke(app, ["export-lake", *args])


def test_every_table_is_written_as_its_own_parquet_folder(tmp_path) -> None:
    ws = make_workspace(tmp_path, tickets=TICKETS, messages=MESSAGES)
    ws.close()
    lake = tmp_path / "lake"
    result = _export(str(lake), "-w", str(ws.root), "-f", "json")
    assert result.exit_code == 0, result.output
    rows = {r["table"]: r["rows"] for r in json.loads(result.stdout)}
    assert rows == {name: {"tickets": 8, "messages": 14}.get(name, 0) for name in TABLES}
    assert sorted(p.name for p in lake.iterdir()) == sorted(TABLES)
    tickets = pq.read_table(lake / "tickets")
    assert tickets.num_rows == 8
    assert tickets.column_names == [c.name for c in TABLES["tickets"].columns]
    assert str(tickets.schema.field("created_at").type) == "timestamp[us]"
    assert sorted(tickets["ticket_id"].to_pylist()) == [f"T{i}" for i in range(1, 9)]
    said = " ".join(result.stderr.split())
    assert f'[store] engine = "spark" and [store.spark] tables = "{lake.resolve()}"' in said


def test_tables_already_there_are_kept_unless_replaced(tmp_path) -> None:
    ws = make_workspace(tmp_path, tickets=TICKETS)
    ws.close()
    lake = tmp_path / "lake"
    (lake / "tickets").mkdir(parents=True)
    (lake / "tickets" / "mine.parquet").write_text("not ours")
    result = _export(str(lake), "-w", str(ws.root))
    assert result.exit_code == 1
    assert "already holds tickets: choose an empty folder, or pass --replace" in " ".join(
        result.output.split()
    )
    assert [p.name for p in lake.iterdir()] == ["tickets"]
    assert [p.name for p in (lake / "tickets").iterdir()] == ["mine.parquet"]
    result = _export(str(lake), "--replace", "-w", str(ws.root))
    assert result.exit_code == 0, result.output
    assert [p.name for p in (lake / "tickets").iterdir()] == ["part-0.parquet"]
    assert pq.read_table(lake / "tickets").num_rows == 8
    assert not [p for p in lake.iterdir() if p.name.startswith(".")], "no staging folder left"


def test_a_spark_workspace_is_not_exported(tmp_path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / CONFIG_FILE).write_text('[store]\nengine = "spark"\n[store.spark]\ntables = "lake"\n')
    result = _export(str(tmp_path / "out"), "-w", str(root))
    assert result.exit_code == 1
    assert "already reads its tables from Spark" in result.output
    assert not (tmp_path / "out").exists()
