"""`alerts check` and `alerts list` end to end: a target breach on the hand-made team is sent once
to a real SMTP server (aiosmtpd) and a webhook receiver checking the HMAC signature, both on
loopback; the next run sends nothing; the episode resolves and that is sent too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.config import CONFIG_FILE
from supportmetrics.delivery import DeliveryLog
from tests.alerts.test_target_and_sla import TARGET
from tests.delivery.servers import smtp_server, webhook_receiver
from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS, make_workspace

SECRET = "alert-hook-secret"
runner = CliRunner()


def _settings(port: int, url: str) -> str:
    return f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from_address = "Metrics <metrics@example.com>"

[webhooks.ops]
url = "{url}"
secret_env = "SM_TEST_ALERT_SECRET"

[delivery]
attempts = 2
backoff = 0

[alerts.frt_breach]
kind = "target"
metric = "first_response_time"
period = "day"
periods = 2
recipients = ["lead@example.com", "webhook:ops"]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = make_workspace(tmp_path, tickets=TICKETS, messages=MESSAGES, ticket_events=EVENTS)
    ws.close()
    return ws.root


def _check(root: Path, at: str, *extra: str) -> object:
    return runner.invoke(
        app, ["alerts", "check", "-w", str(root), "--at", at, "-f", "json", *extra]
    )


def test_an_alert_is_mailed_and_posted_signed_once_per_episode(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SM_TEST_ALERT_SECRET", SECRET)
    with smtp_server() as box, webhook_receiver(SECRET) as hook:
        config = root / CONFIG_FILE
        config.write_text(config.read_text() + TARGET + _settings(box.port, hook.url))

        dry = _check(root, "2024-01-03T00:00", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert json.loads(dry.stdout)[0]["opened"] == ["all"]
        assert box.messages == [] and hook.bodies == []

        first = _check(root, "2024-01-03T00:00")
        assert first.exit_code == 0, first.output
        assert json.loads(first.stdout)[0]["opened"] == ["all"]
        again = _check(root, "2024-01-03T06:00")  # still missing: no second message
        assert json.loads(again.stdout)[0]["ongoing"] == ["all"]

        (mail,) = box.messages
        assert box.envelopes == [["lead@example.com"]]
        assert mail["Subject"] == "[supportmetrics] frt_breach (target breach) firing: 1 segment"
        text = mail.get_body(("plain",)).get_content()
        assert "First response time missed its target 4m" in text
        assert "Owner: Support lead" in text
        assert "/metrics/first_response_time?from=2024-01-01&to=2024-01-02&period=day" in text
        (body,) = hook.bodies
        assert hook.valid == [True]
        data = body["data"]
        assert (data["alert"], data["kind"], data["event"]) == ("frt_breach", "target", "opened")
        (episode,) = data["episodes"]
        assert (episode["segment"], episode["observed"], episode["expected"]) == (
            "all",
            300.0,
            240.0,
        )

        ended = _check(root, "2024-01-04T00:00")  # Wednesday has no data: no longer two misses
        assert json.loads(ended.stdout)[0]["resolved"] == ["all"]
        assert len(box.messages) == 2 and len(hook.bodies) == 2
        assert "back to normal" in box.messages[1]["Subject"]
        assert hook.bodies[1]["data"]["event"] == "resolved" and hook.valid == [True, True]

    records = DeliveryLog.of_workspace(root).records()
    assert sorted((r.channel, r.status) for r in records) == [
        ("email", "sent"),
        ("email", "sent"),
        ("webhook", "sent"),
        ("webhook", "sent"),
    ]
    listed = runner.invoke(app, ["alerts", "list", "-w", str(root), "-f", "json"])
    (row,) = json.loads(listed.stdout)
    assert (row["alert"], row["status"], row["segment"]) == ("frt_breach", "resolved", "all")


def test_a_webhook_that_is_down_is_retried_on_the_next_run(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SM_TEST_ALERT_SECRET", SECRET)
    with webhook_receiver(SECRET, fail=2) as hook:
        config = root / CONFIG_FILE
        settings = _settings(9, hook.url).replace('"lead@example.com", ', "")
        config.write_text(config.read_text() + TARGET + settings)
        down = _check(root, "2024-01-03T00:00")
        assert down.exit_code == 1  # both attempts got a 503: reported, kept for the next run
        assert "will retry on the next run" in down.output
        assert hook.bodies == []
        up = _check(root, "2024-01-03T01:00")
        assert up.exit_code == 0, up.output
        assert [b["data"]["event"] for b in hook.bodies] == ["opened"] and hook.valid == [True]


def test_bad_at_and_no_alerts(root: Path) -> None:
    bad = _check(root, "yesterday")
    assert bad.exit_code == 1
    assert "--at 'yesterday'" in bad.output
    nothing = runner.invoke(app, ["alerts", "check", "-w", str(root)])
    assert nothing.exit_code == 0 and "no alerts" in nothing.output


def test_an_overlapping_run_does_nothing(root: Path) -> None:
    from supportmetrics.alerts.check import exclusive
    from supportmetrics.alerts.episodes import Episodes

    config = root / CONFIG_FILE
    config.write_text(config.read_text() + TARGET + _settings(9, "http://127.0.0.1:9/x"))
    with exclusive(root) as mine:
        assert mine
        busy = _check(root, "2024-01-03T00:00")
    assert busy.exit_code == 0 and "another `alerts check` is running" in busy.output
    assert Episodes.of_workspace(root).list() == []
