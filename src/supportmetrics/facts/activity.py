"""Agent activity: one row per thing an agent did, for the per-agent activity table."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["activity_facts"]


def activity_facts(
    tickets: ir.Table,
    messages: ir.Table,
    calls: ir.Table,
    time_entries: ir.Table,
    surveys: ir.Table,
) -> ir.Table:
    """`agent_id, at, kind, value, channel`: kinds reply, note, solve, call, time_entry (value =
    seconds), first_response (value = seconds, for the ticket's assignee) and csat (value = 1 when
    the rating is in the top two points of its scale, else 0)."""
    agent = messages.author_type == "agent"
    public = messages.public.coalesce(True)
    automated = messages.automated.coalesce(False)
    by_ticket = tickets.select("ticket_id", "channel")
    m = messages.join(by_ticket, "ticket_id")
    said = m.filter(agent & ~automated & m.author_id.notnull()).select(
        agent_id=m.author_id,
        at=m.created_at,
        kind=ibis.ifelse(public, "reply", "note"),
        value=ibis.null("float64"),
        channel=m.channel,
    )
    solved = tickets.filter(tickets.last_solved_at.notnull() & tickets.assignee_id.notnull())
    solves = solved.select(
        agent_id=solved.assignee_id,
        at=solved.last_solved_at,
        kind=ibis.literal("solve"),
        value=ibis.null("float64"),
        channel=solved.channel,
    )
    timed = tickets.filter(tickets.first_response_seconds.notnull() & tickets.assignee_id.notnull())
    first = timed.select(
        agent_id=timed.assignee_id,
        at=timed.created_at,
        kind=ibis.literal("first_response"),
        value=timed.first_response_seconds.cast("float64"),
        channel=timed.channel,
    )
    answered = calls.filter((calls.outcome == "answered") & calls.agent_id.notnull())
    phone = answered.select(
        agent_id=answered.agent_id,
        at=answered.answered_at,
        kind=ibis.literal("call"),
        value=ibis.null("float64"),
        channel=ibis.literal("phone"),
    )
    worked = time_entries.join(by_ticket, "ticket_id")
    entries = worked.select(
        agent_id=worked.agent_id,
        at=worked.started_at,
        kind=ibis.literal("time_entry"),
        value=worked.seconds.cast("float64"),
        channel=worked.channel,
    )
    rated = surveys.filter((surveys.survey == "csat") & surveys.agent_id.notnull())
    csat = rated.select(
        agent_id=rated.agent_id,
        at=rated.submitted_at,
        kind=ibis.literal("csat"),
        value=ibis.ifelse(rated.score >= rated.scale_max.coalesce(5) - 1, 1.0, 0.0),
        channel=rated.channel,
    )
    return said.union(solves).union(first).union(phone).union(entries).union(csat)
