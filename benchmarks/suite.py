"""Benchmark suite: supportmetrics against hand-written DuckDB SQL and idiomatic pandas.

    python benchmarks/suite.py --sizes 100000,1000000,10000000 --runs 3

For each size: generate (or reuse) the Parquet demo dataset, run every way once and check that
they agree on every figure (the run doubles as the warm-up), then time `--runs` more runs of each
way, each in its own process (peak RSS of that process). supportmetrics is timed as an ingest into
a fresh workspace, then the figures on a fresh engine. pandas runs up to `--pandas-max` tickets.
Results go to benchmarks/results/suite-<size>.json and the tables of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _report import RESULTS, machine, save
from suite_data import dataset
from suite_report import write_markdown
from suite_spec import compare

__all__ = ["measure", "run_size"]

HERE = Path(__file__).resolve().parent
# Runs one command and prints its peak RSS in KiB: a child's ru_maxrss covers only that child.
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def measure(way: str, data: Path, workspace: Path) -> dict[str, Any]:
    """Run one way in a fresh process: its result plus wall seconds and peak RSS (MB)."""
    with tempfile.TemporaryDirectory(prefix="sm-suite-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-c", MEASURE, sys.executable, str(HERE / "suite_run.py")]
        command += [way, "--data", str(data), "--workspace", str(workspace), "--out", str(out)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{way} failed:\n{done.stdout}\n{done.stderr}")
        result = json.loads(out.read_text())
    result["wall"] = wall
    result["peak_mb"] = int(done.stderr.strip().splitlines()[-1]) / 1024
    return result


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _timings(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = runs[0]["timings"]
    return {k: round(statistics.median(r["timings"][k] for r in runs), 3) for k in keys}


def _engine_version() -> str:
    """The commit the engine ran at, marked when src/ had uncommitted changes."""
    git = ["git", "-C", str(HERE.parent)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "src"], capture_output=True, text=True)
    return commit.stdout.strip() + (" (src/ modified)" if dirty.stdout.strip() else "")


def run_size(tickets: int, runs: int, pandas_max: int, parts: int | None = None) -> dict[str, Any]:
    """Agreement, then timed runs, for one dataset size."""
    data = dataset(tickets, parts=parts)
    workspace = HERE / "data" / f"suite-ws-{tickets}"
    ways = ["ingest", "engine", "sql"] + (["pandas"] if tickets <= pandas_max else [])
    print(f"{tickets:,} tickets: agreement run of {', '.join(ways)}", file=sys.stderr)
    first = {way: measure(way, data, workspace) for way in ways}
    agreement = {}
    for way in ("engine", "pandas"):
        if way in first:
            problems = compare(first["sql"]["figures"], first[way]["figures"])
            agreement[way] = problems
            if problems:
                raise SystemExit(f"{way} disagrees with the SQL:\n" + "\n".join(problems))
    # --runs 0 (for the largest size): the agreement run is the one timed run, without warm-up
    timed: dict[str, list[dict[str, Any]]] = {way: [] if runs else [first[way]] for way in ways}
    for i in range(runs):
        print(f"{tickets:,} tickets: run {i + 1} of {runs}", file=sys.stderr)
        for way in ways:
            timed[way].append(measure(way, data, workspace))
    figures = first["sql"]["figures"]
    return {
        "benchmark": "suite",
        "tickets": tickets,
        "runs": runs,
        "dataset": data.name,
        "figures": len(figures),
        "groups": sum(len(v) for v in figures.values()),
        "agreement": {way: "agrees with the SQL" for way in agreement},
        "ways": {
            way: {
                "seconds_median": round(_median(r, "seconds"), 2),
                "seconds_all": [round(x["seconds"], 2) for x in r],
                "wall_median": round(_median(r, "wall"), 2),
                "peak_mb_max": round(max(x["peak_mb"] for x in r)),
                "timings_median": _timings(r),
            }
            for way, r in timed.items()
        },
        "command": "python benchmarks/suite.py " + shlex.join(sys.argv[1:]),
        "engine": _engine_version(),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--runs", type=int, default=3, help="0: time the agreement run only")
    parser.add_argument("--pandas-max", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, help="generate each dataset in this many parts")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        save(run_size(size, args.runs, args.pandas_max, args.parts), f"suite-{size}")
        write_markdown(sorted(RESULTS.glob("suite-*.json")), HERE.parent / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
