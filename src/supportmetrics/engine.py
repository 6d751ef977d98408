"""The engine: a backend holding the canonical tables, the workspace settings, and the facts built
from them (materialised once per definition variant and reused by every query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args
from uuid import uuid4

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.common.exceptions import TableNotFound

from supportmetrics.backends import Backend, backend_of
from supportmetrics.calendar import (
    calendar_table,
    minutes_table,
    schedule_of_team,
    with_business_seconds,
)
from supportmetrics.config import Config
from supportmetrics.facts.activity import activity_facts
from supportmetrics.facts.calls import call_facts, handling_facts, occupancy_facts
from supportmetrics.facts.elapsed import elapsed_seconds
from supportmetrics.facts.replies import customer_turns, reply_facts
from supportmetrics.facts.revenue import order_facts
from supportmetrics.facts.self_service import session_facts, usage_facts
from supportmetrics.facts.sla import sla_facts
from supportmetrics.facts.status import flow_events, status_events, unsolved_segments
from supportmetrics.facts.surveys import invitation_facts, survey_facts
from supportmetrics.facts.tickets import TicketOptions, ticket_facts
from supportmetrics.localtime import offsets_table
from supportmetrics.metrics.base import Clock, FactsName
from supportmetrics.schema import TABLES, Kind
from supportmetrics.time_range import OutOfRange, in_range, out_of_range

__all__ = ["FACTS", "Engine"]

FACTS: tuple[str, ...] = get_args(FactsName)
"""The fact tables metrics aggregate; `facts tickets|calls` exports two of them."""
_STORED = ("self_service", "subscriptions", "demos", "reviews")
"""Fact tables that are the stored table itself."""

_IBIS_TYPES = {
    Kind.ID: "string",
    Kind.TIMESTAMP: "timestamp",
    Kind.ENUM: "string",
    Kind.TEXT: "string",
    Kind.BOOL: "boolean",
    Kind.INTEGER: "int64",
    Kind.NUMBER: "float64",
    Kind.TAGS: "array<string>",
}
_OPTION_NAMES = {f.name for f in fields(TicketOptions)}
_TIMESTAMPS = {
    "tickets": ("created_at", "solved_at", "closed_at"),
    "messages": ("created_at",),
    "ticket_events": ("at",),
    "calls": ("queued_at", "ended_at"),
    "time_entries": ("started_at",),
    "surveys": ("submitted_at",),
    "survey_invitations": ("sent_at",),
    "self_service": ("at",),
    "subscriptions": ("started_at", "ended_at"),
    "orders": ("ordered_at",),
    "demos": ("held_at", "registered_at"),
    "reviews": ("posted_at",),
    "agent_availability": ("started_at", "ended_at"),
}


class Engine:
    """Computes facts on `db` (any Ibis backend with the canonical tables) under `config`."""

    def __init__(
        self,
        db: ibis.BaseBackend,
        config: Config,
        now: datetime | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.db = db
        self.backend = backend or backend_of(db)
        """Its materialisation policy stores the facts and the intermediate steps."""
        self.config = config
        self.now = now or datetime.now(UTC).replace(tzinfo=None)
        """The instant open tickets are judged at (SLA breaches); naive UTC."""
        self._cache: dict[tuple[Any, ...], ir.Table] = {}
        self._bounds: tuple[datetime, datetime] | None = None
        self._calendar: pa.Table | None = None
        self._steps: dict[Any, ir.Table] = {}
        """Materialised intermediate steps by their expression's node."""
        self._out_of_range: list[OutOfRange] | None = None
        self._prefix = f"_sm_{uuid4().hex[:8]}"
        """Names this engine's materialised tables apart from another's on a shared session."""

    def close(self, disconnect: bool = True) -> None:
        """Release the cached tables the backend's policy made, then (if `disconnect`) the
        connection, which drops its temporary tables."""
        for table in (*self._cache.values(), *self._steps.values()):
            if isinstance(table, ir.CachedTable):
                table.release()
        if disconnect:
            self.db.disconnect()

    def table(self, name: str) -> ir.Table:
        """The canonical table `name` as metrics read it: without the rows whose timestamps lie
        outside the supported range (see `out_of_range`)."""
        table = self.stored(name)
        bad = [o.column for o in self.out_of_range() if o.table == name]
        return table.filter(*(in_range(table[c]) for c in bad)) if bad else table

    def stored(self, name: str) -> ir.Table:
        """The canonical table `name` as stored; empty (with its columns) in a store made before
        the table existed, and with nulls for the canonical columns a store made before them
        lacks."""
        spec = TABLES[name]
        try:
            stored = self.db.table(name)
        except TableNotFound:
            schema = ibis.schema({c.name: _IBIS_TYPES[c.kind] for c in spec.columns})
            return ibis.memtable(schema.to_pyarrow().empty_table())
        missing = {
            c.name: ibis.null(_IBIS_TYPES[c.kind]) for c in spec.columns if c.name not in stored
        }
        return stored.mutate(**missing) if missing else stored

    def out_of_range(self) -> list[OutOfRange]:
        """Stored timestamp columns holding values outside the supported range (written by a
        version that accepted them), counted once; `table` leaves their rows out."""
        if self._out_of_range is None:
            stored = {}
            for name in TABLES:
                try:
                    stored[name] = self.db.table(name)
                except TableNotFound:
                    continue
            keys = {name: spec.key for name, spec in TABLES.items()}
            self._out_of_range = out_of_range(self.db, stored, keys)
        return self._out_of_range

    def warnings(self) -> list[str]:
        """What every result should mention: the stored rows metrics leave out, and why."""
        return [str(found) for found in self.out_of_range()]

    def span(self) -> tuple[date, date]:
        """First and last UTC date of any timestamp the facts use (today when the store is empty)."""
        first, last = self.bounds()
        return first.date(), last.date()

    def bounds(self) -> tuple[datetime, datetime]:
        """The earliest and latest timestamp (naive UTC) the facts use (now when the store is
        empty)."""
        if self._bounds is None:
            found = []
            for table, columns in _TIMESTAMPS.items():
                t = self.table(table)
                aggs = {}
                for c in columns:
                    aggs[f"min_{c}"] = t[c].min()
                    aggs[f"max_{c}"] = t[c].max()
                row = self.db.to_pyarrow(t.aggregate(**aggs)).to_pylist()[0]
                found += [v.replace(tzinfo=None) for v in row.values() if v is not None]
            now = datetime.now()
            self._bounds = (min(found, default=now), max(found, default=now))
        return self._bounds

    def _memtable(self, key: str, build: Any) -> ir.Table:
        if (key,) not in self._cache:
            first, last = self.span()
            self._cache[(key,)] = ibis.memtable(build(first, last))
        return self._cache[(key,)]

    def offsets(self) -> ir.Table:
        """UTC offsets of the workspace time zone over the data (see supportmetrics.localtime)."""
        return self._memtable(
            "offsets",
            lambda first, last: offsets_table(
                self.config.timezone, first - timedelta(days=400), last + timedelta(days=400)
            ),
        )

    def calendar_arrow(self) -> pa.Table:
        """The business-hours calendar of every schedule, over the data and up to now."""
        if self._calendar is None:
            first, last = self.span()
            self._calendar = calendar_table(
                self.config.business_schedules(),
                first - timedelta(days=7),
                max(last, self.now.date()) + timedelta(days=60),
                self.config.timezone,
            )
        return self._calendar

    def calendar(self) -> ir.Table:
        """`calendar_arrow` as a table the backend can join."""
        return self._memtable("calendar", lambda first, last: self.calendar_arrow())

    def minutes(self) -> ir.Table:
        """Every business minute of the calendar (due times in business hours)."""
        return self._memtable("minutes", lambda first, last: minutes_table(self.calendar_arrow()))

    def facts(
        self, name: str, variants: Mapping[str, Any] | None = None, clock: Clock = "calendar"
    ) -> ir.Table:
        """The fact table `name` for these variants and clock, materialised on first use."""
        if name in _STORED:
            return self.table(name)
        options = TicketOptions(**{k: v for k, v in (variants or {}).items() if k in _OPTION_NAMES})
        if name != "sla":  # only the SLA facts depend on it: share the others
            options = replace(options, first_reply_met_by=TicketOptions.first_reply_met_by)
        key = (name, options, clock)
        if key not in self._cache:
            expr = self._build(name, options, clock)
            table_name = f"{self._prefix}_facts_{len(self._cache)}"
            self._cache[key] = self.backend.materialise(self.db, table_name, expr)
        return self._cache[key]

    def _materialize(self, expr: ir.Table) -> ir.Table:
        """`expr` stored by the backend's policy for the connection's lifetime, once: the calendar
        and business-clock ticket facts share their steps up to the durations."""
        key = expr.op()
        if key not in self._steps:
            name = f"{self._prefix}_step_{len(self._steps)}"
            self._steps[key] = self.backend.materialise(self.db, name, expr)
        return self._steps[key]

    def _build(self, name: str, options: TicketOptions, clock: Clock) -> ir.Table:
        table = self.table
        tickets = table("tickets")
        if name == "tickets":
            calendar = self.calendar() if clock == "business" else None
            facts = ticket_facts(
                table, options, calendar, self.config.team_schedules(), self._materialize
            )
            return _with_sales(facts, table("orders"))
        if name == "surveys":
            return survey_facts(table("surveys"), self.facts("tickets"))
        if name == "invitations":
            return invitation_facts(table("survey_invitations"), table("surveys"), tickets)
        if name == "sessions":
            return session_facts(table("self_service"), tickets)
        if name == "usage":
            return usage_facts(self.facts("sessions"), tickets)
        if name == "orders":
            return order_facts(table("orders"), tickets)
        if name == "replies":
            replies = reply_facts(tickets, table("messages"), options.count_bots)
            replies = replies.mutate(
                response_seconds=elapsed_seconds(replies.answered_at, replies.reply_at)
            )
            if clock == "business":
                schedule = schedule_of_team(replies.team, self.config.team_schedules())
                replies = with_business_seconds(
                    replies.mutate(__schedule=schedule),
                    {"response_business_seconds": ("answered_at", "reply_at")},
                    self.calendar(),
                    schedule_column="__schedule",
                ).drop("__schedule")
            return replies
        if name == "calls":
            return call_facts(table("calls"))
        if name == "occupancy":
            return occupancy_facts(table("calls"), table("agent_availability"))
        if name == "handling":
            return handling_facts(table("calls"), tickets, table("time_entries"))
        history = status_events(tickets, table("ticket_events"))
        if name == "backlog":
            segments = unsolved_segments(history, tickets)
            return segments.join(tickets, "ticket_id")
        if name == "flow":
            return flow_events(history, tickets).join(tickets, "ticket_id")
        if name == "activity":
            return activity_facts(
                self.facts("tickets", asdict(options)),
                table("messages"),
                table("calls"),
                table("time_entries"),
                table("surveys"),
            )
        if name == "sla":
            if not self.config.sla:
                raise ValueError(
                    "no SLA policies configured: add [[sla]] tables to supportmetrics.toml"
                )
            facts = self.facts("tickets", asdict(options))
            customers = table("customers").select("customer_id", "tier")
            facts = facts.left_join(customers, "customer_id").drop("customer_id_right")
            return sla_facts(
                facts,
                customer_turns(table("messages"), options.count_bots),
                self.config.sla,
                self.now,
                self.calendar(),
                self.minutes(),
                self.config.team_schedules(),
                options.first_reply_met_by,
            )
        raise ValueError(f"unknown facts {name!r}; the facts are: {', '.join(FACTS)}")


def _with_sales(facts: ir.Table, orders: ir.Table) -> ir.Table:
    """Ticket facts with the upsell and cross-sell orders attributed to each ticket."""
    sold = orders.filter(orders.kind.isin(["upsell", "cross_sell"]) & orders.ticket_id.notnull())
    sales = sold.group_by("ticket_id").aggregate(
        sales=sold.count(), sales_amount=sold.amount.sum().cast("float64")
    )
    rows = facts.left_join(sales, "ticket_id").drop("ticket_id_right")
    return rows.mutate(sales=rows.sales.coalesce(0), sales_amount=rows.sales_amount.coalesce(0.0))
