"""Parquet files too big to copy into memory are staged as views that read the files again at each
step: they must be checked and stored exactly as copied ones, a file that no longer reads is
reported at its name, and a file that changes meanwhile fails the ingest with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import supportmetrics
from supportmetrics.ingest import IngestError, batch
from supportmetrics.ingest.files import SourceFile, staged_bytes

_SUBJECTS = [f"subject {i:05d} " + "x" * 40 for i in range(2000)]


@pytest.fixture(params=["copied", "views"])
def staging(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with its files copied into memory and, again, staged as views (as when
    they would take more than half the ingest's memory)."""
    if request.param == "views":
        monkeypatch.setattr(batch, "_memory_bytes", lambda _con: 0)
    return str(request.param)


def _tickets(path: Path, ids: list[str], *, subjects: list[str] | None = None) -> Path:
    """A tickets file with plain (not dictionary-encoded, uncompressed) values, so that its bytes
    can be damaged where a test wants."""
    created = [datetime(2024, 1, 1, 9, tzinfo=UTC)] * len(ids)
    pq.write_table(
        pa.table(
            {
                "ticket_id": ids,
                "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
                "channel": ["email"] * len(ids),
                "subject": subjects or [f"about {i}" for i in ids],
            }
        ),
        path,
        compression="none",
        use_dictionary=False,
    )
    return path


def _messages(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Messages (id, ticket, author type), one minute apart."""
    pq.write_table(
        pa.table(
            {
                "message_id": [r[0] for r in rows],
                "ticket_id": [r[1] for r in rows],
                "created_at": pa.array(
                    [datetime(2024, 1, 1, 10, i, tzinfo=UTC) for i in range(len(rows))],
                    pa.timestamp("us", tz="UTC"),
                ),
                "author_type": [r[2] for r in rows],
            }
        ),
        path,
    )
    return path


def _counts(ws: supportmetrics.Workspace) -> dict[str, int]:
    return {t.table: t.rows for t in ws.tables() if t.rows}


def test_views_store_what_copies_store(tmp_path: Path, staging: str) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    folder = tmp_path / "in"
    folder.mkdir()
    _tickets(folder / "tickets.parquet", ["T1", "T2"])
    _tickets(folder / "tickets_more.parquet", ["T3"])
    (folder / "tickets_text.csv").write_text("ticket_id,created_at,channel\nT4,2024-01-02,chat\n")
    _messages(folder / "messages.parquet", [("M1", "T1", "customer"), ("M2", "T4", "agent")])
    report = ws.ingest([folder])
    assert report.rows_loaded == 6
    with ws.read() as con:
        tickets = con.execute(
            "SELECT ticket_id, created_at, channel, subject FROM tickets ORDER BY 1"
        ).fetchall()
        messages = con.execute(
            "SELECT message_id, ticket_id, author_type FROM messages ORDER BY 1"
        ).fetchall()
    assert tickets == [
        ("T1", datetime(2024, 1, 1, 9), "email", "about T1"),
        ("T2", datetime(2024, 1, 1, 9), "email", "about T2"),
        ("T3", datetime(2024, 1, 1, 9), "email", "about T3"),
        ("T4", datetime(2024, 1, 2), "chat", None),
    ]
    assert messages == [("M1", "T1", "customer"), ("M2", "T4", "agent")]


def test_views_find_the_problems_copies_find(tmp_path: Path, staging: str) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    ws.ingest([_tickets(tmp_path / "tickets.parquet", ["T1"])])
    folder = tmp_path / "in"
    folder.mkdir()
    _tickets(folder / "tickets.parquet", ["T2", "T2", "T3"])
    _messages(
        folder / "messages.parquet",
        [("M1", "T1", "customer"), ("M2", "T9", "agent"), ("M3", "T3", "robot")],
    )
    with pytest.raises(IngestError) as caught:
        ws.ingest([folder])
    found = {(p.file.rsplit("/", 1)[-1], p.line, p.column, p.rule) for p in caught.value.problems}
    assert found == {
        ("tickets.parquet", 1, "ticket_id", "unique"),
        ("tickets.parquet", 2, "ticket_id", "unique"),
        ("messages.parquet", 2, "ticket_id", "reference"),
        ("messages.parquet", 3, "author_type", "enum"),
    }
    assert _counts(ws) == {"tickets": 1}


def test_views_quarantine_the_rows_copies_do(tmp_path: Path, staging: str) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    folder = tmp_path / "in"
    folder.mkdir()
    _tickets(folder / "tickets.parquet", ["T1", "T2"])
    _messages(folder / "messages.parquet", [("M1", "T1", "customer"), ("M2", "T1", "robot")])
    report = ws.ingest([folder], on_error="quarantine")
    assert (report.rows_loaded, report.rows_rejected) == (3, 1)
    rejects = (folder / "messages.rejects.csv").read_text().splitlines()
    assert len(rejects) == 2 and "M2" in rejects[1] and "robot" in rejects[1]
    assert _counts(ws) == {"tickets": 2, "messages": 1}


def test_a_dry_run_with_views_checks_references_among_the_files(
    tmp_path: Path, staging: str
) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    folder = tmp_path / "in"
    folder.mkdir()
    _tickets(folder / "tickets.parquet", ["T1"])
    _messages(folder / "messages.parquet", [("M1", "T1", "customer"), ("M2", "T2", "agent")])
    report = ws.validate([folder])
    assert [(p.line, p.column, p.rule) for p in report.problems] == [(2, "ticket_id", "reference")]
    assert _counts(ws) == {}


def _damage_subjects(path: Path) -> None:
    """Overwrite some of the subject column's text with bytes that are not UTF-8."""
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(3)
    data = bytearray(path.read_bytes())
    start = chunk.data_page_offset + chunk.total_compressed_size // 2
    data[start : start + 30] = b"\xff" * 30
    path.write_bytes(bytes(data))


def test_a_file_that_does_not_read_is_named_and_nothing_is_stored(
    tmp_path: Path, staging: str
) -> None:
    # The subject column breaks no rule, so a view reads it only when the rows are written.
    ws = supportmetrics.init(tmp_path / "ws")
    ws.ingest([_tickets(tmp_path / "tickets.parquet", ["T0"])])
    path = _tickets(
        tmp_path / "tickets_2.parquet", [f"T{i}" for i in range(1, 2001)], subjects=_SUBJECTS
    )
    _damage_subjects(path)
    with pytest.raises(IngestError) as caught:
        ws.ingest([path])
    [problem] = caught.value.problems
    assert (problem.file, problem.rule) == (str(path), "malformed")
    assert "UTF8" in problem.message
    assert _counts(ws) == {"tickets": 1}


@pytest.mark.parametrize("change", ["rewritten", "removed"])
def test_a_file_that_changes_while_it_is_loaded_fails_the_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    monkeypatch.setattr(batch, "_memory_bytes", lambda _con: 0)
    ws = supportmetrics.init(tmp_path / "ws")
    ws.ingest([_tickets(tmp_path / "tickets.parquet", ["T0"])])
    path = _tickets(tmp_path / "tickets_2.parquet", ["T1", "T2"])

    def meddle(step: str) -> None:  # another program at the file as it is loaded
        if step == "writing tickets":
            if change == "removed":
                path.unlink()
            else:
                _tickets(path, ["T1", "T2", "T3 with a longer id"])

    with pytest.raises(IngestError) as caught:
        ws.ingest([path], step=meddle)
    [problem] = caught.value.problems
    assert (problem.file, problem.rule) == (str(path), "changed")
    assert "load it again" in problem.message
    assert _counts(ws) == {"tickets": 1}


def test_staged_bytes_estimate_parquet_from_its_metadata(tmp_path: Path) -> None:
    path = _tickets(tmp_path / "tickets.parquet", ["T1", "T2"])
    metadata = pq.ParquetFile(path).metadata
    uncompressed = sum(
        metadata.row_group(g).column(c).total_uncompressed_size
        for g in range(metadata.num_row_groups)
        for c in range(metadata.num_columns)
    )
    csv = tmp_path / "tickets.csv"
    csv.write_text("ticket_id,created_at,channel\nT1,2024-01-01,chat\n")
    sources = [SourceFile(path, "tickets", "parquet"), SourceFile(csv, "tickets", "csv")]
    with duckdb.connect() as con:
        assert staged_bytes(con, sources) == 4 * uncompressed
        assert staged_bytes(con, [SourceFile(tmp_path / "nothing.parquet", "x", "parquet")]) == 0
