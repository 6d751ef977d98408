"""The supportmetrics way: ingest the Parquet dataset, then every figure through the public API."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import supportmetrics
from suite_spec import CALLS, DURATIONS, SETTINGS, TIMEZONE, Figures, figure_keys

__all__ = ["figures", "ingest"]

_SPLIT_ARGS: dict[str, dict[str, Any]] = {
    "overall": {},
    "channel": {"by": ["channel"]},
    "team": {"by": ["team"]},
    "week": {"period": "week"},
}


def ingest(data: Path, workspace: Path) -> float:
    """A fresh workspace in `workspace` (settings included) with `data` loaded; seconds taken by
    the ingest itself."""
    shutil.rmtree(workspace, ignore_errors=True)
    ws = supportmetrics.init(workspace, timezone=TIMEZONE)
    config = workspace / "supportmetrics.toml"
    config.write_text(config.read_text() + SETTINGS)
    started = time.perf_counter()
    ws.ingest([data])
    seconds = time.perf_counter() - started
    ws.close()
    return seconds


def _label(row: dict[str, Any], split: str) -> str:
    if split == "overall":
        return ""
    value = row.get({"channel": "channel", "team": "team", "week": "period"}[split])
    if value is None and split == "team":
        value = row.get("agent.team")
    return "null" if value is None else str(value)


def figures(workspace: Path, timings: dict[str, float] | None = None) -> Figures:
    """Every figure on a fresh engine; `timings` gets the seconds per metric and clock."""
    ws = supportmetrics.connect(workspace)
    out: Figures = {}
    for metric, clock, split in figure_keys():
        args = dict(_SPLIT_ARGS[split])
        if metric in CALLS and split == "team":
            args["by"] = ["agent.team"]
        stat = "median" if metric in DURATIONS else "mean"
        started = time.perf_counter()
        result = ws.metric(metric, clock=clock, stat=stat, **args)  # type: ignore[arg-type]
        if timings is not None:
            key = f"{metric}|{clock}"
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - started
        out[f"{metric}|{clock}|{split}"] = {
            _label(row, split): [row.get("value"), row.get("n")] for row in result.rows
        }
    ws.close()
    return out
