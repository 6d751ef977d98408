"""Quality: whether problems are solved, and solved for good (docs/metrics.md, Quality)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from supportmetrics.metrics.base import Benchmark, Clock, Metric, Variant
from supportmetrics.metrics.speed import COUNT_BOTS

__all__ = ["QUALITY", "REPEAT_DAYS", "REPEAT_SAME_ISSUE", "REPEAT_WINDOW"]

REPEAT_WINDOW = (
    "another ticket from the same customer (same issue_type by default) created from the ticket's "
    "creation to N days after its last solve (so one opened while it is still open counts)"
)
"""The repeat-contact window, as the definitions of FCR no_repeat_contact and repeat contact say it."""
REPEAT_DAYS = Variant(
    "repeat_days",
    7,
    "N: a new ticket created from the ticket's creation to N days after its last solve is a repeat",
)
REPEAT_SAME_ISSUE = Variant(
    "repeat_same_issue", True, "only a new ticket with the same issue_type is a repeat"
)


def _share(flag: str, population: str, filed: str) -> Any:
    """A build: the share of rows with `flag` among rows where `population` is true and `filed`
    (the metric's filed-at column) is known."""

    def build(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
        rows = facts.filter(facts[population] & facts[filed].notnull())
        return rows.mutate(_value=rows[flag])

    return build


def _fcr(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = facts.filter(facts.last_solved_at.notnull())
    definition = variants["definition"]
    if definition == "no_repeat_contact":  # the only one read from the wider `tickets` facts
        return rows.mutate(_value=~rows.reopened & ~rows.repeat_contact)
    return rows.mutate(_value=rows[definition])


def _interactions(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = facts.filter(facts.last_solved_at.notnull())
    return rows.mutate(_value=rows[variants["count"]].cast("float64"))


def _resolution_rate(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_value=facts.solved)


def _repeat(complement: bool) -> Any:
    def build(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
        rows = facts.filter(facts.last_solved_at.notnull())
        flag = ~rows.repeat_contact if complement else rows.repeat_contact
        return rows.mutate(_value=flag)

    return build


def _request_quality(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = facts.filter(facts.request_quality.notnull())
    return rows.mutate(_value=rows.request_quality >= variants["threshold"])


def _rating_counts(rows: ir.Table, variants: Mapping[str, Any]) -> dict[str, ir.Value]:
    """The 1-5 distribution beside the share."""
    return {f"rated_{n}": rows.count(where=rows.request_quality == n) for n in range(1, 6)}


_SLA_COLUMNS = ("target", "start_at", "stop_at", "budget", "clock", "due_at", "met")


def _sla(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = facts.filter(facts.met.notnull())
    if variants["target"] != "all":
        rows = rows.filter(rows.target == variants["target"])
    if variants["per"] == "target":
        return rows.mutate(_value=rows.met)
    per_ticket = rows.group_by("ticket_id").aggregate(
        due_at=rows.due_at.max(), _value=rows.met.all()
    )
    tickets = rows.select(*(c for c in rows.columns if c not in _SLA_COLUMNS)).distinct()
    return per_ticket.join(tickets, "ticket_id")


QUALITY = (
    Metric(
        "first_contact_resolution",
        "quality",
        "First contact resolution",
        "Share of solved tickets resolved on the first contact. one_touch (default): exactly one "
        "agent reply and never reopened; no_repeat_contact: never reopened and no "
        + REPEAT_WINDOW
        + "; single_agent: one agent, no transfer.",
        facts="tickets",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="solve time",
        filed_at="last_solved_at",
        build=_fcr,
        variants=(
            Variant(
                "definition",
                "one_touch",
                "what counts as resolved on first contact",
                ("one_touch", "no_repeat_contact", "single_agent"),
            ),
            REPEAT_DAYS,
            REPEAT_SAME_ISSUE,
            COUNT_BOTS,
        ),
        # only no_repeat_contact reads the repeat contacts, which need the wider table
        facts_by=(
            "definition",
            {
                "one_touch": "ticket_core",
                "no_repeat_contact": "tickets",
                "single_agent": "ticket_core",
            },
        ),
    ),
    Metric(
        "reopen_rate",
        "quality",
        "Reopen rate",
        "Share of solved tickets later reopened (status solved/closed changed to an unsolved one).",
        facts="ticket_core",
        aggregation="share",
        unit="share",
        better="lower",
        filed_under="first solve",
        filed_at="first_solved_at",
        build=_share("reopened", "ever_solved", "first_solved_at"),
    ),
    Metric(
        "resolution_rate",
        "quality",
        "Resolution rate",
        "Share of the tickets created in the period that are solved now.",
        facts="ticket_core",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="ticket created_at",
        filed_at="created_at",
        build=_resolution_rate,
    ),
    Metric(
        "interactions_per_ticket",
        "quality",
        "Interactions per ticket",
        "Agent replies per solved ticket (variant count=customer_messages: customer messages).",
        facts="ticket_core",
        aggregation="distribution",
        unit="count",
        better="lower",
        filed_under="solve time",
        filed_at="last_solved_at",
        build=_interactions,
        variants=(
            Variant(
                "count", "agent_replies", "what to count", ("agent_replies", "customer_messages")
            ),
            COUNT_BOTS,
        ),
    ),
    Metric(
        "repeat_contact_rate",
        "quality",
        "Repeat contact rate",
        "Share of solved tickets with a repeat contact: " + REPEAT_WINDOW + ".",
        facts="tickets",
        aggregation="share",
        unit="share",
        better="lower",
        filed_under="solve time",
        filed_at="last_solved_at",
        build=_repeat(complement=False),
        variants=(REPEAT_DAYS, REPEAT_SAME_ISSUE),
    ),
    Metric(
        "next_issue_avoidance",
        "quality",
        "Next issue avoidance",
        "The complement of repeat_contact_rate: share of solved tickets without "
        + REPEAT_WINDOW
        + ".",
        facts="tickets",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="solve time",
        filed_at="last_solved_at",
        build=_repeat(complement=True),
        variants=(REPEAT_DAYS, REPEAT_SAME_ISSUE),
    ),
    Metric(
        "request_quality",
        "quality",
        "Relevant requests",
        "Share of rated tickets whose request_quality (1 spam ... 5 high-intent) is at least the "
        "threshold; rows also count each rating (rated_1 ... rated_5).",
        facts="ticket_rows",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="ticket created_at",
        filed_at="created_at",
        build=_request_quality,
        variants=(Variant("threshold", 3, "lowest rating that counts as relevant"),),
        extras=_rating_counts,
        benchmarks=(Benchmark("> 70% relevant"),),
    ),
    Metric(
        "sla_attainment",
        "quality",
        "SLA attainment",
        "Share of SLA targets met, under the policies in supportmetrics.toml ([[sla]], first match "
        "on priority, channel, team, tier wins): first_response_time, next_response_time and "
        "resolution_time, each in the policy's calendar or business clock. The first reply "
        "target is met by the first agent reply or the first solve, whichever comes first, "
        "within the due time (first_reply_met_by=reply_or_solve, as helpdesk SLA reports count "
        "it), or by an agent reply only (first_reply_met_by=reply: a ticket solved without one "
        "breaches it). A target still open past its due time counts as breached; one not yet "
        "due is left out. Split by target or sla_policy; per=ticket counts a ticket once (any "
        "miss is a miss).",
        facts="sla",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="the target's due time",
        filed_at="due_at",
        build=_sla,
        variants=(
            Variant(
                "target",
                "all",
                "which target",
                ("all", "first_response_time", "next_response_time", "resolution_time"),
            ),
            Variant(
                "per", "target", "count each target, or each ticket once", ("target", "ticket")
            ),
            Variant(
                "first_reply_met_by",
                "reply_or_solve",
                "what meets the first reply target: an agent reply or a solve, whichever comes "
                "first, or an agent reply only",
                ("reply_or_solve", "reply"),
            ),
        ),
    ),
)
