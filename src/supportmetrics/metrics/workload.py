"""Workload: how much there is to do (docs/metrics.md, Workload)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from supportmetrics.metrics.base import Clock, FactSource, Metric, Variant

__all__ = ["WORKLOAD"]

_ACTIVITY = {
    "replies": "reply",
    "notes": "note",
    "solved": "solve",
    "calls": "call",
    "time_entries": "time_entry",
}
"""Agent activity counts: output key -> activity kind."""


def _volume(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_value=1)


def _backlog(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_value=1)


def _activity(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    """`_value` 1 for a public reply, 0 for the other counted activities, none for the rest
    (first response times and CSAT answers, reported beside the counts)."""
    value = ibis.cases(
        (facts.kind == "reply", 1),
        (facts.kind.isin(list(_ACTIVITY.values())), 0),
        else_=ibis.null("int64"),
    )
    return facts.mutate(_value=value)


def _activity_counts(rows: ir.Table, variants: Mapping[str, Any]) -> dict[str, ir.Value]:
    """Each kind's count, how many kinds the agent did, mean and median first response time (and
    how many first responses) and CSAT."""
    kind = rows.kind
    counts = {name: rows.count(where=kind == k) for name, k in _ACTIVITY.items()}
    return {
        **counts,
        "activity_kinds": kind.nunique(where=kind.isin(list(_ACTIVITY.values()))),
        "first_response_mean": rows.value.mean(where=kind == "first_response"),
        "first_response_median": rows.value.quantile(0.5, where=kind == "first_response"),
        "first_response_n": rows.count(where=kind == "first_response"),
        "csat": rows.value.mean(where=kind == "csat"),
        "csat_n": rows.count(where=kind == "csat"),
    }


def _open_assigned(source: FactSource) -> ir.Table:
    """Each agent's tickets unsolved now (a current count, whatever the query's period)."""
    tickets = source.facts("tickets")
    open_now = tickets.filter(~tickets.solved & tickets.assignee_id.notnull())
    return open_now.group_by(agent=open_now.assignee_id).aggregate(open_assigned=open_now.count())


def _occupancy(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    base = facts.logged_in_seconds
    if variants["paused"] == "exclude":
        base = base - facts.paused_seconds
    return facts.mutate(_value=facts.handle_seconds, _base=base)


def _flow(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    """`_value` +1 for an inflow (creation, reopen), -1 for an outflow (solve)."""
    return facts.mutate(_value=ibis.ifelse(facts.change == "solved", -1, 1))


def _flow_counts(rows: ir.Table, variants: Mapping[str, Any]) -> dict[str, ir.Value]:
    """Creations, reopens and solves (outflow), and the inflow."""
    change = rows.change
    return {
        "created": rows.count(where=change == "created"),
        "reopened": rows.count(where=change == "reopened"),
        "outflow": rows.count(where=change == "solved"),
        "inflow": rows.count(where=change != "solved"),
    }


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
        filed_at="created_at",
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
        filed_at="start",
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
        aggregation="sum",
        unit="count",
        better=None,
        filed_under="time of each creation, reopen and solve",
        filed_at="at",
        build=_flow,
        extras=_flow_counts,
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
        filed_at="at",
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
        "them their tickets' mean and median first response time and their CSAT (share of ratings in the top "
        "two points of the scale), so speed is read next to quality. open_assigned counts the "
        "agent's tickets unsolved now, whatever the period.",
        facts="activity",
        aggregation="sum",
        unit="count",
        better=None,
        filed_under="the time of each activity",
        filed_at="at",
        build=_activity,
        extras=_activity_counts,
        split_by=("agent",),
        beside=_open_assigned,
    ),
)
