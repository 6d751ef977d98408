"""`[reports.<name>]`: what a scheduled report holds, when it is sent and to whom."""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportmetrics.delivery.settings import parse_recipient

__all__ = ["PRESETS", "Cadence", "Preset", "ReportSettings", "check_reports"]

Cadence = Literal["daily", "weekly", "monthly"]
Format = Literal["html", "pdf", "csv"]


class Preset(BaseModel):
    """A ready-made report: its usual cadence, headline metrics and breakdowns."""

    model_config = ConfigDict(frozen=True)

    cadence: Cadence
    title: str
    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {
    "operational": Preset(
        cadence="daily",
        title="Daily operations",
        metrics=(
            "ticket_volume",
            "backlog",
            "first_response_time",
            "sla_attainment",
            "abandonment_rate",
        ),
    ),
    "team": Preset(
        cadence="weekly",
        title="Weekly team review",
        metrics=(
            "first_response_time",
            "first_contact_resolution",
            "resolution_time",
            "reopen_rate",
            "csat",
        ),
        by=("team", "agent.name"),
    ),
    "strategic": Preset(
        cadence="monthly",
        title="Monthly customer outcomes",
        metrics=(
            "csat",
            "nps",
            "ces",
            "customer_churn",
            "customer_retention",
            "mrr",
            "self_service_usage",
        ),
    ),
}
"""Daily operations, weekly team speed-and-quality pairs with CSAT, monthly strategic outcomes."""

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ReportSettings(BaseModel):
    """One scheduled report ([reports.<name>])."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: Literal["operational", "team", "strategic"] | None = Field(
        None, description="operational (daily), team (weekly) or strategic (monthly)"
    )
    metrics: tuple[str, ...] = Field((), description="metric ids (added to the preset's)")
    by: tuple[str, ...] | None = Field(
        None, description="dimensions to break the metrics down by (default: the preset's)"
    )
    cadence: Cadence | None = Field(
        None, description="daily, weekly (ISO weeks) or monthly (default: the preset's)"
    )
    send_at: str = Field("08:00", description="local send time (HH:MM) after the period ends")
    timezone: str | None = Field(
        None, description="time zone of send_at (default: the workspace's)"
    )
    where: dict[str, list[str]] = Field(
        default_factory=dict, description="filters, as `--where`: dimension -> accepted values"
    )
    recipients: tuple[str, ...] = Field(
        (), description="email addresses and webhook:<name> destinations"
    )
    formats: tuple[Format, ...] = Field(
        ("html", "pdf", "csv"), description="html (the email body), pdf and csv attachments"
    )
    title: str | None = Field(None, description="the subject line's title")

    @field_validator("send_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError(f"send_at is a local time HH:MM (e.g. 08:00); got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}: use an IANA name") from None
        return value

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            parse_recipient(entry)
        return tuple(v.strip() for v in value)

    @model_validator(mode="after")
    def _has_metrics(self) -> ReportSettings:
        if self.preset is None and not self.metrics:
            raise ValueError("name a preset (operational, team, strategic) or metrics = [...]")
        if self.preset is None and self.cadence is None:
            raise ValueError(
                "set cadence (daily, weekly or monthly): there is no preset to take it from"
            )
        if "html" not in self.formats:
            raise ValueError('formats must include "html": it is the email\'s body')
        return self

    @property
    def chosen_preset(self) -> Preset | None:
        """The preset, if one is named."""
        return PRESETS[self.preset] if self.preset else None

    @property
    def every(self) -> Cadence:
        """The cadence (the preset's unless set)."""
        preset = self.chosen_preset
        return self.cadence or (preset.cadence if preset else "daily")

    @property
    def all_metrics(self) -> tuple[str, ...]:
        """The preset's metrics and then the listed ones, each once."""
        preset = self.chosen_preset
        listed = (preset.metrics if preset else ()) + self.metrics
        return tuple(dict.fromkeys(listed))

    @property
    def breakdowns(self) -> tuple[str, ...]:
        """The dimensions each metric is broken down by."""
        preset = self.chosen_preset
        return self.by if self.by is not None else (preset.by if preset else ())

    def heading(self, name: str) -> str:
        """The report's title."""
        preset = self.chosen_preset
        return self.title or (preset.title if preset else name)


def check_reports(reports: dict[str, ReportSettings], webhooks: set[str]) -> None:
    """ValueError naming the report and key when a metric or webhook does not exist."""
    from supportmetrics.metrics import CATALOGUE  # the catalogue needs no settings

    for name, report in reports.items():
        for metric_id in report.metrics:
            if metric_id not in CATALOGUE:
                raise ValueError(
                    f"reports.{name}.metrics: unknown metric {metric_id!r}; "
                    "`supportmetrics metrics list` shows them"
                )
        for recipient in report.recipients:
            channel, target = parse_recipient(recipient)
            if channel == "webhook" and target not in webhooks:
                raise ValueError(
                    f"reports.{name}.recipients: {recipient!r} names no [webhooks.{target}] table"
                )
