"""The command line says what is surprising: filter values that never occur, why a comparison has
no previous value, partial periods; it suggests the name meant, explains bad dates, and its help
reads plainly with an example per command.

Eight tickets (UTC): 6 Jan 09:10, 09:40 and 11:05; 8 Jan 10:00; 13 Jan 10:00; 14 Jan 10:20;
20 Jan 10:00 and 21 Jan 10:20, the last timestamp of the data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app

runner = CliRunner()
TICKETS = """ticket_id,created_at,channel
T1,2025-01-06T09:10:00Z,email
T2,2025-01-06T09:40:00Z,chat
T3,2025-01-06T11:05:00Z,email
T6,2025-01-08T10:00:00Z,email
T4,2025-01-13T10:00:00Z,email
T5,2025-01-14T10:20:00Z,chat
T7,2025-01-20T10:00:00Z,chat
T8,2025-01-21T10:20:00Z,email
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("manners")
    folder = base / "ws"
    assert runner.invoke(app, ["init", str(folder), "--timezone", "UTC"]).exit_code == 0
    (base / "tickets.csv").write_text(TICKETS)
    done = runner.invoke(app, ["ingest", str(base / "tickets.csv"), "-w", str(folder)])
    assert done.exit_code == 0, done.output
    return folder


def metric(ws: Path, *args: str):
    return runner.invoke(app, ["metric", *args, "-w", str(ws)])


def flat(text: str) -> str:
    return " ".join(text.split())


def rows(ws: Path, *args: str) -> list[dict]:
    done = metric(ws, *args, "-f", "json")
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)["rows"]


def test_a_filter_value_that_never_occurs_is_a_warning(ws: Path) -> None:
    done = metric(ws, "ticket_volume", "--where", "channel=fax", "-f", "json")
    assert done.exit_code == 0
    assert json.loads(done.stdout)["rows"][0]["value"] == 0
    assert (
        "warning: no data has channel=fax, so the result is empty; channel takes: chat, email"
        in flat(done.stderr)
    )
    typo = metric(ws, "ticket_volume", "--where", "channel=emial,chat", "-f", "json")
    assert typo.exit_code == 0
    assert json.loads(typo.stdout)["rows"][0]["value"] == 3  # the chats still count
    assert "no data has channel=emial (did you mean email?); channel takes" in flat(typo.stderr)
    assert "warning" not in metric(ws, "ticket_volume", "--where", "channel=chat").stderr


def test_did_you_mean_for_dimensions_metrics_and_variants(ws: Path) -> None:
    by = metric(ws, "ticket_volume", "--by", "chanel")
    assert by.exit_code == 2
    said = flat(by.stderr)
    assert "unknown dimension 'chanel' (did you mean channel?)" in said
    listed = said.split("the dimensions are:")[1]
    assert "channel" in listed and "day_of_week" in listed
    for internal in ("first_response_seconds", "ticket_id", "agent_replies", "tags,"):
        assert internal not in listed
    wrong = metric(ws, "ticket_volme")
    assert wrong.exit_code == 2
    assert "unknown metric 'ticket_volme' (did you mean ticket_volume?)" in flat(wrong.stderr)
    assert "first_response_time" not in wrong.stderr  # no list of every metric
    variant = metric(ws, "csat", "--variant", "scroe=mean")
    assert variant.exit_code == 2
    assert "csat has no variant scroe (did you mean score?)" in flat(variant.stderr)


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--from", "2025-13-45", "--from: 2025-13-45 is not a date (month 13); use YYYY-MM-DD"),
        (
            "--to",
            "2025-02-30",
            "--to: 2025-02-30 is not a date (day 30: February 2025 has 28 days); use YYYY-MM-DD",
        ),
        ("--from", "13/01/2025", "--from: 13/01/2025 is not a date; use YYYY-MM-DD"),
    ],
)
def test_bad_dates_say_what_is_wrong(ws: Path, option: str, text: str, message: str) -> None:
    done = metric(ws, "ticket_volume", option, text)
    assert done.exit_code == 2
    assert flat(done.stderr) == f"error: {message}"


def test_compare_says_why_a_previous_value_is_missing(ws: Path) -> None:
    # 13-19 Jan (T4, T5) against 6-12 Jan (T1, T2, T3, T6): 2 against 4.
    [row] = rows(
        ws, "ticket_volume", "--from", "2025-01-13", "--to", "2025-01-19", "--compare", "previous"
    )
    assert (row["value"], row["previous"], row["change"], row["change_pct"]) == (2, 4, -2, -50.0)
    assert row["compare_note"] is None
    [row] = rows(
        ws, "ticket_volume", "--from", "2025-01-06", "--to", "2025-01-12", "--compare", "previous"
    )
    assert (row["value"], row["previous"], row["change"]) == (4, None, None)
    assert row["compare_note"] == (
        "no data before 2025-01-06: the previous 7 days (2024-12-30 to 2025-01-05) hold none"
    )
    [row] = rows(
        ws, "ticket_volume", "--from", "2025-01-01", "--to", "2025-01-31", "--compare", "previous"
    )
    assert (row["value"], row["previous"], row["change"]) == (8, None, None)
    assert row["compare_note"] == (
        "the range holds all the data (2025-01-06 to 2025-01-21): nothing to compare with"
    )
    [row] = rows(
        ws, "ticket_volume", "--from", "2025-01-08", "--to", "2025-01-14", "--compare", "previous"
    )
    assert (row["value"], row["previous"]) == (3, 3)
    assert row["compare_note"] == "the previous range is partial: the data starts on 2025-01-06"
    weeks = rows(ws, "ticket_volume", "--period", "week", "--compare", "previous")
    assert [(r["period"], r["previous"], r["compare_note"]) for r in weeks] == [
        ("2025-01-06", None, "no data before 2025-01-06"),
        ("2025-01-13", 4, None),
        ("2025-01-20", 2, None),
    ]


def test_compare_table_shows_the_change_once_in_its_unit(ws: Path) -> None:
    done = metric(
        ws, "ticket_volume", "--from", "2025-01-13", "--to", "2025-01-19", "--compare", "previous"
    )
    assert done.exit_code == 0
    assert "change_pct" not in done.stdout
    assert done.stdout.count("-50.0%") == 1  # a count changes relatively: 4 -> 2


def test_partial_periods_hourly_and_outside_the_range(ws: Path) -> None:
    # The data ends at 10:20 on 21 Jan: that hour is cut short; 10:00 on 20 Jan is whole.
    hours = [
        r
        for r in rows(ws, "ticket_volume", "--period", "hour", "--from", "2025-01-20")
        if r["value"]
    ]
    assert [(r["period"], r["partial"]) for r in hours] == [
        ("2025-01-20T10:00", False),
        ("2025-01-21T10:00", True),
    ]
    # From 7 Jan: the week of 6 Jan is counted from its second day only.
    weeks = rows(
        ws, "ticket_volume", "--period", "week", "--from", "2025-01-07", "--to", "2025-01-19"
    )
    assert [(r["period"], r["value"], r["partial"]) for r in weeks] == [
        ("2025-01-06", 1, True),
        ("2025-01-13", 2, False),
    ]
    compared = rows(
        ws, "ticket_volume", "--period", "week", "--from", "2025-01-07", "--compare", "previous"
    )
    assert [(r["period"], r["previous"], r["compare_note"]) for r in compared] == [
        ("2025-01-06", None, "no data before 2025-01-06"),
        ("2025-01-13", 1, "the previous period is partial"),
        ("2025-01-20", 2, None),
    ]
    days = rows(
        ws, "ticket_volume", "--period", "day", "--from", "2025-01-13", "--compare", "previous"
    )
    assert days[0]["compare_note"] == "the previous period lies before the range (from 2025-01-13)"
    table = metric(
        ws, "ticket_volume", "--period", "week", "--from", "2025-01-07", "--to", "2025-01-19"
    )
    assert "partial" in table.stdout and "yes" in table.stdout and "True" not in table.stdout


COMMANDS = [
    ["init"], ["ingest"], ["validate"], ["tables"], ["demo-data"], ["demo"], ["compact"],
    ["columns", "list"], ["columns", "drop"], ["metric"], ["metrics", "list"], ["facts"],
    ["import"], ["export-lake"], ["serve"], ["users", "add"], ["users", "remove"],
    ["users", "list"], ["tokens", "create"], ["tokens", "list"], ["tokens", "revoke"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_an_example_and_readable_types(command: list[str]) -> None:
    done = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0
    assert f"Example: supportmetrics {' '.join(command)}" in done.stdout
    for unreadable in ("<list[", "%Y", " range>", "<bool>"):
        assert unreadable not in done.stdout


def test_facts_warn_about_values_that_never_occur(ws: Path) -> None:
    done = runner.invoke(app, ["facts", "tickets", "-w", str(ws), "--where", "channel=fax"])
    assert done.exit_code == 0
    assert len(done.stdout.splitlines()) == 1  # the header only
    assert "warning: no data has channel=fax, so the result is empty" in flat(done.stderr)
    chats = runner.invoke(app, ["facts", "tickets", "-w", str(ws), "--where", "channel=chat"])
    assert len(chats.stdout.splitlines()) == 4 and "warning" not in chats.stderr
