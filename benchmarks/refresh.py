"""Facts after an ingest: refreshed incrementally against dropped and rebuilt by the next query.

    python benchmarks/refresh.py --tickets 200000 --runs 3

Makes (once) a workspace with the demo dataset of `--tickets` tickets and a correction batch of
1% of its tickets (each ticket's priority, and its agents' messages 30 minutes later), in
`benchmarks/data/`. Each run copies the workspace, caches the facts the figures below read
(`ticket_core` on both clocks, `tickets`: one process), ingests the batch in a fresh process
and runs the first queries after it, each in a fresh process: once with the incremental refresh
(the ingest recomputes the touched tickets' rows) and once without it (the facts dropped, as
before: the first query rebuilds what it reads). Prints medians over `--runs` runs side by side
and checks the two ways give the same answers; results go to
`benchmarks/results/refresh-<tickets>.json`.
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

import duckdb

from suite_data import dataset

HERE = Path(__file__).resolve().parent
CLI = [sys.executable, "-m", "supportmetrics"]
QUERIES = {
    "FRT by channel": ["first_response_time", "--by", "channel"],
    "FRT business by channel": ["first_response_time", "--by", "channel", "--clock", "business"],
    "repeat rate by channel": ["repeat_contact_rate", "--by", "channel"],
}
WARM = """
import sys
import supportmetrics
engine = supportmetrics.connect(sys.argv[1]).engine()
for name, clock in (("ticket_core", "calendar"), ("ticket_core", "business"), ("tickets", "calendar")):
    engine.facts(name, clock=clock)
"""
INGEST = """
import json, sys
import supportmetrics
from supportmetrics import fact_refresh
if sys.argv[3] == "full":
    fact_refresh.MAX_SHARE = -1.0  # every batch is too large: the facts are dropped, as before
report = supportmetrics.connect(sys.argv[1]).ingest([sys.argv[2]])
print(json.dumps({"facts": report.facts, "refresh": report.facts_refresh}))
"""


def prepared(tickets: int) -> tuple[Path, Path]:
    """The demo workspace of `tickets` tickets and the correction batch (made on first use)."""
    folder = HERE / "data" / f"refresh-{tickets}"
    ws, batch, marker = folder / "ws", folder / "batch", folder / ".complete"
    if marker.exists():
        return ws, batch
    shutil.rmtree(folder, ignore_errors=True)
    data = dataset(tickets)
    subprocess.run([*CLI, "init", str(ws)], check=True, capture_output=True)
    subprocess.run([*CLI, "ingest", str(data), "-w", str(ws)], check=True, capture_output=True)
    batch.mkdir(parents=True)
    # every 100th ticket, leaving out the last 30 days so that the batch moves no bound
    picked = (
        f"SELECT ticket_id FROM '{data}/tickets.parquet' WHERE hash(ticket_id) % 100 = 0 "
        f"AND created_at < (SELECT max(created_at) FROM '{data}/tickets.parquet') - INTERVAL 30 DAY"
    )
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * REPLACE ('urgent' AS priority) FROM '{data}/tickets.parquet' "
            f"WHERE ticket_id IN ({picked})) TO '{batch}/tickets.parquet' (FORMAT parquet)"
        )
        con.execute(
            f"COPY (SELECT * REPLACE (created_at + INTERVAL 30 MINUTE AS created_at) FROM "
            f"'{data}/messages.parquet' WHERE author_type = 'agent' AND ticket_id IN ({picked})) "
            f"TO '{batch}/messages.parquet' (FORMAT parquet)"
        )
    marker.touch()
    return ws, batch


def _timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def run(ws: Path, batch: Path, way: str) -> tuple[dict[str, float], dict[str, object]]:
    """One run on a copy of `ws`: seconds per step, and the answers and the ingest's summary."""
    work = ws.parent / f"work-{way}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ws, work)
    subprocess.run([sys.executable, "-c", WARM, str(work)], check=True, capture_output=True)
    seconds: dict[str, float] = {}
    seconds["ingest"], out = _timed([sys.executable, "-c", INGEST, str(work), str(batch), way])
    ingested = json.loads(out)
    refresh = ingested["refresh"] or {}
    seconds["refresh"] = float(refresh.get("seconds", 0.0)) if refresh.get("refreshed") else 0.0
    answers: dict[str, object] = {"facts": ingested["facts"]}
    for name, args in QUERIES.items():
        seconds[name], out = _timed([*CLI, "metric", *args, "-w", str(work), "-f", "json"])
        answers[name] = json.loads(out)["rows"]
    shutil.rmtree(work)
    return seconds, answers


def _disagreement(a: object, b: object) -> float:
    """The largest relative difference between the numbers of two query answers (the same rows
    summed in another order differ in the last digits); inf when anything else differs."""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return max((_disagreement(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return max((_disagreement(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) / max(abs(b), 1e-9)
    return 0.0 if a == b else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ws, batch = prepared(args.tickets)
    timings: dict[str, list[dict[str, float]]] = {"incremental": [], "full": []}
    answers: dict[str, dict[str, object]] = {}
    for _ in range(args.runs):
        for way in timings:
            seconds, answers[way] = run(ws, batch, way)
            timings[way].append(seconds)
    gap = max(_disagreement(answers["incremental"][q], answers["full"][q]) for q in QUERIES)
    same = gap <= 1e-9

    def median(way: str, step: str) -> float:
        return statistics.median(r[step] for r in timings[way])

    steps = ["ingest", "refresh", *QUERIES]
    print(f"\n{args.tickets:,} tickets, 1% correction batch, median of {args.runs} runs (s)")
    print(f"{'step':<28}{'incremental':>12}{'full':>10}")
    for step in steps:
        print(f"{step:<28}{median('incremental', step):>12.2f}{median('full', step):>10.2f}")
    totals = {
        way: statistics.median(sum(r[s] for s in steps if s != "refresh") for r in timings[way])
        for way in timings
    }
    print(f"{'ingest + queries':<28}{totals['incremental']:>12.2f}{totals['full']:>10.2f}")
    print(f"same answers both ways: {same} (largest relative difference {gap:.1e})")
    print(f"incremental: {answers['incremental']['facts']}")
    print(f"full: {answers['full']['facts']}")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"refresh-{args.tickets}.json").write_text(
        json.dumps(
            {
                "tickets": args.tickets,
                "runs": timings,
                "largest_difference": gap,
                "answers": answers,
            },
            indent=2,
            default=str,
        )
    )
    if not same:
        sys.exit("the incremental and full ways disagree")


if __name__ == "__main__":
    main()
