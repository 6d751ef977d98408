"""Experience: what customers and employees say in surveys (docs/metrics.md, Experience)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from supportmetrics.metrics.base import Benchmark, Clock, Metric, Variant

__all__ = ["EXPERIENCE", "parse_threshold"]

_NPS_BANDS = (Benchmark("> 0 good, > 20 favorable, > 50 excellent, > 80 world-class"),)


def parse_threshold(text: str) -> str | int:
    """`topN` (the top N points of each response's scale) or a whole score."""
    if text.startswith("top") and text[3:].isdigit() and int(text[3:]) >= 1:
        return text
    if text.isdigit():
        return int(text)
    raise ValueError(f"takes topN (e.g. top2) or a whole score (e.g. 4); got {text!r}")


def _survey_variant(default: str) -> Variant:
    return Variant("survey", default, "the survey name in surveys.survey", parse_with=str)


def _satisfied(rows: ir.Table, threshold: str | int) -> ir.BooleanValue:
    if isinstance(threshold, int):
        return rows.score >= threshold
    return rows.score >= rows.scale_max - (int(threshold[3:]) - 1)


def _responses(facts: ir.Table, survey: str) -> ir.Table:
    return facts.filter(facts.survey == survey)


def _share_or_mean(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = _responses(facts, variants["survey"])
    if variants["score"] == "mean":
        return rows.mutate(_value=rows.score.cast("float64"))
    return rows.mutate(_value=_satisfied(rows, variants["threshold"]))


def _shape_share_or_mean(variants: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    if variants["score"] == "mean":
        return "distribution", "score", "higher"
    return "share", "percent", "higher"


def nps_category(rows: ir.Table) -> ir.StringValue:
    """promoter (9-10), passive (7-8) or detractor (0-6), on the response's scale mapped to 0-10."""
    scaled = 10 * (rows.score - rows.scale_min) / (rows.scale_max - rows.scale_min)
    return ibis.cases((scaled >= 9, "promoter"), (scaled > 6, "passive"), else_="detractor")


def _nps(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = _responses(facts, variants["survey"])
    return rows.mutate(_value=nps_category(rows))


def _ces(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = _responses(facts, variants["survey"])
    if variants["score"] == "easy":
        return rows.mutate(_value=rows.score >= variants["easy"])
    return rows.mutate(_value=rows.score.cast("float64"))


def _ces_shape(variants: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    if variants["score"] == "easy":
        return "share", "percent", "higher"
    return "distribution", "score", "higher"


def _response_rate(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = (
        facts if variants["survey"] == "all" else facts.filter(facts.survey == variants["survey"])
    )
    return rows.mutate(_filed_at=rows.sent_at.coalesce(rows.submitted_at), _value=rows.responded)


def _employee(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = _responses(facts, variants["kind"])
    if variants["kind"] == "enps":
        return rows.mutate(_value=nps_category(rows))
    if variants["score"] == "mean":
        return rows.mutate(_value=rows.score.cast("float64"))
    return rows.mutate(_value=_satisfied(rows, "top2"))


def _employee_shape(variants: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    if variants["kind"] == "enps":
        return "nps", "points", "higher"
    return _shape_share_or_mean(variants)


SCORE = Variant(
    "score", "share", "share of satisfied responses, or the mean score", ("share", "mean")
)

EXPERIENCE = (
    Metric(
        "csat",
        "experience",
        "Customer satisfaction (CSAT)",
        "Satisfied responses / all responses x 100; satisfied = the top two points of the "
        "response's scale (4-5 on 1-5) by default, or threshold=N for scores >= N. score=mean "
        "gives the mean score instead. Responses are attributed to their ticket: split by "
        "channel, agent, team, issue_type, tag, priority or first_response_bucket.",
        facts="surveys",
        aggregation="share",
        unit="percent",
        better="higher",
        filed_under="submitted_at",
        filed_at="submitted_at",
        build=_share_or_mean,
        variants=(
            Variant(
                "threshold",
                "top2",
                "what counts as satisfied: the top N points of the scale, or a score",
                parse_with=parse_threshold,
            ),
            SCORE,
            _survey_variant("csat"),
        ),
        benchmarks=(Benchmark("live chat 82%, email 61%, call centers 44%"),),
        shape=_shape_share_or_mean,
    ),
    Metric(
        "nps",
        "experience",
        "Net Promoter Score (NPS)",
        "% promoters (9-10) - % detractors (0-6) of responses on 0-10 (other scales mapped to "
        "0-10); rows also give promoters, passives and detractors, and a 95% interval from the "
        "trinomial variance.",
        facts="surveys",
        aggregation="nps",
        unit="points",
        better="higher",
        filed_under="submitted_at",
        filed_at="submitted_at",
        build=_nps,
        variants=(_survey_variant("nps"),),
        benchmarks=_NPS_BANDS,
    ),
    Metric(
        "ces",
        "experience",
        "Customer effort score (CES)",
        "Mean effort score (1-7 unless the response gives its scale); score=easy gives the share "
        "of responses at or above the easy threshold (default 5).",
        facts="surveys",
        aggregation="distribution",
        unit="score",
        better="higher",
        filed_under="submitted_at",
        filed_at="submitted_at",
        build=_ces,
        variants=(
            Variant("score", "mean", "the mean score, or the share of easy", ("mean", "easy")),
            Variant("easy", 5, "lowest score that counts as easy"),
            _survey_variant("ces"),
        ),
        benchmarks=(Benchmark("average 5 of 7"),),
        shape=_ces_shape,
    ),
    Metric(
        "survey_response_rate",
        "experience",
        "Survey response rate",
        "Invitations answered / invitations sent, per survey. A response answers at most one "
        "invitation: the one it names (invitation_id), else the latest invitation of the same "
        "survey for its ticket sent at or before it, else the latest such one for its customer. "
        "Anonymous invitations (neither ticket nor customer: eSat, eNPS) count as answered as "
        "many as the anonymous responses of that survey in the period (responses with neither "
        "ticket, customer nor invitation), at most all of them. Split by survey for each "
        "survey's rate.",
        facts="invitations",
        aggregation="answered",
        unit="share",
        better="higher",
        filed_under="sent_at",
        build=_response_rate,
        variants=(Variant("survey", "all", "one survey, or all", parse_with=str),),
        benchmarks=(Benchmark("CES 15-25% good"),),
    ),
    Metric(
        "employee_satisfaction",
        "experience",
        "Employee satisfaction (eSat, eNPS)",
        "kind=esat: share of agents' answers in the top two points of the scale (score=mean: the "
        "mean score); kind=enps: % promoters - % detractors, like NPS. Split by agent.team.",
        facts="surveys",
        aggregation="share",
        unit="percent",
        better="higher",
        filed_under="submitted_at",
        filed_at="submitted_at",
        build=_employee,
        variants=(
            Variant("kind", "esat", "which survey", ("esat", "enps")),
            SCORE,
        ),
        shape=_employee_shape,
    ),
)
