"""The floor: hand-written DuckDB SQL over the Parquet files, written for speed.

Per-ticket facts are computed once into temporary tables; each figure is then one scan with
GROUPING SETS (overall, channel, team, local week). Business seconds use the precomputed calendar
table (`suite_spec.business_calendar`), F(b) - F(a) as DESIGN.md describes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from suite_spec import BUDGETS, TIMEZONE, Figures, business_calendar, group_label, parquet_source

__all__ = ["figures"]

_SOLVED = "('solved', 'closed')"
_UNSOLVED = "('new', 'open', 'pending', 'on_hold')"


def _f(ts: str, alias: str, width: int) -> str:
    """F(ts): business seconds from the calendar's origin, with calendar row `alias` joined."""
    sod = f"(epoch({ts}) - {alias}.epoch_day * 86400)"
    parts = [f"least(greatest({sod} - {alias}.open_{k}, 0), {alias}.len_{k})" for k in range(width)]
    return f"({alias}.cum_before + {' + '.join(parts)})"


def _day(ts: str) -> str:
    return f"CAST(floor(epoch({ts}) / 86400) AS BIGINT)"


def _splits(con: duckdb.DuckDBPyConnection, source: str, aggregates: str) -> dict[str, list]:
    """Rows of `source` (channel, team, filed_at, ...) aggregated overall, by channel, team and
    local week; returns {split: [(label, *aggregates)]}."""
    rows = con.execute(
        f"""
        SELECT grouping(channel) AS gc, grouping(team) AS gt, grouping(week) AS gw,
               channel, team, week, {aggregates}
        FROM (SELECT *, date_trunc('week', timezone('{TIMEZONE}', filed_at)) AS week FROM {source})
        GROUP BY GROUPING SETS ((), (channel), (team), (week))
        """
    ).fetchall()
    out: dict[str, list] = {"overall": [], "channel": [], "team": [], "week": []}
    for gc, gt, gw, channel, team, week, *values in rows:
        if gc and gt and gw:
            out["overall"].append(("", *values))
        elif not gc:
            out["channel"].append((group_label(channel), *values))
        elif not gt:
            out["team"].append((group_label(team), *values))
        else:
            out["week"].append((group_label(week), *values))
    return out


def _store(out: Figures, metric: str, clock: str, split_rows: dict[str, list], kind: str) -> None:
    for split, rows in split_rows.items():
        figure = {}
        for label, *values in rows:
            if kind == "median":
                value, n = values
            elif kind == "share":
                numerator, n = values
                value = numerator / n if n else None
            elif kind == "percent":
                numerator, n = values
                value = 100 * numerator / n if n else None
            else:  # nps
                promoters, detractors, n = values
                value = 100 * (promoters - detractors) / n if n else None
            figure[label] = [value, n]
        out[f"{metric}|{clock}|{split}"] = figure


_MEDIAN = "median(value), count(value)"
_SHARE = "sum(CASE WHEN value THEN 1 ELSE 0 END), count(value)"


def _ticket_facts(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    """tf: one row per ticket with first reply, solves, reopens and replies (calendar clock)."""
    tickets, messages, events = (
        parquet_source(data, t) for t in ("tickets", "messages", "ticket_events")
    )
    con.execute(
        f"""
        CREATE TEMP TABLE t AS SELECT ticket_id, created_at, channel, team, created_by, status,
            solved_at, closed_at FROM read_parquet('{tickets}');
        CREATE TEMP TABLE ev AS SELECT ticket_id, "at", event_id, from_value, to_value
            FROM read_parquet('{events}') WHERE type = 'status';
        CREATE TEMP TABLE hist AS
            SELECT * FROM ev
            UNION ALL
            SELECT ticket_id, coalesce(solved_at, closed_at), NULL, 'open',
                   CASE WHEN solved_at IS NULL THEN 'closed' ELSE 'solved' END
            FROM t WHERE coalesce(solved_at, closed_at) IS NOT NULL
                AND ticket_id NOT IN (SELECT ticket_id FROM ev)
            UNION ALL
            SELECT ticket_id, closed_at, NULL, 'solved', 'closed'
            FROM t WHERE solved_at IS NOT NULL AND closed_at IS NOT NULL
                AND ticket_id NOT IN (SELECT ticket_id FROM ev);
        CREATE TEMP TABLE tf AS
        WITH replies AS (
            SELECT r.ticket_id,
                   min(r.created_at) FILTER (WHERE r.created_at >= t.created_at) AS first_reply_at,
                   count(*) AS agent_replies
            FROM read_parquet('{messages}') r JOIN t USING (ticket_id)
            WHERE r.author_type = 'agent' AND coalesce(r.public, true)
                AND NOT coalesce(r.automated, false)
            GROUP BY r.ticket_id
        ), summary AS (
            SELECT ticket_id,
                min("at") FILTER (WHERE is_solve) AS first_solved_at,
                max("at") FILTER (WHERE is_solve) AS last_solve_at,
                count(*) FILTER (WHERE from_value IN {_SOLVED} AND to_value IN {_UNSOLVED})
                    AS reopens,
                arg_max(to_value, ("at", event_id)) AS history_status
            FROM (SELECT *, to_value IN {_SOLVED}
                        AND (from_value IS NULL OR from_value NOT IN {_SOLVED}) AS is_solve
                  FROM hist)
            GROUP BY ticket_id
        )
        SELECT t.ticket_id, t.created_at, t.channel, t.team, t.created_by,
               r.first_reply_at,
               CASE WHEN t.created_by = 'agent' THEN NULL ELSE r.first_reply_at END AS stop_at,
               s.first_solved_at,
               CASE WHEN coalesce(t.status, s.history_status, 'new') IN {_SOLVED}
                    THEN s.last_solve_at END AS last_solved_at,
               coalesce(s.reopens, 0) AS reopens,
               coalesce(r.agent_replies, 0) AS agent_replies
        FROM t LEFT JOIN replies r USING (ticket_id) LEFT JOIN summary s USING (ticket_id);
        """
    )


def _business(con: duckdb.DuckDBPyConnection, calendar: pa.Table) -> None:
    """tb: business seconds to the first reply and to the last solve."""
    width = sum(1 for c in calendar.column_names if c.startswith("open_"))
    con.register("cal_arrow", calendar)
    con.execute("CREATE TEMP TABLE cal AS SELECT * FROM cal_arrow")
    f_created, f_reply, f_solved = (
        _f(ts, alias, width)
        for ts, alias in (("created_at", "c0"), ("stop_at", "c1"), ("last_solved_at", "c2"))
    )
    con.execute(
        f"""
        CREATE TEMP TABLE tb AS
        SELECT channel, team, created_at, last_solved_at,
               {f_reply} - {f_created} AS frt, {f_solved} - {f_created} AS res
        FROM tf
        LEFT JOIN cal c0 ON c0.epoch_day = {_day("created_at")}
        LEFT JOIN cal c1 ON c1.epoch_day = {_day("stop_at")}
        LEFT JOIN cal c2 ON c2.epoch_day = {_day("last_solved_at")}
        """
    )


def _durations(con: duckdb.DuckDBPyConnection, out: Figures, clock: str) -> None:
    if clock == "calendar":
        frt = "epoch(stop_at) - epoch(created_at)"
        res = "epoch(last_solved_at) - epoch(created_at)"
        table = "tf"
    else:
        frt, res, table = "frt", "res", "tb"
    for metric, value, filed in (
        ("first_response_time", frt, "created_at"),
        ("resolution_time", res, "last_solved_at"),
    ):
        source = (
            f"(SELECT channel, team, {filed} AS filed_at, CAST({value} AS DOUBLE) AS value "
            f"FROM {table} WHERE {value} >= 0)"
        )
        _store(out, metric, clock, _splits(con, source, _MEDIAN), "median")


def _quality(con: duckdb.DuckDBPyConnection, out: Figures, now: datetime) -> None:
    fcr = (
        "(SELECT channel, team, last_solved_at AS filed_at, "
        "agent_replies = 1 AND reopens = 0 AS value FROM tf WHERE last_solved_at IS NOT NULL)"
    )
    _store(out, "first_contact_resolution", "calendar", _splits(con, fcr, _SHARE), "share")
    reopen = (
        "(SELECT channel, team, first_solved_at AS filed_at, reopens > 0 AS value "
        "FROM tf WHERE first_solved_at IS NOT NULL)"
    )
    _store(out, "reopen_rate", "calendar", _splits(con, reopen, _SHARE), "share")
    frt, res = BUDGETS["first_response_time"], BUDGETS["resolution_time"]
    sla = f"""(
        SELECT channel, team, due AS filed_at,
               CASE WHEN stop IS NOT NULL THEN stop <= due
                    WHEN due < TIMESTAMPTZ '{now.isoformat()}' THEN false END AS value
        FROM (
            SELECT channel, team, coalesce(first_reply_at, first_solved_at) AS stop,
                   created_at + INTERVAL {frt} SECOND AS due
            FROM tf WHERE created_by != 'agent'
            UNION ALL
            SELECT channel, team, last_solved_at, created_at + INTERVAL {res} SECOND FROM tf
        )
    ) WHERE value IS NOT NULL"""
    _store(
        out, "sla_attainment", "calendar", _splits(con, f"(SELECT * FROM {sla})", _SHARE), "share"
    )


def _backlog(con: duckdb.DuckDBPyConnection, out: Figures) -> None:
    """Unsolved stretches; the snapshot at each week's end is the running sum of +1 / -1."""
    con.execute(
        f"""
        CREATE TEMP TABLE deltas AS
        WITH ch AS (
            SELECT ticket_id, "at", to_value,
                   lead("at") OVER (PARTITION BY ticket_id ORDER BY "at", event_id) AS next_at
            FROM hist
        ), first_change AS (SELECT ticket_id, min("at") AS first_at FROM hist GROUP BY ticket_id),
        seg AS (
            SELECT ticket_id, "at" AS s, next_at AS e FROM ch WHERE to_value NOT IN {_SOLVED}
            UNION ALL
            SELECT t.ticket_id, t.created_at, f.first_at FROM t LEFT JOIN first_change f
                USING (ticket_id)
        ), open_seg AS (
            SELECT t.channel, t.team, s, e,
                   greatest(s, t.created_at + INTERVAL 24 HOUR) AS aged_at
            FROM seg JOIN t USING (ticket_id)
            WHERE e IS NULL OR e > s
        )
        SELECT channel, team, s AS "at", 1 AS delta FROM open_seg
        UNION ALL
        SELECT channel, team, e, -1 FROM open_seg WHERE e IS NOT NULL
        UNION ALL  -- aged moments change nothing here but extend the engine's list of periods
        SELECT channel, team, aged_at, 0 FROM open_seg WHERE e IS NULL OR aged_at < e
        """
    )
    for split in ("overall", "channel", "team"):
        column = {"overall": "''", "channel": "channel", "team": "team"}[split]
        rows = con.execute(f"SELECT {column}, sum(delta) FROM deltas GROUP BY 1").fetchall()
        out[f"backlog|calendar|{split}"] = {
            ("" if split == "overall" else group_label(g)): [int(v), int(v)] for g, v in rows
        }
    rows = con.execute(
        f"""
        WITH weekly AS (
            SELECT date_trunc('week', timezone('{TIMEZONE}', "at")) AS week, sum(delta) AS delta
            FROM deltas GROUP BY 1
        ), spine AS (
            SELECT unnest(generate_series(min(week), max(week), INTERVAL 7 DAY)) AS week
            FROM weekly
        )
        SELECT spine.week, sum(coalesce(delta, 0)) OVER (ORDER BY spine.week)
        FROM spine LEFT JOIN weekly USING (week)
        """
    ).fetchall()
    out["backlog|calendar|week"] = {group_label(w): [int(v), int(v)] for w, v in rows}


def _surveys(con: duckdb.DuckDBPyConnection, data: Path, out: Figures) -> None:
    surveys = parquet_source(data, "surveys")
    con.execute(
        f"""
        CREATE TEMP TABLE sv AS
        SELECT s.survey, s.score, s.scale_min, s.scale_max, s.submitted_at AS filed_at,
               coalesce(s.channel, t.channel) AS channel, t.team
        FROM read_parquet('{surveys}') s LEFT JOIN t USING (ticket_id)
        WHERE s.survey IN ('csat', 'nps')
        """
    )
    csat = (
        "(SELECT channel, team, filed_at, "
        "score >= coalesce(CAST(scale_max AS DOUBLE), 5.0) - 1 AS value "
        "FROM sv WHERE survey = 'csat')"
    )
    _store(out, "csat", "calendar", _splits(con, csat, _SHARE), "percent")
    scaled = (
        "10 * (score - coalesce(CAST(scale_min AS DOUBLE), 0.0)) / "
        "(coalesce(CAST(scale_max AS DOUBLE), 10.0) - coalesce(CAST(scale_min AS DOUBLE), 0.0))"
    )
    nps = f"(SELECT channel, team, filed_at, {scaled} AS p FROM sv WHERE survey = 'nps')"
    aggregates = "count(*) FILTER (WHERE p >= 9), count(*) FILTER (WHERE p <= 6), count(*)"
    _store(out, "nps", "calendar", _splits(con, nps, aggregates), "nps")


def _calls(con: duckdb.DuckDBPyConnection, data: Path, out: Figures) -> None:
    calls, agents = parquet_source(data, "calls"), parquet_source(data, "agents")
    con.execute(
        f"""
        CREATE TEMP TABLE offered AS
        SELECT 'phone' AS channel, a.team, c.queued_at AS filed_at, c.outcome, c.wait
        FROM (
            SELECT *, CASE WHEN outcome = 'answered' THEN epoch(answered_at) - epoch(queued_at)
                           ELSE epoch(ended_at) - epoch(queued_at) END AS wait
            FROM read_parquet('{calls}')
            WHERE coalesce(direction, 'inbound') = 'inbound'
                AND outcome IN ('answered', 'abandoned', 'timeout')
        ) c LEFT JOIN read_parquet('{agents}') a USING (agent_id)
        WHERE NOT (c.outcome = 'abandoned' AND coalesce(c.wait < 5, false))
        """
    )
    abandoned = "(SELECT channel, team, filed_at, outcome = 'abandoned' AS value FROM offered)"
    _store(out, "abandonment_rate", "calendar", _splits(con, abandoned, _SHARE), "share")
    level = (
        "(SELECT channel, team, filed_at, outcome = 'answered' AND wait <= 20 AS value "
        "FROM offered)"
    )
    _store(out, "service_level", "calendar", _splits(con, level, _SHARE), "share")


def figures(
    data: Path, timings: dict[str, float] | None = None, now: datetime | None = None
) -> Figures:
    """Every figure from the Parquet files of `data`; `timings` gets seconds per step."""
    now = now or datetime.now(UTC)
    timings = {} if timings is None else timings
    out: Figures = {}
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    steps = (
        ("calendar", lambda: (_ticket_facts(con, data), _durations(con, out, "calendar"))),
        (
            "business",
            lambda: (_business(con, business_calendar()), _durations(con, out, "business")),
        ),
        ("quality", lambda: _quality(con, out, now)),
        ("backlog", lambda: _backlog(con, out)),
        ("surveys", lambda: _surveys(con, data, out)),
        ("calls", lambda: _calls(con, data, out)),
    )
    for name, step in steps:
        started = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - started
    con.close()
    return out
