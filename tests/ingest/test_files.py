"""Malformed and unexpected files end in a clear problem, never a traceback, and write nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from supportmetrics.ingest import IngestError, find_sources

HEADER = "ticket_id,created_at,channel\n"


def _problem(workspace, paths, **kw):
    with pytest.raises(IngestError) as info:
        workspace.ingest(paths, **kw)
    assert [t.rows for t in workspace.tables()] == [0] * len(workspace.tables())
    return info.value.problems[0]


def _bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "rule", "line", "words"),
    [
        (b"", "empty", None, "empty"),
        (HEADER.encode(), "no_rows", None, "no data rows"),
        (
            HEADER.encode() + b"T1,2024-01-01,email,extra\n",
            "malformed",
            2,
            "Expected Number of Columns",
        ),
        (b"ticket_id;created_at;channel\nT1;2024-01-01;email\n", "delimiter", 1, "semicolons"),
        (b"ticket_id\tcreated_at\tchannel\nT1\t2024-01-01\temail\n", "delimiter", 1, "tabs"),
        (HEADER.encode() + b"T1,2024-01-01,caf\xe9\n", "encoding", 2, "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary", None, "binary"),
        (b"\n" + HEADER.encode(), "header", 1, "empty"),
        (b"ticket_id,created_at,channel,channel\nT1,2024-01-01,email,chat\n", "header", 1, "twice"),
        (b"ticket_id,channel\nT1,email\n", "required_column", 1, "created_at"),
        (HEADER.encode() + b'T1,2024-01-01,"email\n', "malformed", 2, "never closed"),
    ],
)
def test_malformed_csv(workspace, tmp_path, data, rule, line, words) -> None:
    problem = _problem(workspace, [_bytes(tmp_path, "tickets.csv", data)])
    assert problem.rule == rule
    assert problem.line == line
    assert words in problem.message
    assert problem.file.endswith("tickets.csv")


def test_a_ten_megabyte_field(workspace, tmp_path) -> None:
    data = HEADER.encode() + b'T1,2024-01-01,"' + b"x" * 10_000_000 + b'"\n'
    problem = _problem(workspace, [_bytes(tmp_path, "tickets.csv", data)])
    assert problem.rule == "malformed"
    assert "longer than 8 MiB" in problem.message


def test_a_json_line_over_its_limit_names_the_json_limit(workspace, tmp_path) -> None:
    row = b'{"ticket_id": "T1", "created_at": "2024-01-01", "subject": "' + b"x" * 65 * 2**20
    problem = _problem(workspace, [_bytes(tmp_path, "tickets.jsonl", row + b'"}\n')])
    assert problem.rule == "malformed"
    assert "longer than 64 MiB" in problem.message


def test_a_long_but_acceptable_field_loads(workspace, tmp_path) -> None:
    data = HEADER.encode() + b"T1,2024-01-01,email\n"
    path = _bytes(tmp_path, "tickets.csv", data.replace(b"email", b"email") + b"")
    comment = "c" * 1_000_000
    path.write_text(HEADER.replace("\n", ",note\n") + f'T1,2024-01-01,email,"{comment}"\n')
    assert workspace.ingest([path]).rows_loaded == 1


def test_gzipped_csv(workspace, tmp_path) -> None:
    path = _bytes(
        tmp_path, "tickets.csv.gz", gzip.compress((HEADER + "T1,2024-01-01,email\n").encode())
    )
    assert workspace.ingest([path]).rows_loaded == 1


def test_utf8_bom_and_unicode_values(workspace, tmp_path) -> None:
    text = (
        "\ufeff"
        + HEADER.replace("channel", "channel,issue_type")
        + "T1,2024-01-01,email,Zahlung 💳 ü\n"
    )
    path = tmp_path / "tickets.csv"
    path.write_text(text, encoding="utf-8")
    workspace.ingest([path])
    with workspace.read() as con:
        assert con.execute("SELECT issue_type FROM tickets").fetchall() == [("Zahlung 💳 ü",)]


def test_not_parquet_and_not_json_lines(workspace, tmp_path) -> None:
    parquet = _problem(workspace, [_bytes(tmp_path, "tickets.parquet", b"PAR1 not really")])
    assert parquet.rule == "malformed" and "Parquet" in parquet.message
    broken = _bytes(tmp_path, "calls.jsonl", b'{"call_id": "C1", "queued_at": "2024-01-01"\n')
    json_problem = _problem(workspace, [broken])
    assert json_problem.rule == "malformed" and "JSON" in json_problem.message


def test_missing_unknown_and_unnamed_files(workspace, tmp_path) -> None:
    assert _problem(workspace, [tmp_path / "nope.csv"]).rule == "missing"
    assert _problem(workspace, [_bytes(tmp_path, "tickets.xlsx", b"PK")]).rule == "unknown_format"
    unnamed = _problem(workspace, [_bytes(tmp_path, "export.csv", HEADER.encode())])
    assert unnamed.rule == "unknown_table" and "--table" in unnamed.message
    assert _problem(workspace, [tmp_path], table="ticket").rule == "unknown_table"


def test_table_from_file_and_folder_names(tmp_path) -> None:
    (tmp_path / "calls").mkdir()
    for name in [
        "tickets.csv",
        "tickets_2024-01.csv",
        "ticket_events-part1.parquet",
        "messages.jsonl",
        "tickets.rejects.csv",
        "README.md",
        "calls/part-0.parquet",
        "calls/part-1.csv.gz",
    ]:
        (tmp_path / name).write_bytes(b"")
    found = {
        (s.path.relative_to(tmp_path).as_posix(), s.table, s.fmt) for s in find_sources([tmp_path])
    }
    assert found == {
        ("tickets.csv", "tickets", "csv"),
        ("tickets_2024-01.csv", "tickets", "csv"),
        ("ticket_events-part1.parquet", "ticket_events", "parquet"),
        ("messages.jsonl", "messages", "jsonl"),
        ("calls/part-0.parquet", "calls", "parquet"),
        ("calls/part-1.csv.gz", "calls", "csv"),
    }
    forced = find_sources([tmp_path / "tickets.csv"], table="calls")
    assert [(s.table, s.fmt) for s in forced] == [("calls", "csv")]


def _far_nul(header: bytes, row: bytes, bad: bytes, rows: int = 40_000) -> bytes:
    """`rows` good rows (past the first 64 KB and the first 1 MiB chunk), then a row with a NUL."""
    return header + b"".join(row % i for i in range(rows)) + bad


@pytest.mark.parametrize("name", ["tickets.csv", "tickets.csv.gz"])
def test_a_nul_byte_past_the_first_64_kb_is_refused_with_its_line(
    workspace, tmp_path, name
) -> None:
    data = _far_nul(
        HEADER.encode(), b"T%d,2024-01-01T10:00:00Z,email\n", b"X,2024-01-01,em\x00ail\n"
    )
    assert len(data) > 1024 * 1024
    if name.endswith(".gz"):
        data = gzip.compress(data)
    problem = _problem(workspace, [_bytes(tmp_path, name, data)])
    assert (problem.rule, problem.line) == ("nul", 40_002)
    assert "NUL byte" in problem.message and problem.file.endswith(name)


def test_a_nul_byte_in_json_lines_is_refused_with_its_line(workspace, tmp_path) -> None:
    row = b'{"call_id": "C%d", "queued_at": "2024-01-01", "outcome": "abandoned"}\n'
    data = _far_nul(b"", row, b'{"call_id": "C\x00", "queued_at": "2024-01-01"}\n')
    problem = _problem(workspace, [_bytes(tmp_path, "calls.jsonl", data)])
    assert (problem.rule, problem.line) == ("nul", 40_001)


def test_json_lines_errors_and_rows_carry_their_physical_line(workspace, tmp_path) -> None:
    good = b'{"call_id": "C%d", "queued_at": "2024-01-01T10:00:00Z", "outcome": "abandoned"}\n'
    lines = [good % i for i in range(1, 6)]
    broken = b'{"call_id": "C6", "queued_at": "2024-01-01T10:00:00Z", "outcome": abandoned}\n'
    path = _bytes(tmp_path, "calls.jsonl", b"".join(lines) + broken + good % 7)
    problem = _problem(workspace, [path])
    assert (problem.rule, problem.line) == ("malformed", 6)
    assert problem.value == broken.decode().strip()
    assert "JSON" in problem.message
    array = _problem(workspace, [_bytes(tmp_path, "calls.jsonl", good % 1 + b"[1, 2]\n")])
    assert (array.rule, array.line, array.value) == ("malformed", 2, "[1, 2]")
    # Blank lines count: the bad outcome is on line 4 of the file.
    spaced = good % 1 + b"\n   \r\n" + (good % 2).replace(b"abandoned", b"fax")
    enum = _problem(workspace, [_bytes(tmp_path, "calls.jsonl", spaced)])
    assert (enum.rule, enum.line, enum.column, enum.value) == ("enum", 4, "outcome", "fax")


@pytest.mark.parametrize("extra", [{}, {"File_Row_Number": [7, 8, 9]}])
def test_parquet_problems_name_the_row_even_with_a_column_named_like_the_row_number(
    workspace, tmp_path: Path, extra: dict[str, list[int]]
) -> None:
    path = tmp_path / "tickets.parquet"
    columns = {"ticket_id": ["T1", "T2", "T3"], "created_at": ["2024-01-01", "2024-01-02", "soon"]}
    pq.write_table(pa.table({**columns, "channel": ["email"] * 3, **extra}), path)
    problem = _problem(workspace, [path])
    assert (problem.line, problem.column, problem.value, problem.rule) == (
        3,
        "created_at",
        "soon",
        "type",
    )
