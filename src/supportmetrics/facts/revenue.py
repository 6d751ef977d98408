"""Revenue facts: orders with the customer's previous order and the ticket that produced them."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["order_facts"]


def order_facts(orders: ir.Table, tickets: ir.Table) -> ir.Table:
    """Orders with `previous_order_at` (the same customer's order before) and the attributed
    ticket's channel and team."""
    window = ibis.window(group_by=orders.customer_id, order_by=[orders.ordered_at, orders.order_id])
    rows = orders.mutate(previous_order_at=orders.ordered_at.lag().over(window))
    ticket = tickets.select("ticket_id", channel=tickets.channel, team=tickets.team)
    return rows.left_join(ticket, "ticket_id").drop("ticket_id_right")
