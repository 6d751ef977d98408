"""Staffing: Erlang C or Erlang A requirement for a year of 30-minute intervals (17,520), vectorised.

    python benchmarks/staffing.py --runs 5
    python benchmarks/staffing.py --runs 5 --model erlang-a --patience 120

Volumes follow a daily and weekly shape (0 at night up to ~400 calls per half hour, i.e. up to
~40 Erlangs at AHT 180 s; `--peak` scales it, e.g. 6000 for > 500 Erlangs); AHT varies per interval.
Times `supportmetrics.staffing.plan` (required agents for 80% in 20 s, max occupancy 85%,
shrinkage 30%, plus what they achieve; `--asa 30` for an ASA target instead). Erlang A takes the
mean patience `--patience` (seconds). Reports the median of `--runs` runs; goal < 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from _report import machine, save
from supportmetrics.staffing import Targets, plan


def intervals(peak: float, n: int = 17_520) -> tuple[np.ndarray, np.ndarray]:
    """Calls and AHT per half hour over a year."""
    half_hour = np.arange(n)
    hour = (half_hour % 48) / 2
    day = (half_hour // 48) % 7
    daily = np.clip(np.sin((hour - 6) / 14 * np.pi), 0, None)
    weekly = np.where(day >= 5, 0.4, 1.0)
    rng = np.random.default_rng(0)
    calls = rng.poisson(peak * daily * weekly).astype(float)
    aht = rng.uniform(150, 240, n)
    return calls, aht


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peak", type=float, default=400.0)
    parser.add_argument("--model", choices=("erlang-c", "erlang-a"), default="erlang-c")
    parser.add_argument("--patience", type=float, default=120.0, help="Erlang A, seconds")
    parser.add_argument("--asa", type=float, default=None, help="ASA target, seconds")
    args = parser.parse_args()
    calls, aht = intervals(args.peak)
    targets = Targets(
        service_level=None if args.asa else 0.8,
        answer_within=20,
        asa=args.asa,
        max_occupancy=0.85,
        shrinkage=0.3,
        model="erlang_a" if args.model == "erlang-a" else "erlang_c",
        patience=args.patience if args.model == "erlang-a" else None,
    )
    seconds = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = plan(calls, 1800, aht, targets)
        seconds.append(time.perf_counter() - started)
    save(
        {
            "model": args.model,
            "patience_seconds": targets.patience,
            "target": f"ASA {args.asa} s" if args.asa else "80% in 20 s",
            "intervals": int(calls.size),
            "peak_erlangs": round(float(result["traffic_erlangs"].max()), 1),
            "max_agents": int(result["agents"].max()),
            "median_seconds": round(statistics.median(seconds), 3),
            "runs": args.runs,
            "goal_seconds": 2.0,
            "machine": machine(),
        },
        f"staffing-{args.model}-{int(args.peak)}{'-asa' if args.asa else ''}",
    )


if __name__ == "__main__":
    main()
