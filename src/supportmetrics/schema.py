"""The canonical data model (docs/data-model.md) declared once, as data.

Validation, ingest, the store's DDL, the docs and the API all read these declarations; nothing else
lists tables or columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "SURVEY_SCALES",
    "TABLES",
    "Column",
    "Kind",
    "Order",
    "Reference",
    "Table",
    "table",
]


class Kind(StrEnum):
    """The logical type of a column; each maps to one store type."""

    ID = "id"
    TIMESTAMP = "timestamp"
    ENUM = "enum"
    TEXT = "text"
    BOOL = "bool"
    INTEGER = "integer"
    NUMBER = "number"
    TAGS = "tags"

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self]


_SQL_TYPES = {
    Kind.ID: "VARCHAR",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.ENUM: "VARCHAR",
    Kind.TEXT: "VARCHAR",
    Kind.BOOL: "BOOLEAN",
    Kind.INTEGER: "BIGINT",
    Kind.NUMBER: "DOUBLE",
    Kind.TAGS: "VARCHAR[]",
}


@dataclass(frozen=True)
class Column:
    """One canonical column: its kind and the rules its values obey."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    values: tuple[str, ...] = ()
    default: str | bool | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if (self.kind is Kind.ENUM) != bool(self.values):
            raise ValueError(f"{self.name}: enum columns and only they list values")


@dataclass(frozen=True)
class Order:
    """A rule that one timestamp is not before another in the same row."""

    earlier: str
    later: str


@dataclass(frozen=True)
class Reference:
    """A column whose value must name a row of another table (in the batch or the store)."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class Table:
    """One canonical table: its key, columns and row-level rules."""

    name: str
    description: str
    key: str
    columns: tuple[Column, ...]
    orders: tuple[Order, ...] = ()
    references: tuple[Reference, ...] = ()
    required_when: tuple[tuple[str, str, str], ...] = ()
    """(column, condition column, condition value): column is required when the condition holds."""
    time_column: str = ""
    """The timestamp that places a row in time (for `tables` and periods)."""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})
        if self.key not in self.by_name:
            raise ValueError(f"{self.name}: key {self.key} is not a column")

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _id(name: str, description: str = "", required: bool = False) -> Column:
    return Column(name, Kind.ID, description, required=required)


def _ts(name: str, description: str = "", required: bool = False) -> Column:
    return Column(name, Kind.TIMESTAMP, description, required=required)


def _enum(name: str, values: str, description: str = "", **kw: object) -> Column:
    return Column(name, Kind.ENUM, description, values=tuple(values.split()), **kw)  # type: ignore[arg-type]


def _text(name: str, description: str = "") -> Column:
    return Column(name, Kind.TEXT, description)


def _bool(name: str, description: str = "", default: bool | None = None) -> Column:
    return Column(name, Kind.BOOL, description, default=default)


def _seconds(name: str, description: str = "", required: bool = False) -> Column:
    return Column(name, Kind.NUMBER, description, required=required, minimum=0)


CHANNELS = "email chat phone social web messaging sms other"

SURVEY_SCALES: dict[str, tuple[float, float]] = {
    "csat": (1, 5),
    "nps": (0, 10),
    "ces": (1, 7),
    "esat": (1, 5),
    "enps": (0, 10),
}
"""Default (scale_min, scale_max) of the standard surveys; a custom survey gives its own."""

_TABLE_LIST = (
    Table(
        "tickets",
        "One row per customer request (ticket, conversation, case, thread).",
        key="ticket_id",
        time_column="created_at",
        columns=(
            _id("ticket_id", "unique", required=True),
            _ts("created_at", "when the request arrived", required=True),
            _enum("channel", CHANNELS, "where it came in", required=True),
            _enum("status", "new open pending on_hold solved closed", "current status"),
            _enum("priority", "low normal high urgent", "current priority"),
            _text("issue_type", "category (billing, technical, ...)"),
            _id("customer_id", "who asked; joins customers"),
            _id("assignee_id", "current agent; joins agents"),
            _text("team", "group / department / queue"),
            _enum(
                "created_by",
                "customer agent system",
                "agent-created = outbound",
                default="customer",
            ),
            _ts("solved_at", "latest solve (when no status history exists)"),
            _ts("closed_at"),
            Column("tags", Kind.TAGS, "list of text (';'-separated in CSV)"),
            Column(
                "request_quality",
                Kind.INTEGER,
                "relevance/intent rating: 1 = spam ... 5 = high-intent lead",
                minimum=1,
                maximum=5,
            ),
            Column("sentiment", Kind.NUMBER, "from the source, -1...1", minimum=-1, maximum=1),
        ),
        orders=(Order("created_at", "solved_at"), Order("created_at", "closed_at")),
    ),
    Table(
        "messages",
        "Every message on a ticket.",
        key="message_id",
        time_column="created_at",
        columns=(
            _id("message_id", "unique", required=True),
            _id("ticket_id", required=True),
            _ts("created_at", required=True),
            _enum("author_type", "customer agent bot system", required=True),
            _id("author_id", "agent id for agent messages"),
            _bool("public", "false = internal note", default=True),
            _bool("automated", "auto-reply, macro-triggered automation, campaign", default=False),
        ),
        references=(Reference("ticket_id", "tickets", "ticket_id"),),
    ),
    Table(
        "ticket_events",
        "History of a ticket: status, assignment, team, priority, merges.",
        key="event_id",
        time_column="at",
        columns=(
            _id("event_id", "unique", required=True),
            _id("ticket_id", required=True),
            _ts("at", required=True),
            _enum("type", "status assignee team priority merge", "what changed", required=True),
            _text("from_value", "e.g. solved"),
            _text("to_value", "e.g. open (a reopen)"),
            _id("actor_id", "who changed it"),
        ),
        references=(Reference("ticket_id", "tickets", "ticket_id"),),
    ),
    Table(
        "time_entries",
        "Agent working time on tickets (handle time outside calls).",
        key="entry_id",
        time_column="started_at",
        columns=(
            _id("entry_id", required=True),
            _id("ticket_id", required=True),
            _id("agent_id", required=True),
            _ts("started_at", required=True),
            _seconds("seconds", required=True),
            _enum("kind", "work hold after_work", default="work"),
        ),
        references=(Reference("ticket_id", "tickets", "ticket_id"),),
    ),
    Table(
        "calls",
        "One row per call offered to a queue (inbound) or placed (outbound).",
        key="call_id",
        time_column="queued_at",
        columns=(
            _id("call_id", "unique", required=True),
            _ts("queued_at", "entered the queue (offered)", required=True),
            _enum(
                "outcome",
                "answered abandoned timeout callback voicemail self_service",
                "answered = reached an agent; self_service = resolved in the IVR",
                required=True,
            ),
            _ts("answered_at", "required when answered"),
            _ts("ended_at"),
            _enum("direction", "inbound outbound", default="inbound"),
            _text("queue"),
            _id("agent_id"),
            _seconds("talk_seconds"),
            _seconds("hold_seconds"),
            _seconds("after_call_seconds", "wrap-up / after-contact work"),
            _bool("transferred"),
            _id("customer_id"),
            _id("ticket_id"),
        ),
        orders=(
            Order("queued_at", "answered_at"),
            Order("queued_at", "ended_at"),
            Order("answered_at", "ended_at"),
        ),
        required_when=(("answered_at", "outcome", "answered"),),
    ),
    Table(
        "survey_invitations",
        "Surveys sent (for response rate).",
        key="invitation_id",
        time_column="sent_at",
        columns=(
            _id("invitation_id", required=True),
            Column("survey", Kind.TEXT, "as in surveys", required=True),
            _ts("sent_at", required=True),
            _id("ticket_id"),
            _id("customer_id"),
        ),
    ),
    Table(
        "surveys",
        "Survey responses: CSAT, NPS, CES, employee satisfaction, custom.",
        key="response_id",
        time_column="submitted_at",
        columns=(
            _id("response_id", "unique", required=True),
            Column(
                "survey",
                Kind.TEXT,
                "csat, nps, ces, esat, enps, or a custom name",
                required=True,
            ),
            Column("score", Kind.NUMBER, "inside the scale", required=True),
            Column("scale_min", Kind.NUMBER, "default: the survey's (csat 1, nps 0, ces 1 ...)"),
            Column("scale_max", Kind.NUMBER, "default: the survey's (csat 5, nps 10, ces 7 ...)"),
            _ts("submitted_at", required=True),
            _id("ticket_id"),
            _id("customer_id"),
            _id("agent_id", "the rated agent, or the respondent for esat/enps"),
            _enum("channel", CHANNELS),
            _text("comment"),
            _id("invitation_id", "the invitation this answers; joins survey_invitations"),
        ),
        references=(Reference("invitation_id", "survey_invitations", "invitation_id"),),
    ),
    Table(
        "customers",
        "Customers, with any custom attribute columns.",
        key="customer_id",
        time_column="signup_at",
        columns=(
            _id("customer_id", required=True),
            _id("account_id"),
            _text("tier", "free, pro, enterprise ..."),
            _text("region"),
            _ts("signup_at"),
        ),
    ),
    Table(
        "subscriptions",
        "Recurring revenue: churn, retention, MRR.",
        key="subscription_id",
        time_column="started_at",
        columns=(
            _id("subscription_id", required=True),
            _id("customer_id", required=True),
            _ts("started_at", required=True),
            _ts("ended_at"),
            Column("mrr", Kind.NUMBER, "monthly amount", required=True, minimum=0),
            _text("plan"),
            _text("currency"),
        ),
        orders=(Order("started_at", "ended_at"),),
    ),
    Table(
        "orders",
        "Purchases: repurchase, upsell, cross-sell.",
        key="order_id",
        time_column="ordered_at",
        columns=(
            _id("order_id", required=True),
            _id("customer_id", required=True),
            _ts("ordered_at", required=True),
            Column("amount", Kind.NUMBER, "order value", required=True),
            _enum("kind", "new repeat upsell cross_sell renewal", default="new"),
            _id("ticket_id", "set when a support interaction produced the sale"),
            _id("agent_id", "set when a support interaction produced the sale"),
        ),
    ),
    Table(
        "self_service",
        "Knowledge base, bot and IVR self-service activity.",
        key="event_id",
        time_column="at",
        columns=(
            _id("event_id", required=True),
            _ts("at", required=True),
            _enum(
                "type",
                "search article_view article_vote bot_session ivr_session",
                required=True,
            ),
            _id("session_id"),
            _id("customer_id"),
            _text("query"),
            Column("results_count", Kind.INTEGER, "search results shown", minimum=0),
            _id("article_id"),
            _bool("helpful"),
            _bool("resolved", "the session ended without asking for a person"),
        ),
    ),
    Table(
        "demos",
        "Product demos held by support.",
        key="demo_id",
        time_column="held_at",
        columns=(
            _id("demo_id", required=True),
            _ts("held_at", required=True),
            _id("agent_id"),
            _id("lead_id"),
            _ts("registered_at", "when the lead signed up; empty = not yet"),
        ),
    ),
    Table(
        "reviews",
        "Public reviews (G2, Capterra, app stores ...).",
        key="review_id",
        time_column="posted_at",
        columns=(
            _id("review_id", required=True),
            _ts("posted_at", required=True),
            _text("platform"),
            Column("rating", Kind.NUMBER, "between 0 and scale_max", required=True, minimum=0),
            Column("scale_max", Kind.NUMBER, "default 5", default="5", minimum=1),
            _id("customer_id"),
            _bool("requested", "support asked for it"),
            _id("agent_id"),
        ),
    ),
    Table(
        "agents",
        "Agents, with any custom attribute columns.",
        key="agent_id",
        time_column="hired_at",
        columns=(
            _id("agent_id", required=True),
            _text("name"),
            _text("team"),
            _ts("hired_at"),
            _ts("left_at"),
        ),
        orders=(Order("hired_at", "left_at"),),
    ),
    Table(
        "agent_availability",
        "When agents were logged in to take contacts (phone queue logins, pauses): the denominator "
        "of occupancy.",
        key="availability_id",
        time_column="started_at",
        columns=(
            _id("availability_id", required=True),
            _id("agent_id", required=True),
            _ts("started_at", required=True),
            _ts("ended_at", "empty = still logged in"),
            _enum(
                "state",
                "available paused",
                "paused = logged in but on a break",
                default="available",
            ),
            _text("queue"),
        ),
        orders=(Order("started_at", "ended_at"),),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in _TABLE_LIST}
"""Every canonical table by name, in load order (referenced tables first)."""


def table(name: str) -> Table:
    """The canonical table called `name`; a KeyError names the valid ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the tables are: {', '.join(TABLES)}") from None
