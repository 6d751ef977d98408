"""Social: named shortcuts for the social channel (docs/metrics.md, Social)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import ibis.expr.types as ir

from supportmetrics.metrics.base import Build, Clock, Metric

__all__ = ["social"]


def _on_social(build: Build) -> Build:
    def social_build(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
        return build(facts.filter(facts.channel == "social"), variants, clock)

    return social_build


def social(base: Metric, metric_id: str, title: str) -> Metric:
    """`base` restricted to channel = social, under its own id."""
    return replace(
        base,
        id=metric_id,
        family="social",
        title=title,
        definition=f"{base.id} on the social channel: {base.definition}",
        build=_on_social(base.build),
    )
