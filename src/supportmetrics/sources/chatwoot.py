"""A Chatwoot PostgreSQL database -> tickets, messages, ticket_events, surveys, survey_invitations,
customers and agents.

Reads the tables of Chatwoot's `db/schema.rb` (conversations, messages, inboxes, users, teams,
team_members, contacts, csat_survey_responses, reporting_events). The transformation runs as SQL on
the server; each result streams out with COPY into a temporary CSV and the engine turns it into
Parquet, so memory stays bounded whatever the database's size. Rails stores `datetime` columns as
UTC without a zone, so the workspace's time zone plays no part.

Mapping:
- conversation status 0 open, 1 resolved -> solved, 2 pending (a bot still has it) -> new,
  3 snoozed -> pending; priority 0 low, 1 medium -> normal, 2 high, 3 urgent.
- inbox channel_type: Email -> email, WebWidget -> chat, Whatsapp/Telegram/Line -> messaging,
  Sms/TwilioSms -> sms, TwitterProfile/FacebookPage/Instagram -> social, Voice -> phone, else other.
  The inbox name and the conversation's display_id (the number Chatwoot shows) are custom columns.
- messages: message_type 0 incoming -> customer; 1 outgoing by a User -> agent, by an AgentBot or
  Captain::Assistant -> bot, with no sender (automation rules) -> system, automated; 3 template
  (greeting, out-of-office, CSAT request) -> system, automated; campaign messages are automated;
  `private` -> internal note; 2 activity messages are history, not messages.
- created_by: a campaign's conversation is `system`; one whose first public message is an agent's
  outgoing message is `agent` (outbound); else `customer`.
- status history: reporting_events, the only structured history Chatwoot keeps. Each
  conversation_resolved / conversation_bot_resolved is a solve; a conversation_opened after a solve
  is a reopen (versions before conversation_opened record only the solves). Pending and snoozed
  stretches are only in activity messages, whose text is localised, so they are not rebuilt.
- surveys: csat_survey_responses (1-5), each answering the CSAT request message it names
  (`invitation_id`); survey_invitations: CSAT request messages (content_type 9).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from supportmetrics.sources._engine import connect, write_table
from supportmetrics.sources.base import Conversion, Source, SourceError
from supportmetrics.store import sql_literal

__all__ = ["REQUIRED_TABLES", "SOURCE", "convert"]

REQUIRED_TABLES = (
    "conversations",
    "messages",
    "inboxes",
    "users",
    "teams",
    "team_members",
    "contacts",
    "csat_survey_responses",
    "reporting_events",
)
OPTIONAL_COLUMNS = {"priority": "integer", "cached_label_list": "text", "campaign_id": "bigint"}
"""conversations columns later Chatwoot versions added (and their types): NULL where absent."""
CHANNELS = {
    "Channel::Email": "email",
    "Channel::WebWidget": "chat",
    "Channel::Whatsapp": "messaging",
    "Channel::Telegram": "messaging",
    "Channel::Line": "messaging",
    "Channel::Sms": "sms",
    "Channel::TwilioSms": "sms",
    "Channel::TwitterProfile": "social",
    "Channel::FacebookPage": "social",
    "Channel::Instagram": "social",
    "Channel::Voice": "phone",
}
BOTS = ("AgentBot", "Captain::Assistant")
INPUT_CSAT = 9


def _utc(column: str) -> str:
    """A Rails datetime (UTC, no zone) as an exact instant."""
    return f"({column} AT TIME ZONE 'UTC')"


def _channel(column: str) -> str:
    cases = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in CHANNELS.items())
    return f"CASE {column} {cases} ELSE 'other' END"


def _tickets(columns: set[str]) -> str:
    def optional(name: str) -> str:
        return f"c.{name}" if name in columns else f"NULL::{OPTIONAL_COLUMNS[name]}"

    return f"""
    SELECT c.id::text AS ticket_id, {_utc("c.created_at")} AS created_at,
           {_channel("i.channel_type")} AS channel,
           CASE c.status WHEN 0 THEN 'open' WHEN 1 THEN 'solved' WHEN 2 THEN 'new'
                         WHEN 3 THEN 'pending' END AS status,
           CASE {optional("priority")} WHEN 0 THEN 'low' WHEN 1 THEN 'normal' WHEN 2 THEN 'high'
                                     WHEN 3 THEN 'urgent' END AS priority,
           c.contact_id::text AS customer_id, c.assignee_id::text AS assignee_id, t.name AS team,
           CASE WHEN {optional("campaign_id")} IS NOT NULL THEN 'system'
                WHEN f.message_type = 1 AND f.sender_type = 'User' THEN 'agent'
                WHEN f.message_type = 1 THEN 'system'
                ELSE 'customer' END AS created_by,
           CASE WHEN c.status = 1 THEN {_utc("coalesce(r.solved_at, c.updated_at)")} END
               AS solved_at,
           {optional("cached_label_list")} AS tags, i.name AS inbox, c.display_id
    FROM conversations c
    JOIN inboxes i ON i.id = c.inbox_id
    LEFT JOIN teams t ON t.id = c.team_id
    LEFT JOIN LATERAL (
        SELECT m.message_type, m.sender_type FROM messages m
        WHERE m.conversation_id = c.id AND m.message_type IN (0, 1) AND NOT m.private
        ORDER BY m.created_at, m.id LIMIT 1
    ) f ON true
    LEFT JOIN (
        SELECT conversation_id, max(coalesce(event_end_time, created_at)) AS solved_at
        FROM reporting_events
        WHERE name IN ('conversation_resolved', 'conversation_bot_resolved')
        GROUP BY conversation_id
    ) r ON r.conversation_id = c.id
    """


MESSAGES = f"""
SELECT m.id::text AS message_id, m.conversation_id::text AS ticket_id,
       {_utc("m.created_at")} AS created_at,
       CASE WHEN m.message_type = 0 THEN 'customer'
            WHEN m.message_type = 3 THEN 'system'
            WHEN m.sender_type = 'User' THEN 'agent'
            WHEN m.sender_type IN ({", ".join(sql_literal(b) for b in BOTS)}) THEN 'bot'
            ELSE 'system' END AS author_type,
       CASE WHEN m.sender_type IN ('User', 'Contact') THEN m.sender_id::text END AS author_id,
       (NOT m.private)::text AS public,
       (m.message_type = 3 OR (m.message_type = 1 AND m.sender_type IS NULL)
        OR coalesce(m.additional_attributes ? 'campaign_id', false))::text AS automated
FROM messages m WHERE m.message_type IN (0, 1, 3)
"""

TICKET_EVENTS = f"""
SELECT 'chatwoot-' || id AS event_id, conversation_id::text AS ticket_id, {_utc("at")} AS at,
       'status' AS type,
       CASE WHEN solve THEN 'open' ELSE 'solved' END AS from_value,
       CASE WHEN solve THEN 'solved' ELSE 'open' END AS to_value
FROM (
    SELECT id, conversation_id, at, solve,
           count(*) FILTER (WHERE solve) OVER (PARTITION BY conversation_id ORDER BY at, id
                                               ROWS UNBOUNDED PRECEDING) AS solves_so_far
    FROM (
        SELECT id, conversation_id, coalesce(event_end_time, created_at) AS at,
               name <> 'conversation_opened' AS solve
        FROM reporting_events
        WHERE conversation_id IS NOT NULL AND name IN
              ('conversation_resolved', 'conversation_bot_resolved', 'conversation_opened')
    ) e
) h
WHERE solve OR solves_so_far > 0
"""

SURVEYS = f"""
SELECT s.id::text AS response_id, 'csat' AS survey, s.rating AS score, 1 AS scale_min,
       5 AS scale_max, {_utc("s.created_at")} AS submitted_at,
       s.conversation_id::text AS ticket_id, s.contact_id::text AS customer_id,
       s.assigned_agent_id::text AS agent_id, {_channel("i.channel_type")} AS channel,
       s.feedback_message AS comment, q.id::text AS invitation_id
FROM csat_survey_responses s
LEFT JOIN conversations c ON c.id = s.conversation_id
LEFT JOIN inboxes i ON i.id = c.inbox_id
LEFT JOIN messages q ON q.id = s.message_id AND q.content_type = {INPUT_CSAT}
"""

SURVEY_INVITATIONS = f"""
SELECT m.id::text AS invitation_id, 'csat' AS survey, {_utc("m.created_at")} AS sent_at,
       m.conversation_id::text AS ticket_id, c.contact_id::text AS customer_id
FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id
WHERE m.content_type = {INPUT_CSAT}
"""

CUSTOMERS = f"""
SELECT id::text AS customer_id, nullif(country_code, '') AS region,
       {_utc("created_at")} AS signup_at
FROM contacts
"""

AGENTS = """
SELECT u.id::text AS agent_id, coalesce(nullif(u.display_name, ''), u.name) AS name,
       (SELECT min(t.name) FROM team_members tm JOIN teams t ON t.id = tm.team_id
        WHERE tm.user_id = u.id) AS team
FROM users u
"""

TEXT, TIME = "VARCHAR", "TIMESTAMPTZ"
TYPES: dict[str, dict[str, str]] = {
    "tickets": {
        "ticket_id": TEXT, "created_at": TIME, "channel": TEXT, "status": TEXT, "priority": TEXT,
        "customer_id": TEXT, "assignee_id": TEXT, "team": TEXT, "created_by": TEXT,
        "solved_at": TIME, "tags": TEXT, "inbox": TEXT, "display_id": "INTEGER",
    },
    "messages": {
        "message_id": TEXT, "ticket_id": TEXT, "created_at": TIME, "author_type": TEXT,
        "author_id": TEXT, "public": "BOOLEAN", "automated": "BOOLEAN",
    },
    "ticket_events": {
        "event_id": TEXT, "ticket_id": TEXT, "at": TIME, "type": TEXT, "from_value": TEXT,
        "to_value": TEXT,
    },
    "surveys": {
        "response_id": TEXT, "survey": TEXT, "score": "INTEGER", "scale_min": "INTEGER",
        "scale_max": "INTEGER", "submitted_at": TIME, "ticket_id": TEXT, "customer_id": TEXT,
        "agent_id": TEXT, "channel": TEXT, "comment": TEXT, "invitation_id": TEXT,
    },
    "survey_invitations": {
        "invitation_id": TEXT, "survey": TEXT, "sent_at": TIME, "ticket_id": TEXT,
        "customer_id": TEXT,
    },
    "customers": {"customer_id": TEXT, "region": TEXT, "signup_at": TIME},
    "agents": {"agent_id": TEXT, "name": TEXT, "team": TEXT},
}  # fmt: skip
"""Each table's columns as the server writes them, with the type the Parquet file gets."""


def _split_url(url: str) -> tuple[str, str | None]:
    """The libpq URL without `?schema=NAME`, and that schema (read instead of public)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SourceError(
            f"{url!r} is not a PostgreSQL URL: give the Chatwoot database as "
            "postgresql://USER:PASSWORD@HOST:5432/chatwoot_production"
        )
    query = parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def _open(url: str) -> Any:
    """A read-only psycopg connection in UTC; SourceError when the server cannot be reached."""
    try:
        import psycopg
    except ImportError:
        raise SourceError(
            "reading a Chatwoot database needs the PostgreSQL driver: "
            "pip install 'supportmetrics[postgres]'"
        ) from None
    conninfo, schema = _split_url(url)
    options = f"-c search_path={schema}" if schema else None
    try:
        con = psycopg.connect(conninfo, connect_timeout=10, options=options)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise SourceError(
            f"cannot connect to the Chatwoot database at {_shown(url)}: {reason}. Check the host, "
            "port, database name, user and password (a read-only user is enough)"
        ) from None
    con.read_only = True
    con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for every table
    con.execute("SET TIME ZONE 'UTC'")
    return con


def _check_tables(con: Any, url: str) -> set[str]:
    """SourceError naming the missing Chatwoot tables; else the conversations table's columns."""
    names = ", ".join(sql_literal(t) for t in REQUIRED_TABLES)
    found = {
        row[0]
        for row in con.execute(
            f"SELECT t FROM unnest(ARRAY[{names}]) t WHERE to_regclass(t) IS NOT NULL"
        ).fetchall()
    }
    missing = [t for t in REQUIRED_TABLES if t not in found]
    if missing:
        raise SourceError(
            f"{_shown(url)} is not a Chatwoot database: table(s) {', '.join(missing)} not found "
            f"in schema {_split_url(url)[1] or 'public'}. Point the URL at the database Chatwoot "
            "uses (POSTGRES_DATABASE, usually chatwoot_production); add ?schema=NAME if its "
            "tables are in another schema"
        )
    rows = con.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('conversations') "
        "AND attnum > 0 AND NOT attisdropped"
    ).fetchall()
    return {row[0] for row in rows}


TAGS = "list_filter(list_transform(string_split(tags, ','), lambda x: trim(x)), lambda x: x <> '') AS tags"
"""Chatwoot's cached_label_list (`billing,vip`) as a list."""


def _duck_select(table: str, csv: Path) -> str:
    """The engine's query turning the server's CSV for `table` into typed columns."""
    types = TYPES[table]
    columns = "{" + ", ".join(f"{sql_literal(c)}: {sql_literal(t)}" for c, t in types.items()) + "}"
    select = ", ".join(TAGS if c == "tags" else f'"{c}"' for c in types)
    return (
        f"SELECT {select} FROM read_csv({sql_literal(csv)}, columns={columns}, header=true, "
        "auto_detect=false, delim=',', quote='\"', escape='\"')"
    )


def convert(inputs: Sequence[str], out_dir: Path, timezone: str) -> Conversion:
    """Read a Chatwoot database (its PostgreSQL URL) into the canonical tables."""
    if len(inputs) != 1:
        raise SourceError(
            "give one PostgreSQL URL: postgresql://USER:PASSWORD@HOST:5432/chatwoot_production"
        )
    url = inputs[0]
    con = _open(url)
    files: dict[str, Path] = {}
    counts: dict[str, int] = {}
    try:
        columns = _check_tables(con, url)
        queries = {
            "tickets": _tickets(columns),
            "messages": MESSAGES,
            "ticket_events": TICKET_EVENTS,
            "surveys": SURVEYS,
            "survey_invitations": SURVEY_INVITATIONS,
            "customers": CUSTOMERS,
            "agents": AGENTS,
        }
        with tempfile.TemporaryDirectory(prefix="sm-chatwoot-") as temp, connect("UTC") as duck:
            for table, sql in queries.items():
                csv = Path(temp) / f"{table}.csv"
                with (
                    csv.open("wb") as sink,
                    con.cursor().copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER true)") as copy,
                ):
                    for chunk in copy:
                        sink.write(chunk)
                written = write_table(duck, _duck_select(table, csv), out_dir, table)
                csv.unlink()
                if written:
                    files[table] = written
                    (counts[table],) = duck.execute(  # type: ignore[misc]
                        f"SELECT count(*) FROM read_parquet({sql_literal(written)})"
                    ).fetchone()
    finally:
        con.close()
    notes = ["; ".join(f"{table}: {n}" for table, n in counts.items())]
    return Conversion(files, notes)


SOURCE = Source(
    name="chatwoot",
    title="Chatwoot (PostgreSQL database)",
    reads="the PostgreSQL URL of a Chatwoot database (add ?schema=NAME if not in public)",
    how_to_export="Give the URL of Chatwoot's database (POSTGRES_* settings of the installation), "
    "ideally a read-only user or a replica.",
    convert=convert,
)
