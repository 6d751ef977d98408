"""`supportmetrics import`: convert a tool's native data into the canonical tables and ingest them.

Without `--out` the tables are converted into a temporary folder inside the workspace and loaded with
the ordinary ingest (same validation, atomicity, idempotency and summary), then the folder is removed.
With `--out DIR` the canonical files are written there and the store is not touched.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supportmetrics.cli.batch import OnError, print_report, run_batch
from supportmetrics.cli.options import FormatOption, WorkspaceOption
from supportmetrics.cli.output import (
    EXIT_BUSY,
    EXIT_USAGE,
    Format,
    emit,
    err,
    fail,
    open_workspace,
    out,
    print_json,
)

if TYPE_CHECKING:
    from supportmetrics.sources import Conversion, Source
    from supportmetrics.workspace import Workspace

__all__ = ["commands"]

commands = typer.Typer()
TEMP = ".supportmetrics-tmp"


@commands.command("import", epilog="Example: supportmetrics import zendesk exports/zendesk/")
def import_command(
    source_name: Annotated[
        str | None,
        typer.Argument(
            metavar="SOURCE", help="The tool the data comes from (see --list).", show_default=False
        ),
    ] = None,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH...",
            help="Export files or folders (or a database URL).",
            show_default=False,
        ),
    ] = None,
    list_sources: Annotated[
        bool, typer.Option("--list", help="List the sources, what each reads and how to export it.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the canonical files to this folder instead of ingesting."
        ),
    ] = None,
    on_error: Annotated[
        OnError,
        typer.Option(
            "--on-error",
            help="fail: load nothing if any converted row is invalid. quarantine: load the valid "
            "rows and write the rejected ones with their reasons under the workspace's rejects/.",
        ),
    ] = OnError.fail,
    schedules: Annotated[
        bool,
        typer.Option(
            "--schedules",
            help="Add the business-hours schedules and holidays in the export (Zendesk) to the "
            "workspace settings without asking.",
        ),
    ] = False,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import a tool's export: convert it to the canonical tables and ingest them.

    Imports are incremental: each batch is converted together with the batches imported before,
    so comments, events and ratings attach to tickets already in the store, and only the rows
    that changed are loaded.
    """
    from supportmetrics.sources import SourceError, source

    if list_sources:
        _list(fmt)
        return
    if not source_name or not paths:
        raise fail(
            "name a SOURCE and at least one PATH (see: supportmetrics import --list)", EXIT_USAGE
        )
    try:
        chosen = source(source_name)
    except SourceError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    if out_dir is not None:
        _convert_to(chosen, paths, out_dir, workspace, fmt)
    else:
        _import(chosen, paths, workspace, fmt, on_error)
        _schedules(chosen, paths, workspace, schedules)


def _schedules(chosen: Source, paths: list[str], workspace: Path | None, add: bool) -> None:
    """Offer the export's business-hours schedules for the settings (added with --schedules)."""
    import sys

    from supportmetrics.config import CONFIG_FILE, ConfigError
    from supportmetrics.sources import SourceError
    from supportmetrics.sources.zendesk_schedules import add_to_settings

    if chosen.schedules is None:
        return
    try:
        found = chosen.schedules(paths)
    except SourceError as exc:
        raise fail(f"{exc}; the settings are unchanged") from None
    if not found:
        return
    names = ", ".join(found)
    if not add and not (
        sys.stdin.isatty() and typer.confirm(f"add schedules {names} to the settings?")
    ):
        err.print(
            f"note: schedules not added to the settings ({names}); add them with --schedules",
            soft_wrap=True,
        )
        return
    ws = open_workspace(workspace)
    try:
        added, kept = add_to_settings(ws.root / CONFIG_FILE, found, set(ws.config.schedules))
    except ConfigError as exc:
        raise fail(
            f"the schedules would make the settings invalid ({exc}); nothing was added"
        ) from None
    finally:
        ws.close()
    if added:
        err.print(
            f"schedules added to {CONFIG_FILE}: {', '.join(added)} (give each its teams = [...])",
            soft_wrap=True,
            markup=False,
        )
    if kept:
        err.print(
            f"schedules already in {CONFIG_FILE}, left as they are: {', '.join(kept)}",
            soft_wrap=True,
        )


def _list(fmt: Format) -> None:
    from supportmetrics.sources import SOURCES

    rows = [
        {"name": s.name, "title": s.title, "reads": s.reads, "how to export": s.how_to_export}
        for s in SOURCES.values()
    ]
    if fmt is not Format.table:
        emit(rows, fmt)
        return
    for row in rows:
        out.print(f"[bold]{row['name']}[/] ({row['title']})", markup=True)
        out.print(f"  reads: {row['reads']}", markup=False)
        out.print(f"  how to export: {row['how to export']}", markup=False)


def _convert(chosen: Source, paths: list[str], target: Path, ws: Workspace) -> Conversion:
    """Run the source's conversion with the workspace's time zone and memory limit."""
    from supportmetrics.sources import SourceError, limits

    try:
        with (
            limits(ws.config.ingest.memory_limit, ws.root / TEMP),
            err.status(f"converting {chosen.title} data"),
        ):
            conversion = chosen.convert(paths, target, ws.config.timezone)
    except SourceError as exc:
        raise fail(f"{exc}; nothing was written") from None
    _notes(conversion)
    if not conversion.files:
        raise fail(f"no {chosen.title} records to import in {', '.join(paths)}")
    return conversion


def _notes(conversion: Conversion) -> None:
    for note in conversion.notes:
        err.print(f"note: {note}", markup=False, highlight=False)


def _convert_incremental(
    chosen: Source, paths: list[str], target: Path, ws: Workspace
) -> tuple[Conversion, Conversion]:
    """The batch converted with the remembered ones: (the changed rows, the full conversion)."""
    from supportmetrics.sources import SourceError
    from supportmetrics.sources.incremental import convert_records

    try:
        with err.status(f"converting {chosen.title} data"):
            changed, full = convert_records(chosen, paths, ws, target)
    except SourceError as exc:
        raise fail(f"{exc}; nothing was written") from None
    _notes(changed)
    if not full.files:
        raise fail(f"no {chosen.title} records to import in {', '.join(paths)}")
    return changed, full


def _import(
    chosen: Source, paths: list[str], workspace: Path | None, fmt: Format, on_error: OnError
) -> None:
    from supportmetrics.ingest import IngestReport
    from supportmetrics.sources.incremental import History, keep_rejects

    ws = open_workspace(workspace)
    temp = ws.root / TEMP / f"import-{chosen.name}-{uuid.uuid4().hex[:8]}"
    try:
        conversion, full = _convert_incremental(chosen, paths, temp, ws)
        if conversion.files:
            files = list(conversion.files.values())
            report = run_batch(workspace, files, None, fmt, write=True, on_error=on_error)
            keep_rejects(report, ws, chosen)
        else:
            report = IngestReport({}, 0.0, True)
        History(ws.root, chosen).remember(paths, full)
        lines = _reconcile(chosen, full, ws)
        if fmt is Format.json:
            payload = {**report.to_dict(), "source": chosen.name, "notes": conversion.notes}
            print_json({**payload, "details": _public(full)})
        else:
            print_report(report, fmt)
        _print_lines(lines)
    finally:
        ws.close()
        shutil.rmtree(temp, ignore_errors=True)


def _convert_to(
    chosen: Source, paths: list[str], out_dir: Path, workspace: Path | None, fmt: Format
) -> None:
    import pyarrow.parquet as pq

    ws = _settings_only(workspace)
    existed = out_dir.exists()
    before = set(out_dir.iterdir()) if existed else set()
    try:
        conversion = _convert(chosen, paths, out_dir, ws)
    except typer.Exit:
        _remove_new(out_dir, before, existed)
        raise
    lines = _reconcile_aside(chosen, conversion, ws, out_dir) if chosen.reconcile else []
    rows = [
        {"table": table, "file": str(path), "rows": pq.ParquetFile(path).metadata.num_rows}
        for table, path in conversion.files.items()
    ]
    if fmt is Format.json:
        payload = {"source": chosen.name, "tables": rows, "notes": conversion.notes}
        print_json({**payload, "details": _public(conversion)})
    else:
        emit(rows, fmt, title=f"written to {out_dir} (the store is unchanged)")
    _print_lines(lines)
    err.print(
        f"load them with: supportmetrics ingest {' '.join(str(p) for p in conversion.files.values())}"
    )


def _remove_new(out_dir: Path, before: set[Path], existed: bool) -> None:
    """Undo a failed conversion: remove what it wrote into `out_dir`, and the folder if it made it."""
    if not out_dir.exists():
        return
    if not existed:
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    for path in set(out_dir.iterdir()) - before:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _settings_only(workspace: Path | None) -> Workspace:
    """The workspace's settings when there is one, else the defaults (UTC): --out needs no store."""
    from supportmetrics.config import CONFIG_FILE, ConfigError, load_config
    from supportmetrics.workspace import Workspace, WorkspaceError

    try:
        return Workspace.open(workspace)
    except WorkspaceError:
        root = Path(workspace or ".")
        err.print(f"no workspace in {root.resolve()}: timestamps without an offset are read as UTC")
        return Workspace(root, load_config(root / CONFIG_FILE))
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _reconcile(chosen: Source, conversion: Conversion, ws: Workspace) -> list[str]:
    from supportmetrics.store import WorkspaceBusy

    if chosen.reconcile is None:
        return []
    try:
        with err.status("reconciling with the source's own metrics"):
            return chosen.reconcile(conversion, ws)
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None


def _reconcile_aside(
    chosen: Source, conversion: Conversion, ws: Workspace, out_dir: Path
) -> list[str]:
    """Reconcile in a scratch workspace with the same settings, so that the store is untouched."""
    from supportmetrics.config import StoreSettings
    from supportmetrics.ingest import IngestError
    from supportmetrics.workspace import Workspace

    scratch_root = out_dir / TEMP / f"reconcile-{uuid.uuid4().hex[:8]}"
    scratch = Workspace(scratch_root, ws.config.model_copy(update={"store": StoreSettings()}))
    try:
        scratch_root.mkdir(parents=True)
        scratch.ingest(list(conversion.files.values()))
        return _reconcile(chosen, conversion, scratch)
    except IngestError as exc:
        return [
            f"reconciliation skipped: the converted tables have {exc.total} problem(s); "
            f"check them with: supportmetrics validate {out_dir}"
        ]
    finally:
        scratch.close()
        shutil.rmtree(scratch_root, ignore_errors=True)
        with contextlib.suppress(OSError):
            (out_dir / TEMP).rmdir()  # only when nothing else is using it


def _public(conversion: Conversion) -> dict[str, Any]:
    """The details worth printing (paths of intermediate files left out)."""
    return {k: v for k, v in conversion.details.items() if not isinstance(v, str | Path)}


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        err.print(line, markup=False, highlight=False)
