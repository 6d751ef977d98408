"""`[reports.<name>]` settings: presets, defaults and the errors a wrong table gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.config import CONFIG_FILE, ConfigError, validate_config


def _reports(report: dict[str, object], **extra: object) -> dict[str, object]:
    return {"reports": {"ops": report}, **extra}


def test_a_preset_gives_cadence_metrics_and_breakdowns() -> None:
    config = validate_config(
        _reports({"preset": "team", "metrics": ["backlog", "csat"], "recipients": ["a@b.co"]}),
        "t.toml",
    )
    report = config.reports["ops"]
    assert report.every == "weekly"
    assert report.all_metrics == (
        "first_response_time",
        "first_contact_resolution",
        "resolution_time",
        "reopen_rate",
        "csat",
        "backlog",
    )
    assert report.breakdowns == ("team", "agent.name")
    assert report.heading("ops") == "Weekly team review"
    assert report.formats == ("html", "pdf", "csv")


@pytest.mark.parametrize(
    ("report", "extra", "message"),
    [
        ({"metrics": ["csat"]}, {}, r"reports.ops: .*set cadence"),
        ({"cadence": "daily"}, {}, r"name a preset .* or metrics"),
        ({"preset": "operational", "metrics": ["speed"]}, {}, "unknown metric 'speed'"),
        ({"preset": "operational", "send_at": "8am"}, {}, r"send_at: .*HH:MM"),
        ({"preset": "operational", "cadence": "hourly"}, {}, r"cadence: Input should be"),
        ({"preset": "operational", "recipients": ["ops"]}, {}, r"write an email address"),
        (
            {"preset": "operational", "recipients": ["webhook:chat"]},
            {},
            r"names no \[webhooks.chat\] table",
        ),
        ({"preset": "operational", "formats": ["pdf"]}, {}, 'must include "html"'),
        ({"preset": "operational", "timezone": "Mars/Base"}, {}, "unknown time zone"),
    ],
)
def test_wrong_reports_are_refused_naming_the_key(
    report: dict[str, object], extra: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(_reports(report, **extra), "t.toml")


def test_the_report_command_names_what_is_wrong(tmp_path: Path) -> None:
    import supportmetrics

    supportmetrics.init(tmp_path / "ws").close()
    (tmp_path / "ws" / CONFIG_FILE).write_text('[reports.ops]\npreset = "operational"\n')
    runner = CliRunner()
    unknown = runner.invoke(app, ["report", "nope", "-w", str(tmp_path / "ws")])
    assert unknown.exit_code == 1
    assert "no report 'nope'; the reports are: ops" in unknown.stderr
    wrong = runner.invoke(
        app, ["report", "ops", "--period", "2026-W47", "-w", str(tmp_path / "ws")]
    )
    assert wrong.exit_code == 1
    assert "a daily report's period looks like 2026-11-29" in wrong.stderr
    listed = runner.invoke(app, ["reports", "list", "-f", "json", "-w", str(tmp_path / "ws")])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert (row["report"], row["cadence"], row["send at"], row["state"]) == (
        "ops",
        "daily",
        "08:00 UTC",
        "not sent",
    )
