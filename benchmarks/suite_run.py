"""One way of the suite in this process (the suite runs each in its own process to measure it).

    python benchmarks/suite_run.py sql --data DIR --out result.json
    python benchmarks/suite_run.py ingest --data DIR --workspace WS --out result.json
    python benchmarks/suite_run.py engine --workspace WS --out result.json

Writes {"seconds": time after imports, "timings": {...}, "figures": {...}} to --out.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import suite_engine
import suite_pandas
import suite_sql

__all__ = ["run"]

WAYS = ("ingest", "engine", "sql", "pandas")


def run(way: str, data: Path | None, workspace: Path | None) -> dict[str, Any]:
    """Run `way` and return its seconds, step timings and figures (none for ingest)."""
    timings: dict[str, float] = {}
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    if way == "ingest":
        assert data is not None and workspace is not None
        timings["ingest"] = suite_engine.ingest(data, workspace)
    elif way == "engine":
        assert workspace is not None
        figures = suite_engine.figures(workspace, timings)
    elif way == "sql":
        assert data is not None
        figures = suite_sql.figures(data, timings)
    elif way == "pandas":
        assert data is not None
        figures = suite_pandas.figures(data, timings)
    else:
        raise ValueError(f"unknown way {way!r}; use one of {', '.join(WAYS)}")
    return {"seconds": time.perf_counter() - started, "timings": timings, "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("way", choices=WAYS)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = run(args.way, args.data, args.workspace)
    args.out.write_text(json.dumps(result, default=float))


if __name__ == "__main__":
    main()
