"""What the commands print: data rows as a table, CSV or JSON on standard output; warnings and errors
on standard error; the exit codes (and opening the workspace, which exits when it cannot)."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from supportmetrics.workspace import Workspace

__all__ = [
    "EXIT_BUSY",
    "EXIT_INVALID",
    "EXIT_USAGE",
    "Format",
    "emit",
    "err",
    "fail",
    "open_workspace",
    "out",
    "print_json",
    "size",
    "warn",
]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

EXIT_INVALID = 1
"""Invalid input or settings; nothing was written."""
EXIT_USAGE = 2
"""Bad usage: an unknown option value, metric or filter."""
EXIT_BUSY = 3
"""Another process holds the workspace."""


class Format(StrEnum):
    """Output format of data on standard output."""

    table = "table"
    csv = "csv"
    json = "json"


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    """Print `message` as an error (plain text, never markup) and return the exit to raise."""
    err.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    return typer.Exit(code)


def open_workspace(workspace: Path | None) -> Workspace:
    """The workspace in `workspace` (default: the environment, else the current folder), or exit 1
    saying why it cannot be opened."""
    from supportmetrics.config import ConfigError
    from supportmetrics.workspace import Workspace, WorkspaceError

    try:
        return Workspace.open(workspace)
    except (WorkspaceError, ConfigError) as exc:
        raise fail(str(exc)) from None


def warn(warnings: list[str]) -> None:
    """Print each warning on standard error."""
    for warning in warnings:
        err.print(Text.assemble(("warning:", "bold yellow"), " ", warning), highlight=False)


def print_json(payload: Any, *, allow_nan: bool = True) -> None:
    """Write `payload` as indented JSON on standard output: plain text, written at once (a console
    renderer takes seconds for the tens of thousands of lines a forecast or a table dump makes)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=str, allow_nan=allow_nan)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def emit(
    rows: list[dict[str, Any]], fmt: Format, title: str | None = None, *, raw: bool = False
) -> None:
    """Print data rows as a table, CSV or JSON on standard output (CSV text cells that look like
    formulas get a leading quote unless `raw`)."""
    if fmt is Format.json:
        print_json(rows)
    elif fmt is Format.csv:
        from supportmetrics.export import safe_rows

        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\r\n")
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


def size(n_bytes: int) -> str:
    """A file size in MiB."""
    return f"{n_bytes / 2**20:,.1f} MiB"
