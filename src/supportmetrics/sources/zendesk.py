"""Zendesk Support: API records (tickets, audits, comments, users, groups, organizations, satisfaction
ratings, ticket metrics) as the list and incremental-export endpoints return them, and as Airbyte or Singer land them.

Audits give the status, assignee, group and priority history and every comment with its public flag
and author; users' roles tell customers from agents; answer-bot comments are bot messages and comments
added by triggers and automations (via `rule`) are automated. `ticket_metrics` is kept aside for the
reconciliation (see `zendesk_reconcile`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from supportmetrics.sources._engine import Writer, connect, timestamp
from supportmetrics.sources._json import Stream, load_streams
from supportmetrics.sources.base import Conversion, Source
from supportmetrics.sources.zendesk_reconcile import METRICS_FILE, reconcile
from supportmetrics.sources.zendesk_schedules import read_schedules
from supportmetrics.store import quote, sql_literal

__all__ = ["CHANNELS", "SOURCE", "convert"]

TITLE = "Zendesk"
_ID = "VARCHAR"
_MINUTES = "STRUCT(calendar DOUBLE, business DOUBLE)"
STREAMS = (
    Stream(
        "tickets",
        "tickets",
        ("tickets",),
        {
            "id": _ID,
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
            "via": "JSON",
            "status": "VARCHAR",
            "priority": "VARCHAR",
            "type": "VARCHAR",
            "tags": "VARCHAR[]",
            "group_id": _ID,
            "assignee_id": _ID,
            "requester_id": _ID,
            "submitter_id": _ID,
            "organization_id": _ID,
            "brand_id": _ID,
            "custom_fields": "STRUCT(id VARCHAR, value JSON)[]",
        },
        ("id", "created_at", "status", "via"),
        frozenset({"id", "via", "status", "requester_id"}),
    ),
    Stream(
        "ticket_audits",
        "ticket audits",
        ("ticket_audits", "audits"),
        {
            "id": _ID,
            "ticket_id": _ID,
            "created_at": "VARCHAR",
            "author_id": _ID,
            "via": "JSON",
            "events": "STRUCT(id VARCHAR, type VARCHAR, field_name VARCHAR, value JSON, "
            "previous_value JSON, public BOOLEAN, author_id VARCHAR, via JSON)[]",
        },
        ("id", "ticket_id", "created_at", "events"),
        frozenset({"ticket_id", "events"}),
    ),
    Stream(
        "ticket_comments",
        "ticket comments",
        ("ticket_comments", "comments"),
        {
            "id": _ID,
            "ticket_id": _ID,
            "created_at": "VARCHAR",
            "author_id": _ID,
            "public": "BOOLEAN",
            "via": "JSON",
        },
        ("id", "ticket_id", "created_at", "author_id"),
        frozenset({"author_id", "public", "body", "ticket_id"}),
    ),
    Stream(
        "users",
        "users",
        ("users",),
        {
            "id": _ID,
            "name": "VARCHAR",
            "role": "VARCHAR",
            "default_group_id": _ID,
            "organization_id": _ID,
            "created_at": "VARCHAR",
        },
        ("id", "role"),
        frozenset({"id", "role", "email"}),
    ),
    Stream("groups", "groups", ("groups",), {"id": _ID, "name": "VARCHAR"}, ("id", "name")),
    Stream(
        "organizations",
        "organizations",
        ("organizations",),
        {"id": _ID, "name": "VARCHAR"},
        ("id", "name"),
    ),
    Stream(
        "satisfaction_ratings",
        "satisfaction ratings",
        ("satisfaction_ratings",),
        {
            "id": _ID,
            "ticket_id": _ID,
            "score": "VARCHAR",
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
            "requester_id": _ID,
            "assignee_id": _ID,
            "comment": "VARCHAR",
        },
        ("id", "score", "created_at"),
        frozenset({"score", "ticket_id", "requester_id"}),
    ),
    Stream(
        "ticket_metrics",
        "ticket metrics",
        ("ticket_metrics",),
        {
            "ticket_id": _ID,
            "solved_at": "VARCHAR",
            "reply_time_in_minutes": _MINUTES,
            "full_resolution_time_in_minutes": _MINUTES,
        },
        ("ticket_id", "reply_time_in_minutes"),
        frozenset({"ticket_id", "reply_time_in_minutes"}),
        key=("ticket_id",),
    ),
)
IGNORED = (
    "brands",
    "macros",
    "ticket_fields",
    "ticket_forms",
    "ticket_metric_events",
    "ticket_activities",
    "ticket_skips",
    "tags",
    "views",
    "triggers",
    "automations",
    "sla_policies",
    "custom_roles",
    "user_fields",
    "organization_fields",
    "organization_memberships",
    "group_memberships",
    "satisfaction_reasons",
    "deleted_tickets",
    "account_attributes",
    "attribute_definitions",
    "audit_logs",
    "articles",
    "article_comments",
    "article_votes",
    "article_comment_votes",
    "posts",
    "post_comments",
    "post_votes",
    "post_comment_votes",
    "topics",
    "categories",
    "sections",
    "schedules",
    "holidays",
    "ticket_merges",
    "_dlt_loads",
    "_dlt_pipeline_state",
    "_dlt_version",
)
"""Streams of Zendesk's connectors that hold nothing this importer reads: skipped, and listed."""

CHANNELS = {
    "email": ("email", "mail"),
    "web": ("web", "web_form", "web_widget", "help_center", "mobile", "feedback_tab"),
    "chat": ("chat", "chat_transcript"),
    "phone": ("voice", "phone"),
    "sms": ("sms",),
    "social": ("twitter", "twitter_dm", "facebook", "facebook_post", "instagram_dm", "x_corp"),
    "messaging": (
        "native_messaging",
        "mobile_sdk",
        "whatsapp",
        "messenger",
        "facebook_message",
        "line",
        "wechat",
        "telegram",
        "viber",
        "apple_business_chat",
        "google_rcs",
        "sunshine_conversations_api",
    ),
}
"""Canonical channel -> the `via.channel` values it takes; any other value is `other`."""
BOT_CHANNELS: tuple[str, ...] = (
    "answer_bot",
    "answer_bot_for_agents",
    "answer_bot_for_sdk",
    "answer_bot_for_slack",
)
BOT_CHANNELS += ("answer_bot_for_web_widget", "answer_bot_api", "ai_agent")
STATUSES = ("new", "open", "pending", "solved", "closed")
FIELDS = {"status": "status", "assignee_id": "assignee", "group_id": "team", "priority": "priority"}


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def _channel(expr: str) -> str:
    cases = " ".join(
        f"WHEN lower({expr}) IN {_in(v)} THEN {sql_literal(k)}" for k, v in CHANNELS.items()
    )
    return f"CASE {cases} ELSE 'other' END"


def _status(expr: str) -> str:
    return (
        f"CASE WHEN {expr} = 'hold' THEN 'on_hold' WHEN {expr} IN {_in(STATUSES)} THEN {expr} END"
    )


def _json_text(expr: str) -> str:
    """A JSON value as text: lists joined with ';', null as NULL."""
    return (
        f"CASE json_type({expr}) WHEN 'NULL' THEN NULL "
        f"WHEN 'ARRAY' THEN NULLIF(array_to_string(from_json({expr}, '[\"VARCHAR\"]'), ';'), '') "
        f"ELSE NULLIF({expr}->>'$', '') END"
    )


def convert(inputs: Sequence[str], out_dir: Path, timezone: str) -> Conversion:
    """Zendesk API records -> canonical tables (see the module docstring)."""
    with connect(timezone) as con:
        found = load_streams(con, inputs, STREAMS, TITLE, IGNORED)
        schedules = [found.skipped.pop(n) for n in ("schedules", "holidays") if n in found.skipped]
        conversion = _Converter(con, set(found), out_dir).run()
        conversion.notes[:0] = found.notes()
        if schedules:
            conversion.notes.append(
                "business-hours schedules found: they are settings, not data; the import adds "
                "them to supportmetrics.toml with --schedules"
            )
        return conversion


class _Converter(Writer):
    def __init__(self, con: duckdb.DuckDBPyConnection, kinds: set[str], out_dir: Path) -> None:
        super().__init__(con, out_dir)
        self.kinds = kinds

    def run(self) -> Conversion:
        con = self.con
        for kind in ("users", "groups", "organizations"):
            if kind not in self.kinds:
                con.execute(
                    f"CREATE VIEW src_{kind} AS SELECT * FROM (SELECT NULL::VARCHAR AS id, "
                    "NULL::VARCHAR AS name, NULL::VARCHAR AS role, NULL::VARCHAR AS "
                    "default_group_id, NULL::VARCHAR AS organization_id, NULL::VARCHAR AS "
                    "created_at) WHERE false"
                )
        if "tickets" in self.kinds:
            self.tickets()
        if self.kinds & {"ticket_audits", "ticket_comments"}:
            self.messages()
        if "ticket_audits" in self.kinds:
            self.events()
        elif "tickets" in self.kinds:
            self.write("ticket_events", self.merge_sql())
        if "users" in self.kinds:
            self.people()
        if "satisfaction_ratings" in self.kinds:
            self.surveys()
        if "ticket_metrics" in self.kinds:
            self.metrics()
        if not self.conversion.files:
            self.note("nothing to import: the files hold no tickets, comments or ratings")
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
        self.check_timestamps("tickets", "id", ("created_at", "updated_at"), "Zendesk ticket")
        deleted = self.count("SELECT 1 FROM tickets WHERE status = 'deleted'")
        if deleted:
            self.note(f"{deleted} deleted ticket(s) skipped, with their comments and events")
            con.execute("DELETE FROM tickets WHERE status = 'deleted'")
        fields = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT f.id FROM (SELECT unnest(custom_fields) AS f FROM tickets) "
                "WHERE f.value IS NOT NULL AND json_type(f.value) <> 'NULL' ORDER BY 1"
            ).fetchall()
        ]
        custom = "".join(
            f", {_json_text(f'list_filter(t.custom_fields, lambda x: x.id = {sql_literal(i)})[1].value')} "
            f"AS {quote(f'field_{i}')}"
            for i in fields
        )
        metrics_solved = (
            timestamp("m.solved_at") if "ticket_metrics" in self.kinds else "NULL::TIMESTAMPTZ"
        )
        metrics_join = (
            "LEFT JOIN (SELECT ticket_id, any_value(solved_at) AS solved_at FROM src_ticket_metrics "
            "GROUP BY ticket_id) m ON m.ticket_id = t.id"
            if "ticket_metrics" in self.kinds
            else ""
        )
        history = (
            "SELECT DISTINCT ticket_id FROM (SELECT ticket_id, unnest(events) AS e "
            "FROM src_ticket_audits) WHERE e.field_name = 'status'"
            if "ticket_audits" in self.kinds
            else "SELECT NULL::VARCHAR AS ticket_id WHERE false"
        )
        con.execute(f"CREATE VIEW status_history AS {history}")
        estimated = (
            f"{_status('t.status')} IN ('solved', 'closed') AND {metrics_solved} IS NULL "
            "AND t.id NOT IN (SELECT ticket_id FROM status_history)"
        )
        self.estimated(metrics_join, estimated)
        solved = f"COALESCE({metrics_solved}, CASE WHEN {estimated} THEN {timestamp('t.updated_at')} END)"
        agent_submitter = (
            "COALESCE(s.role IN ('agent', 'admin'), true)"  # unknown: not the requester
        )
        self.write(
            "tickets",
            f"""
            SELECT t.id AS ticket_id, {timestamp("t.created_at")} AS created_at,
                {_channel("t.via->>'$.channel'")} AS channel, {_status("t.status")} AS status,
                t.priority, t.type AS issue_type, t.requester_id AS customer_id, t.assignee_id,
                COALESCE(g.name, t.group_id) AS team,
                CASE WHEN t.submitter_id <> t.requester_id AND {agent_submitter} THEN 'agent'
                    ELSE 'customer' END AS created_by,
                CASE WHEN {_status("t.status")} IN ('solved', 'closed') THEN {solved} END
                    AS solved_at,
                t.tags, COALESCE(o.name, t.organization_id) AS organization, t.brand_id{custom}
            FROM tickets t
            LEFT JOIN src_groups g ON g.id = t.group_id
            LEFT JOIN src_organizations o ON o.id = t.organization_id
            LEFT JOIN src_users s ON s.id = t.submitter_id
            {metrics_join}
            ORDER BY created_at
            """,
        )

    def estimated(self, metrics_join: str, estimated: str) -> None:
        """Note how many solved or closed tickets get their solve time estimated (see README)."""
        count = self.count(f"SELECT 1 FROM tickets t {metrics_join} WHERE {estimated}")
        if count:
            self.note(
                f"{count} solved or closed ticket(s) have no status history (ticket_audits) and no "
                "ticket_metrics: their solve time is estimated as their last update (updated_at); "
                "add ticket_audits or ticket_metrics for exact solve times"
            )

    def messages(self) -> None:
        parts = []
        if "ticket_audits" in self.kinds:
            parts.append(
                "SELECT e.id AS message_id, ticket_id, created_at, "
                "COALESCE(e.author_id, author_id) AS author_id, e.public AS public, "
                "COALESCE(e.via, via)->>'$.channel' AS via_channel FROM (SELECT ticket_id, "
                "created_at, author_id, via, unnest(events) AS e FROM src_ticket_audits) "
                "WHERE e.type IN ('Comment', 'VoiceComment')"
            )
        if "ticket_comments" in self.kinds:
            parts.append(
                "SELECT id AS message_id, ticket_id, created_at, author_id, public, "
                "via->>'$.channel' AS via_channel FROM src_ticket_comments"
            )
        union = " UNION ALL ".join(parts)
        if len(parts) > 1:
            union = (
                f"SELECT * FROM ({union}) QUALIFY row_number() OVER (PARTITION BY message_id) = 1"
            )
        batch = "SELECT id, requester_id FROM tickets UNION ALL " if "tickets" in self.kinds else ""
        self.con.execute(
            f"CREATE VIEW requesters AS {batch}SELECT ticket_id AS id, customer_id AS requester_id "
            "FROM store_tickets "
            + ("WHERE ticket_id NOT IN (SELECT id FROM tickets)" if batch else "")
        )
        self.con.execute(f"CREATE VIEW comments AS {union}")
        self.dropped("comments", "m")
        unknown = self.count(
            "SELECT 1 FROM comments m LEFT JOIN src_users u ON u.id = m.author_id "
            f"WHERE u.role IS NULL AND m.author_id <> '-1' AND {self.known('m')}"
        )
        if unknown:
            self.note(
                f"{unknown} comment(s) by authors missing from users: the ticket's requester counts "
                "as the customer, anyone else as an agent (add users.json so that roles decide)"
            )
        self.write(
            "messages",
            f"""
            SELECT m.message_id, m.ticket_id, {timestamp("m.created_at")} AS created_at,
                CASE WHEN lower(m.via_channel) IN {_in(BOT_CHANNELS)} THEN 'bot'
                    WHEN u.role IN ('agent', 'admin') THEN 'agent'
                    WHEN u.role = 'end-user' THEN 'customer'
                    WHEN m.author_id = '-1' THEN 'system'
                    WHEN m.author_id = r.requester_id THEN 'customer'
                    ELSE 'agent' END AS author_type,
                m.author_id, COALESCE(m.public, true) AS public,
                COALESCE(lower(m.via_channel) = 'rule', false) AS automated
            FROM comments m
            LEFT JOIN src_users u ON u.id = m.author_id
            LEFT JOIN requesters r ON r.id = m.ticket_id
            WHERE m.message_id IS NOT NULL AND {self.known("m")}
            """,
        )

    def dropped(self, view: str, alias: str) -> None:
        self.detached(f"SELECT * FROM {view}", alias, view, "tickets" in self.kinds)

    def events(self) -> None:
        def value(side: str) -> str:
            text = f"e.{side}->>'$'"
            return (
                f"CASE e.field_name WHEN 'status' THEN {_status(text)} "
                f"WHEN 'group_id' THEN COALESCE(g_{side}.name, {text}) ELSE {text} END"
            )

        self.con.execute(
            f"""
            CREATE VIEW changes AS
            SELECT COALESCE(e.id, a.id || '-' || e.field_name) AS event_id, a.ticket_id,
                {timestamp("a.created_at")} AS at, e.field_name,
                {value("previous_value")} AS from_value, {value("value")} AS to_value,
                a.author_id AS actor_id
            FROM (SELECT id, ticket_id, created_at, author_id, unnest(events) AS e
                  FROM src_ticket_audits) a
            LEFT JOIN src_groups g_previous_value ON g_previous_value.id = e.previous_value->>'$'
            LEFT JOIN src_groups g_value ON g_value.id = e.value->>'$'
            WHERE e.type IN ('Create', 'Change') AND e.field_name IN {_in(list(FIELDS))}
            """
        )
        cases = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in FIELDS.items())
        self.con.execute("CREATE VIEW events AS SELECT * FROM changes")
        self.dropped("events", "c")
        history = (
            f"SELECT c.event_id, c.ticket_id, c.at, CASE c.field_name {cases} END AS type, "
            "c.from_value, c.to_value, c.actor_id FROM changes c "
            f"WHERE (c.from_value IS NOT NULL OR c.to_value IS NOT NULL) "
            f"AND NOT (c.field_name = 'status' AND c.to_value IS NULL) AND {self.known('c')}"
        )
        merges = f" UNION ALL {self.merge_sql()}" if "tickets" in self.kinds else ""
        self.write("ticket_events", history + merges)

    def merge_sql(self) -> str:
        """A `merge` event for each ticket Zendesk closed by merging it into another."""
        return (
            "SELECT 'merge-' || id AS event_id, id AS ticket_id, "
            f"{timestamp('updated_at')} AS at, 'merge' AS type, id AS from_value, "
            "NULL AS to_value, NULL AS actor_id FROM tickets "
            "WHERE list_contains(tags, 'closed_by_merge')"
        )

    def people(self) -> None:
        self.write(
            "agents",
            "SELECT u.id AS agent_id, u.name, g.name AS team FROM src_users u "
            "LEFT JOIN src_groups g ON g.id = u.default_group_id "
            "WHERE u.role IN ('agent', 'admin')",
        )
        self.write(
            "customers",
            f"SELECT id AS customer_id, organization_id AS account_id, "
            f"{timestamp('created_at')} AS signup_at FROM src_users WHERE role = 'end-user'",
        )

    def surveys(self) -> None:
        self.con.execute(
            "CREATE VIEW ratings AS SELECT *, regexp_replace(lower(score), '_with_comment$', '') "
            "AS verdict FROM src_satisfaction_ratings"
        )
        self.dropped("ratings", "r")
        self.write(
            "surveys",
            f"""
            SELECT r.id AS response_id, 'csat' AS survey,
                CASE r.verdict WHEN 'good' THEN 1 ELSE 0 END AS score, 0 AS scale_min,
                1 AS scale_max, {timestamp("COALESCE(r.updated_at, r.created_at)")} AS submitted_at,
                r.ticket_id, r.requester_id AS customer_id, r.assignee_id AS agent_id, r.comment,
                r.id AS invitation_id
            FROM ratings r WHERE r.verdict IN ('good', 'bad') AND {self.known("r")}
            """,
        )
        self.write(
            "survey_invitations",
            f"""
            SELECT r.id AS invitation_id, 'csat' AS survey,
                {timestamp("r.created_at")} AS sent_at, r.ticket_id, r.requester_id AS customer_id
            FROM ratings r WHERE r.verdict IN ('offered', 'good', 'bad') AND {self.known("r")}
            """,
        )

    def metrics(self) -> None:
        folder = self.out_dir / METRICS_FILE.parent
        folder.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / METRICS_FILE
        self.con.execute(
            f"""
            COPY (SELECT ticket_id, any_value(reply_time_in_minutes.calendar) AS reply_calendar,
                any_value(reply_time_in_minutes.business) AS reply_business,
                any_value(full_resolution_time_in_minutes.calendar) AS resolution_calendar,
                any_value(full_resolution_time_in_minutes.business) AS resolution_business
            FROM src_ticket_metrics GROUP BY ticket_id) TO {sql_literal(path)} (FORMAT parquet)
            """
        )
        self.conversion.details["zendesk_ticket_metrics"] = str(path)


SOURCE = Source(
    name="zendesk",
    title="Zendesk Support",
    reads="API records as JSON or JSON Lines: tickets (required for metrics), ticket_audits or "
    "ticket_comments, users, groups, organizations, satisfaction_ratings, ticket_metrics",
    how_to_export="Page through the Support API (/api/v2/incremental/tickets/cursor.json, "
    "/api/v2/ticket_audits.json, /api/v2/users.json, /api/v2/ticket_metrics.json ...) saving each "
    "response, or land the streams with Airbyte or a Singer tap; name files after their records.",
    convert=convert,
    reconcile=reconcile,
    schedules=read_schedules,
)
