"""Tickets, messages, ticket_events and time_entries.

Ticket attributes are drawn for all tickets at once; their lives are then simulated in batches of
tickets (to bound memory) and the batches' rows concatenated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ._clock import DAY, HOUR, Calendar
from ._columns import (
    choose,
    choose_rows,
    first_in_group,
    ids,
    lognormal,
    strings,
    tag_lists,
    take,
    timestamps,
)
from ._lifecycle import History, TicketDraw, simulate
from ._people import TEAMS, Agents, Customers
from ._vocab import (
    AGENT,
    AGENT_CREATED,
    AUTHORS,
    BILLING,
    BUG,
    CHANNELS,
    CHAT,
    CREATED_BY,
    CUSTOMER_CREATED,
    EMAIL,
    EVENT_TYPES,
    EVENT_VALUES,
    FEATURE_REQUEST,
    HOW_TO,
    ISSUE_TEAM,
    ISSUE_TYPES,
    MESSAGING,
    OTHER,
    PASSWORD_RESET,
    PHONE,
    PRE_SALES,
    PRIORITIES,
    REFUND,
    SOCIAL,
    STATUSES,
    SYSTEM_CREATED,
    TECHNICAL,
    URGENT,
    WEB,
)

__all__ = ["TicketFacts", "make_tickets"]

_BATCH = 200_000
"""Tickets simulated together: bounds the memory of the simulation whatever the total."""
_CHANNEL_SHARE = [0.36, 0.24, 0.12, 0.07, 0.10, 0.08, 0.02, 0.01]
_CREATED_BY_SHARE = np.array(
    [
        [0.90, 0.07, 0.03],  # email
        [1.00, 0.00, 0.00],  # chat
        [0.93, 0.07, 0.00],  # phone
        [0.97, 0.03, 0.00],  # social
        [0.95, 0.00, 0.05],  # web
        [0.97, 0.03, 0.00],  # messaging
        [0.90, 0.10, 0.00],  # sms
        [0.60, 0.10, 0.30],  # other
    ]
)
_ISSUE_SHARE = [0.16, 0.19, 0.11, 0.17, 0.09, 0.06, 0.08, 0.05, 0.06, 0.03]
_PRIORITY_SHARE = np.array(
    [
        [0.20, 0.62, 0.14, 0.04],  # most issues
        [0.10, 0.55, 0.25, 0.10],  # technical, bug
        [0.00, 0.40, 0.40, 0.20],  # outage
    ]
)
_QUALITY_SHARE = np.array([[0.1, 0.3, 0.4, 0.2], [0.05, 0.15, 0.35, 0.45]])
"""request_quality 2-5 for most tickets and for pre-sales ones (spam is 1)."""
_PRODUCTS = ("web app", "mobile app", "api", "integrations")
_TAGS = (
    "vip",
    "outage",
    "spam",
    "escalated",
    "bot_handoff",
    "refund_requested",
    "churn_risk",
    "follow_up",
    "mobile",
    "api",
    "feedback",
)
_WORK_SECONDS = np.array([480, 240, 420, 300, 480, 240, 240, 480])
"""Median logged work per agent reply, by channel."""


@dataclass(frozen=True)
class TicketFacts:
    """Per-ticket values (in ticket order) the other tables are built from."""

    ids: pa.Array
    created: np.ndarray
    channel: np.ndarray
    issue: np.ndarray
    customer: np.ndarray
    assignee: np.ndarray
    created_by: np.ndarray
    spam: np.ndarray
    outage: np.ndarray
    first_reply: np.ndarray
    """Epoch seconds of the first agent reply, -1 if none."""
    first_agent: np.ndarray
    first_solve: np.ndarray
    """Epoch seconds of the first solve, -1 if never solved."""
    reopens: np.ndarray


def _draw(rng: np.random.Generator, n: int, cal: Calendar, customers: Customers) -> TicketDraw:
    """Who wrote when, about what, on which channel, and which path each ticket will take."""
    channel = choose(rng, _CHANNEL_SHARE, n)
    created_by = choose_rows(rng, _CREATED_BY_SHARE[channel])
    office = (channel == PHONE) | (created_by == AGENT_CREATED)  # only while the team works
    created = np.empty(n, dtype=np.int64)
    created[~office] = cal.sample(rng, int((~office).sum()), cal.arrivals)
    staffed_arrivals = cal.arrivals * cal.staffed[: len(cal.arrivals)]
    created[office] = cal.sample(rng, int(office.sum()), staffed_arrivals)
    order = np.argsort(created, kind="stable")
    created, channel, created_by = created[order], channel[order], created_by[order]

    outage = rng.random(n) < 1.0 - 1.0 / cal.load[cal.hour(created)]
    issue = choose(rng, _ISSUE_SHARE, n)
    issue[outage] = np.where(rng.random(int(outage.sum())) < 0.75, TECHNICAL, BUG)
    customer = customers.pick(rng, created)
    customer[created_by == SYSTEM_CREATED] = -1
    # some customers write again about the same issue within a few days
    earlier = np.searchsorted(created, created - rng.integers(HOUR, 5 * DAY, n))
    follow_up = (
        (created_by == CUSTOMER_CREATED)
        & (rng.random(n) < 0.08)
        & (earlier < np.arange(n))
        & (customer[earlier] >= 0)
    )
    customer[follow_up] = customer[earlier[follow_up]]
    issue[follow_up] = issue[earlier[follow_up]]
    team = ISSUE_TEAM[issue]

    technical = np.isin(issue, [TECHNICAL, BUG])
    priority = choose_rows(rng, _PRIORITY_SHARE[np.where(outage, 2, technical.astype(np.int64))])
    enterprise = (customer >= 0) & (customers.tier[customer] == 2)
    priority += enterprise & (priority < 2) & (rng.random(n) < 0.3)

    customer_created = created_by == CUSTOMER_CREATED
    spam = customer_created & np.isin(channel, [EMAIL, WEB, SOCIAL, OTHER]) & (rng.random(n) < 0.03)
    bot = customer_created & np.isin(channel, [CHAT, MESSAGING])
    bot_share = np.where(
        np.isin(issue, [HOW_TO, PASSWORD_RESET]), 0.5, np.where(issue == BUG, 0.1, 0.25)
    )
    bot_only = bot & (rng.random(n) < bot_share)
    neglected = (
        ~spam
        & ~bot_only
        & (created_by != AGENT_CREATED)
        & (channel != PHONE)
        & (rng.random(n) < 0.002)
    )
    answered = (created_by != AGENT_CREATED) & ~bot_only & ~spam & ~neglected
    transfer = answered & (channel != PHONE) & (rng.random(n) < 0.06)
    misrouted = ((team + rng.integers(1, len(TEAMS), n)) % len(TEAMS)).astype(team.dtype)
    request_quality = 2 + choose_rows(rng, _QUALITY_SHARE[(issue == PRE_SALES).astype(np.int64)])
    request_quality[spam] = 1
    upset = np.isin(issue, [BILLING, REFUND, BUG]) | outage
    sentiment = np.clip(rng.normal(0.1, 0.35, n) - 0.3 * upset, -1.0, 1.0).round(2)
    return TicketDraw(
        created=created,
        channel=channel,
        created_by=created_by,
        issue=issue,
        team=team,
        team_initial=np.where(transfer, misrouted, team),
        priority=priority,
        escalated=(priority < URGENT) & (rng.random(n) < 0.05),
        customer=customer,
        outage=outage,
        enterprise=enterprise,
        follow_up=follow_up,
        spam=spam,
        bot=bot,
        bot_only=bot_only,
        neglected=neglected,
        transfer=transfer,
        product=choose(rng, [0.45, 0.25, 0.15, 0.15], n),
        request_quality=request_quality,
        sentiment=np.where(rng.random(n) < 0.7, sentiment, np.nan),
    )


def make_tickets(
    rng: np.random.Generator, n: int, cal: Calendar, agents: Agents, customers: Customers
) -> tuple[dict[str, pa.Table], TicketFacts]:
    """The tickets, messages, ticket_events and time_entries tables, and per-ticket facts."""
    d = _draw(rng, n, cal, customers)
    ticket_ids = ids("T", n, 7)
    event_values = pa.concat_arrays([pa.array(EVENT_VALUES, pa.string()), agents.ids])
    parts: dict[str, list[pa.Table]] = {"messages": [], "ticket_events": [], "time_entries": []}
    histories = []
    for lo in range(0, n, _BATCH):
        part = d.part(lo, min(n, lo + _BATCH))
        h = simulate(rng, cal, agents, part)
        batch_ids = ticket_ids.slice(lo, len(part.created))
        # time entries first: they read the message arrays the messages table then consumes
        parts["time_entries"].append(_time_entries(rng, h, part, batch_ids, agents.ids))
        parts["messages"].append(_messages_table(h.messages, batch_ids, agents.ids))
        parts["ticket_events"].append(_events_table(h.events, batch_ids, event_values, agents.ids))
        histories.append(h)
    h = {
        name: np.concatenate([getattr(part, name) for part in histories])
        for name in (
            "status",
            "priority",
            "assignee",
            "team",
            "solved_at",
            "closed_at",
            "first_reply",
            "first_agent",
            "first_solve",
            "reopens",
        )
    }
    del histories
    tables = {
        "messages": _numbered(pa.concat_tables(parts["messages"]), "message_id", "M"),
        "ticket_events": _numbered(pa.concat_tables(parts["ticket_events"]), "event_id", "E"),
        "time_entries": _numbered(pa.concat_tables(parts["time_entries"]), "entry_id", "TE"),
    }
    technical = np.isin(d.issue, [TECHNICAL, BUG])
    tag_flags = np.column_stack(
        [
            d.enterprise,
            d.outage,
            d.spam,
            d.transfer | d.escalated,
            d.bot & ~d.bot_only,
            (d.issue == REFUND) | ((d.issue == BILLING) & (rng.random(n) < 0.2)),
            (d.sentiment < -0.5) & (rng.random(n) < 0.6),
            d.follow_up,
            (d.product == 1) & (rng.random(n) < 0.6),
            (d.product == 2) & (rng.random(n) < 0.6 + 0.2 * technical),
            d.issue == FEATURE_REQUEST,
        ]
    )
    tables["tickets"] = pa.table(
        {
            "ticket_id": ticket_ids,
            "created_at": timestamps(d.created),
            "channel": strings(CHANNELS, d.channel),
            "status": strings(STATUSES, h["status"]),
            "priority": strings(PRIORITIES, h["priority"]),
            "issue_type": strings(ISSUE_TYPES, d.issue),
            "customer_id": take(customers.ids, d.customer),
            "assignee_id": take(agents.ids, h["assignee"]),
            "team": strings(TEAMS, h["team"]),
            "created_by": strings(CREATED_BY, d.created_by),
            "solved_at": timestamps(h["solved_at"], valid=h["solved_at"] >= 0),
            "closed_at": timestamps(h["closed_at"], valid=h["closed_at"] >= 0),
            "tags": tag_lists(tag_flags, _TAGS),
            "request_quality": pa.array(d.request_quality, pa.int64()),
            "sentiment": pa.array(d.sentiment, pa.float64(), from_pandas=True),
            "product": strings(_PRODUCTS, d.product),
        }
    )
    facts = TicketFacts(
        ids=ticket_ids,
        created=d.created,
        channel=d.channel,
        issue=d.issue,
        customer=d.customer,
        assignee=h["assignee"],
        created_by=d.created_by,
        spam=d.spam,
        outage=d.outage,
        first_reply=h["first_reply"],
        first_agent=h["first_agent"],
        first_solve=h["first_solve"],
        reopens=h["reopens"],
    )
    return tables, facts


def _numbered(table: pa.Table, column: str, prefix: str) -> pa.Table:
    """The table with an id column (prefix + row number) in front."""
    return table.add_column(0, column, ids(prefix, table.num_rows, 8))


def _messages_table(
    m: dict[str, np.ndarray], ticket_ids: pa.Array, agent_ids: pa.Array
) -> pa.Table:
    """A batch's messages (ids added later); consumes m to keep peak memory down."""
    return pa.table(
        {
            "ticket_id": ticket_ids.take(pa.array(m.pop("ticket"))),
            "created_at": timestamps(m.pop("at")),
            "author_type": strings(AUTHORS, m.pop("author")),
            "author_id": take(agent_ids, m.pop("agent")),
            "public": pa.array(m.pop("public")),
            "automated": pa.array(m.pop("automated")),
        }
    )


def _events_table(
    e: dict[str, np.ndarray], ticket_ids: pa.Array, values: pa.Array, agent_ids: pa.Array
) -> pa.Table:
    """A batch's ticket events (ids added later); consumes e to keep peak memory down."""
    return pa.table(
        {
            "ticket_id": ticket_ids.take(pa.array(e.pop("ticket"))),
            "at": timestamps(e.pop("at")),
            "type": strings(EVENT_TYPES, e.pop("type")),
            "from_value": take(values, e.pop("old")),
            "to_value": take(values, e.pop("new")),
            "actor_id": take(agent_ids, e.pop("actor")),
        }
    )


def _time_entries(
    rng: np.random.Generator,
    h: History,
    d: TicketDraw,
    ticket_ids: pa.Array,
    agent_ids: pa.Array,
) -> pa.Table:
    """Work logged with agent replies (by teams that track time); calls add hold and wrap-up."""
    m = h.messages
    logs_time = rng.random(len(d.created)) < np.where(np.isin(h.team, [0, 1]), 0.8, 0.15)
    rows = (m["author"] == AGENT) & m["public"] & ~m["automated"] & logs_time[m["ticket"]]
    ticket, at, agent = m["ticket"][rows], m["at"][rows], m["agent"][rows]
    work = 30 + lognormal(rng, _WORK_SECONDS[d.channel[ticket]], 0.7, len(ticket)).astype(np.int64)
    call = np.flatnonzero((d.channel[ticket] == PHONE) & first_in_group(ticket))
    wrap_up = 15 + lognormal(rng, 90, 0.6, len(call)).astype(np.int64)
    held = call[rng.random(len(call)) < 0.25]
    hold = rng.integers(20, 301, len(held))
    entries = {
        "ticket": np.concatenate([ticket, ticket[held], ticket[call]]),
        "agent": np.concatenate([agent, agent[held], agent[call]]),
        "started": np.concatenate(
            [
                np.maximum(d.created[ticket], at - work),
                np.maximum(d.created[ticket[held]], at[held] - hold),
                at[call],
            ]
        ),
        "seconds": np.concatenate([work, hold, wrap_up]),
        "kind": np.repeat([0, 1, 2], [len(ticket), len(held), len(call)]),
    }
    order = np.lexsort((entries["started"], entries["ticket"]))
    e = {name: values[order] for name, values in entries.items()}
    return pa.table(
        {
            "ticket_id": ticket_ids.take(pa.array(e["ticket"])),
            "agent_id": agent_ids.take(pa.array(e["agent"])),
            "started_at": timestamps(e["started"]),
            "seconds": pa.array(e["seconds"], pa.int64()),
            "kind": strings(("work", "hold", "after_work"), e["kind"]),
        }
    )
