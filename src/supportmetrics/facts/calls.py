"""Per-call facts and handling facts (calls and ticket time entries)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportmetrics.facts.elapsed import elapsed_seconds

__all__ = ["call_facts", "handling_facts", "occupancy_facts"]


def call_facts(calls: ir.Table) -> ir.Table:
    """One row per call with `wait_seconds` and, for answered calls, `handle_seconds`.

    Wait: queued to answered for answered calls; queued to the end (hang-up, timeout, voicemail ...)
    for the others, null when the end is unknown. Handle: talk + hold + after-call work.
    """
    answered = calls.outcome == "answered"
    wait = ibis.ifelse(
        answered,
        elapsed_seconds(calls.queued_at, calls.answered_at),
        elapsed_seconds(calls.queued_at, calls.ended_at),
    )
    handle = (
        calls.talk_seconds.coalesce(0)
        + calls.hold_seconds.coalesce(0)
        + calls.after_call_seconds.coalesce(0)
    )
    return calls.mutate(
        wait_seconds=wait,
        handle_seconds=ibis.ifelse(answered, handle, ibis.null()),
        channel=ibis.literal("phone"),
    )


def handling_facts(calls: ir.Table, tickets: ir.Table, time_entries: ir.Table) -> ir.Table:
    """Handle time per answered call (source calls) and per ticket with time entries (source tickets)."""
    facts = call_facts(calls)
    from_calls = facts.filter(facts.outcome == "answered").select(
        source=ibis.literal("calls"),
        id=facts.call_id,
        handled_at=facts.answered_at,
        handle_seconds=facts.handle_seconds.cast("float64"),
        agent_id=facts.agent_id,
        queue=facts.queue,
        channel=facts.channel,
        team=ibis.null("string"),
        customer_id=facts.customer_id,
        ticket_id=facts.ticket_id,
    )
    per_ticket = time_entries.group_by("ticket_id").aggregate(
        handled_at=time_entries.started_at.min(), handle_seconds=time_entries.seconds.sum()
    )
    worked = per_ticket.join(tickets, "ticket_id")
    from_tickets = worked.select(
        source=ibis.literal("tickets"),
        id=worked.ticket_id,
        handled_at=worked.handled_at,
        handle_seconds=worked.handle_seconds.cast("float64"),
        agent_id=worked.assignee_id,
        queue=ibis.null("string"),
        channel=worked.channel,
        team=worked.team,
        customer_id=worked.customer_id,
        ticket_id=worked.ticket_id,
    )
    return from_calls.union(from_tickets)


def occupancy_facts(calls: ir.Table, availability: ir.Table) -> ir.Table:
    """Per agent: handle seconds of answered calls (at answered_at) beside logged-in stretches
    (at started_at, with their state); stretches still open are left out."""
    facts = call_facts(calls)
    handled = facts.filter((facts.outcome == "answered") & facts.agent_id.notnull())
    closed = availability.filter(availability.ended_at.notnull())
    return handled.select(
        agent_id=handled.agent_id,
        at=handled.answered_at,
        queue=handled.queue,
        kind=ibis.literal("call"),
        handle_seconds=handled.handle_seconds.cast("float64"),
        logged_in_seconds=ibis.literal(0.0),
        paused_seconds=ibis.literal(0.0),
    ).union(
        closed.select(
            agent_id=closed.agent_id,
            at=closed.started_at,
            queue=closed.queue,
            kind=closed.state.coalesce("available"),
            handle_seconds=ibis.literal(0.0),
            logged_in_seconds=elapsed_seconds(closed.started_at, closed.ended_at),
            paused_seconds=ibis.ifelse(
                closed.state == "paused", elapsed_seconds(closed.started_at, closed.ended_at), 0.0
            ),
        )
    )
