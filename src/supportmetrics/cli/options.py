"""Options shared by several commands, and the typed values they take: choices, the stat,
`NAME=VALUE` pairs.

Light on purpose: the command line builds every command's options to start (even for `--help`),
so the choices are plain constants here rather than imports from the engine's modules.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
import typer.core

from supportmetrics.cli.output import EXIT_USAGE, Format, fail
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
    "local_date",
    "readable_types",
    "stat",
    "variants",
]

ENV_VAR = "SUPPORTMETRICS_WORKSPACE"
"""The environment variable naming the default workspace (`supportmetrics.workspace.ENV_VAR`)."""
Period = Literal["half_hour", "hour", "day", "week", "month", "quarter", "year"]
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


def local_date(text: str | None, option: str) -> date | None:
    """A `YYYY-MM-DD` option value as a date; bad usage saying what is wrong with it otherwise
    ("--from: 2025-13-45 is not a date (month 13); use YYYY-MM-DD")."""
    if text is None:
        return None
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    why = ""
    if found:
        year, month, day = (int(part) for part in found.groups())
        if not 1 <= month <= 12:
            why = f" (month {month})"
        else:
            days = calendar.monthrange(year, month)[1]
            if 1 <= day <= days:
                return date(year, month, day)
            why = f" (day {day}: {calendar.month_name[month]} {year} has {days} days)"
    raise fail(f"{option}: {text} is not a date{why}; use YYYY-MM-DD", EXIT_USAGE)


def _readable(display_type: Any) -> Any:
    def shown(self: Any, ctx: Any) -> str:
        if getattr(self, "is_flag", False):
            return ""  # a flag takes no value
        text = str(display_type(self, ctx))
        text = re.sub(r"^<list\[(.*)\]>$", r"<\1>", text)
        return text.replace(" range>", ">").replace("<Path>", "<path>")

    shown.readable = True  # type: ignore[attr-defined]
    return shown


def readable_types() -> None:
    """Help lists value types as people read them: <path> rather than <list[Path]>, <int> rather
    than <int range>, nothing beside a flag (Typer versions that show types)."""
    for kind in (typer.core.TyperArgument, typer.core.TyperOption):
        original = getattr(kind, "display_type", None)
        if original is not None and not getattr(original, "readable", False):
            kind.display_type = _readable(original)  # type: ignore[method-assign]
