"""The fact tables metrics aggregate: one declaration each, read by every layer.

A `FactTable` says how the table is built, its key, the timestamps a row can be filed under, the
columns `agent` and `customer.*` refer to, which dimensions it offers, whether its rows can be
listed (drill-down) or exported (`supportmetrics facts`), and which definition variants (fields of
`TicketOptions`) change it. Adding a fact table is one entry here and its build function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

import ibis.expr.types as ir

from supportmetrics.facts import builds
from supportmetrics.facts.sla import is_view as sla_is_view
from supportmetrics.facts.tickets import TicketOptions

__all__ = [
    "FACT_TABLES",
    "OPTION_NAMES",
    "BuildFacts",
    "FactTable",
    "fact_options",
    "fact_table",
]

OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in fields(TicketOptions))
"""The definition variants that change fact tables (the fields of `TicketOptions`)."""
_TICKET_OPTIONS = tuple(n for n in OPTION_NAMES if n != "first_reply_met_by")
_CORE_OPTIONS = ("clock_start", "agent_created", "count_bots")
"""The variants `ticket_core` depends on: the first-response clock (not the repeat window)."""
_REPEATS_WAITS_SALES = (
    "agent_wait_seconds",
    "on_hold_seconds",
    "repeat_contact",
    "requester_wait_seconds",
    "sales",
    "sales_amount",
)
"""The ticket-fact columns only the full `tickets` table builds."""
_TICKET_DRILL = (
    "ticket_id",
    "created_at",
    "channel",
    "team",
    "priority",
    "status",
    "issue_type",
    "assignee_id",
    "solved_at",
)
"""What a person reads first about a ticket."""
_TICKET_TIMES = (
    "created_at",
    "solved_at",
    "closed_at",
    "first_reply_at",
    "first_customer_message_at",
    "first_solved_at",
    "last_solved_at",
)


BuildFacts = Callable[[Any, TicketOptions, Literal["calendar", "business"]], ir.Table]
"""Builds a fact table from an engine (a `FactSource` with the calendars and settings), the
options it depends on and the clock."""


@dataclass(frozen=True)
class FactTable:
    """One fact table (see the module docstring)."""

    name: str
    key: str | None
    """The column identifying a row, if one does."""
    time_columns: tuple[str, ...]
    """The timestamps a metric may file a row under (its `_filed_at`)."""
    agent: str | None = None
    """The column `agent` and `agent.<attribute>` refer to."""
    customer: str | None = "customer_id"
    """The column `tier`, `region` and `customer.<attribute>` refer to."""
    timed: bool = True
    """Whether a row has one time (hour_of_day, day_of_week); not for snapshot stretches."""
    drillable: bool = False
    """Whether the dashboard lists the rows behind a metric over it."""
    export: str | None = None
    """The column `supportmetrics facts NAME` files and orders rows by (None: not exported)."""
    stored: bool = False
    """Whether the fact table is the stored canonical table of the same name itself."""
    options: tuple[str, ...] = ()
    """The definition variants (fields of `TicketOptions`) this table depends on."""
    build: BuildFacts | None = None
    """How to build it (None for stored tables); see `supportmetrics.facts.builds`."""
    wider: str | None = None
    """A fact table of the same rows (same key) with more columns: `borrowed` dimensions come
    from it, joined by key and built only when a query asks for one of them."""
    borrowed: tuple[str, ...] = ()
    """The dimensions this table offers from `wider` (a test keeps them equal to the columns
    `wider` has and this table lacks)."""
    borrows_all: bool = False
    """Whether it offers every column `wider` has and it lacks instead (custom columns included,
    which differ per workspace): a narrow table of rows about tickets, split by any ticket column."""
    wider_on: str | None = None
    """The column joining a row to its `wider` row, where it is not the key (several SLA
    targets per ticket: `ticket_id`)."""
    drill_columns: tuple[str, ...] = ()
    """The columns a drill-down shows by default, in order (the agent's name joins beside the
    `agent` column; the metric's value and filed-at time are added)."""
    view: Callable[[Any, str], bool] | None = None
    """Whether, under a workspace's settings (`Config`) and on a clock, the build is a projection
    of other fact tables that joins nothing: queries then scan it afresh instead of a stored
    copy."""

    def derived_dimensions(self) -> tuple[str, ...]:
        """The dimensions computed from a row's time and tags, beside its own columns."""
        return ("hour_of_day", "day_of_week", "tag") if self.timed else ("tag",)


def _declare(*tables: FactTable) -> dict[str, FactTable]:
    return {t.name: t for t in tables}


_NARROW: dict[str, Any] = {
    "agent": "assignee_id",
    "wider": "ticket_rows",
    "borrows_all": True,
    "wider_on": "ticket_id",
}
"""Rows about tickets that keep a few ticket columns and borrow every other one by ticket_id."""

FACT_TABLES: dict[str, FactTable] = _declare(
    FactTable(
        "tickets",
        "ticket_id",
        _TICKET_TIMES,
        agent="assignee_id",
        drillable=True,
        export="created_at",
        options=_TICKET_OPTIONS,
        build=builds.tickets,
        drill_columns=_TICKET_DRILL,
    ),
    FactTable(
        "ticket_core",
        "ticket_id",
        _TICKET_TIMES,
        agent="assignee_id",
        drillable=True,
        options=_CORE_OPTIONS,
        build=builds.ticket_core,
        view=lambda config, clock: clock == "business",  # the calendar table holds both clocks
        wider="tickets",
        borrowed=_REPEATS_WAITS_SALES,
        drill_columns=_TICKET_DRILL,
    ),
    FactTable(
        "ticket_rows",
        "ticket_id",
        ("created_at", "solved_at", "closed_at"),
        agent="assignee_id",
        drillable=True,
        build=builds.ticket_rows,
        wider="tickets",
        borrowed=(
            *_REPEATS_WAITS_SALES,
            "agent_replies",
            "agents_replying",
            "bot_messages",
            "current_status",
            "customer_messages",
            "ever_solved",
            "first_response_seconds",
            "internal_notes",
            "one_touch",
            "reassignments",
            "reopened",
            "reopens",
            "resolution_first_seconds",
            "resolution_full_seconds",
            "single_agent",
            "solved",
            "transfers",
        ),
        drill_columns=_TICKET_DRILL,
    ),
    FactTable(
        "replies",
        "message_id",
        ("reply_at", "answered_at", "created_at"),
        agent="reply_author_id",
        options=("count_bots",),
        build=builds.replies,
    ),
    FactTable(
        "calls",
        "call_id",
        ("queued_at", "answered_at", "ended_at"),
        agent="agent_id",
        drillable=True,
        export="queued_at",
        build=builds.calls,
        drill_columns=(
            "call_id",
            "queued_at",
            "direction",
            "queue",
            "outcome",
            "agent_id",
            "wait_seconds",
            "talk_seconds",
            "handle_seconds",
            "ticket_id",
        ),
    ),
    FactTable("handling", None, ("handled_at",), agent="agent_id", build=builds.handling),
    FactTable("backlog", None, ("start", "end", "created_at"), build=builds.backlog, **_NARROW),
    FactTable("flow", None, ("at", "created_at"), build=builds.flow, **_NARROW),
    FactTable(
        "sla",
        None,
        ("due_at",),
        agent="assignee_id",
        options=OPTION_NAMES,
        build=builds.sla,
        view=lambda config, clock: sla_is_view(config.sla),
        wider="tickets",
        borrowed=_REPEATS_WAITS_SALES,
        wider_on="ticket_id",
    ),
    FactTable(
        "activity",
        None,
        ("at",),
        agent="agent_id",
        customer=None,
        options=_CORE_OPTIONS,
        build=builds.activity,
    ),
    FactTable(
        "surveys",
        "response_id",
        ("submitted_at", "ticket_created_at"),
        agent="agent_id",
        drillable=True,
        build=builds.surveys,
        drill_columns=(
            "response_id",
            "submitted_at",
            "survey",
            "score",
            "comment",
            "ticket_id",
            "channel",
            "team",
            "agent_id",
        ),
    ),
    FactTable("invitations", None, ("sent_at", "submitted_at"), build=builds.invitations),
    FactTable("sessions", "session_id", ("started_at", "ended_at"), build=builds.sessions),
    FactTable("usage", None, ("at",), build=builds.usage),
    FactTable("self_service", "event_id", ("at",), stored=True),
    FactTable("orders", "order_id", ("ordered_at",), agent="agent_id", build=builds.orders),
    FactTable(
        "subscriptions", "subscription_id", ("started_at", "ended_at"), timed=False, stored=True
    ),
    FactTable(
        "demos",
        "demo_id",
        ("held_at", "registered_at"),
        agent="agent_id",
        customer=None,
        stored=True,
    ),
    FactTable("reviews", "review_id", ("posted_at",), agent="agent_id", stored=True),
    FactTable("occupancy", None, ("at",), agent="agent_id", customer=None, build=builds.occupancy),
)


def fact_table(name: str) -> FactTable:
    """The declaration of fact table `name` (ValueError naming the fact tables if unknown)."""
    try:
        return FACT_TABLES[name]
    except KeyError:
        raise ValueError(
            f"unknown facts {name!r}; the facts are: {', '.join(FACT_TABLES)}"
        ) from None


def fact_options(table: FactTable, variants: Mapping[str, Any]) -> TicketOptions:
    """The options `table` depends on, taken from `variants` by name (the rest at their
    defaults, so tables that ignore a variant share one materialisation)."""
    return TicketOptions(**{k: v for k, v in variants.items() if k in table.options})
