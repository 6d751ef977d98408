"""Benchmark: ingest the demo dataset into a fresh workspace, stage by stage.

    python benchmarks/ingest.py --tickets 1000000 --runs 3
    python benchmarks/ingest.py --tickets 1000000 --runs 3 --baseline /path/to/other/checkout/src
    python benchmarks/ingest.py --data benchmarks/data/demo-10000000-seed0-parquet-10parts --runs 1

Generates the dataset once (reused from benchmarks/data/), or takes the folder `--data` names (such
as the suite's 10M tickets in ten parts per table, from `benchmarks/suite_data.py`), then ingests
it in a fresh workspace per run, each in its own process, and reports the median wall time, CPU
time (user + system), rows per second, peak memory (max RSS of the ingest process) and the seconds
of each stage the ingest reports as it goes (reading the files, checking each table's rows, checking references, writing,
committing, compacting). With `--baseline` the same runs alternate with the package found in that
`src` folder, on the same data at the same moment, and the ratios current / baseline are reported.
Goal for 1M tickets on 2 cores: <= 30 s and <= 3 GB; 10M within 10x the 1M time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _report import machine, save

HERE = Path(__file__).resolve().parent

# Ingests argv[1] into a fresh workspace argv[2] through the Python API (what `supportmetrics
# ingest` runs) and prints the rows, the seconds per stage and the CPU time as JSON. Stages: reading
# the files, checking each table's rows, checking against the store (references, custom columns),
# writing (each table as it is checked), committing (the commit and its checkpoint), compacting.
RUNNER = """
import json, resource, sys, time
import supportmetrics
ws = supportmetrics.init(sys.argv[2])
stages, marks = {}, []
def step(what):
    stage = what.split()[0] if what.startswith(("reading", "checking ", "writing")) else what
    marks.append((time.perf_counter(), "checking against the store" if "store" in what else stage))
started, cpu = time.perf_counter(), time.process_time()
report = ws.ingest([sys.argv[1]], step=step)
ended = time.perf_counter()
for (at, what), (until, _) in zip(marks, marks[1:] + [(ended, None)]):
    stages[what] = stages.get(what, 0.0) + until - at
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "rows": report.rows_loaded, "seconds": ended - started, "cpu": time.process_time() - cpu,
    "peak_rss_mb": usage.ru_maxrss / 1024, "stages": stages,
}))
"""


def _cli() -> list[str]:
    return [sys.executable, "-m", "supportmetrics"]


def dataset(tickets: int, seed: int, fmt: str) -> Path:
    """The demo dataset for `tickets`, generated on first use."""
    folder = HERE / "data" / f"demo-{tickets}-seed{seed}-{fmt}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [
                *_cli(),
                "demo-data",
                "--tickets",
                str(tickets),
                "--seed",
                str(seed),
                "--out",
                str(folder),
                "--file-format",
                fmt,
            ],
            check=True,
        )
        print(f"generated {folder} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        marker.touch()
    return folder


def run_once(data: Path, src: Path | None) -> dict[str, Any]:
    """One ingest into a fresh workspace, in a fresh process (the package from `src` if given)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    with tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp:
        ws = Path(tmp) / "ws"
        done = subprocess.run(
            [sys.executable, "-c", RUNNER, str(data), str(ws)],
            capture_output=True,
            text=True,
            env=env,
        )
        if done.returncode != 0:
            raise SystemExit(f"ingest failed:\n{done.stdout}\n{done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["store_mb"] = (ws / "supportmetrics.duckdb").stat().st_size / 2**20
        return result


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the runs (stages: median seconds of each), and the worst peak memory."""
    wall = statistics.median(r["seconds"] for r in runs)
    names = dict.fromkeys(name for r in runs for name in r["stages"])
    return {
        "wall_seconds_median": round(wall, 2),
        "wall_seconds_all": [round(r["seconds"], 2) for r in runs],
        "cpu_seconds_median": round(statistics.median(r["cpu"] for r in runs), 2),
        "rows_per_second_median": round(runs[0]["rows"] / wall),
        "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in runs)),
        "store_mb": round(runs[0]["store_mb"], 1),
        "stages_seconds_median": {
            name: round(statistics.median(r["stages"].get(name, 0.0) for r in runs), 2)
            for name in names
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file-format", default="csv", choices=["csv", "parquet", "jsonl"])
    parser.add_argument("--baseline", type=Path, help="a `src` folder to compare with")
    parser.add_argument(
        "--data", type=Path, help="a dataset folder to ingest instead of the generated one"
    )
    args = parser.parse_args()

    data = args.data or dataset(args.tickets, args.seed, args.file_format)
    size_mb = sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) / 2**20
    current: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    for _ in range(args.runs):
        current.append(run_once(data, None))
        if args.baseline:
            baseline.append(run_once(data, args.baseline))
    result: dict[str, Any] = {
        "benchmark": "ingest",
        **(
            {"data": data.name}
            if args.data
            else {"tickets": args.tickets, "file_format": args.file_format}
        ),
        "input_mb": round(size_mb, 1),
        "rows": current[0]["rows"],
        "runs": args.runs,
        **summary(current),
    }
    if baseline:
        base = summary(baseline)
        result["baseline"] = {"src": str(args.baseline), **base}
        result["wall_ratio"] = round(result["wall_seconds_median"] / base["wall_seconds_median"], 2)
        result["cpu_ratio"] = round(result["cpu_seconds_median"] / base["cpu_seconds_median"], 2)
    result["machine"] = machine()
    save(
        result, f"ingest-{data.name}" if args.data else f"ingest-{args.tickets}-{args.file_format}"
    )


if __name__ == "__main__":
    main()
