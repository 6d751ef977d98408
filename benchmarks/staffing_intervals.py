"""Staffing from the data per half hour against per hour, and the agents available per interval.

    python benchmarks/staffing_intervals.py --tickets 100000 --runs 5

Makes (once) a workspace of the demo dataset in `benchmarks/data/` (shared with forecast.py), then
times, through the Python API in this process, over the data's last 365 days: `from_history` per
hour and per half hour (each row with the agents available beside it), and `available_agents`
alone over every hour and every half hour of the year (17,520 half hours, joined to the
availability stretches on overlap in the engine). The first run builds the facts; medians of the
later runs are reported side by side. The baseline (`from_history` per hour before the agents
available were added) is timed by `--baseline`, which reads only the older API.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from _report import machine, save
from forecast import workspace
from supportmetrics.query.periods import label, spine
from supportmetrics.staffing import Targets, from_history


def timed(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The median seconds of `runs` runs after a first (warming) one, and the last result."""
    seconds, result = [], None
    for _ in range(runs + 1):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds[1:]), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", action="store_true", help="Time from_history per hour only.")
    args = parser.parse_args()
    ws = workspace(args.tickets)
    engine = ws.engine()
    end = engine.span()[1]
    start = end - timedelta(days=364)
    targets = Targets(service_level=0.8, answer_within=20, max_occupancy=0.85, shrinkage=0.3)
    hourly, hour_rows = timed(args.runs, lambda: from_history(ws, start, end, targets))
    if args.baseline:
        save(
            {"tickets": args.tickets, "staffing_rows": {"1h": len(hour_rows)}}
            | {"staffing_median_seconds": {"1h": round(hourly, 3)}, "runs": args.runs}
            | {"machine": machine()},
            f"staffing-intervals-baseline-{args.tickets}",
        )
        return
    from supportmetrics.staffing import available_agents

    halves, half_rows = timed(
        args.runs, lambda: from_history(ws, start, end, targets, interval="30m")
    )
    low, high = datetime.combine(start, clock()), datetime.combine(end + timedelta(days=1), clock())
    slots = {p: [label(m, p) for m in spine(low, high, p)][:-1] for p in ("hour", "half_hour")}
    per_hour, _ = timed(args.runs, lambda: available_agents(engine, slots["hour"], 3600))
    per_half, _ = timed(args.runs, lambda: available_agents(engine, slots["half_hour"], 1800))
    save(
        {
            "tickets": args.tickets,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "staffing_rows": {"1h": len(hour_rows), "30m": len(half_rows)},
            "staffing_median_seconds": {"1h": round(hourly, 3), "30m": round(halves, 3)},
            "available_intervals": {k: len(v) for k, v in slots.items()},
            "available_median_seconds": {"1h": round(per_hour, 3), "30m": round(per_half, 3)},
            "runs": args.runs,
            "machine": machine(),
        },
        f"staffing-intervals-{args.tickets}",
    )
    ws.close()


if __name__ == "__main__":
    main()
