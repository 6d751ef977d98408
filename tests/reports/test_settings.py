"""`[reports.<name>]` settings: presets, defaults and the errors a wrong table gets."""

from __future__ import annotations

import pytest

from supportmetrics.config import ConfigError, validate_config


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
