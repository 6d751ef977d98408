"""The `supportmetrics` command line.

Data goes to standard output (`--format table|csv|json`); progress, summaries and errors go to standard
error. Exit codes: 0 success, 1 invalid input or settings (nothing written), 2 bad usage, 3 workspace
busy.

Layout: one module per command group (`workspace`, `metrics`, `importing`, `pulling`, `lake`,
`reports`, `alerts`, `planning`, `web`), built on helpers (`options`, `output`, `batch`,
`serving`) that never import a command module; the web application and scipy load only inside the
commands that need them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from supportmetrics import __version__
from supportmetrics.cli import (
    alerts,
    importing,
    lake,
    metrics,
    planning,
    pulling,
    reports,
    web,
    workspace,
)
from supportmetrics.cli.options import readable_types
from supportmetrics.cli.output import EXIT_INVALID, fail, out

__all__ = ["app", "main"]

app = typer.Typer(
    name="supportmetrics",
    help="Customer-service metrics with one clear definition each, from your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (workspace, metrics, importing, pulling, lake, reports, alerts, planning, web):
    app.add_typer(group.commands)
readable_types()


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"supportmetrics {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Customer-service metrics with one clear definition each, from your own data."""


def main() -> None:
    """Entry point of the `supportmetrics` console script: a store that cannot be reached or
    written is an error message and exit 1, not a traceback."""
    try:
        app()
    except RuntimeError as exc:
        from supportmetrics.backends import BackendError
        from supportmetrics.workspace import WorkspaceError

        if not isinstance(exc, BackendError | WorkspaceError):
            raise
        fail(str(exc))
        sys.exit(EXIT_INVALID)
