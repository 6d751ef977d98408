"""How input values are stored: time zones, booleans, enums, tags, ids, defaults, custom columns."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from supportmetrics.ingest import IngestError


def _rows(workspace, sql: str) -> list[tuple]:
    with workspace.read() as con:
        return con.execute(sql).fetchall()


def test_timestamps_naive_in_workspace_zone_offsets_exact_stored_utc(workspace, write) -> None:
    path = write(
        "tickets.csv",
        "ticket_id,created_at,channel\n"
        "T1,2024-01-15 09:30:00,email\n"  # New York winter: UTC-5
        "T2,2024-07-15T09:30:00,email\n"  # New York summer: UTC-4
        "T3,2024-07-15T09:30:00Z,email\n"
        "T4,2024-07-15T09:30:00+02:00,email\n"
        "T5,2024-07-15 09:30:00.250-07:00,email\n",
    )
    workspace.ingest([path])
    assert _rows(workspace, "SELECT ticket_id, created_at FROM tickets ORDER BY 1") == [
        ("T1", datetime(2024, 1, 15, 14, 30)),
        ("T2", datetime(2024, 7, 15, 13, 30)),
        ("T3", datetime(2024, 7, 15, 9, 30)),
        ("T4", datetime(2024, 7, 15, 7, 30)),
        ("T5", datetime(2024, 7, 15, 16, 30, 0, 250000)),
    ]


def test_booleans_enums_tags_ids_and_defaults(workspace, write) -> None:
    tickets = write(
        "tickets.csv",
        "ticket_id,created_at,channel,priority,tags\n"
        "101,2024-01-01,Email, HIGH ,vip; billing ;;refund\n"
        "102,2024-01-01,chat,,\n",
    )
    messages = write(
        "messages.csv",
        "message_id,ticket_id,created_at,author_type,public,automated\n"
        "1,101,2024-01-01,agent,no,YES\n"
        "2,101,2024-01-01,customer,1,0\n"
        "3,101,2024-01-01,bot,,\n",
    )
    workspace.ingest([tickets, messages])
    assert _rows(
        workspace, "SELECT ticket_id, channel, priority, tags, created_by FROM tickets ORDER BY 1"
    ) == [
        ("101", "email", "high", ["vip", "billing", "refund"], "customer"),
        ("102", "chat", None, None, "customer"),
    ]
    assert _rows(workspace, "SELECT message_id, public, automated FROM messages ORDER BY 1") == [
        ("1", False, True),
        ("2", True, False),
        ("3", True, False),
    ]


def test_survey_scales_default_by_survey_and_review_scale(workspace, write) -> None:
    surveys = write(
        "surveys.csv",
        "response_id,survey,score,submitted_at,scale_min,scale_max\n"
        "R1,csat,5,2024-01-01,,\n"
        "R2,nps,10,2024-01-01,,\n"
        "R3,ces,7,2024-01-01,,\n"
        "R4,effort,3,2024-01-01,1,3\n"
        "R5,open_text,42,2024-01-01,,\n",
    )
    reviews = write("reviews.csv", "review_id,posted_at,rating\nV1,2024-01-01,4.5\n")
    workspace.ingest([surveys, reviews])
    assert _rows(workspace, "SELECT response_id, scale_min, scale_max FROM surveys ORDER BY 1") == [
        ("R1", 1.0, 5.0),
        ("R2", 0.0, 10.0),
        ("R3", 1.0, 7.0),
        ("R4", 1.0, 3.0),
        ("R5", None, None),
    ]
    assert _rows(workspace, "SELECT rating, scale_max FROM reviews") == [(4.5, 5.0)]


def test_custom_columns_are_kept_and_typed_by_inference(workspace, write) -> None:
    path = write(
        "tickets.csv",
        "ticket_id,created_at,channel,Product Line,seats,arr,is_trial,region code\n"
        "T1,2024-01-01,email,Mobile App,3,12.5,true,EU-1\n"
        "T2,2024-01-01,email,Web,,100,no,\n",
    )
    report = workspace.ingest([path])
    assert report.tables["tickets"].new_columns == {
        "product_line": "VARCHAR",
        "seats": "BIGINT",
        "arr": "DOUBLE",
        "is_trial": "BOOLEAN",
        "region_code": "VARCHAR",
    }
    assert _rows(
        workspace, "SELECT product_line, seats, arr, is_trial FROM tickets ORDER BY ticket_id"
    ) == [("Mobile App", 3, 12.5, True), ("Web", None, 100.0, False)]
    summary = {t.table: t for t in workspace.tables()}["tickets"]
    assert summary.custom_columns == ("product_line", "seats", "arr", "is_trial", "region_code")


def test_custom_values_must_fit_the_stored_type(workspace, write) -> None:
    workspace.ingest(
        [write("tickets.csv", "ticket_id,created_at,channel,seats\nT1,2024-01-01,email,3\n")]
    )
    later = write("tickets_2.csv", "ticket_id,created_at,channel,seats\nT2,2024-01-01,email,many\n")
    with pytest.raises(IngestError) as info:
        workspace.ingest([later])
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.value, problem.rule) == (
        2,
        "seats",
        "many",
        "type",
    )


def test_parquet_and_json_lines_inputs(workspace, tmp_path, write) -> None:
    table = pa.table(
        {
            "ticket_id": [1, 2],
            "created_at": pa.array(
                [datetime(2024, 1, 1, 12), datetime(2024, 1, 2, 12)], pa.timestamp("us", tz="UTC")
            ),
            "channel": ["email", "chat"],
            "tags": [["a", "b"], None],
            "seats": [3, 4],
        }
    )
    pq.write_table(table, tmp_path / "tickets.parquet")
    jsonl = write(
        "messages.jsonl",
        '{"message_id": "M1", "ticket_id": "1", "created_at": "2024-01-01T13:00:00Z", '
        '"author_type": "agent", "public": true, "extra": {"k": 1}}\n'
        '{"message_id": "M2", "ticket_id": 2, "created_at": "2024-01-02T13:00:00Z", '
        '"author_type": "customer"}\n',
    )
    workspace.ingest([tmp_path / "tickets.parquet", jsonl])
    assert _rows(
        workspace, "SELECT ticket_id, created_at, tags, seats FROM tickets ORDER BY 1"
    ) == [
        ("1", datetime(2024, 1, 1, 12), ["a", "b"], 3),
        ("2", datetime(2024, 1, 2, 12), None, 4),
    ]
    assert _rows(
        workspace, "SELECT message_id, ticket_id, public, extra FROM messages ORDER BY 1"
    ) == [
        ("M1", "1", True, '{"k":1}'),
        ("M2", "2", True, None),
    ]


def test_json_tags_as_array_or_text(workspace, write) -> None:
    path = write(
        "tickets.jsonl",
        '{"ticket_id": "T1", "created_at": "2024-01-01", "channel": "web", "tags": ["x", "y"]}\n'
        '{"ticket_id": "T2", "created_at": "2024-01-01", "channel": "web", "tags": "p;q"}\n',
    )
    workspace.ingest([path])
    assert _rows(workspace, "SELECT tags FROM tickets ORDER BY ticket_id") == [
        (["x", "y"],),
        (["p", "q"],),
    ]
