"""`supportmetrics staffing`, `explain` and `forecast`: from numbers to decisions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import typer

from supportmetrics.cli.options import FormatOption, WorkspaceOption, filters, stat
from supportmetrics.cli.output import (
    EXIT_USAGE,
    Format,
    emit,
    err,
    fail,
    open_workspace,
    print_json,
)
from supportmetrics.display import human, human_change

__all__ = ["commands"]

commands = typer.Typer()

Versus = Literal["previous", "year"]
"""What `explain` compares with (`supportmetrics.explain.Versus`)."""
ForecastMetric = Literal["volume", "calls"]
"""What `forecast` counts."""
Model = Literal["erlang-c", "erlang-a"]
"""The queueing model of `staffing` (`Targets.model` with an underscore)."""

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

StaffingWhereOption = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        metavar="<COL=VAL[,VAL]>",
        help="Filter the calls (repeatable); queue and agent filter the agents available too "
        "(any other filter leaves them unknown).",
    ),
]


def _json(payload: Any) -> None:
    print_json(payload, allow_nan=False)


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """Infinite ASA (too few agents) as None, so JSON stays valid."""
    return {k: None if isinstance(v, float) and v == float("inf") else v for k, v in row.items()}


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    units = {"service_level": "share", "occupancy": "share", "wait_probability": "share"}
    units |= {"asa_seconds": "seconds", "aht_seconds": "seconds", "patience_seconds": "seconds"}
    units |= {"abandon_probability": "share"}
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
        str, typer.Option(help="Average handle time (e.g. 180s), or auto: measured per interval.")
    ] = "auto",
    volume: Annotated[
        float | None,
        typer.Option(min=0, help="Calculator: contacts in one interval (no data needed)."),
    ] = None,
    interval: Annotated[
        str | None,
        typer.Option(
            help="The interval: for the calculator any length (default 30m); from the data or "
            "--forecast 30m or 1h (default 1h).",
        ),
    ] = None,
    model: Annotated[
        Model,
        typer.Option(help="erlang-c: nobody hangs up; erlang-a: callers abandon (see --patience)."),
    ] = "erlang-c",
    patience: Annotated[
        str,
        typer.Option(
            help="Erlang A: mean patience (e.g. 120s), or auto: estimated from abandoned calls."
        ),
    ] = "auto",
    forecast: Annotated[
        bool,
        typer.Option(
            "--forecast",
            help="Staff the forecast of the 14 days after the range (per interval), not the range.",
        ),
    ] = False,
    start: StartOption = None,
    end: EndOption = None,
    where: StaffingWhereOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Agents needed per interval (Erlang C, or Erlang A with --model erlang-a): for one interval
    given its volume, per half hour or hour of the offered calls in the workspace, or of their
    forecast (--forecast), with the service level, ASA and occupancy they achieve (and the share
    of callers hanging up, with Erlang A); from the data, beside the agents logged in and
    available (agent_availability) and the gap (over_under)."""
    from supportmetrics.staffing import (
        STAFFING_INTERVALS,
        StaffingError,
        Targets,
        calculate,
        from_forecast,
        from_history,
        staffed_hours,
    )

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
            model="erlang_a" if model == "erlang-a" else "erlang_c",
            patience=None if patience == "auto" else seconds(patience),
        )
        if volume is not None:
            if aht == "auto":
                raise fail("the calculator (--volume) needs --aht SECONDS", EXIT_USAGE)
            if model == "erlang-a" and patience == "auto":
                raise fail("the calculator (--volume) needs --patience SECONDS", EXIT_USAGE)
            row = _finite(calculate(volume, seconds(interval or "30m"), seconds(aht), targets))
            if fmt is Format.json:
                _json(row)
            else:
                shown = _shown(row) if fmt is Format.table else row
                emit([{"figure": k, "value": v} for k, v in shown.items()], fmt, title="staffing")
            return
        first, last = (start.date() if start else None), (end.date() if end else None)
        if forecast and where:
            raise fail(
                "--where does not apply to --forecast (it forecasts all contacts)", EXIT_USAGE
            )
        fixed = None if aht == "auto" else seconds(aht)
        step = {1800.0: "30m", 3600.0: "1h"}.get(seconds(interval or "1h"), "")
        if step not in STAFFING_INTERVALS:
            raise fail(
                f"--interval {interval} takes 30m or 1h from the data (any length with --volume)",
                EXIT_USAGE,
            )
        ws = open_workspace(workspace)
        try:
            if forecast:
                rows, days = from_forecast(ws, first, last, targets, fixed, interval=step), []
            else:
                chosen = filters(where)
                rows = from_history(ws, first, last, targets, fixed, chosen, step)
                length = seconds(step)
                days = staffed_hours(ws, rows, first, last, chosen, length) if rows else []
        finally:
            ws.close()
    except StaffingError as exc:
        raise fail(str(exc)) from None
    rows = [_finite(r) for r in rows]
    if not rows:
        err.print("staffing: no offered calls in this range")
    elif fmt is Format.json:
        _json({"interval_seconds": int(seconds(step)), "rows": rows, "days": days})
    else:
        emit(rows if fmt is Format.csv else [_shown(r) for r in rows], fmt, title="staffing")
        if fmt is Format.table and any(d["available_agent_hours"] for d in days):
            emit(days, fmt, title="required vs logged-in agent-hours per day")


@commands.command("explain")
def explain_command(
    metric_id: Annotated[
        str, typer.Argument(metavar="METRIC", help="Metric id (see: metrics list).")
    ],
    start: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First local date.")
    ],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last local date.")],
    versus: Annotated[
        Versus, typer.Option(help="Compare with the equal-length period before, or a year back.")
    ] = "previous",
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Dimension to split by (repeatable; default: the usual ones)."),
    ] = None,
    stat_name: Annotated[
        str,
        typer.Option("--stat", parser=stat, metavar="<mean|median|pNN>", help="Of a duration."),
    ] = "mean",
    where: WhereOption = None,
    top: Annotated[int, typer.Option(min=1, help="Segments shown per dimension (table).")] = 5,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What changed and why: a metric's change split into each segment's mix and rate."""
    from supportmetrics.explain import explain
    from supportmetrics.query import QueryError

    ws = open_workspace(workspace)
    try:
        result = explain(
            ws, metric_id, start.date(), end.date(), versus, by or [], stat_name, filters(where)
        )
    except QueryError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    finally:
        ws.close()
    if fmt is Format.json:
        _json(result)
        return
    rows = [
        {"dimension": b["dimension"], **s}
        for b in result["dimensions"]
        for s in (b["segments"] if fmt is Format.csv else b["segments"][:top])
    ]
    if fmt is Format.table:
        unit = result["unit"]
        rows = [_segment_shown(row, unit) for row in rows]
    err.print(result["summary"], markup=False)
    emit(
        rows,
        fmt,
        title=f"{metric_id}: {result['previous_from']}..{result['previous_to']} -> "
        f"{result['from']}..{result['to']} ({result['method']})",
    )
    for b in result["dimensions"]:
        if b["residual"] and abs(b["residual"]) > 1e-9 * (1 + abs(result["change"] or 0)):
            err.print(
                f"{b['dimension']}: {human_change(b['residual'], result['unit'])} of the "
                "change is not explained by the segments (residual)",
                markup=False,
            )


def _segment_shown(row: dict[str, Any], unit: str) -> dict[str, Any]:
    shown = dict(row)
    for key in ("previous_weight", "weight"):
        shown[key] = human(row[key], "share")
    for key in ("previous_value", "value"):
        shown[key] = human(row[key], unit)
    for key in ("mix", "rate", "contribution"):
        shown[key] = human_change(row[key], unit)
    return shown


@commands.command("forecast")
def forecast_command(
    metric: Annotated[
        ForecastMetric, typer.Option(help="volume: tickets created; calls: inbound calls offered.")
    ] = "volume",
    by: Annotated[
        str | None, typer.Option(help="Forecast each channel, queue or team apart.")
    ] = None,
    interval: Annotated[str, typer.Option(help="30m, 1h or day.")] = "1h",
    horizon: Annotated[str, typer.Option(help="How far ahead, in days, e.g. 14d.")] = "14d",
    start: StartOption = None,
    end: EndOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Contacts per interval ahead (weekly and daily seasonality, holidays from the schedules,
    80% prediction intervals) beside a seasonal-naive baseline, with a backtest of both."""
    from supportmetrics.query import QueryError
    from supportmetrics.staffing import StaffingError
    from supportmetrics.staffing.forecast import forecast_workspace

    days = seconds(horizon) / 86400
    if days != int(days) or interval not in ("30m", "1h", "day"):
        raise fail(
            "--horizon takes whole days (e.g. 14d) and --interval 30m, 1h or day", EXIT_USAGE
        )
    ws = open_workspace(workspace)
    try:
        start_day, end_day = (start.date() if start else None), (end.date() if end else None)
        result = forecast_workspace(ws, metric, by, interval, int(days), start_day, end_day)
    except QueryError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    except StaffingError as exc:
        raise fail(str(exc)) from None
    finally:
        ws.close()
    if fmt is Format.json:
        _json(result)
        return
    emit(result["rows"], fmt, title=f"forecast of {metric} per {interval}")
    for check in result["backtest"]:
        label = f"{by} {check[by]}: " if by else ""
        if check["model"] is None:
            err.print(f"{label}too little history for a backtest", markup=False)
            continue
        model, base = check["model"], check["baseline"]
        err.print(
            f"{label}backtest over {check['folds']} weeks: WAPE {_pct(model['wape'])} "
            f"(same as last week: {_pct(base['wape'])}), MAPE {_pct(model['mape'])} "
            f"({_pct(base['mape'])})",
            markup=False,
        )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
