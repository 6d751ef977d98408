"""Freshdesk: API v2 records (tickets with stats, conversations, satisfaction ratings, agents, groups).

Numeric codes are mapped: status 2 open, 3 pending, 4 resolved, 5 closed (6 "waiting on customer" is
pending, 7 "waiting on third party" on hold); priority 1 low, 2 medium, 3 high, 4 urgent; source 1
email, 2 portal, 3 phone, 7 chat, 9 feedback widget, 10 outbound email (an agent-created ticket) ...
The ticket's description is its first message; conversations are the replies and notes (`incoming`:
from the customer, `private`: an internal note). The API has no status history: a ticket's
`stats.reopened_at` and `stats.resolved_at` give its last reopen and solve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from supportmetrics.sources._engine import Writer, connect, timestamp
from supportmetrics.sources._json import Stream, load_streams
from supportmetrics.sources.base import Conversion, Source
from supportmetrics.store import sql_literal

__all__ = ["CHANNELS", "PRIORITIES", "SOURCE", "STATUSES", "convert"]

TITLE = "Freshdesk"
STATUSES = {2: "open", 3: "pending", 4: "solved", 5: "closed", 6: "pending", 7: "on_hold"}
PRIORITIES = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
CHANNELS = {
    1: "email",
    2: "web",
    3: "phone",
    4: "web",
    5: "social",
    6: "social",
    7: "chat",
    8: "messaging",
    9: "web",
    10: "email",
    12: "chat",
    13: "messaging",
}
"""Ticket `source` code -> channel (1 email, 2 portal, 3 phone, 4 forum, 5 Twitter, 6 Facebook,
7 chat, 8 mobihelp, 9 feedback widget, 10 outbound email, 12 bot, 13 WhatsApp); others are `other`."""
OUTBOUND = 10
SURVEY_FEEDBACK = 6
"""A conversation's `source` for the customer's satisfaction-survey feedback (not a message)."""
RATINGS = {-103: 1, -102: 2, -101: 3, 100: 4, 101: 5, 102: 6, 103: 7}
"""Freshdesk's satisfaction answers (-103 extremely unhappy ... 100 neutral ... 103 extremely happy)
as a 1-7 scale; three-point surveys use -103, 100 and 103."""

_STATS = (
    "STRUCT(first_responded_at VARCHAR, resolved_at VARCHAR, closed_at VARCHAR, "
    "reopened_at VARCHAR)"
)
STREAMS = (
    Stream(
        "tickets",
        "tickets",
        ("tickets",),
        {
            "id": "VARCHAR",
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
            "status": "BIGINT",
            "priority": "BIGINT",
            "source": "BIGINT",
            "type": "VARCHAR",
            "tags": "VARCHAR[]",
            "group_id": "VARCHAR",
            "responder_id": "VARCHAR",
            "requester_id": "VARCHAR",
            "company_id": "VARCHAR",
            "product_id": "VARCHAR",
            "spam": "BOOLEAN",
            "deleted": "BOOLEAN",
            "custom_fields": "JSON",
            "stats": _STATS,
        },
        ("id", "created_at", "status", "source"),
        frozenset({"id", "status", "priority", "source", "requester_id"}),
    ),
    Stream(
        "conversations",
        "conversations",
        ("conversations", "ticket_conversations"),
        {
            "id": "VARCHAR",
            "ticket_id": "VARCHAR",
            "user_id": "VARCHAR",
            "incoming": "BOOLEAN",
            "private": "BOOLEAN",
            "source": "BIGINT",
            "body_text": "VARCHAR",
            "created_at": "VARCHAR",
        },
        ("id", "ticket_id", "incoming", "private", "created_at"),
        frozenset({"ticket_id", "incoming", "private"}),
    ),
    Stream(
        "satisfaction_ratings",
        "satisfaction ratings",
        ("satisfaction_ratings", "surveys_satisfaction_ratings"),
        {
            "id": "VARCHAR",
            "ticket_id": "VARCHAR",
            "user_id": "VARCHAR",
            "agent_id": "VARCHAR",
            "feedback": "VARCHAR",
            "ratings": "JSON",
            "created_at": "VARCHAR",
        },
        ("id", "ratings", "created_at"),
        frozenset({"survey_id", "ratings"}),
    ),
    Stream(
        "agents",
        "agents",
        ("agents",),
        {"id": "VARCHAR", "contact": "STRUCT(name VARCHAR)", "created_at": "VARCHAR"},
        ("id", "contact"),
        frozenset({"id", "contact", "occasional"}),
    ),
    Stream(
        "groups",
        "groups",
        ("groups",),
        {"id": "VARCHAR", "name": "VARCHAR", "agent_ids": "VARCHAR[]"},
        ("id", "name"),
    ),
)
IGNORED = (
    "contacts",
    "companies",
    "roles",
    "skills",
    "products",
    "business_hours",
    "sla_policies",
    "canned_responses",
    "canned_response_folders",
    "discussion_categories",
    "discussion_forums",
    "discussion_topics",
    "discussion_comments",
    "email_configs",
    "email_mailboxes",
    "solution_categories",
    "solution_folders",
    "solution_articles",
    "surveys",
    "ticket_fields",
    "time_entries",
    "settings",
    "_dlt_loads",
    "_dlt_pipeline_state",
    "_dlt_version",
)
"""Streams of Freshdesk's connectors that hold nothing this importer reads: skipped, and listed."""


def _case(expr: str, mapping: Mapping[int, object], default: str = "NULL") -> str:
    cases = " ".join(
        f"WHEN {k} THEN {sql_literal(v) if isinstance(v, str) else v}" for k, v in mapping.items()
    )
    return f"CASE {expr} {cases} ELSE {default} END"


def convert(inputs: Sequence[str], out_dir: Path, timezone: str) -> Conversion:
    """Freshdesk API records -> canonical tables (see the module docstring)."""
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
        if "groups" not in self.kinds:
            self.con.execute(
                "CREATE VIEW src_groups AS SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS name, "
                "NULL::VARCHAR[] AS agent_ids WHERE false"
            )
        if "tickets" in self.kinds:
            self.tickets()
        if "conversations" in self.kinds:
            self.messages()
        if "satisfaction_ratings" in self.kinds:
            self.surveys()
        if "agents" in self.kinds:
            self.write(
                "agents",
                "SELECT a.id AS agent_id, a.contact.name AS name, "
                "(SELECT min(g.name) FROM src_groups g WHERE list_contains(g.agent_ids, a.id)) "
                "AS team FROM src_agents a",
            )
        return self.conversion

    def known(self, alias: str) -> str:
        """A condition keeping rows whose ticket is in the batch or in the store."""
        return self.attached(alias, "tickets" in self.kinds)

    def tickets(self) -> None:
        con = self.con
        con.execute(
            "CREATE TABLE tickets AS SELECT * FROM src_tickets WHERE id IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_at DESC NULLS LAST) = 1"
        )
        self.check_timestamps("tickets", "id", ("created_at",), "Freshdesk ticket")
        self.skipped(
            "SELECT 1 FROM tickets WHERE spam OR deleted",
            "spam or deleted ticket(s)",
            "not requests",
        )
        con.execute("DELETE FROM tickets WHERE spam OR deleted")
        unknown = self.count(f"SELECT 1 FROM tickets WHERE status NOT IN {tuple(STATUSES)}")
        if unknown:
            self.note(
                f"{unknown} ticket(s) with a custom status (code 8 or more) are counted as open"
            )
        fields = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT unnest(json_keys(custom_fields)) FROM tickets ORDER BY 1"
            ).fetchall()
        ]
        custom = "".join(
            f", NULLIF(t.custom_fields->>{sql_literal('$.' + chr(34) + f + chr(34))}, '') AS \"{f}\""
            for f in fields
        )
        status = _case("t.status", STATUSES, "'open'")
        self.write(
            "tickets",
            f"""
            SELECT t.id AS ticket_id, {timestamp("t.created_at")} AS created_at,
                {_case("t.source", CHANNELS, "'other'")} AS channel, {status} AS status,
                {_case("t.priority", PRIORITIES)} AS priority, t.type AS issue_type,
                t.requester_id AS customer_id, t.responder_id AS assignee_id,
                COALESCE(g.name, t.group_id) AS team,
                CASE WHEN t.source = {OUTBOUND} THEN 'agent' ELSE 'customer' END AS created_by,
                CASE WHEN {status} IN ('solved', 'closed')
                    THEN {timestamp("COALESCE(t.stats.resolved_at, t.stats.closed_at)")} END
                    AS solved_at,
                CASE WHEN {status} = 'closed' THEN {timestamp("t.stats.closed_at")} END
                    AS closed_at,
                t.tags, t.company_id, t.product_id{custom}
            FROM tickets t LEFT JOIN src_groups g ON g.id = t.group_id
            """,
        )
        self.write("ticket_events", self.reopens(status))
        outbound = self.con.execute(
            f"SELECT count(*), count(*) FILTER (t.stats.resolved_at = t.created_at) FROM tickets t "
            f"WHERE t.source = {OUTBOUND}"
        ).fetchone()
        if outbound and outbound[0]:
            self.note(
                f"{outbound[0]} outbound ticket(s) (source {OUTBOUND}: sent by an agent) count as "
                f"agent-created tickets; {outbound[1]} of them were resolved when "
                "sent (resolved_at = created_at)"
            )

    def reopens(self, status: str) -> str:
        """Status events from `stats`: the last reopen, and the solve after it."""
        reopened = timestamp("t.stats.reopened_at")
        resolved = timestamp("COALESCE(t.stats.resolved_at, t.stats.closed_at)")
        return f"""
            SELECT t.id || '-reopened' AS event_id, t.id AS ticket_id, {reopened} AS at,
                'status' AS type, 'solved' AS from_value, 'open' AS to_value
            FROM tickets t WHERE {reopened} IS NOT NULL
            UNION ALL
            SELECT t.id || '-resolved', t.id, {resolved}, 'status', 'open', {status}
            FROM tickets t
            WHERE {reopened} IS NOT NULL AND {resolved} > {reopened}
                AND {status} IN ('solved', 'closed')
        """

    def messages(self) -> None:
        self.con.execute(
            "CREATE VIEW conversations AS SELECT * FROM src_conversations "
            f"WHERE source IS DISTINCT FROM {SURVEY_FEEDBACK}"
        )
        feedback = self.count(
            f"SELECT 1 FROM src_conversations c WHERE c.source = {SURVEY_FEEDBACK} "
            f"AND {self.known('c')}"
        )
        if feedback:
            self.note(
                f"{feedback} survey feedback conversation(s) (source {SURVEY_FEEDBACK}) are their "
                "satisfaction rating's comment, not messages"
            )
        self.detached("SELECT * FROM conversations", "c", "conversations", "tickets" in self.kinds)
        description = (
            f"""
            SELECT t.id || '-description' AS message_id, t.id AS ticket_id,
                {timestamp("t.created_at")} AS created_at,
                CASE WHEN t.source = {OUTBOUND} THEN 'agent' ELSE 'customer' END AS author_type,
                CASE WHEN t.source = {OUTBOUND} THEN t.responder_id ELSE t.requester_id END
                    AS author_id,
                true AS public, false AS automated
            FROM tickets t UNION ALL
            """
            if "tickets" in self.kinds
            else ""
        )
        self.write(
            "messages",
            f"""
            {description}
            SELECT c.id, c.ticket_id, {timestamp("c.created_at")},
                CASE WHEN c.incoming THEN 'customer' ELSE 'agent' END, c.user_id,
                NOT COALESCE(c.private, false), false
            FROM conversations c WHERE {self.known("c")}
            """,
        )

    def surveys(self) -> None:
        answer = "TRY_CAST(r.ratings->>'$.default_question' AS BIGINT)"
        feedback = (
            f"""LEFT JOIN (SELECT r.id, f.body_text FROM src_satisfaction_ratings r
                JOIN src_conversations f ON f.ticket_id = r.ticket_id AND f.source = {SURVEY_FEEDBACK}
                QUALIFY row_number() OVER (PARTITION BY r.id ORDER BY abs(
                    epoch(TRY_CAST(f.created_at AS TIMESTAMPTZ))
                    - epoch(TRY_CAST(r.created_at AS TIMESTAMPTZ))), f.id) = 1
            ) f ON f.id = r.id"""
            if "conversations" in self.kinds
            else "LEFT JOIN (SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS body_text) f ON false"
        )
        self.write(
            "surveys",
            f"""
            SELECT r.id AS response_id, 'csat' AS survey, {_case(answer, RATINGS)} AS score,
                1 AS scale_min, 7 AS scale_max, {timestamp("r.created_at")} AS submitted_at,
                r.ticket_id, r.user_id AS customer_id, r.agent_id,
                COALESCE(NULLIF(trim(r.feedback), ''), NULLIF(trim(f.body_text), '')) AS comment
            FROM src_satisfaction_ratings r {feedback}
            WHERE {_case(answer, RATINGS)} IS NOT NULL AND {self.known("r")}
            """,
        )


SOURCE = Source(
    name="freshdesk",
    title="Freshdesk",
    reads="API v2 records as JSON or JSON Lines: tickets (with include=stats), conversations, "
    "satisfaction_ratings, agents, groups",
    how_to_export="Page through /api/v2/tickets?include=stats&updated_since=..., "
    "/api/v2/tickets/{id}/conversations, /api/v2/surveys/satisfaction_ratings, /api/v2/agents and "
    "/api/v2/groups saving each response, or land the streams with Airbyte or a Singer tap.",
    convert=convert,
)
