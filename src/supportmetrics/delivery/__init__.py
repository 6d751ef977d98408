"""Sending reports and alerts: SMTP email and signed webhooks, retried and recorded.

`deliver(message, recipients, settings, log)` sends a `Message` to each recipient (an email
address or `webhook:<name>`), retrying with backoff, and records every attempt in the workspace's
delivery database (`DeliveryLog`). Webhook bodies are signed with HMAC-SHA256 over the exact
bytes sent, under the destination's secret: header `X-Supportmetrics-Signature: sha256=<hex>`,
with `X-Supportmetrics-Timestamp` (epoch seconds; the json style carries it as `sent_at` in the
signed body too).
"""

from supportmetrics.delivery.log import DELIVERY_FILE, DeliveryLog, DeliveryRecord
from supportmetrics.delivery.message import Attachment, InlineImage, Message, email_message
from supportmetrics.delivery.send import DeliveryConfig, deliver
from supportmetrics.delivery.settings import (
    DeliverySettings,
    SmtpSettings,
    WebhookSettings,
    parse_recipient,
)
from supportmetrics.delivery.transports import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SendError,
    sign,
    webhook_body,
)

__all__ = [
    "DELIVERY_FILE",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Attachment",
    "DeliveryConfig",
    "DeliveryLog",
    "DeliveryRecord",
    "DeliverySettings",
    "InlineImage",
    "Message",
    "SendError",
    "SmtpSettings",
    "WebhookSettings",
    "deliver",
    "email_message",
    "parse_recipient",
    "sign",
    "webhook_body",
]
