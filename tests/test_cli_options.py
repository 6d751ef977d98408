"""Typed command-line options: choices shown in --help, bad values refused as bad usage (exit 2)
before anything is opened, --where and --variant parsed once, --version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args, get_type_hints

import pytest
from typer.testing import CliRunner

from supportmetrics import __version__
from supportmetrics.cli import app
from supportmetrics.cli.options import ENV_VAR, Clock, Compare, Period
from supportmetrics.cli.web import Role
from supportmetrics.query import PERIODS, Query
from supportmetrics.web.users import ROLES
from supportmetrics.workspace import ENV_VAR as WORKSPACE_ENV_VAR

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_the_choices_are_the_librarys() -> None:
    hints = get_type_hints(Query)
    assert get_args(Clock) == get_args(hints["clock"])
    assert get_args(hints["compare"]) == (Compare, type(None))
    assert get_args(Role) == ROLES
    assert get_args(hints["period"]) == (Period, type(None))
    assert get_args(Period) == PERIODS
    assert ENV_VAR == WORKSPACE_ENV_VAR


def test_metric_help_shows_the_choices() -> None:
    done = runner.invoke(app, ["metric", "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0
    text = _flat(done.stdout)
    assert f"<{'|'.join(PERIODS)}>" in text
    for choices in ("<calendar|business>", "<previous>", "<mean|median|pNN>", "<table|csv|json>"):
        assert choices in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "fortnight"], "Invalid value for '--period'"),
        (["--clock", "office"], "Invalid value for '--clock'"),
        (["--compare", "last_year"], "Invalid value for '--compare'"),
        (["--stat", "p999"], "unknown stat 'p999'; use mean, median, p90 or any pNN"),
        (["--stat", "average"], "unknown stat 'average'"),
        (["--where", "channel"], "--where takes NAME=VALUE[,VALUE]; got 'channel'"),
        (["--variant", "source"], "--variant takes NAME=VALUE[,VALUE]; got 'source'"),
    ],
)
def test_bad_values_are_bad_usage_before_the_workspace_is_opened(
    tmp_path: Path, args: list[str], message: str
) -> None:
    # tmp_path is no workspace: a value refused while parsing never gets as far as opening it
    done = runner.invoke(app, ["metric", "ticket_volume", *args, "-w", str(tmp_path)])
    assert done.exit_code == 2
    assert message in _flat(done.output)
    assert "Traceback" not in done.output


def test_facts_and_roles_are_choices(tmp_path: Path) -> None:
    done = runner.invoke(app, ["facts", "replies", "-w", str(tmp_path)])
    assert done.exit_code == 2 and "'replies' is not one of 'tickets', 'calls'" in _flat(
        done.output
    )
    done = runner.invoke(app, ["users", "add", "ann", "--role", "boss", "-w", str(tmp_path)])
    assert done.exit_code == 2 and "'boss' is not one of 'admin', 'viewer'" in _flat(done.output)


def test_repeated_where_options_are_alternatives_and_variants_parse_alike(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "ticket_id,created_at,channel\n"
        "T1,2024-01-01T10:00:00Z,email\n"
        "T2,2024-01-02T10:00:00Z,chat\n"
        "T3,2024-01-03T10:00:00Z,phone\n"
    )
    assert runner.invoke(app, ["ingest", str(tickets), "-w", str(folder)]).exit_code == 0

    def volume(*args: str) -> int:
        done = runner.invoke(
            app, ["metric", "ticket_volume", *args, "-w", str(folder), "-f", "json"]
        )
        assert done.exit_code == 0, done.output
        return json.loads(done.stdout)["rows"][0]["value"]

    assert volume() == 3
    assert volume("--where", "channel=email,chat") == 2
    assert volume("--where", "channel=email", "--where", " channel = chat ") == 2
    assert volume("--where", "channel=phone", "--stat", "p95", "--clock", "calendar") == 1
    for value, code in ((" mean ", 0), ("best", 2)):
        done = runner.invoke(
            app, ["metric", "csat", "--variant", f"score={value}", "-w", str(folder)]
        )
        assert done.exit_code == code, done.output
    assert "'best'" in done.output


def test_version() -> None:
    done = runner.invoke(app, ["--version"])
    assert done.exit_code == 0 and done.stdout == f"supportmetrics {__version__}\n"
