"""Running a batch of files through ingest or validate with a progress bar, and printing its report
or its problems (`ingest`, `validate`, `demo`, `import`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from supportmetrics.cli.output import (
    EXIT_BUSY,
    Format,
    emit,
    err,
    fail,
    open_workspace,
    print_json,
    size,
)

if TYPE_CHECKING:
    from supportmetrics.ingest import IngestReport

__all__ = ["OnError", "print_report", "run_batch"]


class OnError(StrEnum):
    """What ingest does with invalid rows."""

    fail = "fail"
    quarantine = "quarantine"


def run_batch(
    workspace: Path | None,
    paths: list[Path],
    table: str | None,
    fmt: Format,
    *,
    write: bool,
    on_error: OnError = OnError.fail,
    wait: float | None = None,
) -> IngestReport:
    """Ingest (`write`) or validate `paths`; on problems print them and exit 1, writing nothing."""
    from supportmetrics.config import ConfigError
    from supportmetrics.ingest import IngestError
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    ws = open_workspace(workspace)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("starting", total=None)

            def step(description: str) -> None:
                progress.update(task, description=description, advance=1)

            if write:
                report = ws.ingest(
                    paths, table=table, on_error=on_error.value, wait=wait, step=step
                )
            else:
                report = ws.validate(paths, table=table, step=step)
    except IngestError as exc:
        if fmt is Format.json:
            print_json(
                {
                    "written": False,
                    "total_problems": exc.total,
                    "problems": [p.to_dict() for p in exc.problems],
                }
            )
        _print_problems(exc.problems, exc.total)
        verb = "ingested" if write else "changed"
        raise fail(
            f"{exc.total} problem(s); nothing was {verb}. Fix the input, or load the valid rows "
            "with --on-error quarantine."
        ) from None
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except (ConfigError, ResourceError) as exc:
        raise fail(str(exc)) from None
    return report


def _print_problems(problems: list[Any], total: int) -> None:
    from supportmetrics.ingest.problems import MAX_SHOWN

    table = Table(title=f"{total} problem(s)", show_lines=False)
    for column in ("file", "line", "column", "value", "problem"):
        table.add_column(column, overflow="fold")
    for p in problems[:MAX_SHOWN]:
        value = (
            None if p.value is None else (p.value[:40] + "..." if len(p.value) > 43 else p.value)
        )
        table.add_row(
            p.file,
            "" if p.line is None else str(p.line),
            p.column or "",
            "" if value is None else repr(value),
            f"{p.message} [{p.rule}]",
        )
    err.print(table)
    if total > MAX_SHOWN:
        err.print(f"... and {total - MAX_SHOWN} more")


def print_report(report: IngestReport, fmt: Format) -> None:
    """The rows read, loaded and rejected per table, the rejects files, time and store size."""
    if fmt is Format.json:
        print_json(report.to_dict())
        return
    rows = [
        {
            "table": name,
            "files": len(load.files),
            "rows read": load.rows_read,
            "loaded" if report.written else "valid": load.rows_loaded,
            "rejected": load.rows_rejected,
            "new custom columns": ", ".join(load.new_columns) or "",
        }
        for name, load in report.tables.items()
    ]
    if fmt is Format.csv:
        emit(rows, fmt)
    else:
        emit(rows, fmt, title="ingested" if report.written else "checked (nothing written)")
    if report.total_problems:
        _print_problems(report.problems, report.total_problems)
    for path in report.rejects_kept:
        err.print(f"{path} already exists and was left as it was")
    for path in report.rejects_files:
        err.print(f"rejected rows and their reasons: {path}")
    done = "loaded" if report.written else "valid"
    err.print(
        f"{report.rows_loaded:,} rows {done}, {report.rows_rejected:,} rejected, "
        f"in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
    )
    if report.store_bytes:
        before, after = report.store_bytes
        compacted = (
            f", compacted from {size(report.compacted.before)} (it held more than twice its "
            "live data)"
            if report.compacted
            else ""
        )
        err.print(f"store file: {size(before)} before, {size(after)} after{compacted}")
    if report.facts:
        err.print(f"facts: {report.facts}")
    for note in report.notes:
        err.print(f"note: {note}")
