"""Options shared by several commands, and the typed values they take: choices, the stat,
`NAME=VALUE` pairs.

Light on purpose: the command line builds every command's options to start (even for `--help`),
so the choices are plain constants here rather than imports from the engine's modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from supportmetrics.cli.output import Format
from supportmetrics.pairs import PairError, parse_pairs
from supportmetrics.stats import is_stat

__all__ = [
    "ENV_VAR",
    "Clock",
    "Compare",
    "FormatOption",
    "Period",
    "RawOption",
    "WaitOption",
    "WorkspaceOption",
    "filters",
    "stat",
    "variants",
]

ENV_VAR = "SUPPORTMETRICS_WORKSPACE"
"""The environment variable naming the default workspace (`supportmetrics.workspace.ENV_VAR`)."""
Period = Literal["hour", "day", "week", "month", "quarter", "year"]
"""A trend's period (`supportmetrics.query.Period`)."""
Clock = Literal["calendar", "business"]
"""Which hours a duration counts."""
Compare = Literal["previous"]
"""What a result is compared with."""

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
WaitOption = Annotated[
    float | None,
    typer.Option(help="Seconds to wait for an ingest to finish (default: [ingest] busy_timeout)."),
]


def stat(text: str) -> str:
    """The `--stat` value: mean, median or pNN (bad usage otherwise)."""
    if not is_stat(text):
        raise typer.BadParameter(f"unknown stat {text!r}; use mean, median, p90 or any pNN")
    return text


def filters(items: list[str] | None, option: str = "--where") -> dict[str, list[str]]:
    """`--where COL=VAL[,VAL]` items as column -> values (bad usage if malformed)."""
    try:
        return parse_pairs(items or [], option)
    except PairError as exc:
        raise typer.BadParameter(str(exc)) from None


def variants(items: list[str] | None) -> dict[str, str]:
    """`--variant KEY=VALUE` items as key -> value (bad usage if malformed)."""
    return {k: ",".join(v) for k, v in filters(items, "--variant").items()}
