"""Speed: how long customers wait (docs/metrics.md, Speed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from supportmetrics.metrics.base import Benchmark, Clock, Metric, Variant

__all__ = ["SPEED"]

CLOCK_START = Variant(
    "clock_start",
    "created",
    "when the clock starts: ticket creation, the first customer message, or the last bot "
    "message before the first agent reply (bot handoff)",
    ("created", "first_customer_message", "last_bot_handoff"),
)
AGENT_CREATED = Variant(
    "agent_created",
    "exclude",
    "agent-created (outbound) tickets: left out, or timed to the second agent reply",
    ("exclude", "second_reply"),
)
COUNT_BOTS = Variant("count_bots", False, "count bot messages as agent replies")


def _duration(column: str) -> Any:
    """A build over ticket facts: `<column>_seconds` (or its business twin)."""

    def build(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
        name = f"{column}_business_seconds" if clock == "business" else f"{column}_seconds"
        rows = facts.filter(facts[name].notnull() & (facts[name] >= 0))
        return rows.mutate(_value=rows[name].cast("float64"))

    return build


def _resolution(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return _duration(f"resolution_{variants['solve']}")(facts, variants, clock)


def _handle_time(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    rows = facts.filter((facts.source == variants["source"]) & facts.handle_seconds.notnull())
    return rows.mutate(_value=rows.handle_seconds.cast("float64"))


def _wait_time(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    outcome = variants["calls"]
    rows = facts.filter((facts.outcome == outcome) & facts.wait_seconds.notnull())
    return rows.mutate(_value=rows.wait_seconds.cast("float64"))


SPEED = (
    Metric(
        "first_response_time",
        "speed",
        "First response time",
        "Time from the clock start (ticket creation by default) to the first agent reply: a public, "
        "non-automated message by an agent at or after creation. Bots never count by default.",
        facts="ticket_core",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="ticket created_at",
        filed_at="created_at",
        build=_duration("first_response"),
        variants=(CLOCK_START, AGENT_CREATED, COUNT_BOTS),
        benchmarks=(
            Benchmark("email: 24 h"),
            Benchmark("live chat: 1.5-2 min"),
            Benchmark("call centers: 3 min"),
            Benchmark("social media: under 1 h"),
        ),
        has_clock=True,
    ),
    Metric(
        "average_response_time",
        "speed",
        "Average response time",
        "Over every agent reply, the time since the customer message it answers: the first customer "
        "message after the previous agent reply. Replies that answer no customer message are left out.",
        facts="replies",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="reply created_at",
        filed_at="reply_at",
        build=_duration("response"),
        variants=(COUNT_BOTS,),
        has_clock=True,
    ),
    Metric(
        "resolution_time",
        "speed",
        "Resolution time",
        "Time from creation to solve: the last solve (full, default) or the first one. A reopened "
        "ticket counts once; unsolved tickets have no resolution time yet.",
        facts="ticket_core",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="solve time (last or first, as the variant)",
        filed_at_by=("solve", {"full": "last_solved_at", "first": "first_solved_at"}),
        build=_resolution,
        variants=(Variant("solve", "full", "which solve ends the clock", ("full", "first")),),
        benchmarks=(
            Benchmark("published range 1-82 h"),
            Benchmark("good < 12 h, average 12-48 h, bad > 48 h"),
        ),
        has_clock=True,
    ),
    Metric(
        "requester_wait_time",
        "speed",
        "Requester wait time",
        "Time a solved ticket spent in new, open or on_hold up to its last solve.",
        facts="tickets",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="solve time",
        filed_at="last_solved_at",
        build=_duration("requester_wait"),
        has_clock=True,
    ),
    Metric(
        "agent_wait_time",
        "speed",
        "Agent wait time",
        "Time a solved ticket spent in pending (waiting on the customer) up to its last solve.",
        facts="tickets",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="solve time",
        filed_at="last_solved_at",
        build=_duration("agent_wait"),
        has_clock=True,
    ),
    Metric(
        "on_hold_time",
        "speed",
        "On-hold time",
        "Time a solved ticket spent in on_hold (waiting on a third party) up to its last solve.",
        facts="tickets",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="solve time",
        filed_at="last_solved_at",
        build=_duration("on_hold"),
        has_clock=True,
    ),
    Metric(
        "handle_time",
        "speed",
        "Handle time",
        "Calls: talk + hold + after-call work of answered calls, filed when answered. Tickets "
        "(variant source=tickets): the sum of a ticket's time entries, filed at its first entry.",
        facts="handling",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="call answered_at / first time entry started_at",
        filed_at="handled_at",
        build=_handle_time,
        variants=(Variant("source", "calls", "whose handle time", ("calls", "tickets")),),
        benchmarks=(Benchmark("call center benchmarks vary by channel"),),
    ),
    Metric(
        "wait_time",
        "speed",
        "Wait time",
        "Calls: from queued to answered for answered calls (the average is ASA), or from queued to "
        "hang-up for abandoned calls (variant calls=abandoned).",
        facts="calls",
        aggregation="distribution",
        unit="seconds",
        better="lower",
        filed_under="call queued_at",
        filed_at="queued_at",
        build=_wait_time,
        variants=(Variant("calls", "answered", "which calls", ("answered", "abandoned")),),
    ),
)
