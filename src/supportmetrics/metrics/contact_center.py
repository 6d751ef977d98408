"""Contact center: inbound calls offered to queues (docs/metrics.md, Contact center)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from supportmetrics.metrics.base import Benchmark, Clock, Metric, Variant

__all__ = ["CONTACT_CENTER"]

THRESHOLD = Variant(
    "threshold", 5, "short abandon: abandoned calls that waited less (seconds) are left out"
)
_OFFERED = ("answered", "abandoned", "timeout")


def _inbound(facts: ir.Table) -> ir.Table:
    return facts.filter(facts.direction.coalesce("inbound") == "inbound")


def offered(facts: ir.Table, threshold: int) -> ir.Table:
    """Inbound calls answered, abandoned or timed out, without short abandons (an abandoned call
    whose known wait is below `threshold` seconds; one without an end time is kept)."""
    rows = _inbound(facts)
    short = (rows.outcome == "abandoned") & (rows.wait_seconds < threshold).coalesce(False)
    return rows.filter(rows.outcome.isin(_OFFERED) & ~short)


def _outcome_share(outcome: str) -> Any:
    def build(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
        rows = offered(facts, variants["threshold"])
        return rows.mutate(_value=rows.outcome == outcome)

    return build


def _service_level(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = offered(facts, variants["threshold"])
    within = rows.wait_seconds <= variants["t"]
    if variants["abandoned_before_t"] == "excluded":
        rows = rows.filter(~((rows.outcome != "answered") & within.coalesce(False)))
    return rows.mutate(_value=(rows.outcome == "answered") & within)


def _speed_of_answer(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = _inbound(facts)
    rows = rows.filter((rows.outcome == "answered") & rows.wait_seconds.notnull())
    return rows.mutate(_value=rows.wait_seconds.cast("float64"))


def _self_service(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = _inbound(facts)
    return rows.mutate(_value=rows.outcome == "self_service")


CONTACT_CENTER = (
    Metric(
        "abandonment_rate",
        "contact_center",
        "Abandonment rate",
        "Abandoned / offered inbound calls; offered = answered + abandoned + timed out. Abandons "
        "shorter than the threshold (default 5 s) are left out of both.",
        facts="calls",
        aggregation="share",
        unit="share",
        better="lower",
        filed_under="queued_at",
        filed_at="queued_at",
        build=_outcome_share("abandoned"),
        variants=(THRESHOLD,),
    ),
    Metric(
        "answered_rate",
        "contact_center",
        "Answered rate",
        "Answered / offered inbound calls (short abandons left out, as for abandonment_rate).",
        facts="calls",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="queued_at",
        filed_at="queued_at",
        build=_outcome_share("answered"),
        variants=(THRESHOLD,),
    ),
    Metric(
        "service_level",
        "contact_center",
        "Service level",
        "Inbound calls answered within T seconds (default 20) / offered: the call SLA, e.g. "
        "80/20. Calls abandoned or timed out within T stay in the denominator by default "
        "(abandoned_before_t=excluded leaves them out); short abandons are left out.",
        facts="calls",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="queued_at",
        filed_at="queued_at",
        build=_service_level,
        variants=(
            Variant("t", 20, "answered within this many seconds"),
            Variant(
                "abandoned_before_t",
                "in_denominator",
                "calls abandoned within T: counted as offered, or left out",
                ("in_denominator", "excluded"),
            ),
            THRESHOLD,
        ),
    ),
    Metric(
        "average_speed_of_answer",
        "contact_center",
        "Average speed of answer (ASA)",
        "Mean wait in queue of answered inbound calls (median, p90 ... with --stat).",
        facts="calls",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="queued_at",
        filed_at="queued_at",
        build=_speed_of_answer,
        benchmarks=(Benchmark("3 min"),),
    ),
    Metric(
        "self_service_rate",
        "contact_center",
        "IVR self-service rate",
        "Inbound calls resolved in the IVR (outcome self_service) / all inbound calls.",
        facts="calls",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="queued_at",
        filed_at="queued_at",
        build=_self_service,
    ),
)
