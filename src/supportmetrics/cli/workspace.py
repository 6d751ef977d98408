"""`supportmetrics init`, `ingest`, `validate`, `tables`, `compact`, `columns`, `demo-data` and
`demo`: a workspace's store and what goes into it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supportmetrics.cli.batch import OnError, print_report, run_batch
from supportmetrics.cli.options import FormatOption, WaitOption, WorkspaceOption
from supportmetrics.cli.output import (
    EXIT_BUSY,
    EXIT_INVALID,
    Format,
    emit,
    err,
    fail,
    open_workspace,
    size,
    warn,
)
from supportmetrics.cli.serving import serve_demo
from supportmetrics.display import human

if TYPE_CHECKING:
    from supportmetrics.workspace import TableSummary, Workspace

__all__ = ["commands"]

commands = typer.Typer()
columns_app = typer.Typer(help="Custom columns: list them, drop them.", no_args_is_help=True)
commands.add_typer(columns_app, name="columns")


class FileFormat(StrEnum):
    """File format of the demo dataset."""

    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"


PathsArgument = Annotated[
    list[Path],
    typer.Argument(help="Files or folders (CSV, Parquet, JSON Lines).", show_default=False),
]
TableOption = Annotated[
    str | None,
    typer.Option("--table", "-t", help="Load every file into this table instead of by file name."),
]


@commands.command(epilog="Example: supportmetrics init my-workspace --timezone Europe/Paris")
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path(),
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone of the team, e.g. America/New_York.")
    ] = None,
) -> None:
    """Create a workspace: supportmetrics.toml (settings) and an empty store."""
    from supportmetrics.config import ConfigError
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy
    from supportmetrics.workspace import Workspace

    try:
        ws = Workspace.init(directory, timezone)
    except (ConfigError, WorkspaceBusy, ResourceError) as exc:
        raise fail(str(exc)) from None
    err.print(f"workspace ready in {ws.root.resolve()} (store: {ws.store_path.name})")


@commands.command(epilog="Example: supportmetrics ingest data/tickets.csv data/messages.csv")
def ingest(
    paths: PathsArgument,
    table: TableOption = None,
    on_error: Annotated[
        OnError,
        typer.Option(
            "--on-error",
            help="fail: load nothing if any row is invalid. quarantine: load the valid rows and "
            "write the rejected ones with their reasons next to each input.",
        ),
    ] = OnError.fail,
    wait: Annotated[
        float | None,
        typer.Option(help="Seconds to wait for another ingest to finish (default: settings)."),
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Validate files and load them into the store: one transaction, idempotent on ids; then
    refresh the cached facts of the tickets it touched (the summary's `facts:` line says how)."""
    report = run_batch(workspace, paths, table, fmt, write=True, on_error=on_error, wait=wait)
    print_report(report, fmt)


@commands.command(epilog="Example: supportmetrics validate data/")
def validate(
    paths: PathsArgument,
    table: TableOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check files exactly as ingest would, without writing anything."""
    report = run_batch(workspace, paths, table, fmt, write=False)
    print_report(report, fmt)
    if report.total_problems:
        raise typer.Exit(EXIT_INVALID)


@commands.command(epilog="Example: supportmetrics tables --format json")
def tables(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Rows, time span (UTC) and custom columns of every table in the store."""
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    ws = open_workspace(workspace)
    try:
        summaries = ws.tables()
        warn(ws.engine().warnings())
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    emit(_table_rows(summaries, fmt), fmt, title=f"tables in {ws.store_path}")


def _table_rows(summaries: list[TableSummary], fmt: Format) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [dict(s.to_dict()) for s in summaries]
    if fmt is Format.table:  # dates are enough on screen; csv and json keep full precision
        for row in rows:
            for key in ("first", "last"):
                row[key] = row[key] and row[key][:10]
    if fmt is not Format.json:
        for row in rows:
            row["out_of_range"] = ", ".join(f"{c}: {n}" for c, n in row["out_of_range"].items())
    return rows


@commands.command(
    "demo-data", epilog="Example: supportmetrics demo-data --out demo-files --tickets 5000"
)
def demo_data(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the tables to.")],
    tickets: Annotated[int, typer.Option(min=1, help="Number of tickets.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 0,
    file_format: Annotated[
        FileFormat, typer.Option("--file-format", help="File format of the tables.")
    ] = FileFormat.csv,
) -> None:
    """Write a realistic, deterministic demo dataset: one file per table of the data model."""
    from supportmetrics import demo

    with err.status(f"generating {tickets:,} tickets"):
        files = demo.write(demo.generate(tickets, seed=seed), out_dir, file_format.value)
    err.print(f"wrote {len(files)} tables to {out_dir}")


@commands.command("demo", epilog="Example: supportmetrics demo --tickets 5000 --no-serve")
def demo_command(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path(
        "supportmetrics-demo"
    ),
    tickets: Annotated[int, typer.Option(min=1, help="Number of tickets.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Then serve the dashboard on it.")
    ] = True,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Dashboard port.")] = 8000,
) -> None:
    """Make a demo workspace (generate data, ingest it, set example business hours, SLA policies
    and targets), print a headline summary, and serve the dashboard on it with a generated
    password."""
    from supportmetrics import demo

    ws = _workspace_for_demo(directory)
    data_dir = directory / "data"
    with err.status(f"generating {tickets:,} demo tickets"):
        demo.write(demo.generate(tickets, seed=seed), data_dir, "parquet")
    report = run_batch(directory, [data_dir], None, Format.table, write=True)
    err.print(
        f"loaded {report.rows_loaded:,} rows in {report.seconds:.1f} s "
        f"({report.rows_per_second:,.0f} rows/s)"
    )
    emit(_table_rows(ws.tables(), Format.table), Format.table, title=f"demo workspace {directory}")
    emit(_headline(ws), Format.table, title="headline, the whole year")
    ws.close()
    err.print(
        f"\nNext: supportmetrics metrics list\n"
        f"      supportmetrics metric first_response_time --by channel --stat median "
        f"--workspace {directory}\n"
        f"      supportmetrics ingest YOUR_FILES --workspace {directory}"
    )
    if serve:
        serve_demo(directory, "127.0.0.1", port)


HEADLINE: tuple[tuple[str, str | None], ...] = (
    ("ticket_volume", None),
    ("first_response_time", "median"),
    ("resolution_time", "median"),
    ("first_contact_resolution", None),
    ("reopen_rate", None),
    ("backlog", None),
)
"""The demo summary's figures: metric id and the statistic (None: the metric's own)."""


def _headline(ws: Workspace) -> list[dict[str, Any]]:
    """A few headline figures, each with its n, as a first look at a workspace."""
    rows = []
    for metric_id, stat in HEADLINE:
        result = ws.metric(metric_id, stat=stat) if stat else ws.metric(metric_id)
        row = result.rows[0] if result.rows else {"value": None, "n": 0}
        label = f"{metric_id} ({stat})" if stat else metric_id
        rows.append({"metric": label, "value": human(row["value"], result.unit), "n": row["n"]})
    return rows


def _workspace_for_demo(directory: Path) -> Workspace:
    """The demo workspace with business hours, SLA policies and targets in its settings."""
    from supportmetrics.config import CONFIG_FILE, ConfigError
    from supportmetrics.demo import add_demo_settings
    from supportmetrics.store import WorkspaceBusy
    from supportmetrics.workspace import Workspace

    try:
        Workspace.init(directory, "America/New_York").close()
        add_demo_settings(directory / CONFIG_FILE)
        return Workspace.open(directory)
    except (ConfigError, WorkspaceBusy) as exc:
        raise fail(str(exc)) from None


@commands.command("compact", epilog="Example: supportmetrics compact")
def compact_command(wait: WaitOption = None, workspace: WorkspaceOption = None) -> None:
    """Rewrite the store into a fresh file, giving back the space it no longer uses."""
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    ws = open_workspace(workspace)
    try:
        done = ws.compact(wait=wait)
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    err.print(f"store file compacted: {size(done.before)} before, {size(done.after)} after")


@columns_app.command("list", epilog="Example: supportmetrics columns list")
def columns_list(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Every custom column with its table, type and number of values."""
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    ws = open_workspace(workspace)
    try:
        found = ws.custom_columns()
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    emit([c.to_dict() for c in found], fmt, title="custom columns")


@columns_app.command("drop", epilog="Example: supportmetrics columns drop tickets.region")
def columns_drop(
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="TABLE.NAME...",
            help="Custom columns to drop, e.g. tickets.region; patterns such as 'tickets.x_*' "
            "name every match.",
            show_default=False,
        ),
    ],
    wait: WaitOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Drop custom columns and their values from the store (all of them or, on an error, none)."""
    from supportmetrics.columns import ColumnError
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    ws = open_workspace(workspace)
    try:
        dropped = ws.drop_columns(names, wait=wait)
    except ColumnError as exc:
        raise fail(str(exc)) from None
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    err.print(
        f"dropped {len(dropped)} custom column(s): {', '.join(dropped)}; "
        "`supportmetrics compact` gives back their space"
    )
