"""Benchmark: an incremental Zendesk import (a small batch of updates) after a large first import.

    python benchmarks/import_incremental.py --tickets 100000 --batch 1000 --runs 3

The first import loads the generated export of `import_stream.py` (tickets and three audits each).
Each run then imports a batch as an incremental export delivers it: `--batch` of those tickets again,
updated (reopened), with one new audit each and no users or groups. Imports are incremental: the
batch is converted together with the remembered inputs and only the changed rows are ingested, so a
batch costs one conversion of the history in the engine plus the ingest of its changes. Reports the
median wall time of the first import and of the batch, their ratio, the rows the batch loaded, and
the size of the remembered inputs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from _report import machine, save
from import_stream import dataset

UPDATES = """
SELECT i AS id, {'channel': 'email'} AS via,
    strftime(TIMESTAMP '2024-01-01' + INTERVAL (i * 60) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS created_at,
    strftime(TIMESTAMP '2025-01-01' + INTERVAL (i) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS updated_at,
    'open' AS status, 'normal' AS priority, 100000 + i % 9973 AS requester_id,
    100000 + i % 9973 AS submitter_id, 1000 + i % 40 AS assignee_id, 500 + i % 6 AS group_id
FROM range({n}) t(i)
"""
AUDITS = """
SELECT 10000000 + i AS id, i AS ticket_id,
    strftime(TIMESTAMP '2025-01-01' + INTERVAL (i) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS created_at,
    100000 + i % 9973 AS author_id, {'channel': 'email'} AS via,
    [{'id': 20000000 + i, 'type': 'Change', 'author_id': NULL, 'public': NULL,
      'field_name': 'status', 'value': 'open', 'previous_value': 'solved'}] AS events
FROM range({n}) t(i)
"""


def _import(ws: Path, data: Path) -> tuple[float, int]:
    command = [sys.executable, "-m", "supportmetrics", "import", "zendesk", str(data)]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "-w", str(ws), "--format", "json"], capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stdout}\n{done.stderr}")
    return wall, int(json.loads(done.stdout)["rows_loaded"])


def run_once(data: Path, batch: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp:
        ws, updates = Path(tmp) / "ws", Path(tmp) / "batch"
        updates.mkdir()
        with duckdb.connect() as con:
            for name, sql in (("tickets", UPDATES), ("ticket_audits", AUDITS)):
                query = sql.replace("{n}", str(batch))
                con.execute(f"COPY ({query}) TO '{updates / name}.jsonl' (FORMAT json)")
        subprocess.run(
            [sys.executable, "-m", "supportmetrics", "init", str(ws)],
            check=True,
            capture_output=True,
        )
        first, first_rows = _import(ws, data)
        second, second_rows = _import(ws, updates)
        remembered = sum(
            p.stat().st_size for p in (ws / ".supportmetrics" / "sources").rglob("*") if p.is_file()
        )
        return {
            "first_seconds": first,
            "first_rows": first_rows,
            "batch_seconds": second,
            "batch_rows": second_rows,
            "remembered_mb": remembered / 2**20,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = dataset(args.tickets)
    runs = [run_once(data, args.batch) for _ in range(args.runs)]
    first = statistics.median(r["first_seconds"] for r in runs)
    batch = statistics.median(r["batch_seconds"] for r in runs)
    result = {
        "benchmark": "import_incremental",
        "source": "zendesk",
        "tickets": args.tickets,
        "batch_tickets": args.batch,
        "runs": args.runs,
        "first_import_seconds_median": round(first, 2),
        "first_import_rows": runs[0]["first_rows"],
        "batch_seconds_median": round(batch, 2),
        "batch_rows_loaded": runs[0]["batch_rows"],
        "batch_to_first_ratio": round(batch / first, 3),
        "remembered_inputs_mb": round(runs[0]["remembered_mb"], 1),
        "machine": machine(),
    }
    save(result, f"import-incremental-{args.tickets}-{args.batch}")


if __name__ == "__main__":
    main()
