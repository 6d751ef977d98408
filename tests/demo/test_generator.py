"""The demo-data generator: determinism, schema conformance, realism and the file round trip."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from supportmetrics import demo
from supportmetrics.demo import END, FORMATS, OUTAGE_WEEK, START, generate, write
from supportmetrics.demo import _tickets as tickets_module
from supportmetrics.schema import SURVEY_SCALES, TABLES, Kind

N = 4_000
SEED = 7
CUSTOM_COLUMNS = {"tickets": {"product"}, "customers": {"industry"}}
"""Extra columns the generator adds to show custom dimensions."""
REFERENCES = {
    "ticket_id": ("tickets", "ticket_id"),
    "customer_id": ("customers", "customer_id"),
    "agent_id": ("agents", "agent_id"),
    "assignee_id": ("agents", "agent_id"),
    "author_id": ("agents", "agent_id"),
    "actor_id": ("agents", "agent_id"),
}
"""Id columns (in any table but their own) and the rows they must name."""
IN_WINDOW = {
    "tickets": "created_at",
    "messages": "created_at",
    "ticket_events": "at",
    "time_entries": "started_at",
    "calls": "queued_at",
    "surveys": "submitted_at",
    "survey_invitations": "sent_at",
    "orders": "ordered_at",
    "self_service": "at",
    "demos": "held_at",
    "reviews": "posted_at",
}
FIRST_REPLY = """
    SELECT t.*, epoch(r.first_reply) - epoch(t.created_at) AS frt
    FROM tickets t LEFT JOIN (
        SELECT ticket_id, min(created_at) AS first_reply FROM messages
        WHERE author_type = 'agent' AND public AND NOT automated GROUP BY ticket_id
    ) r USING (ticket_id)
"""
"""Each ticket with its first-response seconds (null without an agent reply)."""


def connect(tables: dict[str, pa.Table]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, table in tables.items():
        con.register(name, table)
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return generate(N, seed=SEED)


@pytest.fixture(scope="module")
def db(tables: dict[str, pa.Table]) -> duckdb.DuckDBPyConnection:
    con = connect(tables)
    yield con
    con.close()


def test_public_surface() -> None:
    assert demo.__all__ == [
        "DEMO_SETTINGS",
        "END",
        "FORMATS",
        "OUTAGE_WEEK",
        "START",
        "TIME_ZONE",
        "add_demo_settings",
        "generate",
        "write",
    ]


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tickets"):
        generate(0)
    with pytest.raises(ValueError, match="seed"):
        generate(10, seed=-1)
    with pytest.raises(ValueError, match="format"):
        write({}, tmp_path, fmt="xml")


# --- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_tables(tables: dict[str, pa.Table]) -> None:
    again = generate(N, seed=SEED)
    assert list(again) == list(tables)
    for name in tables:
        assert again[name].equals(tables[name]), name


def test_different_seed_gives_different_tables(tables: dict[str, pa.Table]) -> None:
    other = generate(N, seed=SEED + 1)
    for name in ("tickets", "messages", "calls", "surveys", "self_service"):
        assert not other[name].equals(tables[name]), name


def test_tiny_sizes_work() -> None:
    for n in (1, 3, 50):
        out = generate(n, seed=1)
        assert out["tickets"].num_rows == n
        assert set(out) == set(TABLES)


# --- schema conformance -------------------------------------------------------------------------


def test_every_table_in_schema_order(tables: dict[str, pa.Table]) -> None:
    assert list(tables) == list(TABLES)


@pytest.mark.parametrize("name", list(TABLES))
def test_columns_are_canonical(tables: dict[str, pa.Table], name: str) -> None:
    spec = TABLES[name]
    columns = tables[name].column_names
    assert len(columns) == len(set(columns))
    assert set(columns) == {c.name for c in spec.columns} | CUSTOM_COLUMNS.get(name, set())
    assert tables[name].num_rows > 0


@pytest.mark.parametrize("name", list(TABLES))
def test_column_types(tables: dict[str, pa.Table], name: str) -> None:
    schema = tables[name].schema
    for column in TABLES[name].columns:
        kind, arrow_type = column.kind, schema.field(column.name).type
        if kind is Kind.TIMESTAMP:
            assert arrow_type == pa.timestamp("us", tz="UTC"), column.name
        elif kind is Kind.TAGS:
            assert arrow_type == pa.list_(pa.string()), column.name
        elif kind is Kind.BOOL:
            assert arrow_type == pa.bool_(), column.name
        elif kind in (Kind.INTEGER, Kind.NUMBER):
            assert pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type), column.name
        else:
            assert arrow_type == pa.string(), column.name


@pytest.mark.parametrize("name", list(TABLES))
def test_values_obey_the_schema(db: duckdb.DuckDBPyConnection, name: str) -> None:
    spec = TABLES[name]
    assert scalar(db, f"SELECT count(*) - count(DISTINCT {spec.key}) FROM {name}") == 0
    for column in spec.columns:
        c = f'"{column.name}"'
        if column.required:
            assert scalar(db, f"SELECT count(*) FROM {name} WHERE {c} IS NULL") == 0, c
        if column.values:
            allowed = ", ".join(f"'{v}'" for v in column.values)
            bad = f"SELECT count(*) FROM {name} WHERE {c} NOT IN ({allowed})"
            assert scalar(db, bad) == 0, c
        if column.minimum is not None:
            assert scalar(db, f"SELECT count(*) FROM {name} WHERE {c} < {column.minimum}") == 0
        if column.maximum is not None:
            assert scalar(db, f"SELECT count(*) FROM {name} WHERE {c} > {column.maximum}") == 0
    for order in spec.orders:
        bad = f'SELECT count(*) FROM {name} WHERE "{order.later}" < "{order.earlier}"'
        assert scalar(db, bad) == 0, order
    for column, condition, value in spec.required_when:
        bad = f"SELECT count(*) FROM {name} WHERE {condition} = '{value}' AND {column} IS NULL"
        assert scalar(db, bad) == 0, column


@pytest.mark.parametrize("name", list(TABLES))
def test_ids_name_existing_rows(db: duckdb.DuckDBPyConnection, name: str) -> None:
    declared = {(r.column, r.table, r.target) for r in TABLES[name].references}
    implied = {
        (column, *REFERENCES[column])
        for column in TABLES[name].by_name
        if column in REFERENCES and REFERENCES[column][0] != name
    }
    for column, target_table, target in declared | implied:
        missing = f"""SELECT count(*) FROM {name} WHERE {column} IS NOT NULL
            AND {column} NOT IN (SELECT {target} FROM {target_table})"""
        assert scalar(db, missing) == 0, (name, column)


@pytest.mark.parametrize(("name", "column"), IN_WINDOW.items())
def test_activity_inside_the_window(db: duckdb.DuckDBPyConnection, name: str, column: str) -> None:
    outside = f"""SELECT count(*) FROM {name} WHERE "{column}" < TIMESTAMPTZ '{START.isoformat()}'
        OR "{column}" >= TIMESTAMPTZ '{END.isoformat()}'"""
    assert scalar(db, outside) == 0


def test_only_answered_calls_have_answer_times(db: duckdb.DuckDBPyConnection) -> None:
    sql = """SELECT count(*) FROM calls WHERE (answered_at IS NOT NULL) <> (outcome = 'answered')
        OR (talk_seconds IS NOT NULL) <> (outcome = 'answered') OR ended_at IS NULL"""
    assert scalar(db, sql) == 0


def test_survey_scores_inside_their_scale(db: duckdb.DuckDBPyConnection) -> None:
    for survey, (low, high) in SURVEY_SCALES.items():
        bad = f"""SELECT count(*) FROM surveys WHERE survey = '{survey}' AND
            (score < {low} OR score > {high} OR scale_min <> {low} OR scale_max <> {high})"""
        assert scalar(db, bad) == 0, survey
    assert scalar(db, "SELECT count(*) FROM reviews WHERE rating < 1 OR rating > scale_max") == 0


def check_ticket_histories(con: duckdb.DuckDBPyConnection) -> None:
    """Children after their ticket; the ticket row agrees with the last events of its history."""
    for child, at in (
        ("messages", "created_at"),
        ("ticket_events", '"at"'),
        ("time_entries", "started_at"),
    ):
        early = f"SELECT count(*) FROM {child} c JOIN tickets t USING (ticket_id) WHERE c.{at} < t.created_at"
        assert scalar(con, early) == 0, child
    disagree = """
        WITH s AS (
            SELECT ticket_id, arg_max(to_value, ("at", event_id)) AS status,
                   max("at") FILTER (WHERE to_value = 'solved') AS solved,
                   max("at") FILTER (WHERE to_value = 'closed') AS closed
            FROM ticket_events WHERE type = 'status' GROUP BY ticket_id)
        SELECT count(*) FROM tickets t LEFT JOIN s USING (ticket_id)
        WHERE s.status IS DISTINCT FROM t.status
           OR (t.status IN ('solved', 'closed')) <> (t.solved_at IS NOT NULL)
           OR (t.solved_at IS NOT NULL AND t.solved_at <> s.solved)
           OR (t.status = 'closed') <> (t.closed_at IS NOT NULL)
           OR (t.closed_at IS NOT NULL AND t.closed_at <> s.closed)"""
    assert scalar(con, disagree) == 0
    other_assignee = """
        WITH a AS (SELECT ticket_id, arg_max(to_value, ("at", event_id)) AS agent
                   FROM ticket_events WHERE type = 'assignee' GROUP BY ticket_id)
        SELECT count(*) FROM tickets LEFT JOIN a USING (ticket_id)
        WHERE a.agent IS DISTINCT FROM assignee_id"""
    assert scalar(con, other_assignee) == 0
    status_chain_broken = """
        WITH e AS (SELECT ticket_id, from_value, lag(to_value) OVER (
                       PARTITION BY ticket_id ORDER BY "at", event_id) AS previous
                   FROM ticket_events WHERE type = 'status')
        SELECT count(*) FROM e WHERE from_value IS DISTINCT FROM previous"""
    assert scalar(con, status_chain_broken) == 0
    not_employed = """
        SELECT count(*) FROM messages m JOIN agents a ON m.author_id = a.agent_id
        WHERE m.created_at < a.hired_at OR m.created_at >= coalesce(a.left_at, 'infinity')"""
    assert scalar(con, not_employed) == 0


def test_ticket_histories_are_consistent(db: duckdb.DuckDBPyConnection) -> None:
    check_ticket_histories(db)


def test_batches_join_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tickets are simulated in batches; several small batches give the same guarantees."""
    monkeypatch.setattr(tickets_module, "_BATCH", 997)
    out = generate(3_000, seed=3)
    con = connect(out)
    for name, key in (("messages", "message_id"), ("ticket_events", "event_id")):
        assert scalar(con, f"SELECT count(*) - count(DISTINCT {key}) FROM {name}") == 0
        orphans = (
            f"SELECT count(*) FROM {name} WHERE ticket_id NOT IN (SELECT ticket_id FROM tickets)"
        )
        assert scalar(con, orphans) == 0
    check_ticket_histories(con)


# --- realism ------------------------------------------------------------------------------------


def test_channels_have_their_own_speed(db: duckdb.DuckDBPyConnection) -> None:
    medians = dict(
        db.execute(
            f"SELECT channel, median(frt) FROM ({FIRST_REPLY}) WHERE created_by = 'customer' GROUP BY 1"
        ).fetchall()
    )
    assert medians["chat"] < 15 * 60 < medians["social"] < 3 * 3600 < medians["email"]
    assert medians["phone"] < 5 * 60
    assert medians["chat"] < medians["email"] / 20


def test_urgent_tickets_are_answered_first(db: duckdb.DuckDBPyConnection) -> None:
    medians = dict(
        db.execute(
            f"SELECT priority, median(frt) FROM ({FIRST_REPLY}) WHERE channel = 'email' GROUP BY 1"
        ).fetchall()
    )
    assert medians["urgent"] < medians["normal"] < medians["low"]


def test_first_messages_match_who_created_the_ticket(db: duckdb.DuckDBPyConnection) -> None:
    firsts = db.execute(
        """SELECT t.created_by, m.author_type, m.automated, count(*) FROM tickets t JOIN (
               SELECT ticket_id, arg_min(author_type, (created_at, message_id)) AS author_type,
                      arg_min(automated, (created_at, message_id)) AS automated
               FROM messages GROUP BY ticket_id) m USING (ticket_id) GROUP BY ALL"""
    ).fetchall()
    assert {row[:3] for row in firsts} == {
        ("customer", "customer", False),
        ("agent", "agent", False),
        ("system", "system", True),
    }
    assert sum(row[3] for row in firsts) == N


def test_nights_and_weekends_are_quieter_and_slower(db: duckdb.DuckDBPyConnection) -> None:
    local = "timezone('America/New_York', created_at)"
    office = f"(hour({local}) BETWEEN 9 AND 16 AND isodow({local}) <= 5)"
    row = db.execute(
        f"""SELECT count(*) FILTER (WHERE {office}) / 40.0, count(*) FILTER (WHERE NOT {office}) / 128.0,
            median(frt) FILTER (WHERE {office}), median(frt) FILTER (WHERE NOT {office})
            FROM ({FIRST_REPLY}) WHERE channel = 'email'"""
    ).fetchall()[0]
    per_office_hour, per_other_hour, office_frt, other_frt = row
    assert per_office_hour > 3 * per_other_hour
    assert other_frt > 1.5 * office_frt


def test_outage_week_stands_out_and_volume_grows(db: duckdb.DuckDBPyConnection) -> None:
    weekly = dict(
        db.execute(
            f"""SELECT date_diff('day', TIMESTAMPTZ '{START.isoformat()}', created_at) // 7, count(*)
            FROM tickets GROUP BY 1"""
        ).fetchall()
    )
    counts = sorted(weekly.values())
    median = counts[len(counts) // 2]
    assert weekly[OUTAGE_WEEK] > 1.8 * median
    assert max(weekly, key=weekly.get) == OUTAGE_WEEK
    outage_technical = scalar(
        db,
        f"""SELECT avg((issue_type IN ('technical', 'bug'))::INT) FROM tickets
        WHERE created_at >= TIMESTAMPTZ '{(START + timedelta(weeks=OUTAGE_WEEK)).isoformat()}'
          AND created_at < TIMESTAMPTZ '{(START + timedelta(weeks=OUTAGE_WEEK + 1)).isoformat()}'""",
    )
    assert outage_technical > 0.5
    first = [weekly[w] for w in range(26)]
    second = [weekly[w] for w in range(26, 52) if w not in (OUTAGE_WEEK, OUTAGE_WEEK + 1)]
    assert sum(second) / len(second) > 1.05 * sum(first) / len(first)


def test_outage_slows_replies_and_calls(db: duckdb.DuckDBPyConnection) -> None:
    week = f"date_diff('day', TIMESTAMPTZ '{START.isoformat()}', {{}}) // 7 = {OUTAGE_WEEK}"
    normal, outage = db.execute(
        f"""SELECT median(frt) FILTER (WHERE NOT {week.format("created_at")}),
            median(frt) FILTER (WHERE {week.format("created_at")})
            FROM ({FIRST_REPLY}) WHERE channel IN ('email', 'web')"""
    ).fetchall()[0]
    assert outage > 1.4 * normal
    normal, outage = db.execute(
        f"""SELECT avg(wait) FILTER (WHERE NOT {week.format("queued_at")}),
            avg(wait) FILTER (WHERE {week.format("queued_at")})
            FROM (SELECT *, epoch(answered_at) - epoch(queued_at) AS wait FROM calls)
            WHERE outcome = 'answered' AND direction = 'inbound'"""
    ).fetchall()[0]
    assert outage > 2 * normal


def test_ticket_paths_are_all_present(db: duckdb.DuckDBPyConnection) -> None:
    counts = db.execute(
        """SELECT
            (SELECT count(*) FROM tickets WHERE created_by = 'agent'),
            (SELECT count(*) FROM tickets WHERE created_by = 'system'),
            (SELECT count(*) FROM messages WHERE NOT public),
            (SELECT count(*) FROM messages WHERE automated AND author_type = 'system'),
            (SELECT count(*) FROM messages WHERE automated AND author_type = 'agent'),
            (SELECT count(*) FROM ticket_events WHERE to_value = 'pending'),
            (SELECT count(*) FROM ticket_events WHERE to_value = 'on_hold'),
            (SELECT count(*) FROM ticket_events WHERE type = 'team'),
            (SELECT count(*) FROM ticket_events WHERE type = 'priority'),
            (SELECT count(*) FROM ticket_events WHERE type = 'assignee' AND from_value IS NOT NULL),
            (SELECT count(*) FROM time_entries WHERE kind = 'hold'),
            (SELECT count(*) FROM time_entries WHERE kind = 'after_work'),
            (SELECT count(*) FROM tickets WHERE request_quality = 1),
            (SELECT count(*) FROM tickets WHERE list_contains(tags, 'vip'))"""
    ).fetchall()[0]
    assert all(c > 0 for c in counts), counts


def test_reopens_some_twice(db: duckdb.DuckDBPyConnection) -> None:
    per_ticket = db.execute(
        """SELECT count(*) FROM ticket_events WHERE type = 'status' AND from_value = 'solved'
           AND to_value = 'open' GROUP BY ticket_id"""
    ).fetchall()
    reopens = [n for (n,) in per_ticket]
    assert len(reopens) > 0.02 * N
    assert max(reopens) == 2


def test_bot_only_conversations_are_solved_without_an_agent(db: duckdb.DuckDBPyConnection) -> None:
    bot_only = scalar(
        db,
        """SELECT count(*) FROM tickets t WHERE t.status IN ('solved', 'closed')
           AND EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.ticket_id AND author_type = 'bot')
           AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.ticket_id
                           AND author_type = 'agent')""",
    )
    assert bot_only > 0.02 * N


def test_recent_tickets_form_a_backlog(db: duckdb.DuckDBPyConnection) -> None:
    recent, older = db.execute(
        f"""SELECT avg((status NOT IN ('solved', 'closed'))::INT) FILTER (WHERE recent),
            avg((status NOT IN ('solved', 'closed'))::INT) FILTER (WHERE NOT recent)
            FROM (SELECT *, created_at > TIMESTAMPTZ '{END.isoformat()}' - INTERVAL 7 DAY AS recent
                  FROM tickets)"""
    ).fetchall()[0]
    assert recent > 0.04 and recent > 10 * older
    for status in ("new", "open", "pending"):
        assert scalar(db, f"SELECT count(*) FROM tickets WHERE status = '{status}'") > 0, status
    no_reply = (
        f"SELECT count(*) FROM ({FIRST_REPLY}) WHERE frt IS NULL AND status IN ('new', 'open')"
    )
    assert scalar(db, no_reply) > 0


def test_csat_drops_with_slow_first_replies(db: duckdb.DuckDBPyConnection) -> None:
    fast, slow = db.execute(
        f"""SELECT avg(s.score) FILTER (WHERE t.frt < 3600), avg(s.score) FILTER (WHERE t.frt > 8 * 3600)
            FROM surveys s JOIN ({FIRST_REPLY}) t USING (ticket_id) WHERE s.survey = 'csat'"""
    ).fetchall()[0]
    assert slow < fast - 0.5


def test_surveys_are_answered_at_realistic_rates(db: duckdb.DuckDBPyConnection) -> None:
    rates = db.execute(
        """SELECT i.survey, (SELECT count(*) FROM surveys s WHERE s.survey = i.survey) / count(*)
           FROM survey_invitations i GROUP BY i.survey"""
    ).fetchall()
    assert {survey for survey, _ in rates} == set(SURVEY_SCALES)
    for survey, rate in rates:
        if survey in ("csat", "nps", "ces"):
            assert 0.12 < rate < 0.35, survey
    assert scalar(db, "SELECT count(*) FROM surveys WHERE comment IS NOT NULL") > 0


def test_calls_include_abandons_and_the_rest(db: duckdb.DuckDBPyConnection) -> None:
    outcomes = dict(db.execute("SELECT outcome, count(*) FROM calls GROUP BY 1").fetchall())
    assert set(outcomes) == set(TABLES["calls"].by_name["outcome"].values)
    short = scalar(
        db,
        """SELECT count(*) FROM calls WHERE outcome = 'abandoned'
           AND epoch(ended_at) - epoch(queued_at) < 5""",
    )
    assert 0 < short < outcomes["abandoned"]
    assert 0.2 < scalar(db, "SELECT count(*) FROM calls") / N < 0.4
    assert scalar(db, "SELECT count(*) FROM calls WHERE direction = 'outbound'") > 0
    assert scalar(db, "SELECT count(*) FROM calls WHERE transferred") > 0
    assert scalar(db, "SELECT count(*) FROM calls WHERE ticket_id IS NOT NULL") > 0


def test_self_service_has_failures_and_follow_up_tickets(db: duckdb.DuckDBPyConnection) -> None:
    types = dict(db.execute("SELECT type, count(*) FROM self_service GROUP BY 1").fetchall())
    assert set(types) == set(TABLES["self_service"].by_name["type"].values)
    failed = db.execute(
        """SELECT query, count(*) AS n FROM self_service WHERE type = 'search' AND results_count = 0
           GROUP BY query ORDER BY n DESC"""
    ).fetchall()
    assert len(failed) >= 5 and failed[0][1] > 3 * failed[-1][1]
    followed = scalar(
        db,
        """SELECT count(DISTINCT s.session_id) FROM self_service s JOIN tickets t
           ON s.customer_id = t.customer_id
           AND t.created_at BETWEEN s."at" AND s."at" + INTERVAL 24 HOUR""",
    )
    assert followed > 0
    assert (
        0 < scalar(db, "SELECT avg(helpful::INT) FROM self_service WHERE type = 'article_vote'") < 1
    )


def test_revenue_moves(db: duckdb.DuckDBPyConnection) -> None:
    kinds = dict(db.execute("SELECT kind, count(*) FROM orders GROUP BY 1").fetchall())
    assert set(kinds) == set(TABLES["orders"].by_name["kind"].values)
    attributed = scalar(
        db,
        """SELECT count(*) FROM orders WHERE kind IN ('upsell', 'cross_sell')
           AND ticket_id IS NOT NULL AND agent_id IS NOT NULL""",
    )
    assert attributed > 0
    churned = scalar(
        db,
        f"SELECT count(*) FROM subscriptions WHERE ended_at >= TIMESTAMPTZ '{START.isoformat()}'",
    )
    assert churned > 0
    restarted = scalar(
        db,
        """SELECT count(*) FROM subscriptions a JOIN subscriptions b USING (customer_id)
           WHERE b.started_at > a.ended_at""",
    )
    assert restarted > 0
    repeat_buyers = scalar(
        db, "SELECT count(*) FROM (SELECT customer_id FROM orders GROUP BY 1 HAVING count(*) > 1)"
    )
    assert repeat_buyers > 0


def test_people(db: duckdb.DuckDBPyConnection) -> None:
    agents, teams, left = db.execute(
        "SELECT count(*), count(DISTINCT team), count(left_at) FROM agents"
    ).fetchall()[0]
    assert agents >= 8 and teams == 4 and 0 < left < agents
    assert scalar(db, "SELECT count(DISTINCT tier) FROM customers") == 3


def test_demos_and_reviews() -> None:
    """On more tickets: there are few demos and reviews per ticket."""
    con = connect(generate(40_000, seed=SEED))
    conversion = scalar(con, "SELECT count(registered_at) / count(*) FROM demos")
    assert 0.08 < conversion < 0.25
    requested, unprompted = con.execute(
        """SELECT avg(rating) FILTER (WHERE requested), avg(rating) FILTER (WHERE NOT requested)
           FROM reviews"""
    ).fetchall()[0]
    assert requested > unprompted + 0.5
    unattributed = "SELECT count(*) FROM reviews WHERE requested <> (agent_id IS NOT NULL)"
    assert scalar(con, unattributed) == 0


# --- writing ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> dict[str, pa.Table]:
    return generate(1_500, seed=2)


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_round_trip(small: dict[str, pa.Table], tmp_path: Path, fmt: str) -> None:
    paths = write(small, tmp_path, fmt)
    assert list(paths) == list(small)
    for name, path in paths.items():
        assert path == tmp_path / f"{name}.{fmt}" and path.exists()
        if fmt == "csv":
            back = duckdb.read_csv(str(path), all_varchar=True)
        elif fmt == "parquet":
            back = duckdb.read_parquet(str(path))
        else:
            back = duckdb.read_json(str(path), format="newline_delimited")
        assert back.shape == (small[name].num_rows, small[name].num_columns), name
        assert back.columns == small[name].column_names, name


def test_csv_format(small: dict[str, pa.Table], tmp_path: Path) -> None:
    paths = write(small, tmp_path, "csv")
    con = duckdb.connect()
    for name, path in paths.items():
        rel = f"read_csv('{path}', all_varchar = true)"
        for column in TABLES[name].columns:
            c = f'"{column.name}"'
            if column.kind is Kind.TIMESTAMP:
                bad = f"""SELECT count(*) FROM {rel} WHERE {c} IS NOT NULL
                    AND (TRY_CAST({c} AS TIMESTAMPTZ) IS NULL
                         OR NOT regexp_full_match({c}, '\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ'))"""
                assert scalar(con, bad) == 0, (name, column.name)
            if column.kind is Kind.BOOL:
                bad = f"SELECT count(*) FROM {rel} WHERE {c} NOT IN ('true', 'false')"
                assert scalar(con, bad) == 0, (name, column.name)
    header = paths["tickets"].read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == small["tickets"].column_names
    tickets = f"read_csv('{paths['tickets']}', all_varchar = true)"
    tags = scalar(con, f"SELECT tags FROM {tickets} WHERE tags LIKE '%;%' LIMIT 1")
    assert "[" not in tags and all(tags.split(";"))
    untagged = scalar(con, f"SELECT count(*) FROM {tickets} WHERE tags IS NULL")
    assert untagged == small["tickets"].column("tags").null_count
    sql = f"SELECT CAST(created_at AS TIMESTAMPTZ) AS created_at FROM {tickets}"
    back = con.sql(sql).to_arrow_table().column("created_at").cast(pa.int64())
    assert back.equals(small["tickets"].column("created_at").cast(pa.int64()))


def test_jsonl_format(small: dict[str, pa.Table], tmp_path: Path) -> None:
    path = write(small, tmp_path, "jsonl")["tickets"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == small["tickets"].num_rows
    rows = [json.loads(line) for line in lines]
    tagged = next(r for r in rows if r["tags"])
    assert isinstance(tagged["tags"], list)
    assert rows[0]["created_at"].endswith("Z")


def test_parquet_keeps_types(small: dict[str, pa.Table], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = write(small, tmp_path, "parquet")["tickets"]
    back = pq.read_table(path)
    assert back.schema.field("tags").type == pa.list_(pa.string())
    assert back.equals(small["tickets"])
