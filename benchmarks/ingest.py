"""Benchmark: ingest the demo dataset from CSV into a fresh workspace.

    python benchmarks/ingest.py --tickets 1000000 --runs 3

Generates the dataset once (reused from benchmarks/data/), then runs `supportmetrics ingest` in a fresh
workspace per run and reports the median wall time, peak memory (max RSS of the ingest process) and
rows per second. Goal for 1M tickets on 2 cores: <= 60 s and <= 3 GB.
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

from _report import machine, save

HERE = Path(__file__).resolve().parent

# Runs one command and prints its peak RSS in KiB: a child's ru_maxrss covers only that child.
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


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


def run_once(data: Path) -> dict[str, float]:
    """One ingest into a fresh workspace: wall seconds, peak RSS and the ingest's own report."""
    with tempfile.TemporaryDirectory(prefix="sm-bench-") as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run([*_cli(), "init", str(ws)], check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                MEASURE,
                *_cli(),
                "ingest",
                str(data),
                "-w",
                str(ws),
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"ingest failed:\n{done.stdout}\n{done.stderr}")
        report = json.loads(done.stdout)
        peak_kib = int(done.stderr.strip().splitlines()[-1])
        return {
            "wall_seconds": wall,
            "peak_rss_mb": peak_kib / 1024,
            "rows": report["rows_loaded"],
            "store_mb": (ws / "supportmetrics.duckdb").stat().st_size / 2**20,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file-format", default="csv", choices=["csv", "parquet", "jsonl"])
    args = parser.parse_args()

    data = dataset(args.tickets, args.seed, args.file_format)
    size_mb = sum(p.stat().st_size for p in data.iterdir()) / 2**20
    runs = [run_once(data) for _ in range(args.runs)]
    wall = [r["wall_seconds"] for r in runs]
    result = {
        "benchmark": "ingest",
        "tickets": args.tickets,
        "file_format": args.file_format,
        "input_mb": round(size_mb, 1),
        "rows": runs[0]["rows"],
        "runs": args.runs,
        "wall_seconds_median": round(statistics.median(wall), 2),
        "wall_seconds_all": [round(w, 2) for w in wall],
        "rows_per_second_median": round(runs[0]["rows"] / statistics.median(wall)),
        "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in runs)),
        "store_mb": round(runs[0]["store_mb"], 1),
        "machine": machine(),
    }
    save(result, f"ingest-{args.tickets}-{args.file_format}")


if __name__ == "__main__":
    main()
