"""Exporting a workspace's canonical tables as a lake: one Parquet folder per table, the layout
`[store.spark] tables` reads, so a team moves from the embedded store to Spark in one step."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from supportmetrics.schema import TABLES
from supportmetrics.workspace import Workspace, WorkspaceError

__all__ = ["LakeTable", "export_lake"]

PART = "part-0.parquet"
"""The file each table's folder holds."""


@dataclass(frozen=True)
class LakeTable:
    """One exported table: its name, rows and folder."""

    table: str
    rows: int
    folder: Path

    def to_dict(self) -> dict[str, object]:
        return {"table": self.table, "rows": self.rows, "folder": str(self.folder)}


def export_lake(workspace: Workspace, folder: Path, *, replace: bool = False) -> list[LakeTable]:
    """Write every canonical table of `workspace` (as metrics read it: canonical columns, custom
    ones kept) to `folder/<table>/part-0.parquet`. Table folders already there are an error unless
    `replace`; each table is written beside its folder and moved into place when complete."""
    if workspace.config.store.engine == "spark":
        raise WorkspaceError(
            "this workspace already reads its tables from Spark ([store.spark]); export-lake "
            "copies a workspace's embedded store or database into a lake"
        )
    taken = [name for name in TABLES if (folder / name).exists()]
    if taken and not replace:
        raise WorkspaceError(
            f"{folder} already holds {', '.join(taken)}: choose an empty folder, or pass --replace "
            "to overwrite these tables"
        )
    folder.mkdir(parents=True, exist_ok=True)
    engine = workspace.engine()
    written = []
    for name in TABLES:
        table = engine.stored(name)
        staging = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        staging.mkdir()
        try:
            engine.db.to_parquet(table, staging / PART)
            rows = int(engine.db.execute(table.count()))
            if (folder / name).exists():
                shutil.rmtree(folder / name)
            staging.rename(folder / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        written.append(LakeTable(name, rows, folder / name))
    return written
