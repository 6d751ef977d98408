"""Repeat contacts: whether a solved ticket's customer came back within the repeat window."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["repeat_contacts"]


def repeat_contacts(facts: ir.Table, repeat_days: int, same_issue: bool) -> ir.Table:
    """`ticket_id, repeat_contact` for the tickets with a customer (the others have none).

    A solved ticket is a repeat contact when the customer's next ticket (same issue_type with
    `same_issue`) was created from its creation to `repeat_days` after its last solve, inclusive:
    one opened while it is still open counts too. `facts` gives per ticket `customer_id`,
    `issue_type`, `created_at`, `solved` and `last_solved_at`; the window runs over those columns
    only, not over whole fact rows.
    """
    keys = ["customer_id", "issue_type"] if same_issue else ["customer_id"]
    rows = facts.filter(facts.customer_id.notnull()).select(
        "ticket_id", *keys, "created_at", "solved", "last_solved_at"
    )
    window = ibis.window(group_by=[rows[k] for k in keys], order_by=rows.created_at)
    rows = rows.mutate(__next_at=rows.created_at.lead().over(window))
    repeat = (
        rows.solved
        & rows.__next_at.notnull()
        & rows.last_solved_at.notnull()
        & (rows.__next_at <= rows.last_solved_at + ibis.interval(days=repeat_days))
    )
    return rows.select("ticket_id", repeat_contact=repeat)
