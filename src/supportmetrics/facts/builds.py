"""How each derived fact table is built from an engine's canonical tables (see `registry`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

import ibis.expr.types as ir

from supportmetrics.calendar import schedule_of_team, with_business_seconds
from supportmetrics.facts.activity import activity_facts
from supportmetrics.facts.calls import call_facts, handling_facts, occupancy_facts
from supportmetrics.facts.elapsed import elapsed_seconds
from supportmetrics.facts.replies import customer_turns, reply_facts
from supportmetrics.facts.revenue import order_facts
from supportmetrics.facts.self_service import session_facts, usage_facts
from supportmetrics.facts.sla import business_clock, sla_facts
from supportmetrics.facts.status import flow_events, status_events, unsolved_segments
from supportmetrics.facts.surveys import invitation_facts, survey_facts
from supportmetrics.facts.tickets import (
    TicketOptions,
    first_response_seconds,
    ticket_facts,
    with_business_durations,
)
from supportmetrics.facts.tickets import ticket_core as _ticket_core

__all__ = [
    "activity",
    "backlog",
    "calls",
    "flow",
    "handling",
    "invitations",
    "occupancy",
    "orders",
    "replies",
    "sessions",
    "sla",
    "surveys",
    "ticket_core",
    "ticket_rows",
    "tickets",
    "usage",
]

ClockName = Literal["calendar", "business"]


def tickets(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    calendar = engine.calendar() if clock == "business" else None
    facts = ticket_facts(
        engine.table, options, calendar, engine.config.team_schedules(), engine._materialize
    )
    return _with_sales(facts, engine.table("orders"))


def ticket_core(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    """One table for both clocks: the calendar facts with the business durations beside theirs
    (a few joins on the small calendar table, cheaper than storing the facts twice)."""
    if clock == "business":
        return engine.facts("ticket_core", asdict(options))
    facts = _ticket_core(engine.table, options)
    return with_business_durations(facts, engine.calendar(), engine.config.team_schedules())


def ticket_rows(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    return engine.table("tickets")


def surveys(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    """Responses with their ticket's columns and first response time: from the ticket facts when
    they are at hand, else computed for the rated tickets only (the ticket facts are not built)."""
    responses = engine.table("surveys")
    core = engine.ready_facts("ticket_core")
    if core is not None:
        return survey_facts(responses, core)
    tickets = engine.table("tickets")
    rated = tickets.semi_join(responses, "ticket_id")
    first = first_response_seconds(rated, engine.table("messages"))
    tickets = tickets.left_join(first, "ticket_id").drop("ticket_id_right")
    return survey_facts(responses, tickets)


def invitations(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    table = engine.table
    return invitation_facts(table("survey_invitations"), table("surveys"), table("tickets"))


def sessions(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    return session_facts(engine.table("self_service"), engine.table("tickets"))


def usage(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    return usage_facts(engine.facts("sessions"), engine.table("tickets"))


def orders(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    return order_facts(engine.table("orders"), engine.table("tickets"))


def replies(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    rows = reply_facts(engine.table("tickets"), engine.table("messages"), options.count_bots)
    rows = rows.mutate(response_seconds=elapsed_seconds(rows.answered_at, rows.reply_at))
    if clock == "business":
        schedule = schedule_of_team(rows.team, engine.config.team_schedules())
        rows = with_business_seconds(
            rows.mutate(__schedule=schedule),
            {"response_business_seconds": ("answered_at", "reply_at")},
            engine.calendar(),
            schedule_column="__schedule",
        ).drop("__schedule")
    return rows


def calls(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    return call_facts(engine.table("calls"))


def occupancy(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    return occupancy_facts(engine.table("calls"), engine.table("agent_availability"))


def handling(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    table = engine.table
    return handling_facts(table("calls"), table("tickets"), table("time_entries"))


_KEPT = ("created_at", "assignee_id", "customer_id", "channel", "team", "priority", "issue_type")
"""The ticket columns backlog and flow rows keep: the aged count's clock, the columns `agent` and
`customer.*` join by, and the dashboard's filters and usual splits (small, and each would otherwise
join the tickets again on every query). They borrow every other ticket column (custom columns
included) from `ticket_rows` when a query splits or filters by one (see `registry`)."""


def backlog(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    tickets = engine.table("tickets")
    history = status_events(tickets, engine.table("ticket_events"))
    return unsolved_segments(history, tickets).join(
        tickets.select("ticket_id", *_KEPT), "ticket_id"
    )


def flow(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    tickets = engine.table("tickets")
    history = status_events(tickets, engine.table("ticket_events"))
    return flow_events(history, tickets).join(tickets.select("ticket_id", *_KEPT), "ticket_id")


def activity(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    table = engine.table
    return activity_facts(
        engine.facts("ticket_core", asdict(options)),
        table("messages"),
        table("calls"),
        table("time_entries"),
        table("surveys"),
    )


def sla(engine: Any, options: TicketOptions, clock: ClockName) -> ir.Table:
    config = engine.config
    if not config.sla:
        raise ValueError("no SLA policies configured: add [[sla]] tables to supportmetrics.toml")
    # ticket_core: a split by what only `tickets` adds (repeat contacts, waits, sales) borrows it
    facts = engine.facts("ticket_core", asdict(options))
    if any(p.tier for p in config.sla):  # the policies match on the customer's tier
        customers = engine.table("customers").select("customer_id", "tier")
        facts = facts.left_join(customers, "customer_id").drop("customer_id_right")
    return sla_facts(
        facts,
        customer_turns(engine.table("messages"), options.count_bots),
        config.sla,
        engine.now,
        (engine.calendar(), engine.minutes()) if business_clock(config.sla) else None,
        config.team_schedules(),
        options.first_reply_met_by,
    )


def _with_sales(facts: ir.Table, orders: ir.Table) -> ir.Table:
    """Ticket facts with the upsell and cross-sell orders attributed to each ticket."""
    sold = orders.filter(orders.kind.isin(["upsell", "cross_sell"]) & orders.ticket_id.notnull())
    sales = sold.group_by("ticket_id").aggregate(
        sales=sold.count(), sales_amount=sold.amount.sum().cast("float64")
    )
    rows = facts.left_join(sales, "ticket_id").drop("ticket_id_right")
    return rows.mutate(sales=rows.sales.coalesce(0), sales_amount=rows.sales_amount.coalesce(0.0))
