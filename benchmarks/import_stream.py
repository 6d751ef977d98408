"""Benchmark: import a ~1 GB Zendesk JSON Lines export (tickets + audits) with bounded memory.

    python benchmarks/import_stream.py --tickets 400000 --runs 3

Generates the export once (reused from benchmarks/data/): tickets as the incremental export returns
them and three audits per ticket (creation with the customer's comment; assignment, opening and an
agent's reply; the solve), written by DuckDB straight to JSON Lines. Then runs
`supportmetrics import zendesk` into a fresh workspace per run and reports the median wall time and
the peak resident memory of the import process (conversion and ingest together). The workspace's
`[ingest] memory_limit` (2GB by default) bounds the engine; goal: peak RSS well under 3 GB whatever
the export's size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from _report import machine, save

HERE = Path(__file__).resolve().parent

MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)
BODY = "Hello, I have a question about my last invoice and the refund you promised. " * 5

TICKETS = f"""
SELECT i AS id, 'https://example.zendesk.com/api/v2/tickets/' || i || '.json' AS url,
    {{'channel': ['email', 'web', 'chat', 'voice', 'native_messaging'][i % 5 + 1],
      'source': {{'from': {{'address': 'customer' || i % 9973 || '@example.com'}}, 'rel': NULL}}}}
        AS via,
    strftime(TIMESTAMP '2024-01-01' + INTERVAL (i * 60) SECOND, '%Y-%m-%dT%H:%M:%SZ')
        AS created_at,
    strftime(TIMESTAMP '2024-01-01' + INTERVAL (i * 60 + 7200) SECOND, '%Y-%m-%dT%H:%M:%SZ')
        AS updated_at,
    ['question', 'incident', 'problem', 'task'][i % 4 + 1] AS type,
    'Invoice question #' || i AS subject, '{BODY}' AS description,
    ['low', 'normal', 'high', 'urgent'][i % 4 + 1] AS priority, 'solved' AS status,
    100000 + i % 9973 AS requester_id, 100000 + i % 9973 AS submitter_id,
    1000 + i % 40 AS assignee_id, 500 + i % 6 AS group_id, 700 + i % 300 AS organization_id,
    ['billing', 'refund'] AS tags,
    [{{'id': 360001, 'value': ['refund', 'access', 'bug'][i % 3 + 1]}}] AS custom_fields
FROM range({{n}}) t(i)
"""

AUDITS = f"""
WITH t AS (SELECT i, TIMESTAMP '2024-01-01' + INTERVAL (i * 60) SECOND AS t0 FROM range({{n}}) t(i))
SELECT i * 3 AS id, i AS ticket_id, strftime(t0, '%Y-%m-%dT%H:%M:%SZ') AS created_at,
    100000 + i % 9973 AS author_id, {{'channel': 'email'}} AS via,
    [{{'id': i * 10, 'type': 'Comment', 'author_id': 100000 + i % 9973, 'body': '{BODY}',
       'public': true, 'field_name': NULL, 'value': NULL, 'previous_value': NULL}},
     {{'id': i * 10 + 1, 'type': 'Create', 'author_id': NULL, 'body': NULL, 'public': NULL,
       'field_name': 'status', 'value': 'new', 'previous_value': NULL}}] AS events
FROM t
UNION ALL
SELECT i * 3 + 1, i, strftime(t0 + INTERVAL 30 MINUTE, '%Y-%m-%dT%H:%M:%SZ'), 1000 + i % 40,
    {{'channel': 'web'}},
    [{{'id': i * 10 + 2, 'type': 'Comment', 'author_id': 1000 + i % 40, 'body': '{BODY}',
       'public': true, 'field_name': NULL, 'value': NULL, 'previous_value': NULL}},
     {{'id': i * 10 + 3, 'type': 'Change', 'author_id': NULL, 'body': NULL, 'public': NULL,
       'field_name': 'status', 'value': 'open', 'previous_value': 'new'}},
     {{'id': i * 10 + 4, 'type': 'Change', 'author_id': NULL, 'body': NULL, 'public': NULL,
       'field_name': 'assignee_id', 'value': CAST(1000 + i % 40 AS VARCHAR),
       'previous_value': NULL}}]
FROM t
UNION ALL
SELECT i * 3 + 2, i, strftime(t0 + INTERVAL 2 HOUR, '%Y-%m-%dT%H:%M:%SZ'), 1000 + i % 40,
    {{'channel': 'web'}},
    [{{'id': i * 10 + 5, 'type': 'Change', 'author_id': NULL, 'body': NULL, 'public': NULL,
       'field_name': 'status', 'value': 'solved', 'previous_value': 'open'}}]
FROM t
"""


def _cli() -> list[str]:
    return [sys.executable, "-m", "supportmetrics"]


def dataset(tickets: int) -> Path:
    """The generated export for `tickets`, written on first use."""
    folder = HERE / "data" / f"zendesk-{tickets}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        started = time.perf_counter()
        with duckdb.connect() as con:
            for name, sql in (("tickets", TICKETS), ("ticket_audits", AUDITS)):
                target = folder / f"{name}.jsonl"
                query = sql.replace("{n}", str(tickets))
                con.execute(f"COPY ({query}) TO '{target}' (FORMAT json)")
        print(f"generated {folder} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        marker.touch()
    return folder


def run_once(data: Path) -> dict[str, float]:
    """One import into a fresh workspace: wall seconds, peak RSS, rows loaded."""
    with tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run([*_cli(), "init", str(ws)], check=True, capture_output=True)
        command = [*_cli(), "import", "zendesk", str(data), "-w", str(ws), "--format", "json"]
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"import failed:\n{done.stdout}\n{done.stderr}")
        report = json.loads(done.stdout)
        return {
            "wall_seconds": wall,
            "peak_rss_mb": int(done.stderr.strip().splitlines()[-1]) / 1024,
            "rows": report["rows_loaded"],
            "ingest_seconds": report["seconds"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    data = dataset(args.tickets)
    size_mb = sum(p.stat().st_size for p in data.glob("*.jsonl")) / 2**20
    runs = [run_once(data) for _ in range(args.runs)]
    wall = [r["wall_seconds"] for r in runs]
    result = {
        "benchmark": "import_stream",
        "source": "zendesk",
        "tickets": args.tickets,
        "input_mb": round(size_mb, 1),
        "rows_loaded": runs[0]["rows"],
        "runs": args.runs,
        "wall_seconds_median": round(statistics.median(wall), 2),
        "wall_seconds_all": [round(w, 2) for w in wall],
        "ingest_seconds_median": round(statistics.median(r["ingest_seconds"] for r in runs), 2),
        "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in runs)),
        "memory_limit": "2GB (workspace default)",
        "machine": machine(),
    }
    save(result, f"import-zendesk-{args.tickets}")


if __name__ == "__main__":
    main()
