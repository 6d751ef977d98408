"""Typed files: a Parquet column whose type says what its text would (a timestamp, a boolean, a
number) is staged as it is, and must be stored and checked exactly as the same values written as
text are."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import supportmetrics
from supportmetrics.ingest import IngestError

_UTC = [
    datetime(2024, 1, 1, 10, 0, tzinfo=UTC),
    datetime(2024, 1, 2, 12, 30, 15, 250000, tzinfo=UTC),
    datetime(2024, 7, 1, 23, 59, 59, tzinfo=UTC),
]
_NAIVE = [  # read in the workspace's zone: a spring-forward gap and an autumn fold among them
    datetime(2025, 3, 9, 2, 30),
    datetime(2025, 11, 2, 1, 30),
    datetime(2024, 8, 1, 9, 0),
]


def _typed(folder: Path) -> Path:
    """Tickets, messages and surveys in typed Parquet columns (the same values as `_text`)."""
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "ticket_id": ["T1", "T2", "T3"],
                "created_at": pa.array(_UTC, pa.timestamp("us", tz="UTC")),
                "solved_at": pa.array(_NAIVE, pa.timestamp("us")),
                "channel": ["email", "chat", "web"],
                "request_quality": pa.array([3, None, 5], pa.int32()),
                "sentiment": pa.array(
                    [Decimal("0.25"), Decimal("-0.50"), None], pa.decimal128(4, 2)
                ),
            }
        ),
        folder / "tickets.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "message_id": ["M1", "M2"],
                "ticket_id": ["T1", "T1"],
                "created_at": pa.array(_UTC[:2], pa.timestamp("us", tz="UTC")),
                "author_type": ["customer", "agent"],
                "public": [True, False],
            }
        ),
        folder / "messages.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "response_id": ["R1", "R2"],
                "survey": ["csat", "nps"],
                "score": pa.array([4.0, 9.0], pa.float64()),
                "submitted_at": pa.array(_UTC[:2], pa.timestamp("ms", tz="UTC")),
            }
        ),
        folder / "surveys.parquet",
    )
    return folder


def _text(folder: Path) -> Path:
    """The values of `_typed` written as text."""
    folder.mkdir()
    (folder / "tickets.csv").write_text(
        "ticket_id,created_at,solved_at,channel,request_quality,sentiment\n"
        "T1,2024-01-01T10:00:00Z,2025-03-09 02:30:00,email,3,0.25\n"
        "T2,2024-01-02T12:30:15.25Z,2025-11-02 01:30:00,chat,,-0.50\n"
        "T3,2024-07-01T23:59:59Z,2024-08-01 09:00:00,web,5,\n"
    )
    (folder / "messages.csv").write_text(
        "message_id,ticket_id,created_at,author_type,public\n"
        "M1,T1,2024-01-01T10:00:00Z,customer,true\n"
        "M2,T1,2024-01-02T12:30:15.25Z,agent,false\n"
    )
    (folder / "surveys.csv").write_text(
        "response_id,survey,score,submitted_at\n"
        "R1,csat,4,2024-01-01T10:00:00Z\n"
        "R2,nps,9,2024-01-02T12:30:15.25Z\n"
    )
    return folder


def _stored(workspace: supportmetrics.Workspace) -> dict[str, list[tuple]]:
    with workspace.read() as con:
        return {
            name: con.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
            for name in ("tickets", "messages", "surveys")
        }


def test_typed_parquet_is_stored_exactly_as_the_same_values_in_text(tmp_path: Path) -> None:
    typed = supportmetrics.init(tmp_path / "typed", timezone="America/New_York")
    text = supportmetrics.init(tmp_path / "text", timezone="America/New_York")
    typed.ingest([_typed(tmp_path / "in-typed")])
    text.ingest([_text(tmp_path / "in-text")])
    stored = _stored(typed)
    assert stored == _stored(text)
    tickets = {row[0]: row for row in stored["tickets"]}
    assert tickets["T2"][1] == datetime(2024, 1, 2, 12, 30, 15, 250000)  # UTC, naive
    with typed.read() as con:
        solved = dict(con.execute("SELECT ticket_id, solved_at FROM tickets").fetchall())
    # naive: New York wall time; 02:30 on the spring-forward day reads as 03:30 EDT, and 01:30
    # on the autumn day (twice on the clock) as the second, standard-time one
    assert solved == {
        "T1": datetime(2025, 3, 9, 7, 30),
        "T2": datetime(2025, 11, 2, 6, 30),
        "T3": datetime(2024, 8, 1, 13, 0),
    }


def _bad_tickets(path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "ticket_id": ["T1", "T2", "T3", "T4", "T5"],
                "created_at": pa.array(
                    [_UTC[0], datetime(1969, 12, 31, tzinfo=UTC), _UTC[1], _UTC[0], _UTC[0]],
                    pa.timestamp("us", tz="UTC"),
                ),
                "solved_at": pa.array(
                    [None, None, datetime(2023, 1, 1, tzinfo=UTC), None, None],
                    pa.timestamp("us", tz="UTC"),
                ),
                "channel": ["email"] * 5,
                "sentiment": [0.5, None, None, math.nan, 2.0],
            }
        ),
        path,
    )


def test_typed_values_break_the_rules_text_would(tmp_path: Path) -> None:
    workspace = supportmetrics.init(tmp_path / "ws", timezone="America/New_York")
    folder = tmp_path / "in"
    folder.mkdir()
    _bad_tickets(folder / "tickets.parquet")
    with pytest.raises(IngestError) as raised:
        workspace.ingest([folder])
    found = {(p.line, p.column, p.rule) for p in raised.value.problems}
    assert found == {
        (2, "created_at", "range"),  # before 1970
        (3, "solved_at", "order"),  # solved before created
        (4, "sentiment", "type"),  # NaN is no number
        (5, "sentiment", "range"),  # above 1
    }
    values = {p.line: p.value for p in raised.value.problems}
    assert values[2] == "1969-12-30 19:00:00-05"  # shown as its text would be
    with workspace.read() as con:
        assert con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_a_placeholder_typed_timestamp_is_out_of_range(tmp_path: Path) -> None:
    workspace = supportmetrics.init(tmp_path / "ws", timezone="UTC")
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "ticket_id": ["T1", "T2"],
                "created_at": pa.array([_UTC[0], datetime(9999, 12, 31, tzinfo=UTC)]),
                "channel": ["email", "email"],
            }
        ),
        folder / "tickets.parquet",
    )
    with pytest.raises(IngestError) as raised:
        workspace.ingest([folder])
    assert [(p.line, p.rule) for p in raised.value.problems] == [(2, "range")]  # rows count from 1


def test_a_table_from_typed_and_text_files_checks_every_value_alike(tmp_path: Path) -> None:
    mixed = supportmetrics.init(tmp_path / "mixed", timezone="America/New_York")
    text = supportmetrics.init(tmp_path / "text", timezone="America/New_York")
    folder = _typed(tmp_path / "in")
    (folder / "tickets_more.csv").write_text(
        "ticket_id,created_at,solved_at,channel,request_quality\n"
        "T9,2024-03-01 08:00,2024-03-01T09:00:00-05:00,phone,4\n"
    )
    mixed.ingest([folder])
    text_folder = _text(tmp_path / "in-text")
    (text_folder / "tickets_more.csv").write_text((folder / "tickets_more.csv").read_text())
    text.ingest([text_folder])
    assert _stored(mixed) == _stored(text)
    assert len(_stored(mixed)["tickets"]) == 4


def test_a_table_from_typed_and_text_files_finds_each_files_broken_rows(tmp_path: Path) -> None:
    # Each file's rows are flagged as it is staged, in its own types (a native timestamp in the
    # Parquet file, text in the CSV); the rules then run over the combined rows, as text.
    ws = supportmetrics.init(tmp_path / "ws", timezone="America/New_York")
    folder = tmp_path / "in"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "ticket_id": ["T1", "T2"],
                "created_at": pa.array(
                    [datetime(2024, 1, 1, tzinfo=UTC), datetime(1960, 1, 1, tzinfo=UTC)],
                    pa.timestamp("us", tz="UTC"),
                ),
                "channel": ["email", "chat"],
            }
        ),
        folder / "tickets.parquet",
    )
    (folder / "tickets_more.csv").write_text(
        "ticket_id,created_at,channel\nT3,2024-03-01 08:00,phone\nT4,yesterday,phone\nT1,2024-03-02,web\n"
    )
    with pytest.raises(IngestError) as caught:
        ws.ingest([folder])
    found = {(p.file.rsplit("/", 1)[-1], p.line, p.column, p.rule) for p in caught.value.problems}
    assert found == {
        ("tickets.parquet", 2, "created_at", "range"),
        ("tickets_more.csv", 3, "created_at", "type"),
        ("tickets.parquet", 1, "ticket_id", "unique"),
        ("tickets_more.csv", 4, "ticket_id", "unique"),
    }
    assert {t.table: t.rows for t in ws.tables()}["tickets"] == 0
