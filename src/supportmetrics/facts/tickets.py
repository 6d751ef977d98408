"""Per-ticket facts: one row per ticket with every time, duration and flag the metrics need.

This is the drill-down level: every ticket metric is an aggregation of these columns, so the rows
behind any number are a filter of this table. Built as Ibis expressions and run by the backend, in
parts so that a metric builds only what it reads: `ticket_core` (the ticket's columns, message and
status facts, first response and resolution durations; the fact table adds their business-clock
twins with `with_business_durations`), and `ticket_facts`, which adds repeat contacts (`repeats`)
and waiting times (`waiting`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from supportmetrics.calendar import schedule_of_team, with_business_seconds
from supportmetrics.facts.elapsed import elapsed_seconds
from supportmetrics.facts.repeats import repeat_contacts
from supportmetrics.facts.replies import is_agent_reply
from supportmetrics.facts.status import SOLVED, status_events, status_summary, with_derived_summary
from supportmetrics.facts.waiting import waiting_times

__all__ = [
    "ClockStart",
    "TicketOptions",
    "first_response_seconds",
    "ticket_core",
    "ticket_facts",
    "with_business_durations",
]

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


def _with_replies(tickets: ir.Table, messages: ir.Table, count_bots: bool) -> ir.Table:
    """The messages of `tickets`, with their ticket's creation (`opened_at`) and `is_reply`."""
    m = messages.join(tickets.select("ticket_id", opened_at=tickets.created_at), "ticket_id")
    return m.mutate(is_reply=is_agent_reply(m, count_bots))


def _first_reply_at(m: ir.Table) -> ir.TimestampValue:
    """The first agent reply at or after the ticket's creation."""
    return m.created_at.min(where=m.is_reply & (m.created_at >= m.opened_at))


def _message_facts(tickets: ir.Table, messages: ir.Table, options: TicketOptions) -> ir.Table:
    m = _with_replies(tickets, messages, options.count_bots)
    counts = m.group_by("ticket_id").aggregate(
        first_reply_at=_first_reply_at(m),
        first_customer_message_at=m.created_at.min(where=m.author_type == "customer"),
        agent_replies=m.count(where=m.is_reply),
        customer_messages=m.count(where=m.author_type == "customer"),
        bot_messages=m.count(where=m.author_type == "bot"),
        internal_notes=m.count(where=~m.public.coalesce(True)),
    )
    # Distinct (ticket, agent) pairs counted: cheaper than a distinct count per ticket. Read from
    # `messages` itself (the creation time is not needed), `m` has one reader and is not stored.
    replies = is_agent_reply(messages, options.count_bots)
    agents = messages.filter(
        replies & (messages.author_type == "agent") & messages.author_id.notnull()
    )
    agents = agents.select("ticket_id", "author_id").distinct()
    agents = agents.group_by("ticket_id").aggregate(agents_replying=agents.count())
    first = counts.left_join(agents, "ticket_id").drop("ticket_id_right")
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


def _event_facts(events: ir.Table) -> ir.Table:
    """The status summary and the team and assignee changes, in one pass over `events`."""
    changed = events.from_value.notnull()
    return status_summary(
        events,
        transfers=events.count(where=(events.type == "team") & changed),
        reassignments=events.count(where=(events.type == "assignee") & changed),
    )


_HELPERS = ("last_solve_event_at", "history_status")
"""Columns of `_ticket_rows` the later steps read and the facts leave out."""


def _ticket_rows(
    tickets: ir.Table,
    messages: ir.Table,
    events: ir.Table,
    options: TicketOptions,
) -> ir.Table:
    """Tickets with their message facts, status summary (that of `status_events`) and event
    counts; the clock and the flags that need no other ticket (with `_HELPERS`)."""
    facts = (
        tickets.left_join(_message_facts(tickets, messages, options), "ticket_id")
        .drop("ticket_id_right")
        .left_join(_event_facts(events), "ticket_id")
        .drop("ticket_id_right")
    )
    facts = with_derived_summary(facts)
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
    return _flags(_clock(facts, options))


def ticket_core(
    table: Callable[[str], ir.Table], options: TicketOptions = TicketOptions()
) -> ir.Table:
    """One row per ticket: its columns, message and status facts, the response clock, the flags
    that need no other ticket and the calendar-clock durations (first response, resolution).

    The ticket facts without repeat contacts, waiting times and sales (see `ticket_facts`): what
    most ticket metrics read, built without the windows those need.
    """
    facts = _ticket_rows(table("tickets"), table("messages"), table("ticket_events"), options)
    return _with_durations(facts).drop(*_HELPERS)


def first_response_seconds(tickets: ir.Table, messages: ir.Table) -> ir.Table:
    """`ticket_id, first_response_seconds` of `tickets` under the default variants, as
    `ticket_core` has it: for a few tickets (those rated in surveys) without building the facts
    of every ticket."""
    m = _with_replies(tickets, messages, count_bots=False)
    first = m.group_by("ticket_id").aggregate(first_reply_at=_first_reply_at(m))
    facts = tickets.left_join(first, "ticket_id").drop("ticket_id_right")
    facts = _clock(facts, TicketOptions())
    start, stop = _PAIRS["first_response"]
    return facts.select(
        "ticket_id", first_response_seconds=elapsed_seconds(facts[start], facts[stop])
    )


def with_business_durations(
    facts: ir.Table, calendar: ir.Table, team_schedules: Mapping[str, str]
) -> ir.Table:
    """`facts` with `<duration>_business_seconds` beside each `<duration>_seconds` of
    `ticket_core`, on each ticket's team schedule (else the `default` one)."""
    facts = facts.mutate(__schedule=schedule_of_team(facts.team, team_schedules))
    facts = with_business_seconds(
        facts,
        {f"{name}_business_seconds": pair for name, pair in _PAIRS.items()},
        calendar,
        schedule_column="__schedule",
    )
    return facts.drop("__schedule")


def ticket_facts(
    table: Callable[[str], ir.Table],
    options: TicketOptions = TicketOptions(),
    calendar: ir.Table | None = None,
    team_schedules: Mapping[str, str] | None = None,
    materialize: Callable[[ir.Table], ir.Table] = lambda table: table,
) -> ir.Table:
    """`ticket_core` with repeat contacts and waiting times (see the module docstring);
    business-clock columns when `calendar` is given.

    `table` gives a canonical table by name. A ticket runs on its team's schedule from
    `team_schedules`, else on the `default` schedule.
    `materialize` stores an intermediate table the later steps read more than once (the status
    history, the facts before durations); without it they are computed again for each use.
    """
    tickets = table("tickets")
    events = table("ticket_events")
    history = materialize(status_events(tickets, events))
    facts = materialize(_ticket_rows(tickets, table("messages"), events, options))
    repeats = repeat_contacts(facts, options.repeat_days, options.repeat_same_issue)
    facts = facts.left_join(repeats, "ticket_id").drop("ticket_id_right")
    facts = facts.mutate(repeat_contact=facts.repeat_contact.coalesce(False))
    facts = _with_durations(facts)
    schedules = team_schedules or {}
    if calendar is not None:
        facts = with_business_durations(facts, calendar, schedules)
    waits = waiting_times(history, facts, calendar, schedules)
    facts = facts.left_join(waits, "ticket_id").drop("ticket_id_right")
    facts = facts.mutate(
        **{
            name: ibis.ifelse(facts.last_solved_at.notnull(), facts[name].coalesce(0), ibis.null())
            for name in waits.columns
            if name != "ticket_id"
        }
    )
    return facts.relocate("repeat_contact", after="single_agent").drop(*_HELPERS)


def _clock(facts: ir.Table, options: TicketOptions) -> ir.Table:
    """When the first-response clock starts and stops for each ticket, per the variants."""
    if options.clock_start == "first_customer_message":
        start = facts.first_customer_message_at.coalesce(facts.created_at)
    elif options.clock_start == "last_bot_handoff" and "last_bot_handoff_at" in facts.columns:
        start = facts.last_bot_handoff_at.coalesce(facts.created_at)
    else:
        start = facts.created_at
    agent_created = facts.created_by == "agent"
    if options.agent_created == "second_reply":
        stop = ibis.ifelse(agent_created, facts.second_reply_at, facts.first_reply_at)
    else:
        stop = ibis.ifelse(agent_created, ibis.null(), facts.first_reply_at)
    return facts.mutate(response_clock_start=start, response_clock_stop=stop)


def _flags(facts: ir.Table) -> ir.Table:
    """Reopened, one-touch and single-agent flags."""
    return facts.mutate(
        reopened=facts.reopens > 0,
        one_touch=facts.solved & (facts.agent_replies == 1) & (facts.reopens == 0),
        single_agent=facts.solved
        & (facts.agents_replying <= 1)
        & (facts.transfers == 0)
        & (facts.reassignments <= 0),
    )


_PAIRS = {
    "first_response": ("response_clock_start", "response_clock_stop"),
    "resolution_first": ("created_at", "first_solved_at"),
    "resolution_full": ("created_at", "last_solved_at"),
}


def _with_durations(facts: ir.Table) -> ir.Table:
    """Calendar seconds of each duration (`_PAIRS`)."""
    return facts.mutate(
        **{
            f"{name}_seconds": elapsed_seconds(facts[a], facts[b])
            for name, (a, b) in _PAIRS.items()
        }
    )
