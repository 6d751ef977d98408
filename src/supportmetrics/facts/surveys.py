"""Survey facts: one row per response, attributed to its ticket, agent, channel and team; one row per
invitation with whether it was answered.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportmetrics.schema import SURVEY_SCALES

__all__ = ["FIRST_RESPONSE_BUCKETS", "invitation_facts", "survey_facts"]

FIRST_RESPONSE_BUCKETS = ((3600, "0-1h"), (4 * 3600, "1-4h"), (8 * 3600, "4-8h"), (86400, "8-24h"))
"""Upper bounds (seconds, exclusive) and labels of `first_response_bucket`; beyond: "24h+"."""

_TICKET_DIMENSIONS = ("team", "priority", "issue_type", "tags", "created_by", "request_quality")


def _bucket(seconds: ir.IntegerValue) -> ir.StringValue:
    case = ibis.cases(*((seconds < bound, label) for bound, label in FIRST_RESPONSE_BUCKETS))
    return ibis.ifelse(seconds.isnull(), "no reply", ibis.ifelse(seconds >= 86400, "24h+", case))


def _scale(surveys: ir.Table, bound: int) -> ir.NumericValue:
    """scale_min (bound 0) or scale_max (bound 1): the response's own, else its survey's default."""
    column = surveys.scale_min if bound == 0 else surveys.scale_max
    default = ibis.cases(
        *((surveys.survey == name, float(scale[bound])) for name, scale in SURVEY_SCALES.items()),
        else_=ibis.null("float64"),
    )
    return column.cast("float64").coalesce(default)


def survey_facts(surveys: ir.Table, tickets: ir.Table) -> ir.Table:
    """Responses with their scale and the rated ticket's attributes.

    channel, agent_id and customer_id come from the response, else from its ticket (the ticket's
    assignee is the rated agent); `first_response_bucket` places the ticket's first response time
    in 0-1h, 1-4h, 4-8h, 8-24h, 24h+ or "no reply" (null without a ticket).
    """
    ticket = tickets.select(
        "ticket_id",
        __channel=tickets.channel,
        __assignee=tickets.assignee_id,
        __customer=tickets.customer_id,
        first_response_seconds=tickets.first_response_seconds,
        ticket_created_at=tickets.created_at,
        **{c: tickets[c] for c in _TICKET_DIMENSIONS},
    )
    rows = surveys.left_join(ticket, "ticket_id").drop("ticket_id_right")
    return rows.mutate(
        scale_min=_scale(rows, 0),
        scale_max=_scale(rows, 1),
        channel=rows.channel.coalesce(rows.__channel),
        agent_id=rows.agent_id.coalesce(rows.__assignee),
        customer_id=rows.customer_id.coalesce(rows.__customer),
        first_response_bucket=ibis.ifelse(
            rows.ticket_created_at.isnull(),
            ibis.null("string"),
            _bucket(rows.first_response_seconds),
        ),
    ).drop("__channel", "__assignee", "__customer")


def invitation_facts(invitations: ir.Table, surveys: ir.Table, tickets: ir.Table) -> ir.Table:
    """Invitations with `responded`: a response to the same survey, for the same ticket (or, for an
    invitation without a ticket, from the same customer), submitted at or after the invitation."""
    key = ibis.ifelse(
        invitations.ticket_id.notnull(),
        "t:" + invitations.ticket_id,
        "c:" + invitations.customer_id,
    )
    answers = surveys.select(
        __survey=surveys.survey,
        __submitted=surveys.submitted_at,
        __key=ibis.ifelse(
            surveys.ticket_id.notnull(), "t:" + surveys.ticket_id, "c:" + surveys.customer_id
        ),
    )
    keyed = invitations.mutate(__key=key)
    matched = keyed.join(
        answers,
        (keyed.__key == answers.__key)
        & (keyed.survey == answers.__survey)
        & (answers.__submitted >= keyed.sent_at),
    )
    responded = matched.select("invitation_id").distinct().mutate(responded=ibis.literal(True))
    rows = invitations.left_join(responded, "invitation_id").drop("invitation_id_right")
    ticket = tickets.select(
        "ticket_id", __channel=tickets.channel, team=tickets.team, __customer=tickets.customer_id
    )
    rows = rows.left_join(ticket, "ticket_id").drop("ticket_id_right")
    return rows.mutate(
        responded=rows.responded.coalesce(False),
        channel=rows.__channel,
        customer_id=rows.customer_id.coalesce(rows.__customer),
    ).drop("__channel", "__customer")
