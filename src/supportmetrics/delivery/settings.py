"""Delivery settings: `[smtp]`, `[webhooks.<name>]` and `[delivery]` of supportmetrics.toml.

Secrets never live in the file: the password and each webhook's signing secret are read at send
time from the environment variables the file names (`password_env`, `secret_env`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "DeliverySettings",
    "SmtpSettings",
    "WebhookSettings",
    "parse_recipient",
]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
WEBHOOK_PREFIX = "webhook:"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(
            f"{value!r} is not an environment variable name; name the variable that holds the "
            "secret (e.g. SMTP_PASSWORD), never the secret itself"
        )
    return value


class SmtpSettings(_Section):
    """`[smtp]`: the mail server reports and alerts are sent through."""

    host: str = Field(min_length=1, description="the SMTP server, e.g. smtp.example.com")
    port: int | None = Field(
        None, ge=1, le=65535, description="default 587 for starttls, 465 for ssl, 25 for none"
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls",
        description="starttls (upgrade after connecting), ssl (TLS from the start) or none",
    )
    user: str | None = Field(None, description="the login, if the server wants one")
    password_env: str | None = Field(
        None, description="the environment variable holding the password (never the password)"
    )
    from_address: str = Field(description="the sender, e.g. Support metrics <metrics@example.com>")
    timeout: float = Field(30.0, gt=0, description="seconds to wait for the server")

    _check_env = field_validator("password_env")(_env_name)

    @property
    def effective_port(self) -> int:
        """The port, or the usual one for the security mode."""
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class WebhookSettings(_Section):
    """`[webhooks.<name>]`: an HTTPS endpoint that receives a signed JSON body."""

    url: str = Field(description="where the JSON body is POSTed")
    secret_env: str = Field(
        description="the environment variable holding this destination's signing secret"
    )
    style: Literal["json", "slack", "teams"] = Field(
        "json",
        description="json (the full payload), slack or teams (a text message those tools accept)",
    )
    timeout: float = Field(15.0, gt=0, description="seconds to wait for the endpoint")

    _check_env = field_validator("secret_env")(_env_name)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"a webhook url starts with https:// (or http://); got {value!r}")
        return value


class DeliverySettings(_Section):
    """`[delivery]`: how often a failed send is retried and how often `serve` checks what is due."""

    attempts: int = Field(3, ge=1, le=10, description="tries per recipient before giving up")
    backoff: float = Field(
        2.0, ge=0, description="seconds before the second try; each later wait doubles"
    )
    check_interval: float = Field(
        300.0, ge=10, description="seconds between the due-checks `serve` runs in the background"
    )


def parse_recipient(value: str) -> tuple[Literal["email", "webhook"], str]:
    """("email", address) or ("webhook", name) from a recipient entry; ValueError if neither."""
    text = value.strip()
    if text.startswith(WEBHOOK_PREFIX):
        name = text[len(WEBHOOK_PREFIX) :].strip()
        if name:
            return "webhook", name
    elif _EMAIL.match(text):
        return "email", text
    raise ValueError(
        f"recipient {value!r}: write an email address (ops@example.com) or webhook:<name> "
        "naming a [webhooks.<name>] table"
    )
