"""Benchmark: the CPU time of starting the command line (`--help`, `--version`, a command's help).

    python benchmarks/imports.py --runs 5
    python benchmarks/imports.py --runs 5 --baseline /path/to/other/checkout/src

Runs each command `--runs` times in a fresh process and reports the median CPU time (user + system)
of the process, and the slowest imports of `import supportmetrics.cli` (`python -X importtime`).
With `--baseline` the same commands alternate with the package found in that `src` folder.
Goal: under 0.5 s for `--help` and `--version`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from _report import machine, save

COMMANDS = (["--help"], ["--version"], ["ingest", "--help"], ["metric", "--help"])


def cpu_seconds(args: list[str], src: Path | None) -> float:
    """User + system seconds of one `python -m supportmetrics ARGS` process."""
    env = dict(os.environ, PYTHONPATH=str(src)) if src else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "supportmetrics", *args], check=True, capture_output=True, env=env
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def slowest_imports(src: Path | None, top: int = 8) -> dict[str, float]:
    """The packages (by their top-level name) whose import takes longest in `import
    supportmetrics.cli`: the seconds of `python -X importtime` (cumulative, wall clock)."""
    env = dict(os.environ, PYTHONPATH=str(src)) if src else None
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import supportmetrics.cli"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    seconds: dict[str, float] = {}
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[1].strip().isdigit():
            package = fields[2].strip().split(".")[0]
            seconds[package] = max(seconds.get(package, 0.0), int(fields[1]) / 1e6)
    seconds.pop("supportmetrics", None)
    return dict(sorted(seconds.items(), key=lambda item: -item[1])[:top])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="a `src` folder to compare with")
    args = parser.parse_args()

    result: dict[str, Any] = {"benchmark": "imports", "runs": args.runs, "commands": {}}
    for command in COMMANDS:
        current, baseline = [], []
        for _ in range(args.runs):
            current.append(cpu_seconds(command, None))
            if args.baseline:
                baseline.append(cpu_seconds(command, args.baseline))
        entry = {"cpu_seconds_median": round(statistics.median(current), 3)}
        if baseline:
            entry["baseline_cpu_seconds_median"] = round(statistics.median(baseline), 3)
        result["commands"][" ".join(command)] = entry
    result["slowest_imports_seconds"] = slowest_imports(None)
    if args.baseline:
        result["baseline_slowest_imports_seconds"] = slowest_imports(args.baseline)
    result["machine"] = machine()
    save(result, "imports")


if __name__ == "__main__":
    main()
