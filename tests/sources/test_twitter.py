"""twcs.csv -> social tickets and messages: the rows produced, hand-checked, and metrics from them.

`fixtures/twitter/twcs.csv`, in the dataset's own shape (rows out of order, parents as `3.0`,
quoted multi-line text with emoji):
5   115712 asks sprintcare 21:49:35; sprintcare 21:54:49 (314 s); customer 22:08:27;
    sprintcare 22:10:47 (140 s after); customer 22:11:45
10  823869 asks 08:00; AppleSupport 08:30 (1800 s); customer 09:00; AmazonHelp answers the root
    at 09:05 (300 s after the 09:00 message); AppleSupport 09:10 (answers nothing new)
20  99999 asks, nobody answers
30  Delta starts the thread (outbound) 15:00; customer 555 15:20; Delta 15:25 (300 s)
40  answers tweet 39, which is not in the file: 40 and its reply 41 are left out
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app
from supportmetrics.sources import SourceError
from supportmetrics.sources.twitter import SOURCE

TWCS = Path(__file__).parent / "fixtures" / "twitter" / "twcs.csv"
HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def _rows(path: Path, columns: str) -> list[tuple]:
    """The file's rows in `columns`, ordered by the numeric value of the first (an id)."""
    first = columns.split(",")[0]
    return duckdb.sql(
        f"SET TimeZone = 'UTC'; SELECT {columns} FROM '{path}' ORDER BY {first}::BIGINT"
    ).fetchall()


def test_threads_become_tickets(tmp_path) -> None:
    conversion = SOURCE.convert([str(TWCS)], tmp_path, "UTC")
    tickets = _rows(
        conversion.files["tickets"],
        "ticket_id, strftime(created_at, '%Y-%m-%d %H:%M:%S'), channel, customer_id, created_by, "
        "brand",
    )
    assert tickets == [
        ("5", "2017-10-31 21:49:35", "social", "115712", "customer", "sprintcare"),
        ("10", "2017-11-01 08:00:00", "social", "823869", "customer", "AppleSupport"),
        ("20", "2017-11-02 12:00:00", "social", "99999", "customer", None),
        ("30", "2017-11-03 15:00:00", "social", "555", "agent", "Delta"),
    ]
    messages = _rows(
        conversion.files["messages"],
        "message_id, ticket_id, strftime(created_at, '%H:%M:%S'), author_type, author_id, public, "
        "automated",
    )
    assert messages == [
        ("1", "5", "22:10:47", "agent", "sprintcare", True, False),
        ("2", "5", "22:11:45", "customer", "115712", True, False),
        ("3", "5", "22:08:27", "customer", "115712", True, False),
        ("4", "5", "21:54:49", "agent", "sprintcare", True, False),
        ("5", "5", "21:49:35", "customer", "115712", True, False),
        ("10", "10", "08:00:00", "customer", "823869", True, False),
        ("11", "10", "08:30:00", "agent", "AppleSupport", True, False),
        ("12", "10", "09:00:00", "customer", "823869", True, False),
        ("13", "10", "09:05:00", "agent", "AmazonHelp", True, False),
        ("14", "10", "09:10:00", "agent", "AppleSupport", True, False),
        ("20", "20", "12:00:00", "customer", "99999", True, False),
        ("30", "30", "15:00:00", "agent", "Delta", True, False),
        ("31", "30", "15:20:00", "customer", "555", True, False),
        ("32", "30", "15:25:00", "agent", "Delta", True, False),
    ]
    assert conversion.notes == [
        "tickets: 4 thread(s); messages: 14 tweet(s)",
        "left out 2 tweet(s) whose thread starts with a tweet missing from the file",
    ]


def test_metrics(tmp_path) -> None:
    SOURCE.convert([str(TWCS)], tmp_path / "out", "UTC")
    ws = supportmetrics.init(tmp_path / "ws")
    try:
        ws.ingest([tmp_path / "out"])
        assert [r["value"] for r in ws.metric("ticket_volume").rows] == [4]
        # Customer threads answered: 314 s and 1800 s; Delta's outbound thread is left out.
        assert [r["value"] for r in ws.metric("first_response_time").rows] == [1057]
        assert [r["value"] for r in ws.metric("social_response_time").rows] == [1057]
        by_brand = ws.metric("first_response_time", by=["brand"]).rows
        assert [(r["brand"], r["value"]) for r in by_brand] == [
            ("AppleSupport", 1800),
            ("sprintcare", 314),
        ]
        # Every reply answering a customer message: 314, 140, 1800, 300 (AmazonHelp), 300 (Delta).
        assert [r["value"] for r in ws.metric("average_response_time").rows] == [570.8]
    finally:
        ws.close()


def test_unreadable_rows_are_skipped_and_counted(tmp_path) -> None:
    path = tmp_path / "twcs.csv"
    path.write_text(
        HEADER + "1,42,True,Tue Oct 31 22:10:47 +0000 2017,hi,2,\n"
        "2,acme,False,Tue Oct 31 22:12:47 +0100 2017,hello,,1.0\n"
        "3,42,maybe,Tue Oct 31 22:13:00 +0000 2017,?,,\n"
        "4,42,True,2017-10-31 22:14,?,,\n"
    )
    conversion = SOURCE.convert([str(path)], tmp_path / "out", "UTC")
    # The +0100 reply is exact: 21:12:47 UTC, an hour *before* the question.
    assert _rows(conversion.files["messages"], "message_id, strftime(created_at, '%H:%M:%S')") == [
        ("1", "22:10:47"),
        ("2", "21:12:47"),
    ]
    assert conversion.notes[1].startswith("skipped 2 row(s) with an unreadable tweet_id")


@pytest.mark.parametrize(
    "text",
    [
        "ticket_id,created_at,channel\nT1,2024-01-01,email\n",
        "tweet_id;author_id;inbound;created_at;text;response_tweet_id;in_response_to_tweet_id\n",
        "",
    ],
)
def test_not_a_twcs_csv(tmp_path, text) -> None:
    path = tmp_path / "twcs.csv"
    path.write_text(text)
    with pytest.raises(SourceError, match=r"this is not a twcs\.csv: expected columns tweet_id, "):
        SOURCE.convert([str(path)], tmp_path / "out", "UTC")


def test_several_files_give_each_tweet_once(tmp_path) -> None:
    once = SOURCE.convert([str(TWCS)], tmp_path / "one", "UTC")
    twice = SOURCE.convert([str(TWCS), str(TWCS)], tmp_path / "two", "UTC")
    for table, count in (("tickets", 4), ("messages", 14)):
        one, two = (f"SELECT * FROM '{c.files[table]}' ORDER BY 1" for c in (once, twice))
        assert duckdb.sql(two).fetchall() == duckdb.sql(one).fetchall()
        assert len(duckdb.sql(one).fetchall()) == count


def test_wrong_arguments(tmp_path) -> None:
    other = tmp_path / "other.csv"
    lines = TWCS.read_text().splitlines()
    columns = lines[0].split(",")
    other.write_text(",".join([columns[1], columns[0], *columns[2:]]) + "\n")
    with pytest.raises(SourceError, match="columns are in another order"):
        SOURCE.convert([str(TWCS), str(other)], tmp_path, "UTC")
    with pytest.raises(SourceError, match="no such file"):
        SOURCE.convert([str(tmp_path / "twcs.csv")], tmp_path, "UTC")


def test_import_command(tmp_path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    result = runner.invoke(app, ["import", "twitter", str(TWCS), "-w", str(ws), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["source"], report["rows_loaded"]) == ("twitter", 4 + 14)
    assert "note: left out 2 tweet(s) whose thread starts with a tweet missing" in " ".join(
        result.stderr.split()
    )
    metric = runner.invoke(
        app, ["metric", "first_response_time", "--by", "brand", "-w", str(ws), "--format", "json"]
    )
    assert [(r["brand"], r["value"]) for r in json.loads(metric.stdout)["rows"]] == [
        ("AppleSupport", 1800),
        ("sprintcare", 314),
    ]
