"""`supportmetrics report NAME` and `reports list|run-due|send`: scheduled reports, rendered and
delivered."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from supportmetrics.cli.options import FormatOption, WorkspaceOption
from supportmetrics.cli.output import (
    EXIT_BUSY,
    Format,
    emit,
    err,
    fail,
    open_workspace,
    print_json,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from supportmetrics.reports import ReportPeriod
    from supportmetrics.workspace import Workspace

T = TypeVar("T")

__all__ = ["commands"]

commands = typer.Typer()
reports_app = typer.Typer(help="Scheduled reports: list, send what is due.", no_args_is_help=True)
commands.add_typer(reports_app, name="reports")

PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        metavar="<2026-11-29|2026-W47|2026-11>",
        help="The day, ISO week or month, as the report's cadence (default: the latest due).",
    ),
]


def _computing(ws: Workspace, work: Callable[[], T]) -> T:
    """`work()` on the workspace, closed after; a busy store exits 3, a resource failure 1."""
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    try:
        return work()
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    finally:
        ws.close()


def _period(ws: Workspace, name: str, label: str | None) -> ReportPeriod:
    """The report's period named by `label`, or the latest due one (exit 1 naming the problem)."""
    from datetime import UTC, datetime

    from supportmetrics.reports import latest_due, parse_period

    if name not in ws.config.reports:
        known = ", ".join(ws.config.reports) or "none: add [reports.<name>] to supportmetrics.toml"
        raise fail(f"no report {name!r}; the reports are: {known}")
    settings = ws.config.reports[name]
    if label is None:
        zone = settings.timezone or ws.config.timezone
        return latest_due(settings.every, settings.send_at, zone, datetime.now(UTC))
    try:
        return parse_period(label, settings.every)
    except ValueError as exc:
        raise fail(str(exc)) from None


@commands.command("report")
def report_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A [reports.NAME] of the settings.")],
    period: PeriodOption = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write the HTML, PDF and CSV files to.")
    ] = Path("."),
    workspace: WorkspaceOption = None,
) -> None:
    """Render a report for one period: an HTML page, a PDF and the CSV of every table."""
    from supportmetrics.reports.content import compute
    from supportmetrics.reports.render import render

    ws = open_workspace(workspace)
    chosen = _period(ws, name, period)
    formats = ws.config.reports[name].formats
    rendered = _computing(ws, lambda: render(compute(ws, name, chosen), formats))
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{chosen.label}"
    written = []
    for filename, data in rendered.files.items():
        if filename in ("email.html", "body.html") or filename.endswith(".png"):
            continue  # the email's own parts; report.html holds the charts inline
        target = out_dir / (f"{stem}.html" if filename == "report.html" else filename)
        target.write_bytes(data)
        written.append(target)
    for path in written:
        err.print(f"wrote {path}", markup=False, highlight=False)


@reports_app.command("list")
def reports_list(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Each report: cadence, send time, metrics, recipients, latest due issue and its state."""
    from datetime import UTC, datetime

    from supportmetrics.reports import Issues, latest_due

    ws = open_workspace(workspace)
    issues = Issues(ws.root)
    rows = []
    now = datetime.now(UTC)
    for name, settings in ws.config.reports.items():
        zone = settings.timezone or ws.config.timezone
        due = latest_due(settings.every, settings.send_at, zone, now)
        issue = issues.get(name, due.label)
        upcoming = due.shift(1).due_at(settings.send_at, zone)
        rows.append(
            {
                "report": name,
                "cadence": settings.every,
                "send at": f"{settings.send_at} {zone}",
                "metrics": ", ".join(settings.all_metrics),
                "recipients": ", ".join(settings.recipients),
                "latest due": due.label,
                "state": issue.state if issue else "not sent",
                "next due": upcoming.isoformat(timespec="minutes"),
            }
        )
    if not rows:
        err.print("no reports: add [reports.<name>] tables to supportmetrics.toml (see README)")
        return
    emit(rows, fmt)


def _print_outcomes(outcomes: list, fmt: Format) -> int:
    rows = [o.to_dict() for o in outcomes]
    if fmt is Format.json:
        print_json(rows)
    elif rows:
        emit(rows, fmt)
    return sum(o.action in ("failed", "retry later") for o in outcomes)


@reports_app.command("run-due")
def run_due_command(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Send every report issue that is due and not yet sent (safe to run from cron every few
    minutes: each issue goes out once). Exit 1 when a delivery failed."""
    from supportmetrics.reports.due import run_due

    ws = open_workspace(workspace)
    outcomes = _computing(ws, lambda: run_due(ws))
    if _print_outcomes(outcomes, fmt):
        raise typer.Exit(1)


@reports_app.command("send")
def send_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A [reports.NAME] of the settings.")],
    period: PeriodOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Send one issue now (an earlier period, or one that failed), once: recipients who had it are
    skipped. Exit 1 when a delivery failed."""
    from supportmetrics.reports import Issues
    from supportmetrics.reports.due import send_issue

    ws = open_workspace(workspace)
    chosen = _period(ws, name, period)
    outcome = _computing(ws, lambda: send_issue(ws, name, chosen, Issues(ws.root)))
    if _print_outcomes([outcome], fmt):
        raise typer.Exit(1)
