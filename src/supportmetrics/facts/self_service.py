"""Self-service facts: sessions (knowledge base, bot, IVR) and their follow-up tickets, and the usage
population (sessions beside tickets created).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["session_facts", "usage_facts"]

_KIND = {"bot_session": "bot", "ivr_session": "ivr"}


def session_facts(events: ir.Table, tickets: ir.Table) -> ir.Table:
    """One row per self-service session: kind (kb, bot, ivr), start, end, customer, resolved, and
    the first ticket the same customer created at or after the session ended (`next_ticket_at`).

    Events without a session_id are sessions of their own. A session is resolved when any of its
    events says so; its kind is bot or ivr when it holds such a session event, else kb.
    """
    events = events.mutate(session=events.session_id.coalesce("event:" + events.event_id))
    kind = ibis.cases(*((events.type == t, k) for t, k in _KIND.items()), else_=ibis.null("string"))
    sessions = events.group_by(session_id="session").aggregate(
        kind=kind.max().coalesce("kb"),
        started_at=events.at.min(),
        ended_at=events.at.max(),
        customer_id=events.customer_id.max(),
        resolved=events.resolved.any(),
        searches=events.count(where=events.type == "search"),
    )
    timeline = sessions.select(
        "session_id",
        "customer_id",
        at=sessions.ended_at,
        ticket_at=ibis.null().cast(tickets.created_at.type()),
    ).union(
        tickets.filter(tickets.customer_id.notnull()).select(
            session_id=ibis.null("string"),
            customer_id=tickets.customer_id,
            at=tickets.created_at,
            ticket_at=tickets.created_at,
        )
    )
    following = ibis.window(
        group_by=timeline.customer_id, order_by=timeline.at, preceding=0, following=None
    )
    timeline = timeline.mutate(next_ticket_at=timeline.ticket_at.min().over(following))
    next_ticket = timeline.filter(timeline.session_id.notnull()).select(
        "session_id", "next_ticket_at"
    )
    rows = sessions.left_join(next_ticket, "session_id").drop("session_id_right")
    return rows.mutate(
        next_ticket_at=ibis.ifelse(rows.customer_id.isnull(), ibis.null(), rows.next_ticket_at)
    )


def usage_facts(sessions: ir.Table, tickets: ir.Table) -> ir.Table:
    """Sessions (self_service true, at their start) beside tickets created (false)."""
    return sessions.select(
        "customer_id", at=sessions.started_at, kind=sessions.kind, self_service=ibis.literal(True)
    ).union(
        tickets.select(
            "customer_id",
            at=tickets.created_at,
            kind=ibis.literal("ticket"),
            self_service=ibis.literal(False),
        )
    )
