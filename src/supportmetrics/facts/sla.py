"""SLA facts: one row per target a ticket is held to, with its due time and whether it was met.

Each ticket gets the first policy whose conditions it matches (priority, channel, team, tier). The
targets: first_response_time (creation to the first agent reply or the first solve, whichever comes
first, as SLA reports of helpdesks such as Zendesk count it: `reply_or_solve`; or to the first
agent reply only: `reply`; agent-created tickets have none), next_response_time (each later
customer message to the reply that answers it, or to a later solve) and resolution_time (creation
to the last solve). Due times are in the policy's clock; a target not reached by `now` and past
due is breached, one not yet due is pending (met is null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

import ibis
import ibis.expr.types as ir

from supportmetrics.calendar import schedule_of_team, with_business_due
from supportmetrics.config import SLA_TARGETS, SlaPolicy

__all__ = ["sla_facts", "ticket_sla_summary"]


def _policy_column(tickets: ir.Table, policies: Sequence[SlaPolicy], value: str) -> ir.Value:
    """Per ticket, `value` of the first matching policy (null when none matches)."""
    branches = []
    for policy in policies:
        condition = ibis.literal(True)
        for column in ("priority", "channel", "team", "tier"):
            wanted = getattr(policy, column)
            if wanted:
                condition &= tickets[column].isin(wanted)
        result = policy.name if value == "name" else getattr(policy, value)
        branches.append((condition, ibis.literal(result)))
    typed = "string" if value in ("name", "clock") else "int64"
    return ibis.cases(*branches, else_=ibis.null(typed)) if branches else ibis.null(typed)


def sla_facts(
    tickets: ir.Table,
    turns: ir.Table,
    policies: Sequence[SlaPolicy],
    now: datetime,
    calendar: ir.Table,
    minutes: ir.Table,
    team_schedules: Mapping[str, str],
    first_reply_met_by: Literal["reply_or_solve", "reply"] = "reply_or_solve",
) -> ir.Table:
    """SLA rows (see the module docstring) with the ticket's columns.

    `tickets` are ticket facts with a `tier` column; `turns` come from `customer_turns`.
    """
    tickets = tickets.mutate(
        sla_policy=_policy_column(tickets, policies, "name"),
        __clock=_policy_column(tickets, policies, "clock"),
        **{f"__{t}": _policy_column(tickets, policies, t) for t in SLA_TARGETS},
    )
    covered = tickets.filter(tickets.sla_policy.notnull())
    keys = covered.select(
        "ticket_id", "__clock", "last_solved_at", *(f"__{t}" for t in SLA_TARGETS)
    )
    first = covered.filter(covered.created_by != "agent").select(
        "ticket_id",
        target=ibis.literal("first_response_time"),
        start_at=covered.created_at,
        stop_at=(
            ibis.least(covered.first_reply_at, covered.first_solved_at)
            if first_reply_met_by == "reply_or_solve"
            else covered.first_reply_at
        ),
        budget=covered.__first_response_time,
    )
    resolution = covered.select(
        "ticket_id",
        target=ibis.literal("resolution_time"),
        start_at=covered.created_at,
        stop_at=covered.last_solved_at,
        budget=covered.__resolution_time,
    )
    rows = first.union(resolution)
    if any(p.next_response_time for p in policies):  # the customer turns only when needed
        later = turns.filter(turns.turn >= 1).join(keys, "ticket_id")
        rows = rows.union(
            later.select(
                "ticket_id",
                target=ibis.literal("next_response_time"),
                start_at=later.answered_at,
                stop_at=later.reply_at.coalesce(
                    ibis.ifelse(
                        later.last_solved_at >= later.answered_at, later.last_solved_at, None
                    )
                ),
                budget=later.__next_response_time,
            )
        )
    rows = rows.filter(rows.budget.notnull()).join(keys.select("ticket_id", "__clock"), "ticket_id")
    if any(p.clock == "business" for p in policies):  # the business-hours joins only when needed
        schedules = tickets.select(
            "ticket_id", __schedule=schedule_of_team(tickets.team, team_schedules)
        )
        rows = rows.join(schedules, "ticket_id")
        rows = with_business_due(
            rows,
            {"__business_due": ("start_at", "budget")},
            calendar,
            minutes,
            schedule_column="__schedule",
        )
        due = ibis.ifelse(
            rows.__clock == "business",
            rows.__business_due,
            rows.start_at + rows.budget.as_interval("s"),
        )
        rows = rows.mutate(clock=rows.__clock, due_at=due).drop("__business_due", "__schedule")
    else:
        rows = rows.mutate(clock=rows.__clock, due_at=rows.start_at + rows.budget.as_interval("s"))
    now_value = ibis.literal(now)
    met = ibis.cases(
        (rows.stop_at.notnull(), rows.stop_at <= rows.due_at),
        (rows.due_at < now_value, ibis.literal(False)),
        else_=ibis.null("boolean"),
    )
    rows = rows.mutate(met=met).drop("__clock")
    return rows.join(tickets.drop("__clock", *(f"__{t}" for t in SLA_TARGETS)), "ticket_id")


def ticket_sla_summary(sla: ir.Table) -> ir.Table:
    """Per ticket: its policy, due times and breaches (for the ticket facts export)."""
    first = sla.target == "first_response_time"
    resolution = sla.target == "resolution_time"
    following = sla.target == "next_response_time"
    return sla.group_by("ticket_id").aggregate(
        sla_policy=sla.sla_policy.max(),
        first_response_due_at=sla.due_at.max(where=first),
        first_response_breached=(~sla.met).any(where=first),
        resolution_due_at=sla.due_at.max(where=resolution),
        resolution_breached=(~sla.met).any(where=resolution),
        next_response_breaches=sla.count(where=following & ~sla.met),
        sla_breached=(~sla.met).any(),
    )
