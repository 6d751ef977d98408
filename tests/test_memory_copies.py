"""Fact files copied into a connection's memory in the background (`MemoryCopies`)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import duckdb
import ibis
import pytest

from supportmetrics.memory_copies import MemoryCopies


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, Path]:
    """A read-only-openable store file and a Parquet file of 1,000 rows."""
    path = tmp_path / "store.duckdb"
    duckdb.connect(str(path)).close()
    parquet = tmp_path / "facts.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT range AS id, range % 7 AS k, range * 0.5 AS x FROM range(1000)) "
            f"TO '{parquet}' (FORMAT parquet)"
        )
    return path, parquet


def test_a_copy_answers_as_its_file_and_replaces_it_when_ready(store) -> None:
    path, parquet = store
    db = ibis.duckdb.connect(str(path), read_only=True)
    view = db.read_parquet(parquet, table_name="facts_0")
    copies = MemoryCopies(db, "_sm_test")
    copies.add(("facts",), parquet, "facts_0_in_memory")
    assert copies.ready() == []  # nothing copied before `start`
    copies.start()
    copies.wait()
    [(key, table)] = copies.ready()
    assert key == ("facts",)
    assert table.op().name == "facts_0_in_memory"
    assert table.schema() == view.schema()
    assert table.op().namespace == view.op().namespace  # the same compiled shapes fit both

    def total(t: ibis.Table) -> list[dict[str, object]]:
        sums = t.aggregate(n=t.count(), x=t.x.sum(), k=t.k.nunique())
        return db.to_pyarrow(sums).to_pylist()

    assert total(table) == total(view) == [{"n": 1000, "x": 249750.0, "k": 7}]
    assert copies.ready() == []  # each copy is handed over once
    copies.close()
    db.disconnect()


def test_closing_detaches_the_copies_from_the_shared_instance(store) -> None:
    # Connections to one file share a DuckDB instance and its attached databases: a closed
    # engine's copies must not stay in memory while another engine keeps the instance open
    path, parquet = store
    first = ibis.duckdb.connect(str(path), read_only=True)
    second = ibis.duckdb.connect(str(path), read_only=True)
    copies = MemoryCopies(first, "_sm_first")
    copies.add(("facts",), parquet, "facts_0_in_memory")
    copies.start()
    copies.wait()

    def attached() -> list[str]:
        rows = second.raw_sql("SELECT database_name FROM duckdb_databases()").fetchall()
        return [name for (name,) in rows]

    assert copies.catalog in attached()
    copies.close()
    assert copies.catalog not in attached()
    copies.start()  # closed: copies nothing more
    assert copies.ready() == []
    first.disconnect()
    second.disconnect()


def test_a_file_that_cannot_be_copied_leaves_its_view(store, tmp_path: Path) -> None:
    path, parquet = store
    db = ibis.duckdb.connect(str(path), read_only=True)
    copies = MemoryCopies(db, "_sm_test")
    copies.add(("gone",), tmp_path / "missing.parquet", "gone_in_memory")
    copies.add(("facts",), parquet, "facts_0_in_memory")
    copies.start()
    copies.wait()
    assert [key for key, _ in copies.ready()] == [("facts",)]
    copies.close()
    db.disconnect()


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own priority is Linux's")
def test_the_copies_yield_the_processor_to_queries(store, monkeypatch) -> None:
    path, parquet = store
    asked = []
    monkeypatch.setattr(os, "setpriority", lambda *args: asked.append(args))
    db = ibis.duckdb.connect(str(path), read_only=True)
    copies = MemoryCopies(db, "_sm_test")
    copies.add(("facts",), parquet, "facts_0_in_memory")
    copies.start()
    copies.wait()
    [(which, thread, niceness)] = asked
    assert (which, niceness) == (os.PRIO_PROCESS, 19)
    assert thread != threading.get_native_id()  # the copying thread, not the caller's
    assert [key for key, _ in copies.ready()] == [("facts",)]
    copies.close()
    db.disconnect()
