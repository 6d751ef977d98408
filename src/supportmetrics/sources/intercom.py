"""Intercom: conversations as the REST API returns them (with their conversation parts), admins and
teams.

A conversation is a ticket: its `source` is the first message, its `conversation_parts` the rest.
Comments and notes (and open, close, snooze or assignment parts that carry a message) become messages,
by the author's type: user, lead and contact are the customer, admin and team the agent, bot a bot.
Open, close, snooze and unsnooze parts are the status history (closed = solved, snoozed = on hold);
assignment parts change the assignee (to an admin) or the team. `conversation_rating` is a CSAT answer
on Intercom's 1-5 scale. Timestamps are Unix seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from supportmetrics.sources._engine import Writer, connect, timestamp
from supportmetrics.sources._json import Stream, load_streams
from supportmetrics.sources.base import Conversion, Source
from supportmetrics.store import sql_literal

__all__ = ["CHANNELS", "SOURCE", "convert"]

TITLE = "Intercom"
_REF = "STRUCT(type VARCHAR, id VARCHAR)"
_PART = (
    f"STRUCT(id VARCHAR, part_type VARCHAR, body VARCHAR, created_at VARCHAR, author {_REF}, "
    f"assigned_to {_REF})"
)
STREAMS = (
    Stream(
        "conversations",
        "conversations",
        ("conversations",),
        {
            "id": "VARCHAR",
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
            "state": "VARCHAR",
            "open": "BOOLEAN",
            "priority": "VARCHAR",
            "admin_assignee_id": "VARCHAR",
            "team_assignee_id": "VARCHAR",
            "tags": "STRUCT(tags STRUCT(name VARCHAR)[])",
            "source": f"STRUCT(type VARCHAR, id VARCHAR, delivered_as VARCHAR, author {_REF})",
            "contacts": "STRUCT(contacts STRUCT(id VARCHAR)[])",
            "conversation_rating": f"STRUCT(rating DOUBLE, remark VARCHAR, created_at VARCHAR, "
            f"contact {_REF}, teammate {_REF})",
            "conversation_parts": f"STRUCT(conversation_parts {_PART}[])",
        },
        ("id", "created_at", "source"),
        frozenset({"id", "source", "conversation_parts"}),
    ),
    Stream(
        "conversation_parts",
        "conversation parts",
        ("conversation_parts",),
        {
            "id": "VARCHAR",
            "conversation_id": "VARCHAR",
            "part_type": "VARCHAR",
            "body": "VARCHAR",
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
            "author": _REF,
            "assigned_to": _REF,
        },
        ("id", "conversation_id", "part_type"),
        frozenset({"conversation_id", "part_type"}),
    ),
    Stream(
        "admins",
        "admins",
        ("admins",),
        {"id": "VARCHAR", "name": "VARCHAR", "type": "VARCHAR", "team_ids": "VARCHAR[]"},
        ("id", "name"),
        frozenset({"id", "name", "email", "away_mode_enabled"}),
    ),
    Stream(
        "teams",
        "teams",
        ("teams",),
        {"id": "VARCHAR", "name": "VARCHAR", "admin_ids": "VARCHAR[]"},
        ("id", "name"),
        frozenset({"id", "name", "admin_ids"}),
    ),
)

CHANNELS = {
    "chat": ("conversation", "chat"),
    "email": ("email",),
    "social": ("facebook", "twitter", "instagram"),
    "messaging": ("whatsapp", "push"),
    "sms": ("sms",),
    "phone": ("phone_call", "phone_switch"),
}
"""Canonical channel -> the `source.type` values it takes (others are `other`)."""
STATUS_PARTS = {
    "close": "solved",
    "open": "open",
    "assign_and_reopen": "open",
    "snoozed": "on_hold",
    "unsnoozed": "open",
    "timer_unsnooze": "open",
    "assign_and_unsnooze": "open",
}
ASSIGN_PARTS: tuple[str, ...] = ("assignment", "default_assignment", "away_mode_assignment")
ASSIGN_PARTS += ("assign_and_reopen", "assign_and_unsnooze")
MESSAGE_PARTS = ("comment", "note")
CUSTOMERS = ("user", "lead", "contact")
IGNORED = (
    "contacts",
    "companies",
    "company_attributes",
    "company_segments",
    "contact_attributes",
    "data_attributes",
    "segments",
    "tags",
    "activity_logs",
    "help_center_articles",
    "articles",
    "collections",
    "tickets",
    "_dlt_loads",
    "_dlt_pipeline_state",
    "_dlt_version",
)
"""Streams of Intercom's connectors that hold nothing this importer reads: skipped, and listed."""


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def _time(expr: str) -> str:
    """Unix seconds (Intercom's API) or ISO 8601 text (some loaders convert) as an instant."""
    return (
        f"CASE WHEN regexp_matches({expr}, '^\\d+(\\.\\d+)?$') "
        f"THEN to_timestamp(CAST({expr} AS DOUBLE)) ELSE {timestamp(expr)} END"
    )


def _author(ref: str) -> str:
    return (
        f"CASE WHEN {ref}.type IN {_in(CUSTOMERS)} THEN 'customer' WHEN {ref}.type = 'bot' "
        f"THEN 'bot' WHEN {ref}.type IN ('admin', 'team') THEN 'agent' ELSE 'system' END"
    )


def convert(inputs: Sequence[str], out_dir: Path, timezone: str) -> Conversion:
    """Intercom API records -> canonical tables (see the module docstring)."""
    with connect(timezone) as con:
        found = load_streams(con, inputs, STREAMS, TITLE, IGNORED)
        conversion = _Converter(con, set(found), out_dir).run()
        conversion.notes[:0] = found.notes()
        return conversion


class _Converter(Writer):
    def __init__(self, con: duckdb.DuckDBPyConnection, kinds: set[str], out_dir: Path) -> None:
        super().__init__(con, out_dir)
        self.kinds = kinds

    def run(self) -> Conversion:
        if "teams" not in self.kinds:
            self.con.execute(
                "CREATE VIEW src_teams AS SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS name, "
                "NULL::VARCHAR[] AS admin_ids WHERE false"
            )
        if "conversations" in self.kinds:
            self.con.execute(
                "CREATE TABLE conversations AS SELECT * FROM src_conversations "
                "WHERE id IS NOT NULL QUALIFY row_number() OVER "
                "(PARTITION BY id ORDER BY updated_at DESC NULLS LAST) = 1"
            )
            self.parts()
            self.tickets()
            self.messages()
            self.events()
            self.surveys()
        if "admins" in self.kinds:
            self.write(
                "agents",
                "SELECT a.id AS agent_id, a.name, (SELECT min(t.name) FROM src_teams t "
                "WHERE list_contains(t.admin_ids, a.id) OR list_contains(a.team_ids, t.id)) AS team "
                "FROM src_admins a WHERE COALESCE(a.type, 'admin') = 'admin'",
            )
        return self.conversion

    def parts(self) -> None:
        """View `parts` (ticket_id, p): parts nested in the conversations (the REST API) and the
        separate `conversation_parts` stream (Airbyte), each part once."""
        nested = (
            "SELECT id AS ticket_id, unnest(conversation_parts.conversation_parts) AS p "
            "FROM conversations"
        )
        fields = "id, part_type, body, created_at, author, assigned_to"
        streamed = (
            f" UNION ALL SELECT conversation_id, struct_pack({fields}) FROM src_conversation_parts "
            "WHERE conversation_id IN (SELECT id FROM conversations)"
            if "conversation_parts" in self.kinds
            else ""
        )
        self.con.execute(
            f"CREATE VIEW parts AS SELECT * FROM ({nested}{streamed}) "
            "QUALIFY row_number() OVER (PARTITION BY ticket_id, p.id) = 1"
        )
        if "conversation_parts" in self.kinds:
            self.skipped(
                "SELECT 1 FROM src_conversation_parts WHERE conversation_id NOT IN "
                "(SELECT id FROM conversations)",
                "conversation parts",
                "their conversation is not among the imported conversations (they are kept and "
                "attach when it is imported)",
            )
        if not self.count("SELECT 1 FROM parts"):
            self.note(
                "no conversation parts: replies, first response and resolution cannot be computed "
                "(each conversation has only its first message); give the conversation_parts "
                "stream, or conversations as GET /conversations/{id} returns them"
            )

    def tickets(self) -> None:
        channel = " ".join(
            f"WHEN c.source.type IN {_in(v)} THEN {sql_literal(k)}" for k, v in CHANNELS.items()
        )
        self.write(
            "tickets",
            f"""
            SELECT c.id AS ticket_id, {_time("c.created_at")} AS created_at,
                CASE {channel} ELSE 'other' END AS channel,
                CASE COALESCE(c.state, CASE WHEN c.open THEN 'open' ELSE 'closed' END)
                    WHEN 'open' THEN 'open' WHEN 'snoozed' THEN 'on_hold'
                    WHEN 'closed' THEN 'solved' END AS status,
                CASE c.priority WHEN 'priority' THEN 'high' WHEN 'not_priority' THEN 'normal' END
                    AS priority,
                CASE WHEN c.source.author.type IN {_in(CUSTOMERS)} THEN c.source.author.id
                    ELSE c.contacts.contacts[1].id END AS customer_id,
                NULLIF(c.admin_assignee_id, '0') AS assignee_id,
                COALESCE(t.name, NULLIF(c.team_assignee_id, '0')) AS team,
                CASE c.source.delivered_as WHEN 'admin_initiated' THEN 'agent'
                    WHEN 'customer_initiated' THEN 'customer'
                    WHEN 'automated' THEN 'system' WHEN 'campaigns_initiated' THEN 'system'
                    WHEN 'operator_initiated' THEN 'system' ELSE 'customer' END AS created_by,
                list_transform(c.tags.tags, lambda x: x.name) AS tags
            FROM conversations c LEFT JOIN src_teams t ON t.id = c.team_assignee_id
            """,
        )

    def messages(self) -> None:
        self.write(
            "messages",
            f"""
            SELECT 'source-' || COALESCE(c.source.id, c.id) AS message_id, c.id AS ticket_id,
                {_time("c.created_at")} AS created_at, {_author("c.source.author")} AS author_type,
                c.source.author.id AS author_id, true AS public,
                c.source.delivered_as IN ('automated', 'campaigns_initiated') AS automated
            FROM conversations c
            UNION ALL
            SELECT p.id, ticket_id, {_time("p.created_at")}, {_author("p.author")}, p.author.id,
                p.part_type <> 'note', false
            FROM parts
            WHERE p.part_type IN {_in(MESSAGE_PARTS)}
                OR (p.part_type IN {_in([*STATUS_PARTS, *ASSIGN_PARTS])}
                    AND NULLIF(trim(p.body), '') IS NOT NULL)
            """,
        )

    def events(self) -> None:
        status = " ".join(
            f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in STATUS_PARTS.items()
        )
        self.con.execute(
            f"""
            CREATE VIEW changes AS
            SELECT p.id || '-status' AS event_id, ticket_id, {_time("p.created_at")} AS at,
                'status' AS type, CASE p.part_type {status} END AS to_value,
                p.author.id AS actor_id, p.id AS part_id
            FROM parts WHERE p.part_type IN {_in(list(STATUS_PARTS))}
            UNION ALL
            SELECT p.id || '-' || p.assigned_to.type, ticket_id, {_time("p.created_at")},
                CASE p.assigned_to.type WHEN 'team' THEN 'team' ELSE 'assignee' END,
                CASE WHEN p.assigned_to.type = 'team' THEN COALESCE(t.name, p.assigned_to.id)
                    ELSE NULLIF(p.assigned_to.id, '0') END,
                p.author.id, p.id
            FROM parts LEFT JOIN src_teams t ON t.id = p.assigned_to.id
            WHERE p.part_type IN {_in(ASSIGN_PARTS)} AND p.assigned_to.type IS NOT NULL
            """
        )
        self.write(
            "ticket_events",
            """
            SELECT c.event_id, c.ticket_id, c."at", c."type",
                lag(c.to_value, 1, CASE WHEN c."type" = 'status' THEN 'open' END)
                    OVER (PARTITION BY c.ticket_id, c."type" ORDER BY c."at", c.part_id)
                    AS from_value,
                c.to_value, c.actor_id
            FROM changes c
            """,
        )

    def surveys(self) -> None:
        rating = "c.conversation_rating"
        self.write(
            "surveys",
            f"""
            SELECT c.id || '-rating' AS response_id, 'csat' AS survey, {rating}.rating AS score,
                1 AS scale_min, 5 AS scale_max, {_time(f"{rating}.created_at")} AS submitted_at,
                c.id AS ticket_id, {rating}.contact.id AS customer_id,
                {rating}.teammate.id AS agent_id, {rating}.remark AS comment
            FROM conversations c WHERE {rating}.rating IS NOT NULL
            """,
        )


SOURCE = Source(
    name="intercom",
    title="Intercom",
    reads="REST API records as JSON or JSON Lines: conversations as GET /conversations/{id} "
    "returns them (with conversation_parts and conversation_rating), or conversations and "
    "Airbyte's separate conversation_parts stream (keyed by conversation_id), admins, teams",
    how_to_export="List ids with POST /conversations/search (or GET /conversations), save each "
    "GET /conversations/{id} response one per line, plus GET /admins and GET /teams; or land the "
    "conversations stream with Airbyte or a Singer tap.",
    convert=convert,
)
