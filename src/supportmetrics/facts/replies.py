"""Per-reply facts: each agent reply and the customer message it answers (average response time)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["customer_turns", "is_agent_reply", "reply_facts"]


def is_agent_reply(messages: ir.Table, count_bots: bool = False) -> ir.BooleanValue:
    """Whether each message is a reply to the customer: public, not automated, by an agent (or
    by a bot, when bots count)."""
    authors = ("agent", "bot") if count_bots else ("agent",)
    return (
        messages.author_type.isin(authors)
        & messages.public.coalesce(True)
        & ~messages.automated.coalesce(False)
    )


def customer_turns(messages: ir.Table, count_bots: bool = False) -> ir.Table:
    """Each run of customer messages between agent replies, and the reply that answered it.

    A reply answers the first customer message after the previous reply on the same ticket (the
    first unanswered one). Returns `ticket_id`, `turn` (replies before it: 0 is the first response),
    `answered_at` (the run's first customer message) and, null while unanswered, `message_id`,
    `reply_at` and `reply_author_id`. Replies that answer no customer message are not listed.
    """
    m = messages.mutate(is_reply=ibis.ifelse(is_agent_reply(messages, count_bots), 1, 0))
    window = ibis.cumulative_window(group_by=m.ticket_id, order_by=[m.created_at, m.message_id])
    # Replies before this message: customer messages with the same count wait for the same reply.
    m = m.mutate(turn=m.is_reply.sum().over(window) - m.is_reply)
    asked = (
        m.filter(m.author_type == "customer")
        .group_by(["ticket_id", "turn"])
        .aggregate(answered_at=lambda t: t.created_at.min())
    )
    replies = m.filter(m.is_reply == 1).select(
        "ticket_id", "turn", "message_id", reply_at=m.created_at, reply_author_id=m.author_id
    )
    turns = asked.left_join(replies, ["ticket_id", "turn"])
    return turns.drop("ticket_id_right", "turn_right")


def reply_facts(tickets: ir.Table, messages: ir.Table, count_bots: bool = False) -> ir.Table:
    """One row per agent reply that answers a customer message, with the ticket's columns
    (see `customer_turns`)."""
    turns = customer_turns(messages, count_bots)
    answered = turns.filter(turns.reply_at.notnull()).drop("turn")
    return answered.join(tickets, "ticket_id")
