"""Workload: how much there is to do (docs/metrics.md, Workload)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from supportmetrics.metrics.base import Clock, Metric, Variant

__all__ = ["WORKLOAD"]


def _volume(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_filed_at=facts.created_at, _value=1)


def _backlog(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_filed_at=facts.start, _value=1)


def _activity(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_filed_at=facts.at, _value=facts.kind)


def _occupancy(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    base = facts.logged_in_seconds
    if variants["paused"] == "exclude":
        base = base - facts.paused_seconds
    return facts.mutate(_filed_at=facts.at, _value=facts.handle_seconds, _base=base)


def _flow(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_filed_at=facts.at, _value=facts.change)


WORKLOAD = (
    Metric(
        "ticket_volume",
        "workload",
        "Ticket volume",
        "Tickets created.",
        facts="ticket_rows",
        aggregation="count",
        unit="count",
        better=None,
        filed_under="ticket created_at",
        build=_volume,
    ),
    Metric(
        "backlog",
        "workload",
        "Backlog",
        "Tickets unsolved at the end of each period: a snapshot, not a sum. Also reported: how many "
        "of them were older than N hours (aged) at that moment.",
        facts="backlog",
        aggregation="backlog",
        unit="count",
        better="lower",
        filed_under="period end",
        build=_backlog,
        variants=(Variant("aged_hours", 24, "age above which a backlog ticket counts as aged"),),
    ),
    Metric(
        "backlog_flow",
        "workload",
        "Backlog flow",
        "Per period: inflow (tickets created and reopened), outflow (tickets solved) and the net "
        "change of the backlog (inflow - outflow).",
        facts="flow",
        aggregation="flow",
        unit="count",
        better=None,
        filed_under="time of each creation, reopen and solve",
        build=_flow,
    ),
    Metric(
        "occupancy",
        "workload",
        "Occupancy",
        "Handle time of answered calls (talk + hold + after-call work) / logged-in time, over the "
        "agents whose availability is known (agent_availability); agents without it are left "
        "out. paused=exclude takes breaks out of the logged-in time. Calls are filed under their "
        "answer, logged-in stretches under their start.",
        facts="occupancy",
        aggregation="ratio",
        unit="share",
        better=None,
        filed_under="call answered / stretch started",
        build=_occupancy,
        variants=(
            Variant(
                "paused",
                "include",
                "paused time (logged in, on a break) in the denominator or not",
                ("include", "exclude"),
            ),
        ),
    ),
    Metric(
        "agent_activity",
        "workload",
        "Agent activity",
        "Per agent: public replies sent (the value), internal notes, tickets solved (as assignee), "
        "calls answered, time entries, how many of those kinds of activity they did, and beside "
        "them their tickets' mean first response time and their CSAT (share of ratings in the top "
        "two points of the scale), so speed is read next to quality. open_assigned counts the "
        "agent's tickets unsolved now, whatever the period.",
        facts="activity",
        aggregation="activity",
        unit="count",
        better=None,
        filed_under="the time of each activity",
        build=_activity,
    ),
)
