"""`supportmetrics metric`, `metrics list` and `facts`: numbers, their definitions and the rows
behind them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from supportmetrics.cli.options import (
    Clock,
    Compare,
    FormatOption,
    Period,
    RawOption,
    WorkspaceOption,
    filters,
    local_date,
    stat,
    variants,
)
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
    warn,
)
from supportmetrics.display import human, human_change, human_interval

if TYPE_CHECKING:
    from supportmetrics.query import Result

__all__ = ["commands"]

commands = typer.Typer()
metrics_app = typer.Typer(help="The metric catalogue.", no_args_is_help=True)
commands.add_typer(metrics_app, name="metrics")

FactsName = Literal["tickets", "calls"]
"""The facts `facts` exports (the registry's exported fact tables, as a constant so the command
line starts without the engine; a test keeps the two equal)."""


class FactsFormat(StrEnum):
    """Output format of `facts`."""

    csv = "csv"
    json = "json"
    parquet = "parquet"


def _display(result: Result) -> list[dict[str, Any]]:
    """Result rows for the screen, by `supportmetrics.display`'s rules: values, intervals and
    changes in the metric's unit (a change of a share in points), flags as yes or blank, and
    why a comparison has no previous value."""
    unit = result.unit
    shown = []
    for row in result.rows:
        out: dict[str, Any] = {}
        for key, value in row.items():
            if key in ("ci_low", "ci_high", "numerator", "denominator", "change_pct"):
                continue  # one interval column, one change column; csv and json keep the numbers
            if key in ("value", "previous"):
                out[key] = human(value, unit)
            elif key == "change":
                out[key] = human_change(value, unit, row.get("previous"))
            elif key == "compare_note":
                out["note"] = value or ""
            elif key in ("low_sample", "partial"):
                out[key.replace("_", " ")] = "yes" if value else ""
            elif key in ("share", "retention"):
                out[key] = human(value, "share")
            elif key == "top":
                out[key] = "; ".join(f"{next(iter(t.values()))} ({t['count']})" for t in value)
            else:
                out[key] = value
            if key == "value" and row.get("ci_low") is not None:
                out["95% CI"] = human_interval(row["ci_low"], row["ci_high"], unit)
        shown.append(out)
    if all(not row.get("note") for row in shown):
        for row in shown:
            row.pop("note", None)  # nothing to explain: no empty column
    return shown


@commands.command(
    "metric",
    epilog="Example: supportmetrics metric csat --by channel --from 2025-01-01 --to 2025-03-31 --compare previous",
)
def metric_command(
    metric_id: Annotated[str, typer.Argument(metavar="ID", help="Metric id (see: metrics list).")],
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by", metavar="<DIMENSION>", help="Split by a dimension (repeatable), e.g. channel."
        ),
    ] = None,
    period: Annotated[
        Period | None, typer.Option(help="Trend by this period (local time).")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", metavar="<YYYY-MM-DD>", help="First local date (inclusive)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", metavar="<YYYY-MM-DD>", help="Last local date (inclusive)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            metavar="<COL=VAL[,VAL]>",
            help="Filter (repeatable; values are alternatives).",
        ),
    ] = None,
    stat_name: Annotated[
        str,
        typer.Option(
            "--stat",
            parser=stat,
            metavar="<mean|median|pNN>",
            help="Statistic of a duration: mean, median, p90 or any pNN.",
        ),
    ] = "mean",
    clock: Annotated[Clock, typer.Option(help="Calendar or business hours.")] = "calendar",
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", metavar="<KEY=VALUE>", help="Definition variant (repeatable)."),
    ] = None,
    compare: Annotated[
        Compare | None, typer.Option(help="previous: add the previous equal-length period.")
    ] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
    raw: RawOption = False,
) -> None:
    """Compute a metric, split and trended as asked."""
    from supportmetrics.query import QueryError
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy

    where_filters, chosen_variants = filters(where), variants(variant)
    first, last = local_date(start, "--from"), local_date(end, "--to")
    ws = open_workspace(workspace)
    try:
        result = ws.metric(
            metric_id,
            by=by or [],
            period=period,
            start=first,
            end=last,
            where=where_filters,
            stat=stat_name,
            clock=clock,
            variants=chosen_variants,
            compare=compare,
        )
    except QueryError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    finally:
        ws.close()
    warn(result.warnings)
    if fmt is Format.json:
        print_json(result.to_dict())
    elif fmt is Format.csv:
        emit(result.rows, fmt, raw=raw)
    else:
        title = f"{result.metric} ({result.unit}, {result.better or 'no direction'} is better)"
        if result.rows:
            emit(_display(result), fmt, title=title)
        else:
            err.print(f"{result.metric}: no data for this query")


@metrics_app.command("list", epilog="Example: supportmetrics metrics list --format json")
def metrics_list(fmt: FormatOption = Format.table) -> None:
    """Every metric with its definition, variants, unit, direction and benchmarks."""
    from supportmetrics.metrics import CATALOGUE

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
            heading = f"[bold]{row['id']}[/] ({row['family']}, {row['unit']}"
            heading += f", {row['better']} is better)" if row["better"] else ")"
            out.print(heading, markup=True)
            for key in ("definition", "filed under", "variants", "benchmarks"):
                if row[key]:
                    out.print(f"  {key}: {row[key]}", markup=False)
    else:
        emit(rows, fmt)


@commands.command(
    "facts", epilog="Example: supportmetrics facts tickets --where channel=email --out tickets.csv"
)
def facts_command(
    name: Annotated[FactsName, typer.Argument(help="tickets or calls.")],
    where: Annotated[
        list[str] | None,
        typer.Option("--where", metavar="<COL=VAL[,VAL]>", help="Filter (repeatable)."),
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
    from supportmetrics.export import write_facts
    from supportmetrics.query import QueryError
    from supportmetrics.resources import ResourceError

    if fmt is FactsFormat.parquet and out_file is None:
        raise fail("--format parquet needs --out FILE", EXIT_USAGE)
    where_filters = filters(where)
    ws = open_workspace(workspace)
    try:
        table = ws.facts(name, where=where_filters)
        warn(ws.engine().warnings() + ws.facts_warnings(name, where_filters))
    except QueryError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    except ResourceError as exc:
        raise fail(str(exc)) from None
    finally:
        ws.close()
    write_facts(table, fmt.value, out_file, raw=raw)
    if out_file is not None:
        err.print(f"wrote {table.num_rows:,} {name} rows to {out_file}")
