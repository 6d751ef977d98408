"""`supportmetrics staffing`, `explain` and `forecast`: from numbers to decisions."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any

import typer

from supportmetrics.cli.options import FormatOption, WorkspaceOption, filters
from supportmetrics.cli.output import EXIT_USAGE, Format, emit, err, fail, open_workspace, out
from supportmetrics.display import human

__all__ = ["commands"]

commands = typer.Typer()

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$")


def seconds(text: str) -> float:
    """A duration as seconds: 180, 180s, 3m, 1h, 1d, or day (bad usage otherwise)."""
    if text.strip() == "day":
        return 86400.0
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise typer.BadParameter(f"{text!r} is not a duration; use e.g. 180s, 30m, 1h or 14d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


StartOption = Annotated[
    datetime | None,
    typer.Option("--from", formats=["%Y-%m-%d"], help="First local date (inclusive)."),
]
EndOption = Annotated[
    datetime | None,
    typer.Option("--to", formats=["%Y-%m-%d"], help="Last local date (inclusive)."),
]
WhereOption = Annotated[
    list[str] | None,
    typer.Option("--where", metavar="<COL=VAL[,VAL]>", help="Filter (repeatable)."),
]


def _json(payload: Any) -> None:
    out.print_json(json.dumps(payload, default=str, allow_nan=False))


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """Infinite ASA (too few agents) as None, so JSON stays valid."""
    return {k: None if isinstance(v, float) and v == float("inf") else v for k, v in row.items()}


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    units = {"service_level": "share", "occupancy": "share", "wait_probability": "share"}
    units |= {"asa_seconds": "seconds", "aht_seconds": "seconds"}
    return {k: human(v, units.get(k, "")) if k in units else _round(v) for k, v in row.items()}


def _round(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value


@commands.command("staffing")
def staffing_command(
    service_level: Annotated[
        float | None, typer.Option(help="Service level target, e.g. 0.8 (default 0.8).")
    ] = None,
    answer_within: Annotated[
        str, typer.Option(help="Answer within (service level threshold), e.g. 20s.")
    ] = "20s",
    asa: Annotated[
        str | None, typer.Option(help="ASA target instead of a service level, e.g. 30s.")
    ] = None,
    max_occupancy: Annotated[float, typer.Option(help="Highest occupancy allowed.")] = 1.0,
    shrinkage: Annotated[float, typer.Option(help="Share of paid time off the phones.")] = 0.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Contacts per agent at once.")] = 1,
    aht: Annotated[
        str, typer.Option(help="Average handle time (e.g. 180s), or auto: measured per hour.")
    ] = "auto",
    volume: Annotated[
        float | None,
        typer.Option(min=0, help="Calculator: contacts in one interval (no data needed)."),
    ] = None,
    interval: Annotated[str, typer.Option(help="Calculator: the interval, e.g. 30m.")] = "30m",
    start: StartOption = None,
    end: EndOption = None,
    where: WhereOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Agents needed per interval (Erlang C): for one interval given its volume, or per hour of
    the offered calls in the workspace, with the service level, ASA and occupancy they achieve."""
    from supportmetrics.staffing import StaffingError, Targets, calculate, from_history

    if asa is not None and service_level is not None:
        raise fail("give --service-level or --asa, not both", EXIT_USAGE)
    try:
        targets = Targets(
            service_level=None if asa else (service_level or 0.8),
            answer_within=seconds(answer_within),
            asa=seconds(asa) if asa else None,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
            concurrency=concurrency,
        )
        if volume is not None:
            if aht == "auto":
                raise fail("the calculator (--volume) needs --aht SECONDS", EXIT_USAGE)
            row = _finite(calculate(volume, seconds(interval), seconds(aht), targets))
            if fmt is Format.json:
                _json(row)
            else:
                shown = _shown(row) if fmt is Format.table else row
                emit([{"figure": k, "value": v} for k, v in shown.items()], fmt, title="staffing")
            return
        ws = open_workspace(workspace)
        try:
            rows = from_history(
                ws,
                start.date() if start else None,
                end.date() if end else None,
                targets,
                None if aht == "auto" else seconds(aht),
                filters(where),
            )
        finally:
            ws.close()
    except StaffingError as exc:
        raise fail(str(exc)) from None
    rows = [_finite(r) for r in rows]
    if not rows:
        err.print("staffing: no offered calls in this range")
    elif fmt is Format.json:
        _json({"interval_seconds": 3600, "rows": rows})
    else:
        emit(rows if fmt is Format.csv else [_shown(r) for r in rows], fmt, title="staffing")
