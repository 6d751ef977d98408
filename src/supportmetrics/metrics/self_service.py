"""Self-service: knowledge base, bots and IVR (docs/metrics.md, Self-service)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from supportmetrics.metrics.base import Clock, Metric, Variant

__all__ = ["SELF_SERVICE"]


def _usage(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_value=facts.self_service)


def _success(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    limit = facts.ended_at + ibis.interval(hours=int(variants["hours"]))
    no_ticket = (facts.next_ticket_at.isnull() | (facts.next_ticket_at > limit)).coalesce(True)
    resolved = facts.resolved.coalesce(False)
    flag = {
        "both": resolved & no_ticket,
        "resolved": resolved,
        "no_ticket": no_ticket,
    }[variants["definition"]]
    return facts.mutate(_value=flag)


def _failed_searches(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = facts.filter((facts.type == "search") & facts.results_count.notnull())
    return rows.mutate(_value=rows.results_count == 0)


def _helpfulness(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = facts.filter((facts.type == "article_vote") & facts.helpful.notnull())
    return rows.mutate(_value=rows.helpful)


def _bot_resolution(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    if variants["source"] == "tickets":
        rows = facts.filter(facts.bot_messages > 0)
        return rows.mutate(_value=rows.solved & (rows.agent_replies == 0))
    rows = facts.filter(facts.kind == "bot")
    return rows.mutate(_value=rows.resolved.coalesce(False))


SELF_SERVICE = (
    Metric(
        "self_service_usage",
        "self_service",
        "Self-service usage",
        "Self-service sessions / (self-service sessions + tickets created) in the period; split "
        "by kind (kb, bot, ivr, ticket).",
        facts="usage",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="session start, ticket created_at",
        filed_at="at",
        build=_usage,
    ),
    Metric(
        "self_service_success",
        "self_service",
        "Self-service success",
        "Share of self-service sessions that succeeded: definition=both (default) needs the "
        "session marked resolved and no ticket from the same customer within N hours (default "
        "24) of its end; resolved or no_ticket use one condition. A session without a known "
        "customer counts as not followed by a ticket.",
        facts="sessions",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="session start",
        filed_at="started_at",
        build=_success,
        variants=(
            Variant(
                "definition",
                "both",
                "what counts as success",
                ("both", "resolved", "no_ticket"),
            ),
            Variant("hours", 24, "hours after the session in which a ticket means it failed"),
        ),
    ),
    Metric(
        "failed_searches",
        "self_service",
        "Failed searches",
        "Knowledge-base searches with zero results: the count (value), its share of all searches "
        "(share) and the most frequent failed queries (top); split by query for all of them.",
        facts="self_service",
        aggregation="tally",
        unit="count",
        better="lower",
        filed_under="search time",
        filed_at="at",
        build=_failed_searches,
        top="query",
    ),
    Metric(
        "article_helpfulness",
        "self_service",
        "Article helpfulness",
        "Helpful votes / all votes on knowledge-base articles; split by article_id per article.",
        facts="self_service",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="vote time",
        filed_at="at",
        build=_helpfulness,
    ),
    Metric(
        "bot_resolution_rate",
        "self_service",
        "Bot resolution rate",
        "source=sessions (default): bot sessions that ended without asking for a person / bot "
        "sessions; source=tickets: tickets with bot messages solved with no agent reply / "
        "tickets with bot messages.",
        facts="sessions",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="session start, ticket created_at",
        filed_at_by=("source", {"sessions": "started_at", "tickets": "created_at"}),
        build=_bot_resolution,
        variants=(
            Variant("source", "sessions", "bot sessions or tickets", ("sessions", "tickets")),
        ),
        facts_by=("source", {"sessions": "sessions", "tickets": "tickets"}),
    ),
)
