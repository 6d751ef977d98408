"""`deliver`: one message to every recipient, retried with backoff, each attempt recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

from supportmetrics.delivery.log import DeliveryLog, DeliveryRecord
from supportmetrics.delivery.message import Message
from supportmetrics.delivery.settings import (
    DeliverySettings,
    SmtpSettings,
    WebhookSettings,
    parse_recipient,
)
from supportmetrics.delivery.transports import SendError, send_email, send_webhook

__all__ = ["DeliveryConfig", "deliver"]


class DeliveryConfig(Protocol):
    """The settings `deliver` reads (the workspace's `Config` has them)."""

    @property
    def smtp(self) -> SmtpSettings | None: ...

    @property
    def webhooks(self) -> Mapping[str, WebhookSettings]: ...

    @property
    def delivery(self) -> DeliverySettings: ...


def _send_once(message: Message, recipient: str, settings: DeliveryConfig) -> None:
    try:
        channel, target = parse_recipient(recipient)
    except ValueError as exc:
        raise SendError(str(exc), permanent=True) from None
    if channel == "email":
        if settings.smtp is None:
            raise SendError("no [smtp] table in supportmetrics.toml to send email", permanent=True)
        send_email(message, target, settings.smtp)
        return
    hook = settings.webhooks.get(target)
    if hook is None:
        raise SendError(f"no [webhooks.{target}] table in supportmetrics.toml", permanent=True)
    send_webhook(message, hook)


def deliver(
    message: Message,
    recipients: Sequence[str],
    settings: DeliveryConfig,
    log: DeliveryLog,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[DeliveryRecord]:
    """Send `message` to each recipient (an address or webhook:<name>), trying up to
    `[delivery] attempts` times with doubling waits; every attempt is recorded in `log` and
    returned. A failure for one recipient does not stop the others."""
    records: list[DeliveryRecord] = []
    attempts, backoff = settings.delivery.attempts, settings.delivery.backoff
    for recipient in recipients:
        channel: Literal["email", "webhook"] = (
            "webhook" if recipient.strip().startswith("webhook:") else "email"
        )
        for attempt in range(1, attempts + 1):
            error: SendError | None = None
            try:
                _send_once(message, recipient, settings)
            except SendError as exc:
                error = exc
            record = DeliveryRecord(
                key=message.key,
                channel=channel,
                recipient=recipient.strip(),
                attempt=attempt,
                status="failed" if error else "sent",
                at=time.time(),
                error=str(error) if error else None,
            )
            log.record(record)
            records.append(record)
            if error is None or error.permanent:
                break
            if attempt < attempts:
                sleep(backoff * 2 ** (attempt - 1))
    return records
