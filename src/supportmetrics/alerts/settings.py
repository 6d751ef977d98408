"""`[alerts.<name>]` in supportmetrics.toml: what each alert watches and who hears of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from supportmetrics.delivery.settings import parse_recipient
from supportmetrics.stats import is_stat

__all__ = [
    "ALERT_KINDS",
    "AlertSettings",
    "SlaRiskAlert",
    "SpikeAlert",
    "TargetAlert",
    "check_alerts",
    "variant_text",
]

ALERT_KINDS = ("target", "spike", "sla_risk")


def _seconds(value: object) -> int:
    from supportmetrics.config import parse_duration  # config imports this module

    return parse_duration(value)


class _Alert(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    recipients: list[str] = Field(
        default_factory=list,
        description="where the alert goes: email addresses and webhook:<name> entries",
    )
    notify_resolved: bool = Field(
        True, description="also send a message when an episode ends (back to normal)"
    )

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        for recipient in value:
            parse_recipient(recipient)
        return value


class TargetAlert(_Alert):
    """A metric missing its target ([targets.<metric>]) for N consecutive periods."""

    kind: Literal["target"]
    metric: str = Field(description="a metric with a target in [targets]")
    period: Literal["day", "week", "month"] = "week"
    periods: int = Field(2, ge=1, le=52, description="consecutive missed periods that fire it")


class SpikeAlert(_Alert):
    """Volume (or any metric) departing from its usual value for that weekday (and hour)."""

    kind: Literal["spike"]
    metric: str = "ticket_volume"
    by: str | None = Field(
        None, description="a dimension (issue_type, tag, channel ...): one series per value"
    )
    where: dict[str, list[str]] = Field(default_factory=dict)
    period: Literal["day", "hour"] = "day"
    weeks: int = Field(
        8, ge=3, le=52, description="the baseline: the same weekday (and hour) of this many weeks"
    )
    threshold: float = Field(
        5.0, gt=0, description="robust z-score that fires: |observed - median| / (1.4826 MAD)"
    )
    min_change: float = Field(
        0.5,
        ge=0,
        description="also needed: the relative change from the expected value (0.5 = 50%)",
    )
    min_value: float = Field(
        10.0,
        ge=0,
        description="also needed: the observed or the expected value reaches this (no alarms "
        "about 1 ticket instead of 0)",
    )
    direction: Literal["both", "up", "down"] = "both"
    stat: str = "mean"
    clock: Literal["calendar", "business"] = "calendar"
    variants: dict[str, str | int | bool] = Field(default_factory=dict)

    @field_validator("stat")
    @classmethod
    def _known_stat(cls, value: str) -> str:
        if not is_stat(value):
            raise ValueError(f"unknown stat {value!r}; use mean, median or pNN (p90)")
        return value


class SlaRiskAlert(_Alert):
    """Open tickets whose first reply or resolution is due within a time (in the policy's clock)."""

    kind: Literal["sla_risk"]
    within: Annotated[int, BeforeValidator(_seconds)] = Field(
        description="due within this much time (30m, 2h): business time for business-clock policies"
    )
    targets: tuple[Literal["first_response_time", "resolution_time"], ...] = Field(
        ("first_response_time", "resolution_time"), description="which SLA targets to watch"
    )
    where: dict[str, list[str]] = Field(default_factory=dict)


AlertSettings = Annotated[TargetAlert | SpikeAlert | SlaRiskAlert, Field(discriminator="kind")]
"""One `[alerts.<name>]` table; `kind` says which."""


def check_alerts(alerts: Mapping[str, Any], targets: Mapping[str, Any], sla: bool) -> None:
    """ValueError naming the first alert that refers to an unknown metric, a metric without a
    target (target alerts) or to SLA policies the settings lack (sla_risk alerts)."""
    from supportmetrics.metrics import CATALOGUE  # the catalogue needs no settings

    for name, alert in alerts.items():
        metric = getattr(alert, "metric", None)
        if metric is not None and metric not in CATALOGUE:
            raise ValueError(
                f"alerts.{name}.metric: unknown metric {metric!r}; the metrics are: "
                f"{', '.join(CATALOGUE)}"
            )
        if isinstance(alert, TargetAlert) and metric not in targets:
            raise ValueError(
                f"alerts.{name}: {metric} has no target; add [targets.{metric}] (value, owner, "
                "next_action) or watch a metric that has one"
            )
        if isinstance(alert, SlaRiskAlert) and not sla:
            raise ValueError(f"alerts.{name}: sla_risk needs SLA policies; add [[sla]] tables")


def variant_text(variants: Mapping[str, str | int | bool]) -> dict[str, str]:
    """Variants from the settings as the query takes them (true/false, numbers as text)."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in variants.items()}
