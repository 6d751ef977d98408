"""Timestamps outside 1970-01-01..2100-12-31 (UTC) or with an offset beyond ±14:00 are refused at
ingest in every format and every timestamp column; the bounds themselves load."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmetrics.ingest import IngestError
from supportmetrics.schema import TABLES, Column, Kind
from supportmetrics.time_range import offset_beyond_sql

OUT_OF_RANGE = [
    ("infinity", "range"),
    ("-infinity", "range"),
    ("-2025-01-02T10:00:00Z", "range"),
    ("0001-01-01T00:00:00Z", "range"),
    ("9999-12-31T23:59:59Z", "range"),
    ("1969-12-31T23:59:59Z", "range"),
    ("2101-01-01T00:00:00Z", "range"),
    ("2024-01-01T10:00:00+25:00", "offset"),
    ("2024-01-01T10:00:00-99:00", "offset"),
    ("2024-01-01T10:00:00+1430", "offset"),
    ("2024-01-01 10:00:00-15", "offset"),
    ("2024-01-01T10:00:00+05:75", "offset"),
]


def _problems(workspace, paths) -> list[tuple]:
    with pytest.raises(IngestError) as info:
        workspace.ingest(paths)
    assert all(t.rows == 0 for t in workspace.tables())
    return [(p.line, p.column, p.value, p.rule) for p in info.value.problems]


@pytest.mark.parametrize(("value", "rule"), OUT_OF_RANGE)
def test_csv_refuses_out_of_range_timestamps_and_offsets(workspace, write, value, rule) -> None:
    path = write(
        "tickets.csv",
        f"ticket_id,created_at,channel\nT1,2024-01-01T10:00:00Z,email\nT2,{value},chat\n",
    )
    assert _problems(workspace, [path]) == [(3, "created_at", value, rule)]


@pytest.mark.parametrize(("value", "rule"), OUT_OF_RANGE)
def test_json_lines_refuse_them_too(workspace, write, value, rule) -> None:
    good = {"call_id": "C1", "queued_at": "2024-01-01T10:00:00Z", "outcome": "abandoned"}
    bad = {**good, "call_id": "C2", "ended_at": value}
    path = write("calls.jsonl", json.dumps(good) + "\n\n" + json.dumps(bad) + "\n")
    assert _problems(workspace, [path]) == [(3, "ended_at", value, rule)]


def test_parquet_timestamps_out_of_range(workspace, tmp_path) -> None:
    stamps = [datetime(2024, 1, 1), datetime(1, 1, 1), datetime(9999, 12, 31), datetime(2024, 1, 2)]
    table = pa.table(
        {
            "ticket_id": ["T1", "T2", "T3", "T4"],
            "created_at": pa.array(stamps, pa.timestamp("us")),
            "solved_at": pa.array(
                [None, None, None, datetime(1960, 5, 1, tzinfo=UTC)], pa.timestamp("us", tz="UTC")
            ),
            "channel": ["email"] * 4,
        }
    )
    path = tmp_path / "tickets.parquet"
    pq.write_table(table, path)
    found = [(line, column, rule) for line, column, _, rule in _problems(workspace, [path])]
    assert found == [
        (2, "created_at", "range"),
        (3, "created_at", "range"),
        (4, "solved_at", "range"),
    ]


def test_the_bounds_and_real_offsets_load(workspace, write) -> None:
    path = write(
        "tickets.csv",
        "ticket_id,created_at,channel\n"
        "T1,1970-01-01T00:00:00Z,email\n"
        "T2,2100-12-31T23:59:59.999Z,email\n"
        "T3,2024-01-01T10:00:00+14:00,email\n"
        "T4,2024-01-01T10:00:00-12:00,email\n"
        "T5,2024-01-01T10:00:00+05:45,email\n"
        "T6,2024-01-01 10:00:00-0930,email\n",
    )
    assert workspace.ingest([path]).rows_loaded == 6
    with workspace.read() as con:
        rows = con.execute("SELECT ticket_id, created_at FROM tickets ORDER BY 1").fetchall()
    assert rows == [
        ("T1", datetime(1970, 1, 1)),
        ("T2", datetime(2100, 12, 31, 23, 59, 59, 999000)),
        ("T3", datetime(2023, 12, 31, 20, 0)),
        ("T4", datetime(2024, 1, 1, 22, 0)),
        ("T5", datetime(2024, 1, 1, 4, 15)),
        ("T6", datetime(2024, 1, 1, 19, 30)),
    ]


def _valid(column: Column) -> str:
    """A value every rule of `column` accepts."""
    if column.kind is Kind.ENUM:
        return column.values[0]
    return {
        Kind.TIMESTAMP: "2024-01-01T10:00:00Z",
        Kind.BOOL: "true",
        Kind.INTEGER: "1",
        Kind.NUMBER: "1",
    }.get(column.kind, "X1")


TIMESTAMP_COLUMNS = [
    (table.name, column.name)
    for table in TABLES.values()
    for column in table.columns
    if column.kind is Kind.TIMESTAMP
]


@pytest.mark.parametrize(("table", "column"), TIMESTAMP_COLUMNS)
def test_every_timestamp_column_of_every_table(workspace, write, table, column) -> None:
    spec = TABLES[table]
    names = [c.name for c in spec.columns if c.required or c.name == column]
    values = [
        "9999-12-31T23:59:59Z" if name == column else _valid(spec.by_name[name]) for name in names
    ]
    path = write(f"{table}.csv", ",".join(names) + "\n" + ",".join(values) + "\n")
    report = workspace.validate([path])
    assert (2, column, "9999-12-31T23:59:59Z", "range") in [
        (p.line, p.column, p.value, p.rule) for p in report.problems
    ]
    assert not [p for p in report.problems if p.rule in ("order", "type")]


@pytest.mark.parametrize(
    ("text", "beyond"),
    [
        ("2024-01-01T10:00:00Z", False),
        ("2024-01-01", False),
        ("2024-01-01 10:00:00", False),
        ("2024-01-01 10:00:00+00", False),
        ("2024-01-01 10:00:00-14", False),
        ("2024-01-01 10:00:00-15", True),
        ("2024-01-01T10:00:00+00:00", False),
        ("2024-01-01T10:00:00.123456-05:00", False),
        ("2024-01-01T10:00:00+05:45", False),
        ("2024-01-01T10:00:00+13:59", False),
        ("2024-01-01T10:00:00+14:00", False),
        ("2024-01-01T10:00:00+14:15", True),
        ("2024-01-01T10:00:00+05:75", True),
        ("2024-01-01T10:00:00+25:00", True),
        ("2024-01-01T10:00:00-99:00", True),
        ("2024-01-01T10:00:00+0530", False),
        ("2024-01-01T10:00:00+1430", True),
        ("2024-01-01T10:00:00-04:56:02", False),
        ("2024-01-01T10:00:00 +14", False),
        ("2024-01-01T10:00:00 +15", True),
    ],
)
def test_offsets_beyond_14_hours_are_told_apart_from_the_usual_ones(
    text: str, beyond: bool
) -> None:
    with duckdb.connect() as con:
        found = con.execute(
            f"SELECT {offset_beyond_sql('t')} FROM (SELECT ? AS t)", [text]
        ).fetchone()
    assert found == (beyond,)


_REFERENCE = re.compile(r"\d:\d\d(?:[.,]\d+)?\s*[+-](\d\d?)(?::?(\d\d))?(?::\d\d)?$", re.ASCII)
"""An offset after a time of day, its hours and minutes read as Python's `re` reads them."""


def _beyond(text: str) -> bool:
    match = _REFERENCE.search(text)
    if not match:
        return False
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    return minutes > 59 or hours * 60 + minutes > 14 * 60


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"\A2024-01-01[T ]10:00(:00)?(\.[0-9]{1,3})? ?[+-][0-9]{1,4}(:[0-9]{2}){0,2}\Z")
    | st.from_regex(r"\A2024-01-01[T ]10:00:00[+-][0-9]{1,2}:?[0-9]{2}\Z")
)
def test_the_offset_check_agrees_with_reading_the_hours_and_minutes(text: str) -> None:
    with duckdb.connect() as con:
        found = con.execute(f"SELECT {offset_beyond_sql('t')} FROM (SELECT ? AS t)", [text])
        assert found.fetchone() == (_beyond(text),)
