"""Forecast: `supportmetrics forecast --by channel` (8 channels, hourly, 14 days ahead, with its
four-week backtest) on the demo dataset.

    python benchmarks/forecast.py --tickets 1000000 --runs 3

Makes (once) a workspace of the demo dataset in `benchmarks/data/`, then times the forecast through
the Python API in this process: the first run builds the facts, the later ones read them, as a user's
second command does. Reports the median of `--runs` runs (and the first run apart), the time of the
volume query alone, and the backtest WAPE of model and baseline; goal < 10 s at 1M tickets.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import supportmetrics
from _report import machine, save
from suite_data import dataset
from supportmetrics.staffing.forecast import forecast_workspace

HERE = Path(__file__).resolve().parent


def workspace(tickets: int) -> supportmetrics.Workspace:
    """The benchmark workspace of `tickets` demo tickets, ingested on first use."""
    folder = HERE / "data" / f"forecast-{tickets}"
    if (folder / ".complete").exists():
        return supportmetrics.connect(folder)
    ws = supportmetrics.init(folder, timezone="America/New_York")
    ws.ingest([dataset(tickets)])
    (folder / ".complete").touch()
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ws = workspace(args.tickets)
    seconds, result = [], {}
    for _ in range(args.runs):
        started = time.perf_counter()
        result = forecast_workspace(ws, by="channel")
        seconds.append(time.perf_counter() - started)
    started = time.perf_counter()
    ws.metric("ticket_volume", by=["channel"], period="hour")
    query = time.perf_counter() - started
    save(
        {
            "tickets": args.tickets,
            "channels": len(result["backtest"]),
            "first_run_seconds": round(seconds[0], 2),
            "median_seconds": round(statistics.median(seconds[1:] or seconds), 2),
            "volume_query_seconds": round(query, 2),
            "backtest": result["backtest"],
            "runs": args.runs,
            "goal_seconds": 10.0,
            "machine": machine(),
        },
        f"forecast-{args.tickets}",
    )
    ws.close()


if __name__ == "__main__":
    main()
