"""The `supportmetrics` command line.

Data goes to standard output (`--format table|csv|json`); progress, summaries and errors go to standard
error. Exit codes: 0 success, 1 invalid input or settings (nothing written), 2 bad usage, 3 workspace
busy.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from supportmetrics import demo
from supportmetrics.columns import ColumnError
from supportmetrics.config import ConfigError
from supportmetrics.display import human
from supportmetrics.export import safe_rows, write_facts
from supportmetrics.ingest import IngestError, IngestReport
from supportmetrics.ingest.problems import MAX_SHOWN
from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import QueryError, Result
from supportmetrics.resources import ResourceError
from supportmetrics.store import WorkspaceBusy
from supportmetrics.workspace import ENV_VAR, TableSummary, Workspace, WorkspaceError

__all__ = ["app", "main"]

app = typer.Typer(
    name="supportmetrics",
    help="Customer-service metrics with one clear definition each, from your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

EXIT_INVALID = 1
EXIT_BUSY = 3


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class OnErrorChoice(StrEnum):
    fail = "fail"
    quarantine = "quarantine"


class FileFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"


WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar=ENV_VAR,
        help=f"Workspace folder (default: ${ENV_VAR}, else the current folder).",
        show_default=False,
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
RawOption = Annotated[
    bool,
    typer.Option(
        "--raw",
        help="CSV: write text cells as stored, even those starting with = + - @ tab or CR "
        "(by default they get a leading ' so a spreadsheet does not run them as formulas).",
    ),
]


def _fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    err.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    return typer.Exit(code)


def _open(workspace: Path | None) -> Workspace:
    try:
        return Workspace.open(workspace)
    except (WorkspaceError, ConfigError) as exc:
        raise _fail(str(exc)) from None


def _emit(
    rows: list[dict[str, Any]], fmt: Format, title: str | None = None, *, raw: bool = False
) -> None:
    """Print data rows as a table, CSV or JSON on standard output (CSV text cells that look like
    formulas get a leading quote unless `raw`)."""
    if fmt is Format.json:
        out.print_json(json.dumps(rows, default=str))
    elif fmt is Format.csv:
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows if raw else safe_rows(rows))
    else:
        table = Table(title=title)
        for key in rows[0] if rows else []:
            table.add_column(key, justify="right" if isinstance(rows[0][key], int) else "left")
        for row in rows:
            table.add_row(*("" if v is None else _cell(v) for v in row.values()))
        out.print(table)


def _cell(value: object) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")] = Path(),
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone of the team, e.g. America/New_York.")
    ] = None,
) -> None:
    """Create a workspace: supportmetrics.toml (settings) and an empty store."""
    try:
        ws = Workspace.init(directory, timezone)
    except (ConfigError, WorkspaceBusy, ResourceError) as exc:
        raise _fail(str(exc)) from None
    err.print(f"workspace ready in {ws.root.resolve()} (store: {ws.store_path.name})")


def _run_batch(
    workspace: Path | None,
    paths: list[Path],
    table: str | None,
    fmt: Format,
    *,
    write: bool,
    on_error: OnErrorChoice = OnErrorChoice.fail,
    wait: float | None = None,
) -> IngestReport:
    ws = _open(workspace)
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
            out.print_json(
                json.dumps(
                    {
                        "written": False,
                        "total_problems": exc.total,
                        "problems": [p.to_dict() for p in exc.problems],
                    }
                )
            )
        _print_problems(exc.problems, exc.total)
        verb = "ingested" if write else "changed"
        raise _fail(
            f"{exc.total} problem(s); nothing was {verb}. Fix the input, or load the valid rows "
            "with --on-error quarantine."
        ) from None
    except WorkspaceBusy as exc:
        raise _fail(str(exc), EXIT_BUSY) from None
    except (ConfigError, ResourceError) as exc:
        raise _fail(str(exc)) from None
    return report


def _print_problems(problems: list[Any], total: int) -> None:
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


def _print_report(report: IngestReport, fmt: Format) -> None:
    if fmt is Format.json:
        out.print_json(json.dumps(report.to_dict()))
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
        _emit(rows, fmt)
    else:
        _emit(rows, fmt, title="ingested" if report.written else "checked (nothing written)")
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
            f", compacted from {_size(report.compacted.before)} (it held more than twice its "
            "live data)"
            if report.compacted
            else ""
        )
        err.print(f"store file: {_size(before)} before, {_size(after)} after{compacted}")
    for note in report.notes:
        err.print(f"note: {note}")


def _size(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


PathsArgument = Annotated[
    list[Path],
    typer.Argument(help="Files or folders (CSV, Parquet, JSON Lines).", show_default=False),
]
TableOption = Annotated[
    str | None,
    typer.Option("--table", "-t", help="Load every file into this table instead of by file name."),
]


@app.command()
def ingest(
    paths: PathsArgument,
    table: TableOption = None,
    on_error: Annotated[
        OnErrorChoice,
        typer.Option(
            "--on-error",
            help="fail: load nothing if any row is invalid. quarantine: load the valid rows and "
            "write the rejected ones with their reasons next to each input.",
        ),
    ] = OnErrorChoice.fail,
    wait: Annotated[
        float | None,
        typer.Option(help="Seconds to wait for another ingest to finish (default: settings)."),
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Validate files and load them into the store: one transaction, idempotent on ids."""
    report = _run_batch(workspace, paths, table, fmt, write=True, on_error=on_error, wait=wait)
    _print_report(report, fmt)


@app.command()
def validate(
    paths: PathsArgument,
    table: TableOption = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check files exactly as ingest would, without writing anything."""
    report = _run_batch(workspace, paths, table, fmt, write=False)
    _print_report(report, fmt)
    if report.total_problems:
        raise typer.Exit(EXIT_INVALID)


@app.command()
def tables(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Rows, time span (UTC) and custom columns of every table in the store."""
    ws = _open(workspace)
    try:
        summaries = ws.tables()
        _warn(ws.engine().warnings())
    except WorkspaceBusy as exc:
        raise _fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise _fail(str(exc)) from None
    _emit(_table_rows(summaries, fmt), fmt, title=f"tables in {ws.store_path}")


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(Text.assemble(("warning:", "bold yellow"), " ", warning), highlight=False)


def _table_rows(summaries: list[TableSummary], fmt: Format) -> list[dict[str, Any]]:
    rows = [s.to_dict() for s in summaries]
    if fmt is Format.table:  # dates are enough on screen; csv and json keep full precision
        for row in rows:
            for key in ("first", "last"):
                row[key] = row[key] and row[key][:10]
    if fmt is not Format.json:
        for row in rows:
            row["out_of_range"] = ", ".join(f"{c}: {n}" for c, n in row["out_of_range"].items())
    return rows


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the tables to.")],
    tickets: Annotated[int, typer.Option(min=1, help="Number of tickets.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 0,
    file_format: Annotated[
        FileFormat, typer.Option("--file-format", help="File format of the tables.")
    ] = FileFormat.csv,
) -> None:
    """Write a realistic, deterministic demo dataset: one file per table of the data model."""
    with err.status(f"generating {tickets:,} tickets"):
        files = demo.write(demo.generate(tickets, seed=seed), out_dir, file_format.value)
    err.print(f"wrote {len(files)} tables to {out_dir}")


@app.command("demo")
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
    """Make a demo workspace (generate data, ingest it), print a headline summary, and serve the
    dashboard on it with a generated password."""
    ws = _workspace_for_demo(directory)
    data_dir = directory / "data"
    with err.status(f"generating {tickets:,} demo tickets"):
        demo.write(demo.generate(tickets, seed=seed), data_dir, "parquet")
    report = _run_batch(directory, [data_dir], None, Format.table, write=True)
    err.print(
        f"loaded {report.rows_loaded:,} rows in {report.seconds:.1f} s "
        f"({report.rows_per_second:,.0f} rows/s)"
    )
    _emit(_table_rows(ws.tables(), Format.table), Format.table, title=f"demo workspace {directory}")
    _emit(_headline(ws), Format.table, title="headline, the whole year")
    ws.close()
    err.print(
        f"\nNext: supportmetrics metrics list\n"
        f"      supportmetrics metric first_response_time --by channel --stat median "
        f"--workspace {directory}\n"
        f"      supportmetrics ingest YOUR_FILES --workspace {directory}"
    )
    if serve:
        serve_demo(directory, "127.0.0.1", port)


HEADLINE = (
    ("ticket_volume", {}),
    ("first_response_time", {"stat": "median"}),
    ("resolution_time", {"stat": "median"}),
    ("first_contact_resolution", {}),
    ("reopen_rate", {}),
    ("backlog", {}),
)


def _headline(ws: Workspace) -> list[dict[str, Any]]:
    """A few headline figures, each with its n, as a first look at a workspace."""
    rows = []
    for metric_id, options in HEADLINE:
        result = ws.metric(metric_id, **options)
        row = result.rows[0] if result.rows else {"value": None, "n": 0}
        label = f"{metric_id} ({options['stat']})" if "stat" in options else metric_id
        rows.append({"metric": label, "value": human(row["value"], result.unit), "n": row["n"]})
    return rows


def _workspace_for_demo(directory: Path) -> Workspace:
    try:
        return Workspace.init(directory, "America/New_York")
    except (ConfigError, WorkspaceBusy) as exc:
        raise _fail(str(exc)) from None


def _parse_pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _fail(f"{option} takes KEY=VALUE; got {item!r}", 2)
        pairs[key.strip()] = value.strip()
    return pairs


def _display(result: Result) -> list[dict[str, Any]]:
    """Result rows for the screen: humanised values, the interval in one column."""
    shown = []
    for row in result.rows:
        out: dict[str, Any] = {}
        for key, value in row.items():
            if key in ("ci_low", "ci_high", "numerator", "denominator"):
                continue  # the interval is shown in one column; csv and json keep the counts
            if key in ("value", "previous", "change"):
                out[key] = human(value, result.unit)
            elif key == "change_pct":
                out[key] = "" if value is None else f"{value:+.1f}%"
            elif key == "low_sample":
                out["low sample"] = "yes" if value else ""
            elif key in ("share", "retention"):
                out[key] = human(value, "share")
            elif key == "top":
                out[key] = "; ".join(f"{next(iter(t.values()))} ({t['count']})" for t in value)
            else:
                out[key] = value
            if key == "value" and row.get("ci_low") is not None:
                low, high = human(row["ci_low"], result.unit), human(row["ci_high"], result.unit)
                out["95% CI"] = f"{low} - {high}"
        shown.append(out)
    return shown


@app.command("metric")
def metric_command(
    metric_id: Annotated[str, typer.Argument(metavar="ID", help="Metric id (see: metrics list).")],
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Split by a dimension (repeatable).")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="hour, day, week, month, quarter or year (local time).")
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First local date (inclusive)."),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last local date (inclusive)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Filter COL=VAL[,VAL] (repeatable; values are alternatives)."),
    ] = None,
    stat: Annotated[str, typer.Option(help="mean, median, p90 or any pNN (durations).")] = "mean",
    clock: Annotated[str, typer.Option(help="calendar or business hours.")] = "calendar",
    variant: Annotated[
        list[str] | None, typer.Option("--variant", help="Definition variant KEY=VALUE.")
    ] = None,
    compare: Annotated[
        str | None, typer.Option(help="previous: add the previous equal-length period.")
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
    raw: RawOption = False,
) -> None:
    """Compute a metric, split and trended as asked."""
    filters = {k: v.split(",") for k, v in _parse_pairs(where or [], "--where").items()}
    ws = _open(workspace)
    try:
        result = ws.metric(
            metric_id,
            by=by or [],
            period=period,  # type: ignore[arg-type]
            start=start.date() if start else None,
            end=end.date() if end else None,
            where=filters,
            stat=stat,
            clock=clock,  # type: ignore[arg-type]
            variants=_parse_pairs(variant or [], "--variant"),
            compare=compare,  # type: ignore[arg-type]
        )
    except QueryError as exc:
        raise _fail(str(exc), 2) from None
    except WorkspaceBusy as exc:
        raise _fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise _fail(str(exc)) from None
    finally:
        ws.close()
    _warn(result.warnings)
    if fmt is Format.json:
        out.print_json(json.dumps(result.to_dict(), default=str))
    elif fmt is Format.csv:
        _emit(result.rows, fmt, raw=raw)
    else:
        title = f"{result.metric} ({result.unit}, {result.better or 'no direction'} is better)"
        if result.rows:
            _emit(_display(result), fmt, title=title)
        else:
            err.print(f"{result.metric}: no data for this query")


metrics_app = typer.Typer(help="The metric catalogue.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")


@metrics_app.command("list")
def metrics_list(fmt: FormatOption = Format.table) -> None:
    """Every metric with its definition, variants, unit, direction and benchmarks."""
    rows = [
        {
            "id": m.id,
            "family": m.family,
            "unit": m.unit,
            "better": m.better or "",
            "filed under": m.filed_under,
            "definition": m.definition,
            "variants": "; ".join(
                f"{v.name}={v.default}" + (f" ({'|'.join(v.choices)})" if v.choices else "")
                for v in m.variants
            )
            + ("; clock=calendar (calendar|business)" if m.has_clock else ""),
            "benchmarks": "; ".join(b.text for b in m.benchmarks),
        }
        for m in CATALOGUE.values()
    ]
    if fmt is Format.table:
        for row in rows:
            err_free = f"[bold]{row['id']}[/] ({row['family']}, {row['unit']}"
            err_free += f", {row['better']} is better)" if row["better"] else ")"
            out.print(err_free, markup=True)
            for key in ("definition", "filed under", "variants", "benchmarks"):
                if row[key]:
                    out.print(f"  {key}: {row[key]}", markup=False)
    else:
        _emit(rows, fmt)


class FactsFormat(StrEnum):
    csv = "csv"
    json = "json"
    parquet = "parquet"


@app.command("facts")
def facts_command(
    name: Annotated[str, typer.Argument(help="tickets or calls.")],
    where: Annotated[
        list[str] | None, typer.Option("--where", help="Filter COL=VAL[,VAL] (repeatable).")
    ] = None,
    fmt: Annotated[FactsFormat, typer.Option("--format", "-f", help="Output format.")] = (
        FactsFormat.csv
    ),
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of standard output.")
    ] = None,
    workspace: WorkspaceOption = None,
    raw: RawOption = False,
) -> None:
    """Export the per-ticket or per-call facts: the rows behind every number."""
    if name not in ("tickets", "calls"):
        raise _fail(f"unknown facts {name!r}; use tickets or calls", 2)
    if fmt is FactsFormat.parquet and out_file is None:
        raise _fail("--format parquet needs --out FILE", 2)
    ws = _open(workspace)
    try:
        table = ws.facts(
            name, where={k: v.split(",") for k, v in _parse_pairs(where or [], "--where").items()}
        )
        _warn(ws.engine().warnings())
    except QueryError as exc:
        raise _fail(str(exc), 2) from None
    except ResourceError as exc:
        raise _fail(str(exc)) from None
    finally:
        ws.close()
    write_facts(table, fmt.value, out_file, raw=raw)
    if out_file is not None:
        err.print(f"wrote {table.num_rows:,} {name} rows to {out_file}")


WaitOption = Annotated[
    float | None,
    typer.Option(help="Seconds to wait for an ingest to finish (default: [ingest] busy_timeout)."),
]


@app.command("compact")
def compact_command(wait: WaitOption = None, workspace: WorkspaceOption = None) -> None:
    """Rewrite the store into a fresh file, giving back the space it no longer uses."""
    ws = _open(workspace)
    try:
        done = ws.compact(wait=wait)
    except WorkspaceBusy as exc:
        raise _fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise _fail(str(exc)) from None
    err.print(f"store file compacted: {_size(done.before)} before, {_size(done.after)} after")


columns_app = typer.Typer(help="Custom columns: list them, drop them.", no_args_is_help=True)
app.add_typer(columns_app, name="columns")


@columns_app.command("list")
def columns_list(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Every custom column with its table, type and number of values."""
    ws = _open(workspace)
    try:
        found = ws.custom_columns()
    except WorkspaceBusy as exc:
        raise _fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise _fail(str(exc)) from None
    _emit([c.to_dict() for c in found], fmt, title="custom columns")


@columns_app.command("drop")
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
    ws = _open(workspace)
    try:
        dropped = ws.drop_columns(names, wait=wait)
    except ColumnError as exc:
        raise _fail(str(exc)) from None
    except WorkspaceBusy as exc:
        raise _fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise _fail(str(exc)) from None
    err.print(
        f"dropped {len(dropped)} custom column(s): {', '.join(dropped)}; "
        "`supportmetrics compact` gives back their space"
    )


def main() -> None:
    """Entry point of the `supportmetrics` console script."""
    app()


from supportmetrics.cli_import import import_command  # noqa: E402  (it builds on the helpers above)

app.command("import")(import_command)

from supportmetrics.cli_web import serve_command, serve_demo, tokens_app, users_app  # noqa: E402

app.command("serve")(serve_command)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
