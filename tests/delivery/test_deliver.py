"""Delivery through a real SMTP server and a real webhook receiver on loopback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from supportmetrics.config import ConfigError, validate_config
from supportmetrics.delivery import (
    Attachment,
    DeliveryLog,
    InlineImage,
    Message,
    deliver,
    parse_recipient,
    sign,
)
from tests.delivery.servers import smtp_server, webhook_receiver

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PDF = b"%PDF-1.7\n% a tiny test file\n"
SECRET = "s3cret-for-tests"


def _message() -> Message:
    return Message(
        key="report:ops:2026-11-29",
        subject="Daily operations, 29 Nov 2026",
        text="Tickets created: 1,234",
        html='<p>Tickets created: <b>1,234</b></p><img src="cid:chart-1">',
        images=(InlineImage("chart-1", PNG),),
        attachments=(Attachment("ops-2026-11-29.pdf", PDF, "application/pdf"),),
        payload={"metrics": [{"id": "tickets_created", "value": 1234}]},
    )


def _config(port: int, hook_url: str = "http://127.0.0.1:9/x", **delivery: object):
    return validate_config(
        {
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from_address": "Metrics <metrics@example.com>",
            },
            "webhooks": {"ops": {"url": hook_url, "secret_env": "SM_TEST_HOOK_SECRET"}},
            "delivery": {"attempts": 3, "backoff": 0.5, **delivery},
        },
        "supportmetrics.toml",
    )


def test_email_arrives_with_html_inline_image_and_pdf(tmp_path: Path) -> None:
    log = DeliveryLog.of_workspace(tmp_path)
    with smtp_server() as box:
        records = deliver(_message(), ["lead@example.com"], _config(box.port), log)
    assert [(r.recipient, r.status, r.attempt) for r in records] == [
        ("lead@example.com", "sent", 1)
    ]
    (mail,) = box.messages
    assert box.envelopes == [["lead@example.com"]]
    assert mail["Subject"] == "Daily operations, 29 Nov 2026"
    assert mail["To"] == "lead@example.com"
    html = mail.get_body(("html",))
    assert "<b>1,234</b>" in html.get_content()
    (related,) = [p for p in mail.walk() if p.get_content_type() == "multipart/related"]
    (image,) = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<chart-1>"
    assert image.get_content() == PNG
    (pdf,) = list(mail.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content_type()) == ("ops-2026-11-29.pdf", "application/pdf")
    assert pdf.get_content() == PDF
    assert mail.get_body(("plain",)).get_content().strip() == "Tickets created: 1,234"


def test_temporary_smtp_failure_is_retried_with_doubling_backoff(tmp_path: Path) -> None:
    log, waits = DeliveryLog.of_workspace(tmp_path), []
    with smtp_server(refuse=2) as box:
        records = deliver(_message(), ["a@example.com"], _config(box.port), log, sleep=waits.append)
    assert [(r.attempt, r.status) for r in records] == [(1, "failed"), (2, "failed"), (3, "sent")]
    assert "451 try again later" in (records[0].error or "")
    assert waits == [0.5, 1.0]
    assert len(box.messages) == 1
    # newest first, all three attempts kept in the workspace's delivery database
    assert [r.status for r in log.records("report:ops:2026-11-29")] == ["sent", "failed", "failed"]
    assert (tmp_path / "supportmetrics-delivery.sqlite").stat().st_mode & 0o777 == 0o600


def test_webhook_is_signed_over_the_exact_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SM_TEST_HOOK_SECRET", SECRET)
    with webhook_receiver(SECRET, fail=1) as hook:
        records = deliver(
            _message(),
            ["webhook:ops"],
            _config(1, hook.url),
            DeliveryLog.of_workspace(tmp_path),
            sleep=lambda _: None,
        )
    assert [(r.channel, r.status) for r in records] == [("webhook", "failed"), ("webhook", "sent")]
    assert "503" in (records[0].error or "")
    assert hook.valid == [True]
    assert hook.headers[0]["X-Supportmetrics-Signature"] == sign(hook.raw[0], SECRET)
    body = hook.bodies[0]
    assert body["key"] == "report:ops:2026-11-29"
    assert body["data"] == {"metrics": [{"id": "tickets_created", "value": 1234}]}
    assert str(body["sent_at"]) == hook.headers[0]["X-Supportmetrics-Timestamp"]


def test_a_wrong_secret_does_not_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SM_TEST_HOOK_SECRET", "not-the-receivers-secret")
    with webhook_receiver(SECRET) as hook:
        deliver(_message(), ["webhook:ops"], _config(1, hook.url), DeliveryLog(tmp_path / "d.db"))
    assert hook.valid == [False]


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("slack", {"text": "*Daily operations, 29 Nov 2026*\nTickets created: 1,234"}),
        ("teams", "MessageCard"),
    ],
)
def test_slack_and_teams_styles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, style: str, expected: object
) -> None:
    monkeypatch.setenv("SM_TEST_HOOK_SECRET", SECRET)
    with webhook_receiver(SECRET) as hook:
        config = _config(1, hook.url)
        config = config.model_copy(
            update={"webhooks": {"ops": config.webhooks["ops"].model_copy(update={"style": style})}}
        )
        deliver(_message(), ["webhook:ops"], config, DeliveryLog(tmp_path / "d.db"))
    assert hook.valid == [True]
    if style == "slack":
        assert hook.bodies[0] == expected
    else:
        assert hook.bodies[0]["@type"] == expected
        assert hook.bodies[0]["title"] == "Daily operations, 29 Nov 2026"


def test_permanent_failures_are_not_retried_and_do_not_stop_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SM_TEST_HOOK_SECRET", raising=False)
    log = DeliveryLog(tmp_path / "d.db")
    with smtp_server() as box:
        records = deliver(
            _message(), ["webhook:ops", "webhook:nope", "b@example.com"], _config(box.port), log
        )
    assert [(r.recipient, r.attempt, r.status) for r in records] == [
        ("webhook:ops", 1, "failed"),
        ("webhook:nope", 1, "failed"),
        ("b@example.com", 1, "sent"),
    ]
    assert "SM_TEST_HOOK_SECRET" in (records[0].error or "")
    assert "[webhooks.nope]" in (records[1].error or "")
    assert len(box.messages) == 1
    with sqlite3.connect(tmp_path / "d.db") as db:
        assert db.execute("SELECT count(*) FROM deliveries").fetchone() == (3,)


def test_a_refused_connection_is_recorded_after_every_attempt(tmp_path: Path) -> None:
    log = DeliveryLog(tmp_path / "d.db")
    records = deliver(_message(), ["c@example.com"], _config(1), log, sleep=lambda _: None)
    assert [r.status for r in records] == ["failed"] * 3
    assert "127.0.0.1:1" in (records[-1].error or "")
    assert json.loads(json.dumps(records[0].to_dict()))["at"].endswith("Z")


def test_recipients_and_settings_are_validated() -> None:
    assert parse_recipient(" ops@example.com ") == ("email", "ops@example.com")
    assert parse_recipient("webhook:ops") == ("webhook", "ops")
    with pytest.raises(ValueError, match="webhook:<name>"):
        parse_recipient("ops")
    with pytest.raises(ConfigError, match=r"smtp.password_env: .*environment variable name"):
        validate_config(
            {"smtp": {"host": "h", "from_address": "a@b.c", "password_env": "hunter 2"}}, "t.toml"
        )
    with pytest.raises(ConfigError, match=r"webhooks.x.url: .*https://"):
        validate_config({"webhooks": {"x": {"url": "ftp://x", "secret_env": "S"}}}, "t.toml")
    with pytest.raises(ConfigError, match=r"webhooks.x.secret_env: Field required"):
        validate_config({"webhooks": {"x": {"url": "https://x"}}}, "t.toml")
