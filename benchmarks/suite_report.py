"""The suite's tables in BENCHMARKS.md: written between markers, the notes around them kept."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

__all__ = ["render", "write_markdown"]

START, END = "<!-- suite:results -->", "<!-- /suite:results -->"
_DURATIONS = ("first_response_time", "resolution_time")


def _s(value: float | None) -> str:
    return "-" if value is None else (f"{value:.1f}" if value < 100 else f"{value:.0f}")


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _gb(mb: float | None) -> str:
    return "-" if mb is None else f"{mb / 1024:.1f}"


def _numbers(result: dict[str, Any]) -> dict[str, Any]:
    ways = result["ways"]
    ingest = ways["ingest"]["seconds_median"]
    engine = ways["engine"]["seconds_median"]
    sql = ways["sql"]["seconds_median"]
    pandas = ways.get("pandas", {}).get("seconds_median")
    timings = ways["engine"]["timings_median"]
    business = sum(timings[f"{m}|business"] for m in _DURATIONS)
    calendar = sum(timings[f"{m}|calendar"] for m in _DURATIONS)
    return {
        "ingest": ingest,
        "engine": engine,
        "e2e": ingest + engine,
        "sql": sql,
        "pandas": pandas,
        "engine_over_sql": engine / sql,
        "e2e_over_sql": (ingest + engine) / sql,
        "pandas_over_e2e": pandas / (ingest + engine) if pandas else None,
        "business_over_calendar": business / calendar,
        "peak": {way: ways[way]["peak_mb_max"] for way in ways},
    }


def render(results: list[dict[str, Any]]) -> str:
    """The tables for these suite results (one per size), smallest size first."""
    results = sorted(results, key=lambda r: r["tickets"])
    rows = {r["tickets"]: _numbers(r) for r in results}
    last = results[-1]
    m = last["machine"]
    lines = [
        START,
        f"Machine: {m['cpus']} cores, {m['memory_gb']} GB memory, Python {m['python']}; shared with "
        "other engineers running tests while the suite ran, so times carry some noise.",
        "",
        "Seconds are medians of the timed runs (after the agreement run, which is the warm-up), "
        "measured inside each process after its imports; peak memory is the resident set of the "
        "process. supportmetrics = the figures through the public API on a fresh engine over "
        "the ingested workspace; end to end adds the ingest.",
        "",
        "| tickets | timed runs | ingest s | supportmetrics s | end to end s | SQL s | pandas s "
        "| supportmetrics / SQL | end to end / SQL | pandas / end to end |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        n = rows[r["tickets"]]
        lines.append(
            f"| {r['tickets']:,} | {max(r['runs'], 1)} | {_s(n['ingest'])} | {_s(n['engine'])} "
            f"| {_s(n['e2e'])} | {_s(n['sql'])} | {_s(n['pandas'])} | {_x(n['engine_over_sql'])} "
            f"| {_x(n['e2e_over_sql'])} | {_x(n['pandas_over_e2e'])} |"
        )
    lines += [
        "",
        "Peak memory (GB, resident set of the process):",
        "",
        "| tickets | ingest | supportmetrics | SQL | pandas |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        p = rows[r["tickets"]]["peak"]
        lines.append(
            f"| {r['tickets']:,} | {_gb(p['ingest'])} | {_gb(p['engine'])} | {_gb(p['sql'])} "
            f"| {_gb(p.get('pandas'))} |"
        )
    lines += ["", "Growth of the median time from one size to the next:", ""]
    lines += ["| from → to | ingest | supportmetrics | SQL | pandas |", "|---|---:|---:|---:|---:|"]
    sizes = [r["tickets"] for r in results]
    for a, b in itertools.pairwise(sizes):
        growth = []
        for key in ("ingest", "engine", "sql", "pandas"):
            x, y = rows[a][key], rows[b][key]
            growth.append(_x(y / x) if x and y else "-")
        lines.append(f"| {a:,} → {b:,} | " + " | ".join(growth) + " |")
    lines += [
        "",
        "Business-hours durations against their calendar twins inside the suite's engine run "
        "(first response and resolution time, four splits each, fact tables built included; the "
        "calendar queries run first and build the ticket facts, which hold both clocks' "
        "durations, so the business clock only queries them: see the notes for a cold "
        "comparison):",
        "",
        "| tickets | business / calendar |",
        "|---:|---:|",
    ]
    lines += [f"| {t:,} | {_x(n['business_over_calendar'])} |" for t, n in rows.items()]
    timings = last["ways"]["engine"]["timings_median"]
    lines += [
        "",
        f"supportmetrics seconds per figure at {last['tickets']:,} tickets (four splits each; the "
        "first query of a fact table builds it):",
        "",
        "| figure | clock | seconds |",
        "|---|---|---:|",
    ]
    for key, seconds in sorted(timings.items(), key=lambda kv: -kv[1]):
        metric, clock = key.split("|")
        lines.append(f"| {metric} | {clock} | {seconds:.1f} |")
    sql_steps = ", ".join(f"{k} {v:.1f}" for k, v in last["ways"]["sql"]["timings_median"].items())
    lines += ["", f"SQL seconds per step at {last['tickets']:,} tickets: {sql_steps}."]
    engines = ", ".join(f"{r['tickets']:,}: {r.get('engine', '?')}" for r in results)
    lines += ["", f"Engine commit per size: {engines}."]
    commands = dict.fromkeys(r["command"] for r in results)
    lines += ["", "Reproduce (from the repository root, `.venv/bin/python` for `python`):", ""]
    lines += [f"    {command}" for command in commands]
    lines += [END]
    return "\n".join(lines)


def write_markdown(files: list[Path], path: Path) -> None:
    """Replace the results section of `path` (created with it when missing) with `render`."""
    results = [json.loads(f.read_text()) for f in files]
    if not results:
        return
    section = render(results)
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    path.write_text(before + section + after)
