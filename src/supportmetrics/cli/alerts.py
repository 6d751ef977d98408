"""`supportmetrics alerts check` and `alerts list`: evaluate the alerts of supportmetrics.toml,
and show their open and past episodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import typer

from supportmetrics.cli.options import FormatOption, WorkspaceOption
from supportmetrics.cli.output import (
    EXIT_BUSY,
    EXIT_INVALID,
    Format,
    emit,
    err,
    fail,
    open_workspace,
)

__all__ = ["commands"]

commands = typer.Typer()
alerts_app = typer.Typer(
    help="Alerts: target breaches, spikes and drops, SLA at risk.", no_args_is_help=True
)
commands.add_typer(alerts_app, name="alerts")

Status = Literal["open", "resolved"]


def _instant(text: str | None, timezone: str) -> datetime:
    """Naive UTC from --at (local to `timezone` unless it has an offset), or now."""
    if text is None:
        return datetime.now(UTC).replace(tzinfo=None)
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(
            f"--at {text!r}: write a time like 2026-03-02T09:30 (local) or with an offset"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC).replace(tzinfo=None)


@alerts_app.command("check")
def check_command(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what fires and ends; record and send nothing."),
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Judge as of this time (ISO 8601, local to the workspace time zone unless it "
            "has an offset) instead of now: to replay a past day.",
            show_default=False,
        ),
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Evaluate every [alerts.<name>]: a segment that fires opens an episode and is sent once; an
    open episode whose condition has ended is resolved (and that is sent). Safe to run from cron
    every few minutes. Exit 1 when an alert could not be evaluated."""
    from supportmetrics.alerts.check import check_alerts, exclusive
    from supportmetrics.alerts.episodes import Episodes
    from supportmetrics.alerts.notify import sender
    from supportmetrics.delivery import DeliveryLog
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    ws = open_workspace(workspace)
    moment = _instant(at, ws.config.timezone)
    if not ws.config.alerts:
        err.print("no alerts: add [alerts.<name>] tables to supportmetrics.toml", markup=False)
        return
    log = DeliveryLog.of_workspace(ws.root)
    try:
        with exclusive(ws.root) as mine:
            if not mine and not dry_run:
                err.print("another `alerts check` is running; nothing done", markup=False)
                return
            runs = check_alerts(
                ws.engine(),
                ws.config.alerts,
                Episodes(log),
                moment,
                None if dry_run else sender(ws.config, log),
                now=datetime.now(UTC).replace(tzinfo=None),
            )
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    finally:
        ws.close()
    if fmt is Format.json:
        emit([r.to_dict() for r in runs], fmt)
    else:
        rows = []
        for run in runs:
            states = {s: "opened" for s in run.opened} | {s: "ongoing" for s in run.ongoing}
            for finding in run.firing:
                rows.append(
                    {
                        "alert": run.alert,
                        "kind": run.kind,
                        "segment": finding.segment,
                        "state": states[finding.segment],
                        "summary": finding.summary,
                    }
                )
            for segment in run.resolved:
                rows.append(
                    {
                        "alert": run.alert,
                        "kind": run.kind,
                        "segment": segment,
                        "state": "resolved",
                        "summary": "",
                    }
                )
        if rows:
            title = "alerts" + (" (dry run: nothing recorded or sent)" if dry_run else "")
            emit(rows, fmt, title=title)
        else:
            err.print(f"{len(runs)} alerts checked: nothing fires, nothing ended", markup=False)
    for run in runs:
        for line in run.sent:
            err.print(f"{run.alert}: sent {line}", markup=False)
        if run.error:
            err.print(f"error: {run.alert}: {run.error}", markup=False)
    if any(r.error for r in runs):
        raise typer.Exit(EXIT_INVALID)


@alerts_app.command("list")
def list_command(
    status: Annotated[
        Status | None,
        typer.Option("--status", help="Only open or only resolved episodes.", show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many episodes.")] = 100,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Alert episodes: the open ones first, then the past ones, newest first."""
    from supportmetrics.alerts.episodes import Episodes

    ws = open_workspace(workspace)
    episodes = Episodes.of_workspace(ws.root).list(status=status, limit=limit)
    if fmt is Format.json:
        emit([e.to_dict() for e in episodes], fmt)
        return
    rows = [
        {
            "id": e.id,
            "alert": e.alert,
            "kind": e.kind,
            "segment": e.segment,
            "status": "open" if e.is_open else "resolved",
            "opened_at": e.to_dict()["opened_at"],
            "resolved_at": e.to_dict()["resolved_at"],
            "summary": e.summary,
        }
        for e in episodes
    ]
    if rows or fmt is not Format.table:
        emit(rows, fmt, title="alert episodes")
    else:
        err.print("no alert episodes yet", markup=False)
