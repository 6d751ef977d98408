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


def _latest_earlier(invitations: ir.Table, responses: ir.Table, key: str) -> ir.Table:
    """(response_id, invitation_id) of each response with an invitation of the same survey and
    `key` sent at or before it: the latest such one. Invitations and responses are put in one
    time line per (survey, key); a running count of invitations numbers each response's latest
    earlier invitation, which an equi-join then finds (no range join)."""
    sent = invitations.filter(invitations[key].notnull())
    sent = sent.select(
        "survey",
        __key=sent[key],
        __at=sent.sent_at,
        __order=ibis.literal(0),
        __id=sent.invitation_id,
    )
    answered = responses.filter(responses[key].notnull())
    answered = answered.select(
        "survey",
        __key=answered[key],
        __at=answered.submitted_at,
        __order=ibis.literal(1),
        __id=answered.response_id,
    )
    line = sent.union(answered)
    window = ibis.window(
        group_by=[line.survey, line.__key],
        order_by=[line.__at, line.__order, line.__id],
        preceding=None,
        following=0,
    )
    line = line.mutate(__nth=ibis.ifelse(line.__order == 0, 1, 0).sum().over(window))
    numbered = line.filter(line.__order == 0).select(
        "survey", "__key", "__nth", invitation_id=line.__id
    )
    asked = line.filter((line.__order == 1) & (line.__nth > 0))
    pairs = asked.join(numbered, ["survey", "__key", "__nth"])
    return pairs.select(response_id=pairs.__id, invitation_id=pairs.invitation_id)


def invitation_facts(invitations: ir.Table, surveys: ir.Table, tickets: ir.Table) -> ir.Table:
    """Invitations with `responded`, and the responses to anonymous surveys.

    A response answers at most one invitation: the one it names (`invitation_id`), else the latest
    invitation of the same survey for its ticket sent at or before it, else the latest such one for
    its customer; an invitation is answered when a response answers it. Invitations with neither
    ticket nor customer are anonymous (`responded` is null): their rate compares counts, so the
    responses with neither ticket, customer nor invitation are rows too (`record` = response,
    `submitted_at` set, `sent_at` null); every other row has `record` = invitation.
    """
    named = surveys.filter(surveys.invitation_id.notnull()).select("response_id", "invitation_id")
    rest = surveys.filter(surveys.invitation_id.isnull())
    by_ticket = _latest_earlier(invitations, rest, "ticket_id")
    rest = rest.anti_join(by_ticket, "response_id")
    by_customer = _latest_earlier(invitations, rest, "customer_id")
    answers = named.union(by_ticket).union(by_customer)
    responded = answers.select("invitation_id").distinct().mutate(__answered=ibis.literal(True))
    rows = invitations.left_join(responded, "invitation_id").drop("invitation_id_right")
    ticket = tickets.select(
        "ticket_id", __channel=tickets.channel, team=tickets.team, __customer=tickets.customer_id
    )
    rows = rows.left_join(ticket, "ticket_id").drop("ticket_id_right")
    anonymous = rows.ticket_id.isnull() & rows.customer_id.isnull()
    rows = rows.mutate(
        record=ibis.literal("invitation"),
        responded=ibis.ifelse(anonymous, ibis.null("boolean"), rows.__answered.coalesce(False)),
        channel=rows.__channel,
        customer_id=rows.customer_id.coalesce(rows.__customer),
        submitted_at=ibis.null(surveys.submitted_at.type()),
    ).drop("__channel", "__customer", "__answered")
    unnamed = surveys.filter(
        surveys.ticket_id.isnull() & surveys.customer_id.isnull() & surveys.invitation_id.isnull()
    )
    given = {
        "survey": unnamed.survey,
        "record": ibis.literal("response"),
        "channel": unnamed.channel,
        "submitted_at": unnamed.submitted_at,
    }
    schema = rows.schema()
    free = unnamed.select(
        **{c: given.get(c, ibis.null(schema[c])).cast(schema[c]) for c in rows.columns}
    )
    return rows.union(free)
