"""Sending one message to one destination: SMTP (STARTTLS, SSL or plain) and signed webhooks.

Each function raises `SendError` saying whether trying again may help (`permanent`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from typing import Any

from supportmetrics.delivery.message import Message, email_message
from supportmetrics.delivery.settings import SmtpSettings, WebhookSettings

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SendError",
    "send_email",
    "send_webhook",
    "sign",
    "webhook_body",
]

SIGNATURE_HEADER = "X-Supportmetrics-Signature"
TIMESTAMP_HEADER = "X-Supportmetrics-Timestamp"


class SendError(RuntimeError):
    """A delivery that failed; `permanent` when a retry cannot help (bad login, refused address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _secret(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise SendError(
            f"the environment variable {variable} (the {what}) is not set; set it where "
            "supportmetrics runs (cron, systemd, serve)",
            permanent=True,
        )
    return value


def send_email(message: Message, to: str, smtp: SmtpSettings) -> None:
    """Send `message` to the address `to` through `smtp`."""
    mail = email_message(message, smtp.from_address, to)
    password = _secret(smtp.password_env, "SMTP password") if smtp.password_env else None
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.effective_port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, password or "")
            client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"the server refused {to}: {exc.recipients}", permanent=True) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"{smtp.host}: {exc} (check security in [smtp])", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise SendError(
            f"{smtp.host} answered {exc.smtp_code} {text}".strip(), permanent=exc.smtp_code >= 500
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"{smtp.host}:{smtp.effective_port}: {exc or type(exc).__name__}") from None


def webhook_body(message: Message, style: str, sent_at: int) -> bytes:
    """The exact bytes POSTed for `style` (json: key, subject, text, sent_at and the payload)."""
    body: dict[str, Any]
    if style == "slack":
        body = {"text": f"*{message.subject}*\n{message.text}"}
    elif style == "teams":
        body = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.subject,
            "title": message.subject,
            "text": message.text.replace("\n", "  \n"),
        }
    else:
        body = {
            "key": message.key,
            "subject": message.subject,
            "text": message.text,
            "sent_at": sent_at,
            "data": message.payload,
        }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of `body` under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(message: Message, hook: WebhookSettings) -> None:
    """POST the signed body of `message` to `hook` (a 2xx answer is success)."""
    secret = _secret(hook.secret_env, "webhook's signing secret")
    sent_at = int(time.time())
    body = webhook_body(message, hook.style, sent_at)
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "supportmetrics",
            SIGNATURE_HEADER: sign(body, secret),
            TIMESTAMP_HEADER: str(sent_at),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=hook.timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        retry = exc.code >= 500 or exc.code in (408, 429)
        raise SendError(
            f"{hook.url} answered {exc.code} {exc.reason}", permanent=not retry
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendError(f"{hook.url}: {reason}") from None
