"""Benchmark: the whole speed / quality / workload catalogue on a demo workspace.

    python benchmarks/metrics.py --tickets 1000000 --runs 3

Builds (once, cached in benchmarks/data/) a workspace holding the demo dataset, then per run opens a
fresh engine and computes every speed, quality and workload metric overall, by channel, by team and
weekly (sla_attainment under one business-hours policy), timing the calendar and the business-hours
variants separately. Reports medians across runs: total seconds, seconds per query, the time to
build the facts, and the business / calendar ratio (goal: at most 2x).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import supportmetrics
from _report import machine, save
from supportmetrics.metrics import CATALOGUE

HERE = Path(__file__).resolve().parent
SPLITS = {
    "overall": {},
    "by_channel": {"by": ["channel"]},
    "by_team": {"by": ["team"]},
    "weekly": {"period": "week"},
}
POLICY = (
    '\n[[sla]]\nname = "standard"\nclock = "business"\nfirst_response_time = "4h"\n'
    'next_response_time = "8h"\nresolution_time = "3d"\n'
)


def workspace(tickets: int, seed: int) -> Path:
    """A workspace with the demo dataset of `tickets` tickets, built on first use."""
    folder = HERE / "data" / f"workspace-{tickets}-seed{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        data = HERE / "data" / f"demo-{tickets}-seed{seed}-parquet"
        if not (data / ".complete").exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "supportmetrics",
                    "demo-data",
                    "--tickets",
                    str(tickets),
                    "--seed",
                    str(seed),
                    "--out",
                    str(data),
                    "--file-format",
                    "parquet",
                ],
                check=True,
            )
            (data / ".complete").touch()
        ws = supportmetrics.init(folder, timezone="America/New_York")
        ws.ingest([data])
        config = folder / "supportmetrics.toml"
        config.write_text(config.read_text() + POLICY)
        marker.touch()
    return folder


def run_once(folder: Path, clock: str) -> dict[str, float]:
    """Every query of the set on a fresh engine; seconds in all and for the first (facts) query."""
    ws = supportmetrics.connect(folder)
    timings = {}
    started = time.perf_counter()
    for metric in CATALOGUE.values():
        if metric.family not in ("speed", "quality", "workload"):
            continue
        if clock == "business" and not metric.has_clock:
            continue
        for name, split in SPLITS.items():
            if metric.id == "agent_activity" and name != "overall":
                continue
            if metric.facts == "calls" and split.get("by") == ["team"]:
                split = {"by": ["agent.team"]}
            t = time.perf_counter()
            ws.metric(metric.id, clock=clock if metric.has_clock else "calendar", **split)
            timings[f"{metric.id}/{name}"] = time.perf_counter() - t
    total = time.perf_counter() - started
    ws.close()
    return {
        "total": total,
        "queries": len(timings),
        "slowest": max(timings.items(), key=lambda i: i[1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = workspace(args.tickets, args.seed)
    results = {}
    for clock in ("calendar", "business"):
        runs = [run_once(folder, clock) for _ in range(args.runs)]
        results[clock] = {
            "queries": runs[0]["queries"],
            "total_seconds_median": round(statistics.median(r["total"] for r in runs), 2),
            "total_seconds_all": [round(r["total"], 2) for r in runs],
            "slowest_query": [runs[-1]["slowest"][0], round(runs[-1]["slowest"][1], 2)],
        }
    # Business twins only: the same metrics, both clocks, for the ratio.
    twins = [m.id for m in CATALOGUE.values() if m.has_clock]
    ratio_runs = []
    for _ in range(args.runs):
        ws = supportmetrics.connect(folder)
        seconds = {}
        for clock in ("calendar", "business"):
            t = time.perf_counter()
            for metric_id in twins:
                for split in SPLITS.values():
                    if CATALOGUE[metric_id].facts == "calls" and split.get("by") == ["team"]:
                        split = {"by": ["agent.team"]}
                    ws.metric(metric_id, clock=clock, **split)
            seconds[clock] = time.perf_counter() - t
        ws.close()
        ratio_runs.append(seconds)
    result = {
        "benchmark": "metrics",
        "tickets": args.tickets,
        "runs": args.runs,
        "full_set": results,
        "clock_twins": {
            "metrics": twins,
            "calendar_seconds_median": round(
                statistics.median(r["calendar"] for r in ratio_runs), 2
            ),
            "business_seconds_median": round(
                statistics.median(r["business"] for r in ratio_runs), 2
            ),
            "business_over_calendar_median": round(
                statistics.median(r["business"] / r["calendar"] for r in ratio_runs), 2
            ),
        },
        "machine": machine(),
    }
    save(result, f"metrics-{args.tickets}")


if __name__ == "__main__":
    main()
