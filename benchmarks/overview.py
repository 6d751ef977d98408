"""The dashboard's uncached work per page view: the overview and a metric page, in one process.

    python benchmarks/overview.py --workspace benchmarks/data/web-200k --views 12

Opens the workspace (its facts already cached), renders the overview and the first-response-time
page once to warm up, then `--views` more over distinct 30-day ranges (so no result repeats) and
reports, per page (the ranges within the tickets' dates), the median wall and process CPU seconds (DuckDB's threads included) and the
number of queries the engine ran. CPU seconds are the steadier measure on a shared machine: run two
source trees side by side (`PYTHONPATH=src` of each) and compare their medians. Results go to
`benchmarks/results/overview-LABEL.json`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import supportmetrics
from _report import machine, save
from supportmetrics.engine import Engine
from supportmetrics.web import pages
from supportmetrics.web.params import parse_view

RANGE_DAYS = 30


def _timed(engine: Engine, render: Callable[[], Any]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and engine queries of one `render()`."""
    count = 0
    arrow = engine.arrow

    def counted(expr: Any) -> Any:
        nonlocal count
        count += 1
        return arrow(expr)

    engine.arrow = counted  # type: ignore[method-assign]
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        render()
    finally:
        engine.arrow = arrow  # type: ignore[method-assign]
    return time.perf_counter() - wall, time.process_time() - cpu, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--views", type=int, default=12)
    parser.add_argument("--label", default="run")
    args = parser.parse_args()
    workspace = supportmetrics.connect(args.workspace)
    engine = workspace.engine()
    config = workspace.config
    tickets = engine.table("tickets")
    span = engine.arrow(tickets.aggregate(a=tickets.created_at.min(), b=tickets.created_at.max()))
    first, last = (value.date() for value in span.to_pylist()[0].values())
    step = max(1, ((last - first).days - RANGE_DAYS) // (args.views + 1))
    pages_by_name: dict[str, Callable[[Any], Any]] = {
        "overview": lambda view: pages.overview(engine, config, view),
        "metric": lambda view: pages.metric_page(engine, config, "first_response_time", view),
    }
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in pages_by_name}
    for i in range(args.views + 1):
        start = first + timedelta(days=i * step)
        end = start + timedelta(days=RANGE_DAYS - 1)
        view = parse_view([("from", start.isoformat()), ("to", end.isoformat())], ())
        for name, render in pages_by_name.items():
            timing = _timed(engine, lambda render=render, view=view: render(view))
            if i:  # the first range warms up
                samples[name].append(timing)
    result: dict[str, Any] = {"machine": machine(), "workspace": str(args.workspace)}
    for name, timings in samples.items():
        result[name] = {
            "views": len(timings),
            "median_wall_s": round(statistics.median(t[0] for t in timings), 3),
            "median_cpu_s": round(statistics.median(t[1] for t in timings), 3),
            "queries": timings[0][2],
        }
    workspace.close()
    save(result, f"overview-{args.label}")


if __name__ == "__main__":
    main()
