"""Cold start: six headline figures, each as a user runs it (one fresh process per figure).

    python benchmarks/cold_start.py --tickets 200000 --runs 3

Makes (once) a workspace with the demo dataset of `--tickets` tickets in `benchmarks/data/`, then
times, one fresh process per figure: `supportmetrics metric ...` with the facts cache off (every
process builds its facts: the behaviour before the cache), with the facts already cached (the
usual case between ingests), and the same six figures as hand-written DuckDB SQL on the same store.
The first cached pass (cache empty: one process builds and writes the facts, the others read
them) is reported too, and the first run checks that SQL and supportmetrics agree. Prints median
totals over `--runs` runs and the ratios to SQL; results go to
`benchmarks/results/cold-start-<tickets>.json`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from suite_data import dataset

HERE = Path(__file__).resolve().parent
CLI = [sys.executable, "-m", "supportmetrics"]

_REPLIES = """
    SELECT m.ticket_id, min(m.created_at) AS first_reply_at
    FROM messages m JOIN tickets t USING (ticket_id)
    WHERE m.author_type = 'agent' AND coalesce(m.public, true)
      AND NOT coalesce(m.automated, false) AND m.created_at >= t.created_at
    GROUP BY m.ticket_id
"""
_FRT = f"""
    SELECT t.channel AS label, {{stat}}(epoch(r.first_reply_at) - epoch(t.created_at)) AS value
    FROM tickets t JOIN ({_REPLIES}) r USING (ticket_id)
    WHERE t.created_by IS DISTINCT FROM 'agent'
    GROUP BY t.channel
"""
_SOLVED = "('solved', 'closed')"
_RESOLUTION = f"""
    WITH ev AS (
        SELECT ticket_id, "at", event_id, from_value, to_value
        FROM ticket_events WHERE type = 'status'
    ), hist AS (
        SELECT * FROM ev
        UNION ALL
        SELECT ticket_id, coalesce(solved_at, closed_at), NULL, 'open',
               CASE WHEN solved_at IS NULL THEN 'closed' ELSE 'solved' END
        FROM tickets WHERE coalesce(solved_at, closed_at) IS NOT NULL
            AND ticket_id NOT IN (SELECT ticket_id FROM ev)
    ), solves AS (
        SELECT ticket_id, max("at") AS last_solve_at, arg_max(to_value, ("at", event_id))
               AS history_status
        FROM hist
        WHERE to_value IN {_SOLVED} AND (from_value IS NULL OR from_value NOT IN {_SOLVED})
        GROUP BY ticket_id
    )
    SELECT t.channel AS label, median(epoch(s.last_solve_at) - epoch(t.created_at)) AS value
    FROM tickets t JOIN solves s USING (ticket_id)
    WHERE coalesce(t.status, s.history_status) IN {_SOLVED}
      AND s.last_solve_at >= t.created_at
    GROUP BY t.channel
"""
_CSAT = """
    SELECT strftime(date_trunc('month', submitted_at), '%Y-%m-%d') AS label,
           100.0 * count(*) FILTER (WHERE score >= coalesce(scale_max, 5) - 1) / count(*) AS value
    FROM surveys WHERE survey = 'csat' AND score IS NOT NULL
    GROUP BY label
"""
_VOLUME = """
    SELECT strftime(date_trunc('week', created_at), '%Y-%m-%d') AS label, count(*) AS value
    FROM tickets GROUP BY label
"""
_ABANDONMENT = """
    SELECT queue AS label, avg(CASE WHEN outcome = 'abandoned' THEN 1.0 ELSE 0.0 END) AS value
    FROM calls
    WHERE coalesce(direction, 'inbound') = 'inbound'
      AND outcome IN ('answered', 'abandoned', 'timeout')
      AND NOT (outcome = 'abandoned' AND coalesce(epoch(ended_at) - epoch(queued_at) < 5, false))
    GROUP BY queue
"""

FIGURES: dict[str, tuple[list[str], str, str]] = {
    "FRT mean by channel": (
        ["first_response_time", "--by", "channel"],
        "channel",
        _FRT.format(stat="avg"),
    ),
    "FRT median by channel": (
        ["first_response_time", "--by", "channel", "--stat", "median"],
        "channel",
        _FRT.format(stat="median"),
    ),
    "resolution median by channel": (
        ["resolution_time", "--by", "channel", "--stat", "median"],
        "channel",
        _RESOLUTION,
    ),
    "CSAT by month": (["csat", "--period", "month"], "period", _CSAT),
    "weekly volume": (["ticket_volume", "--period", "week"], "period", _VOLUME),
    "abandonment by queue": (["abandonment_rate", "--by", "queue"], "queue", _ABANDONMENT),
}

SQL_PROCESS = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")
rows = con.execute(sys.argv[2]).fetchall()
print(json.dumps({str(label): value for label, value in rows}))
"""


def workspace(tickets: int) -> Path:
    """The demo workspace of `tickets` tickets (made and ingested on first use)."""
    folder = HERE / "data" / f"cold-start-{tickets}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([*CLI, "init", str(folder)], check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run(
            [*CLI, "ingest", str(dataset(tickets)), "-w", str(folder)],
            check=True,
            capture_output=True,
        )
        print(f"ingested in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        marker.touch()
    return folder


def _cache(ws: Path, on: bool) -> None:
    config = ws / "supportmetrics.toml"
    text = config.read_text()
    text = text.replace("facts_cache = true", "").replace("facts_cache = false", "")
    text = text.replace("[engine]\n", f"[engine]\nfacts_cache = {'true' if on else 'false'}\n")
    if "[engine]" not in text:
        text += f"\n[engine]\nfacts_cache = {'true' if on else 'false'}\n"
    config.write_text(text)


def _timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def _cli(ws: Path, name: str) -> tuple[float, dict[str, float]]:
    args, label, _ = FIGURES[name]
    seconds, out = _timed([*CLI, "metric", *args, "-w", str(ws), "-f", "json"])
    return seconds, {str(r[label]): r["value"] for r in json.loads(out)["rows"]}


def _sql(ws: Path, name: str) -> tuple[float, dict[str, float]]:
    store = str(ws / "supportmetrics.duckdb")
    seconds, out = _timed([sys.executable, "-c", SQL_PROCESS, store, FIGURES[name][2]])
    return seconds, json.loads(out)


def _pass(ws: Path, way: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """One process per figure: seconds and values per figure."""
    run = _sql if way == "sql" else _cli
    seconds, values = {}, {}
    for name in FIGURES:
        seconds[name], values[name] = run(ws, name)
    return seconds, values


def _disagreement(a: dict[str, float], b: dict[str, float]) -> float:
    """The largest relative difference over the labels both have (inf if the labels differ)."""
    if set(a) != set(b):
        return float("inf")
    return max((abs(a[k] - b[k]) / max(abs(b[k]), 1e-9) for k in a), default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ws = workspace(args.tickets)
    facts = ws / ".supportmetrics" / "facts"

    _cache(ws, on=True)
    shutil.rmtree(facts, ignore_errors=True)
    first, cli_values = _pass(ws, "cached")  # the cache empty: built by the first figure
    _, sql_values = _pass(ws, "sql")
    agreement = {n: _disagreement(cli_values[n], sql_values[n]) for n in FIGURES}

    timings: dict[str, list[dict[str, float]]] = {"sql": [], "cached": [], "uncached": []}
    for _ in range(args.runs):
        for way in ("sql", "cached"):
            timings[way].append(_pass(ws, way)[0])
        _cache(ws, on=False)
        timings["uncached"].append(_pass(ws, "uncached")[0])
        _cache(ws, on=True)
    frt = [_cli(ws, "FRT mean by channel")[0] for _ in range(max(args.runs, 3))]

    def median(way: str, name: str | None = None) -> float:
        runs = timings[way]
        return statistics.median(sum(r.values()) if name is None else r[name] for r in runs)

    print(f"\n{args.tickets:,} tickets, median of {args.runs} runs, one process per figure (s)")
    print(f"{'figure':<30}{'SQL':>8}{'cached':>9}{'uncached':>10}{'agree':>10}")
    for name in FIGURES:
        print(
            f"{name:<30}{median('sql', name):>8.2f}{median('cached', name):>9.2f}"
            f"{median('uncached', name):>10.2f}{agreement[name]:>10.1e}"
        )
    sql, cached, uncached = median("sql"), median("cached"), median("uncached")
    print(f"{'total':<30}{sql:>8.2f}{cached:>9.2f}{uncached:>10.2f}")
    print(f"first pass with an empty cache: {sum(first.values()):.2f} s")
    print(f"ratio to SQL: cached {cached / sql:.2f}x, uncached {uncached / sql:.2f}x")
    print(
        f"fresh `metric first_response_time --by channel`, facts cached: "
        f"{statistics.median(frt):.2f} s (median of {len(frt)})"
    )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"cold-start-{args.tickets}.json").write_text(
        json.dumps(
            {
                "tickets": args.tickets,
                "runs": timings,
                "first_pass": first,
                "agreement": agreement,
                "frt_by_channel_cached": frt,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
