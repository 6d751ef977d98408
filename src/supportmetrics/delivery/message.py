"""What is delivered: one message, rendered for email (HTML, inline images, attachments) and for
webhooks (a JSON payload)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

__all__ = ["Attachment", "InlineImage", "Message", "email_message"]


@dataclass(frozen=True)
class InlineImage:
    """A PNG shown inside the HTML, referenced there as `<img src="cid:{cid}">`."""

    cid: str
    png: bytes


@dataclass(frozen=True)
class Attachment:
    """A file attached to the email (the PDF, the CSV tables)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Message:
    """A report issue or an alert, ready to send.

    `key` names what is sent (e.g. `report:ops:2026-W47`) so the delivery log can tell attempts
    of one issue apart from another; `payload` is the JSON body webhooks of style json receive.
    """

    key: str
    subject: str
    text: str
    html: str | None = None
    images: tuple[InlineImage, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict)


def email_message(message: Message, sender: str, to: str) -> EmailMessage:
    """The MIME message: text, HTML with its inline images (multipart/related), attachments."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="supportmetrics.local")
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
        html_part = next(p for p in mail.iter_parts() if p.get_content_type() == "text/html")
        for image in message.images:
            html_part.add_related(image.png, "image", "png", cid=f"<{image.cid}>")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        mail.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mail
