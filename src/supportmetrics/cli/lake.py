"""`supportmetrics export-lake`: the store's canonical tables as a Parquet lake for Spark."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportmetrics.cli.options import FormatOption, WorkspaceOption
from supportmetrics.cli.output import EXIT_BUSY, Format, emit, err, fail, open_workspace

__all__ = ["commands"]

commands = typer.Typer()


@commands.command("export-lake", epilog="Example: supportmetrics export-lake lake/")
def export_lake_command(
    folder: Annotated[
        Path, typer.Argument(help="Folder (created if missing) to write the lake to.")
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite tables the folder already holds.")
    ] = False,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Write every canonical table as Parquet, one folder per table: the layout
    `[store.spark] tables` reads, to move a workspace's data onto Spark in one step."""
    from supportmetrics.lake import export_lake
    from supportmetrics.resources import ResourceError
    from supportmetrics.store import WorkspaceBusy
    from supportmetrics.workspace import WorkspaceError

    ws = open_workspace(workspace)
    try:
        written = export_lake(ws, folder, replace=replace)
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except (WorkspaceError, ResourceError) as exc:
        raise fail(str(exc)) from None
    finally:
        ws.close()
    emit([t.to_dict() for t in written], fmt, title=f"lake in {folder}")
    err.print(
        f'wrote {len(written)} tables to {folder}; on Spark set [store] engine = "spark" and '
        f'[store.spark] tables = "{folder.resolve()}"',
        markup=False,
    )
