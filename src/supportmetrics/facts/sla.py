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

__all__ = ["business_clock", "is_view", "sla_facts", "ticket_sla_summary"]


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
    business_time: tuple[ir.Table, ir.Table] | None,
    team_schedules: Mapping[str, str],
    first_reply_met_by: Literal["reply_or_solve", "reply"] = "reply_or_solve",
) -> ir.Table:
    """SLA rows (see the module docstring) with the ticket's columns.

    `tickets` are ticket facts (with a `tier` column when a policy matches on tier); `turns` come
    from `customer_turns`; `business_time` is the business calendar and minutes tables, needed
    when a policy runs on the business clock. Each target's rows are a projection of the covered
    tickets, so with calendar-clock policies and no next_response_time target the rows join
    nothing (`is_view`).
    """
    private = ("__clock", *(f"__{t}" for t in SLA_TARGETS))
    tickets = tickets.mutate(
        sla_policy=_policy_column(tickets, policies, "name"),
        **{f"__{v}": _policy_column(tickets, policies, v) for v in ("clock", *SLA_TARGETS)},
    )
    covered = tickets.filter(tickets.sla_policy.notnull())
    carried = [c for c in covered.columns if c not in private and c != "ticket_id"]

    def target(source: ir.Table, name: str, start_at: ir.Value, stop_at: ir.Value) -> ir.Table:
        return source.select(
            "ticket_id",
            target=ibis.literal(name),
            start_at=start_at,
            stop_at=stop_at,
            budget=source[f"__{name}"],
            __clock=source.__clock,
            **{c: source[c] for c in carried},
        )

    first_stop = covered.first_reply_at
    if first_reply_met_by == "reply_or_solve":
        first_stop = ibis.least(first_stop, covered.first_solved_at)
    rows = target(
        covered.filter(covered.created_by != "agent"),
        "first_response_time",
        covered.created_at,
        first_stop,
    ).union(target(covered, "resolution_time", covered.created_at, covered.last_solved_at))
    if any(p.next_response_time for p in policies):  # the customer turns only when needed
        later = turns.filter(turns.turn >= 1).join(covered, "ticket_id")
        solve = later.last_solved_at
        rows = rows.union(
            target(
                later,
                "next_response_time",
                later.answered_at,
                later.reply_at.coalesce(ibis.ifelse(solve >= later.answered_at, solve, None)),
            )
        )
    rows = rows.filter(rows.budget.notnull())
    business = business_clock(policies)
    if business:  # the business-hours joins only when needed
        assert business_time is not None, "a business-clock policy needs the business calendar"
        rows = with_business_due(
            rows.mutate(__schedule=schedule_of_team(rows.team, team_schedules)),
            {"__business_due": ("start_at", "budget")},
            *business_time,
            schedule_column="__schedule",
        )
    due = rows.start_at + rows.budget.as_interval("s")
    if business:
        due = ibis.ifelse(rows.__clock == "business", rows.__business_due, due)
    rows = rows.mutate(clock=rows.__clock, due_at=due)
    met = ibis.cases(
        (rows.stop_at.notnull(), rows.stop_at <= rows.due_at),
        (rows.due_at < ibis.literal(now), ibis.literal(False)),
        else_=ibis.null("boolean"),
    )
    return rows.select(
        "ticket_id",
        "target",
        "start_at",
        "stop_at",
        "budget",
        "clock",
        "due_at",
        met=met,
        **{c: rows[c] for c in carried},
    )


def business_clock(policies: Sequence[SlaPolicy]) -> bool:
    """Whether a policy runs on the business clock (its due times need the business calendar)."""
    return any(p.clock == "business" for p in policies)


def is_view(policies: Sequence[SlaPolicy]) -> bool:
    """Whether `sla_facts` under `policies` is a projection of the ticket facts joining nothing
    (calendar clocks only, no next_response_time target): cheaper to scan again than to store."""
    return not business_clock(policies) and not any(p.next_response_time for p in policies)


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
