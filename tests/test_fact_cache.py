"""Facts persisted per data version: reused by later processes, never stale after an ingest or a
settings change, never read half-written.

Two tickets, UTC workspace: T1 email created Tue 2 Jan 2024 09:00, first agent reply 10:00 (1 h);
T2 chat created 10:00, first agent reply 10:30 (30 min), corrected to 11:00 (1 h) by a second
ingest. On the default schedule (Mon-Fri 09:00-17:00) business time equals calendar time; with
Tuesday opening at 09:30, T1's first response is 30 business minutes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import supportmetrics
from supportmetrics.fact_cache import FactCache, prune
from supportmetrics.facts.registry import FACT_TABLES

TICKETS = """ticket_id,created_at,channel,status,created_by
T1,2024-01-02T09:00:00Z,email,open,customer
T2,2024-01-02T10:00:00Z,chat,open,customer
"""
MESSAGES = """message_id,ticket_id,created_at,author_type,author_id,public,automated
M1,T1,2024-01-02T09:00:00Z,customer,,true,false
M2,T1,2024-01-02T10:00:00Z,agent,A1,true,false
M3,T2,2024-01-02T10:00:00Z,customer,,true,false
M4,T2,2024-01-02T10:30:00Z,agent,A1,true,false
"""
CORRECTION = """message_id,ticket_id,created_at,author_type,author_id,public,automated
M4,T2,2024-01-02T11:00:00Z,agent,A1,true,false
"""


def _input(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tickets.csv").write_text(TICKETS)
    (data / "messages.csv").write_text(MESSAGES)
    correction = tmp_path / "correction"
    correction.mkdir()
    (correction / "messages.csv").write_text(CORRECTION)
    return data, correction


def _by_channel(ws: supportmetrics.Workspace, **options: str) -> dict[str, float]:
    result = ws.metric("first_response_time", by=["channel"], **options)  # type: ignore[arg-type]
    return {row["channel"]: row["value"] for row in result.rows}


def _files(ws: supportmetrics.Workspace) -> dict[str, tuple[int, int]]:
    """Every file under the facts folder (relative path -> inode, modification time)."""
    return {
        str(path.relative_to(ws.facts_folder)): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in ws.facts_folder.rglob("*")
        if path.is_file()
    }


def _versions(ws: supportmetrics.Workspace) -> list[str]:
    return sorted(p.name for p in ws.facts_folder.iterdir()) if ws.facts_folder.is_dir() else []


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[supportmetrics.Workspace, Path]:
    """A UTC workspace with the two tickets, and the folder of the correction."""
    ws = supportmetrics.init(tmp_path / "ws")
    data, correction = _input(tmp_path)
    ws.ingest([data])
    return ws, correction


def test_an_ingest_makes_the_next_query_reflect_the_correction(loaded) -> None:
    ws, correction = loaded
    assert _by_channel(ws) == {"chat": 1800, "email": 3600}
    first = _versions(ws)
    assert len(first) == 1 and any(f.endswith(".parquet") for f in _files(ws))
    report = ws.ingest([correction])
    assert report.facts is not None and report.facts.startswith("rebuilt on next query")
    assert report.to_dict()["facts"] == report.facts
    assert _versions(ws) == []  # the facts of the old data are deleted with the ingest
    assert _by_channel(ws) == {"chat": 3600, "email": 3600}
    assert supportmetrics.connect(ws.root).metric("first_response_time").rows[0]["value"] == 3600
    assert len(_versions(ws)) == 1 and _versions(ws) != first


def test_a_later_workspace_reads_the_persisted_facts_without_building_them(
    loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, _ = loaded
    assert _by_channel(ws) == {"chat": 1800, "email": 3600}
    ws.close()
    before = _files(ws)
    assert {Path(f).name.split(".")[0] for f in before} >= {"ticket_core", "out_of_range"}

    def not_built(*args: object) -> None:
        raise AssertionError("the ticket facts were built again")

    core = FACT_TABLES["ticket_core"]
    monkeypatch.setitem(FACT_TABLES, "ticket_core", replace(core, build=not_built))
    later = supportmetrics.connect(ws.root)
    assert _by_channel(later) == {"chat": 1800, "email": 3600}
    assert _files(later) == before


def test_fact_files_are_parquet_2_pages_without_block_compression(loaded) -> None:
    ws, _ = loaded
    assert _by_channel(ws) == {"chat": 1800, "email": 3600}
    (path,) = ws.facts_folder.rglob("ticket_core.*.parquet")
    meta = pq.ParquetFile(path).metadata
    columns = [meta.row_group(0).column(i) for i in range(meta.num_columns)]
    assert {column.compression for column in columns} == {"UNCOMPRESSED"}
    by_name = {column.path_in_schema: column for column in columns}
    # Version 2 pages encode integers and timestamps as deltas (version 1: plain or dictionary).
    assert "DELTA_BINARY_PACKED" in by_name["agent_replies"].encodings
    assert "DELTA_BINARY_PACKED" in by_name["created_at"].encodings


def _facts_table(ws: supportmetrics.Workspace) -> str:
    """The name of the table or view the engine reads the ticket facts from."""
    return ws.engine().facts("ticket_core").op().name


def test_facts_in_memory_answer_as_the_files_do(loaded) -> None:
    # The dashboard's engines copy the cached facts into memory once, in the background after the
    # request that first read them, which the files answer: the same numbers from both, and a
    # later ingest still reaches them (a new engine reads the new version's files)
    ws, correction = loaded
    assert _by_channel(ws) == {"chat": 1800, "email": 3600}
    ws.close()
    server = supportmetrics.connect(ws.root)
    server.facts_in_memory = True
    assert _by_channel(server) == {"chat": 1800, "email": 3600}
    engine = server.engine()
    assert not _facts_table(server).endswith("_in_memory")  # the file's view, not yet copied
    engine.copy_facts()
    assert engine.copies is not None
    engine.copies.wait()
    assert _facts_table(server).endswith("_in_memory")
    copied = engine.db.raw_sql(
        f"SELECT table_name FROM duckdb_tables() WHERE database_name = '{engine.copies.catalog}'"
    )
    assert [name for (name,) in copied.fetchall()] == [_facts_table(server)]
    assert _by_channel(server) == {"chat": 1800, "email": 3600}
    server.close()
    ws.ingest([correction])
    assert _by_channel(server) == {"chat": 3600, "email": 3600}


def test_a_settings_change_does_not_serve_the_old_facts(loaded) -> None:
    ws, _ = loaded
    assert _by_channel(ws, clock="business") == {"chat": 1800, "email": 3600}
    ws.close()
    config = ws.root / "supportmetrics.toml"
    config.write_text(
        config.read_text() + '\n[schedules.default]\nhours = { tue = ["09:30-17:00"] }\n'
    )
    assert _by_channel(supportmetrics.connect(ws.root), clock="business") == {
        "chat": 1800,
        "email": 1800,
    }


def test_facts_that_depend_on_now_are_not_persisted(loaded) -> None:
    ws, _ = loaded
    config = ws.root / "supportmetrics.toml"
    config.write_text(config.read_text() + '\n[[sla]]\nname = "all"\nfirst_response_time = "45m"\n')
    ws = supportmetrics.connect(ws.root)
    result = ws.metric("sla_attainment", by=["channel"])
    assert {row["channel"]: row["value"] for row in result.rows} == {"chat": 1.0, "email": 0.0}
    persisted = {Path(f).name.split(".")[0] for f in _files(ws)}
    assert "ticket_core" in persisted and "sla" not in persisted  # what SLA builds on is kept


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    config = ws.root / "supportmetrics.toml"
    config.write_text(config.read_text().replace("facts_cache = true", "facts_cache = false"))
    ws = supportmetrics.connect(ws.root)
    data, _ = _input(tmp_path)
    assert (
        ws.ingest([data]).facts
        == "built by each process that queries ([engine] facts_cache = false)"
    )
    assert _by_channel(ws) == {"chat": 1800, "email": 3600}
    assert not ws.facts_folder.exists()


def test_a_folder_that_cannot_take_the_files_leaves_the_facts_per_process(loaded) -> None:
    ws, _ = loaded
    config = ws.root / "supportmetrics.toml"
    text = config.read_text().replace('".supportmetrics/facts"', '"supportmetrics.toml/x"')
    config.write_text(text)
    ws = supportmetrics.connect(ws.root)
    result = ws.metric("first_response_time", by=["channel"])
    assert {row["channel"]: row["value"] for row in result.rows} == {"chat": 1800, "email": 3600}
    [warning] = result.warnings
    assert warning.startswith(
        f"the facts could not be kept in {ws.root / 'supportmetrics.toml/x'} ("
    )


def test_an_unreadable_file_is_built_again(loaded) -> None:
    ws, _ = loaded
    assert _by_channel(ws) == {"chat": 1800, "email": 3600}
    ws.close()
    [facts] = [ws.facts_folder / f for f in _files(ws) if f.endswith(".parquet")]
    facts.write_bytes(b"PAR1 not a parquet file")
    assert _by_channel(supportmetrics.connect(ws.root)) == {"chat": 1800, "email": 3600}
    assert facts.read_bytes()[-4:] == b"PAR1" and facts.stat().st_size > 100


def test_each_variant_has_a_file_of_its_own() -> None:
    assert FactCache.file_name("tickets", "calendar", {"a": 1}) == FactCache.file_name(
        "tickets", "calendar", {"a": 1}
    )
    assert FactCache.file_name("tickets", "calendar", {"a": 1}) != FactCache.file_name(
        "tickets", "calendar", {"a": 2}
    )


def test_prune_deletes_other_versions_and_dead_temporary_files(tmp_path: Path) -> None:
    for version in ("v1", "v2"):
        (tmp_path / version / "s").mkdir(parents=True)
        (tmp_path / version / "s" / "tickets.calendar.x.parquet").write_bytes(b"x")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    gone = tmp_path / "v2" / "s" / f".tickets.calendar.y.parquet.{dead.stdout.strip()}.ab12cd34.tmp"
    live = tmp_path / "v2" / "s" / f".tickets.calendar.z.parquet.{os.getpid()}.ab12cd34.tmp"
    gone.write_bytes(b"x")
    live.write_bytes(b"x")
    prune(tmp_path, keep="v2")
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == [str(live.relative_to(tmp_path)), "v2/s/tickets.calendar.x.parquet"]


def _cli(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportmetrics", *args, "-w", str(ws)],
        capture_output=True,
        text=True,
        check=True,
    )


def _cli_by_channel(ws: Path) -> dict[str, float]:
    done = _cli(ws, "metric", "first_response_time", "--by", "channel", "-f", "json")
    return {row["channel"]: row["value"] for row in json.loads(done.stdout)["rows"]}


STALLS = textwrap.dedent(
    """
    import sys, time
    import supportmetrics
    from supportmetrics import fact_cache

    publish = fact_cache._publish

    def stall(temp, path):
        if path.suffix != ".parquet":
            return publish(temp, path)
        print(temp, flush=True)
        time.sleep(600)

    fact_cache._publish = stall
    supportmetrics.connect(sys.argv[1]).metric("first_response_time", by=["channel"])
    """
)


@pytest.mark.slow
def test_cli_processes_a_killed_refresh_and_a_correction(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    data, correction = _input(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "supportmetrics", "init", str(ws)], check=True, capture_output=True
    )
    assert "facts: rebuilt on next query" in _cli(ws, "ingest", str(data)).stderr

    stalled = subprocess.Popen(
        [sys.executable, "-c", STALLS, str(ws)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert stalled.stdout is not None
        temp = Path(stalled.stdout.readline().strip())
        assert temp.is_file() and temp.stat().st_size > 0  # written, not yet in place
    finally:
        stalled.send_signal(signal.SIGKILL)
        stalled.wait()
    folder = temp.parent
    assert not [p for p in folder.iterdir() if p.suffix == ".parquet"]

    assert _cli_by_channel(ws) == {"chat": 1800, "email": 3600}
    assert not temp.exists()  # its process is gone: deleted by the next writer
    built = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert [n for n in built if n.endswith(".parquet")]
    assert _cli_by_channel(ws) == {"chat": 1800, "email": 3600}
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == built  # read, not rebuilt

    _cli(ws, "ingest", str(correction))
    assert not folder.exists()
    assert _cli_by_channel(ws) == {"chat": 3600, "email": 3600}
