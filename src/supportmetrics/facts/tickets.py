"""Per-ticket facts: one row per ticket with every time, duration and flag the metrics need.

This is the drill-down level: every ticket metric is an aggregation of these columns, so the rows
behind any number are a filter of this table. Built as Ibis expressions and run by the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from supportmetrics.calendar import schedule_of_team, with_business_seconds
from supportmetrics.facts.elapsed import elapsed_seconds
from supportmetrics.facts.replies import is_agent_reply
from supportmetrics.facts.status import (
    SOLVED,
    WAIT_STATUSES,
    status_events,
    status_segments,
    status_summary,
)

__all__ = ["ClockStart", "TicketOptions", "ticket_facts"]

ClockStart = Literal["created", "first_customer_message", "last_bot_handoff"]


@dataclass(frozen=True)
class TicketOptions:
    """The definition variants that change ticket facts (spec: Speed and Quality variants)."""

    clock_start: ClockStart = "created"
    agent_created: Literal["exclude", "second_reply"] = "exclude"
    count_bots: bool = False
    repeat_days: int = 7
    repeat_same_issue: bool = True
    first_reply_met_by: Literal["reply_or_solve", "reply"] = "reply_or_solve"
    """What stops the SLA first-reply clock (SLA facts only; ticket facts ignore it)."""


def _message_facts(tickets: ir.Table, messages: ir.Table, options: TicketOptions) -> ir.Table:
    m = messages.join(tickets.select("ticket_id", opened_at=tickets.created_at), "ticket_id")
    m = m.mutate(is_reply=is_agent_reply(m, options.count_bots))
    first = m.group_by("ticket_id").aggregate(
        first_reply_at=m.created_at.min(where=m.is_reply & (m.created_at >= m.opened_at)),
        first_customer_message_at=m.created_at.min(where=m.author_type == "customer"),
        agent_replies=m.count(where=m.is_reply),
        customer_messages=m.count(where=m.author_type == "customer"),
        bot_messages=m.count(where=m.author_type == "bot"),
        internal_notes=m.count(where=~m.public.coalesce(True)),
        agents_replying=m.author_id.nunique(where=m.is_reply & (m.author_type == "agent")),
    )
    if options.clock_start != "last_bot_handoff" and options.agent_created != "second_reply":
        return first
    m2 = m.join(first.select("ticket_id", "first_reply_at"), "ticket_id")
    second = m2.group_by("ticket_id").aggregate(
        last_bot_handoff_at=m2.created_at.max(
            where=(m2.author_type == "bot") & (m2.created_at < m2.first_reply_at)
        ),
        second_reply_at=m2.created_at.min(where=m2.is_reply & (m2.created_at > m2.first_reply_at)),
    )
    return first.left_join(second, "ticket_id").drop("ticket_id_right")


def _event_counts(events: ir.Table) -> ir.Table:
    changed = events.from_value.notnull()
    return events.group_by("ticket_id").aggregate(
        transfers=events.count(where=(events.type == "team") & changed),
        reassignments=events.count(where=(events.type == "assignee") & changed),
    )


def ticket_facts(
    table: Callable[[str], ir.Table],
    options: TicketOptions = TicketOptions(),
    calendar: ir.Table | None = None,
    team_schedules: Mapping[str, str] | None = None,
    materialize: Callable[[ir.Table], ir.Table] = lambda table: table,
) -> ir.Table:
    """One row per ticket (see the module docstring); business-clock columns when `calendar` is given.

    `table` gives a canonical table by name. A ticket runs on its team's schedule from
    `team_schedules`, else on the `default` schedule.
    `materialize` stores an intermediate table the later steps read more than once (the status
    history, the facts before durations); without it they are computed again for each use.
    """
    tickets = table("tickets")
    messages = table("messages")
    events = table("ticket_events")
    history = materialize(status_events(tickets, events))

    facts = (
        tickets.left_join(_message_facts(tickets, messages, options), "ticket_id")
        .drop("ticket_id_right")
        .left_join(status_summary(history), "ticket_id")
        .drop("ticket_id_right")
        .left_join(_event_counts(events), "ticket_id")
        .drop("ticket_id_right")
    )
    status = facts.status.coalesce(facts.history_status, "new")
    solved = status.isin(SOLVED)
    facts = facts.mutate(
        current_status=status,
        solved=solved,
        ever_solved=facts.first_solved_at.notnull(),
        last_solved_at=ibis.ifelse(solved, facts.last_solve_event_at, ibis.null()),
        reopens=facts.reopens.coalesce(0),
        agent_replies=facts.agent_replies.coalesce(0),
        customer_messages=facts.customer_messages.coalesce(0),
        bot_messages=facts.bot_messages.coalesce(0),
        internal_notes=facts.internal_notes.coalesce(0),
        agents_replying=facts.agents_replying.coalesce(0),
        transfers=facts.transfers.coalesce(0),
        reassignments=facts.reassignments.coalesce(0),
    )
    facts = materialize(_quality(_clock(facts, options), options))
    facts = _durations(facts, history, calendar, team_schedules or {})
    return facts.drop("last_solve_event_at", "history_status", "first_status_at", "initial_status")


def _clock(facts: ir.Table, options: TicketOptions) -> ir.Table:
    """When the first-response clock starts and stops for each ticket, per the variants."""
    start = {
        "created": facts.created_at,
        "first_customer_message": facts.first_customer_message_at.coalesce(facts.created_at),
        "last_bot_handoff": (
            facts.last_bot_handoff_at.coalesce(facts.created_at)
            if "last_bot_handoff_at" in facts.columns
            else facts.created_at
        ),
    }[options.clock_start]
    agent_created = facts.created_by == "agent"
    if options.agent_created == "second_reply":
        stop = ibis.ifelse(agent_created, facts.second_reply_at, facts.first_reply_at)
    else:
        stop = ibis.ifelse(agent_created, ibis.null(), facts.first_reply_at)
    return facts.mutate(response_clock_start=start, response_clock_stop=stop)


def _quality(facts: ir.Table, options: TicketOptions) -> ir.Table:
    """Reopened, one-touch, single-agent and repeat-contact flags.

    A solved ticket is a repeat contact when the customer's next ticket (same issue_type with
    `repeat_same_issue`) was created from its creation to `repeat_days` after its last solve,
    inclusive: one opened while it is still open counts too.
    """
    keys = ["customer_id", "issue_type"] if options.repeat_same_issue else ["customer_id"]
    window = ibis.window(group_by=[facts[k] for k in keys], order_by=facts.created_at)
    next_ticket = facts.created_at.lead().over(window)
    facts = facts.mutate(next_ticket_at=ibis.ifelse(facts.customer_id.notnull(), next_ticket, None))
    repeat = (
        facts.solved
        & facts.next_ticket_at.notnull()
        & facts.last_solved_at.notnull()
        & (facts.next_ticket_at <= facts.last_solved_at + ibis.interval(days=options.repeat_days))
    )
    return facts.mutate(
        reopened=facts.reopens > 0,
        one_touch=facts.solved & (facts.agent_replies == 1) & (facts.reopens == 0),
        single_agent=facts.solved
        & (facts.agents_replying <= 1)
        & (facts.transfers == 0)
        & (facts.reassignments <= 0),
        repeat_contact=repeat,
    ).drop("next_ticket_at")


_PAIRS = {
    "first_response": ("response_clock_start", "response_clock_stop"),
    "resolution_first": ("created_at", "first_solved_at"),
    "resolution_full": ("created_at", "last_solved_at"),
}


def _durations(
    facts: ir.Table,
    history: ir.Table,
    calendar: ir.Table | None,
    team_schedules: Mapping[str, str],
) -> ir.Table:
    """Calendar (and, with a calendar, business) seconds for each duration and waiting time."""
    facts = facts.mutate(
        **{
            f"{name}_seconds": elapsed_seconds(facts[a], facts[b])
            for name, (a, b) in _PAIRS.items()
        }
    )
    segments = status_segments(history, facts)
    segments = segments.mutate(seconds=elapsed_seconds(segments.start, segments.end))
    if calendar is not None:
        facts = facts.mutate(__schedule=schedule_of_team(facts.team, team_schedules))
        facts = with_business_seconds(
            facts,
            {f"{name}_business_seconds": pair for name, pair in _PAIRS.items()},
            calendar,
            schedule_column="__schedule",
        )
        segments = segments.join(facts.select("ticket_id", "__schedule"), "ticket_id")
        segments = with_business_seconds(
            segments,
            {"business_seconds": ("start", "end")},
            calendar,
            schedule_column="__schedule",
        )
    sums = {}
    for name, statuses in WAIT_STATUSES.items():
        in_status = segments.status.isin(statuses)
        sums[f"{name}_seconds"] = segments.seconds.sum(where=in_status)
        if calendar is not None:
            sums[f"{name}_business_seconds"] = segments.business_seconds.sum(where=in_status)
    waits = segments.group_by("ticket_id").aggregate(**sums)
    facts = facts.left_join(waits, "ticket_id").drop("ticket_id_right")
    solved = facts.last_solved_at.notnull()
    facts = facts.mutate(
        **{
            name: ibis.ifelse(solved, facts[name].coalesce(0), ibis.null())
            for name in waits.columns
            if name != "ticket_id"
        }
    )
    return facts.drop("__schedule") if calendar is not None else facts
