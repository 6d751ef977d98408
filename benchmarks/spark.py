"""Benchmark: the cost of computing on local Spark beside the embedded DuckDB store.

    python benchmarks/spark.py --tickets 1000000 --runs 3

Builds (once, cached in benchmarks/data/) the demo workspace of `metrics.py` and its lake
(`supportmetrics export-lake`), then per run and per backend, each in a fresh process: the time to
start (DuckDB: open the store; Spark: start the session on local[2] with a 2 GB driver and read the
lake), the first query (first_response_time by channel: builds and caches the ticket facts) and a
warm query (resolution_time by channel, weekly: the cached facts again, median of three). Reports
medians across runs and Spark / DuckDB ratios. Needs the spark extra and Java.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _report import machine, save
from metrics import HERE, POLICY, workspace

SPARK_CONF = (
    '{ "spark.driver.memory" = "2g", "spark.sql.shuffle.partitions" = 4, '
    '"spark.ui.enabled" = false }'
)
FIRST = ("first_response_time", {"by": ["channel"]})
WARM = ("resolution_time", {"by": ["channel"], "period": "week"})


def lake(folder: Path, tickets: int, seed: int) -> Path:
    """The workspace's tables as a lake, and a workspace computing on local Spark from it."""
    spark = HERE / "data" / f"spark-{tickets}-seed{seed}"
    if not (spark / ".complete").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "supportmetrics",
                "export-lake",
                str(spark / "lake"),
                "--replace",
                "--workspace",
                str(folder),
            ],
            check=True,
        )
        (spark / "ws").mkdir(parents=True, exist_ok=True)
        (spark / "ws" / "supportmetrics.toml").write_text(
            'timezone = "America/New_York"\n[store]\nengine = "spark"\n[store.spark]\n'
            f'master = "local[2]"\ntables = "../lake"\nconf = {SPARK_CONF}\n{POLICY}'
        )
        (spark / ".complete").touch()
    return spark / "ws"


def run_once(folder: Path) -> dict[str, float]:
    """Start, first query and warm query on a fresh engine over `folder` (run in its own process)."""
    import supportmetrics

    started = time.perf_counter()
    ws = supportmetrics.connect(folder)
    ws.engine().span()  # connected and the tables read: the engine is ready
    start = time.perf_counter() - started
    t = time.perf_counter()
    ws.metric(FIRST[0], **FIRST[1])
    first = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        ws.metric(WARM[0], **WARM[1])
        warm.append(time.perf_counter() - t)
    ws.close()
    return {"start": start, "first": first, "warm": statistics.median(warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a run, in its own process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_once(args.one)))
        return
    duck = workspace(args.tickets, args.seed)
    spark = lake(duck, args.tickets, args.seed)
    runs: dict[str, list[dict[str, float]]] = {"duckdb": [], "spark": []}
    for _ in range(args.runs):  # alternate, so both see the same load
        for name, folder in (("duckdb", duck), ("spark", spark)):
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    medians = {
        name: {k: round(statistics.median(r[k] for r in rs), 2) for k in ("start", "first", "warm")}
        for name, rs in runs.items()
    }
    result = {
        "machine": machine(),
        "tickets": args.tickets,
        "runs": args.runs,
        "first_query": FIRST[0] + " by channel",
        "warm_query": WARM[0] + " by channel, weekly",
        "spark": "local[2], driver 2 GB, 4 shuffle partitions, lake as Parquet",
        "median_seconds": medians,
        "spark_over_duckdb": {
            k: round(medians["spark"][k] / medians["duckdb"][k], 1) for k in medians["spark"]
        },
        "all_seconds": {
            n: [{k: round(v, 2) for k, v in r.items()} for r in rs] for n, rs in runs.items()
        },
    }
    save(result, f"spark-{args.tickets}")


if __name__ == "__main__":
    main()
