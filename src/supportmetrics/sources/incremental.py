"""Incremental imports: each batch converts together with the records imported before it.

A tool's records depend on each other: comments need their ticket (for the requester and to exist at
all), a ticket's team needs its group's name, an author's role needs the users file. Batches split
those apart (an incremental sync delivers comments of a ticket imported last week), so a workspace
remembers every source's imported inputs under `.supportmetrics/sources/<source>/` and converts a new
batch together with them. Only the canonical rows that differ from what the previous imports wrote
are loaded, so a batch costs one conversion of the history (in the engine) and an ingest of its
changes, and loading A then B leaves exactly the store that loading A and B at once leaves.

Inputs that are not files or folders (a database URL) are not remembered: the source is read whole
each time, and again only its changed rows are loaded. Files a source reads as settings (the csv
source's mapping) are remembered once, the latest replacing the earlier.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from supportmetrics.sources._engine import known_tickets, limits
from supportmetrics.sources.base import Conversion, Source
from supportmetrics.store import sql_literal

if TYPE_CHECKING:
    from supportmetrics.ingest import IngestReport, OnError
    from supportmetrics.workspace import Workspace

__all__ = ["HISTORY", "History", "Imported", "convert_records", "import_records", "keep_rejects"]

HISTORY = Path(".supportmetrics") / "sources"
"""Where a workspace keeps each source's remembered inputs and last converted tables."""
TEMP = ".supportmetrics-tmp"


@dataclass
class Imported:
    """One incremental import: the conversion (its notes; its files held the changed rows and are
    removed once the import returns) and the ingest's report."""

    conversion: Conversion
    report: IngestReport | None
    """None when nothing changed (no row to load)."""


class History:
    """One source's memory in a workspace: its inputs batch by batch and its last output tables."""

    def __init__(self, ws_root: Path, source: Source) -> None:
        self.source = source
        self.root = ws_root / HISTORY / source.name
        self.batches = self.root / "batches"
        self.settings = self.root / "settings"
        self.output = self.root / "output"

    def _digests(self) -> set[str]:
        path = self.root / "digests.json"
        return set(json.loads(path.read_text())) if path.exists() else set()

    def remembered(self) -> list[str]:
        """The remembered inputs, oldest batch first (settings files not included)."""
        if not self.batches.exists():
            return []
        return [
            str(item)
            for batch in sorted(self.batches.iterdir())
            for slot in sorted(batch.iterdir(), key=lambda p: int(p.name))
            for item in sorted((slot / "folder").glob("*")) + sorted((slot / "file").glob("*/*"))
        ]

    def inputs(self, paths: Sequence[str]) -> list[str]:
        """What to convert: the remembered inputs, then the new ones not remembered already;
        a remembered settings file only when the batch brings none."""
        if not all(Path(p).exists() for p in paths):
            return list(paths)  # a database URL: the source is read whole
        known = self._digests()
        new = [p for p in paths if _digest(Path(p)) not in known]
        has_settings = any(self._is_settings(Path(p)) for p in paths)
        settings = (
            []
            if has_settings or not self.settings.exists()
            else [str(p) for p in sorted(self.settings.iterdir())]
        )
        batch_settings = [p for p in paths if self._is_settings(Path(p))]
        records = [p for p in new if not self._is_settings(Path(p))]
        return self.remembered() + settings + batch_settings + records

    def _is_settings(self, path: Path) -> bool:
        return path.is_file() and path.name.lower().endswith(self.source.settings)

    def changed(self, conversion: Conversion, scratch: Path) -> Conversion:
        """The conversion with each table cut to the rows that differ from the previous output."""
        files: dict[str, Path] = {}
        unchanged: list[str] = []
        with duckdb.connect() as con:
            for table, path in conversion.files.items():
                before = self.output / f"{table}.parquet"
                if not before.exists() or _columns(con, before) != _columns(con, path):
                    files[table] = path
                    continue
                target = scratch / f"{table}.parquet"
                row = con.execute(
                    f"COPY (SELECT * FROM read_parquet({sql_literal(path)}) EXCEPT "
                    f"SELECT * FROM read_parquet({sql_literal(before)})) "
                    f"TO {sql_literal(target)} (FORMAT parquet)"
                ).fetchone()
                if row and row[0]:
                    files[table] = target
                else:
                    target.unlink(missing_ok=True)
                    unchanged.append(table)
        notes = list(conversion.notes)
        if unchanged and not files:
            notes.append("nothing new: every converted row is in the store already")
        return Conversion(files, notes, dict(conversion.details))

    def remember(self, paths: Sequence[str], full: Conversion) -> None:
        """After a committed ingest: keep the batch's inputs and the full output it converted to."""
        self.root.mkdir(parents=True, exist_ok=True)
        if all(Path(p).exists() for p in paths):
            known = self._digests()
            batch = self.batches / f"{len(self._batch_names()) + 1:06d}"
            for slot, item in enumerate(paths):
                path = Path(item)
                digest = _digest(path)
                if self._is_settings(path):
                    shutil.rmtree(self.settings, ignore_errors=True)
                    self.settings.mkdir(parents=True)
                    shutil.copy2(path, self.settings / path.name)
                    continue
                if digest in known:
                    continue
                _copy(path, batch / str(slot), self.source.settings)
                known.add(digest)
            (self.root / "digests.json").write_text(json.dumps(sorted(known)))
        staged = self.root / f"output-{uuid.uuid4().hex[:8]}"
        staged.mkdir()
        for table, path in full.files.items():
            shutil.copy2(path, staged / f"{table}.parquet")
        old = self.root / f"old-{uuid.uuid4().hex[:8]}"
        if self.output.exists():
            self.output.rename(old)
        staged.rename(self.output)
        shutil.rmtree(old, ignore_errors=True)

    def _batch_names(self) -> list[str]:
        return sorted(p.name for p in self.batches.iterdir()) if self.batches.exists() else []


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_literal(path)})").fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _digest(path: Path) -> str:
    """A content digest of a file, or of a folder's files with their relative names."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _copy(path: Path, slot: Path, settings: tuple[str, ...]) -> None:
    """Copy a file under its parent folder's name (a stream folder names its records), or a folder."""
    if path.is_dir():
        shutil.copytree(
            path,
            slot / "folder" / (path.resolve().name or "input"),
            ignore=lambda _d, names: [n for n in names if n.lower().endswith(settings or ("\0",))],
        )
        return
    folder = slot / "file" / (path.resolve().parent.name or "input")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, folder / path.name)


@contextlib.contextmanager
def _store_tickets(ws: Workspace, scratch: Path) -> Iterator[None]:
    """Conversions inside see the store's tickets (`known_tickets`), when the store has any."""
    path = None
    if ws.store_path.exists():
        path = scratch / "store-tickets.parquet"
        con = ws.read()
        try:
            con.execute(
                "COPY (SELECT ticket_id, customer_id FROM tickets) "
                f"TO {sql_literal(path)} (FORMAT parquet)"
            )
        finally:
            con.close()
    with known_tickets(path):
        yield


def convert_records(
    source: Source, paths: Sequence[str], ws: Workspace, out_dir: Path
) -> tuple[Conversion, Conversion]:
    """Convert `paths` with the remembered inputs: (the changed rows, the full conversion)."""
    history = History(ws.root, source)
    scratch = out_dir / "full"
    changed_dir = out_dir / "changed"
    changed_dir.mkdir(parents=True, exist_ok=True)
    with (
        limits(ws.config.ingest.memory_limit, ws.root / TEMP),
        _store_tickets(ws, out_dir),
    ):
        full = source.convert(history.inputs(paths), scratch, ws.config.timezone)
    return history.changed(full, changed_dir), full


def import_records(
    ws: Workspace, source_name: str, paths: Sequence[str], *, on_error: OnError = "fail"
) -> Imported:
    """Import one batch of a source's records into `ws` incrementally (see the module docstring).

    Raises SourceError for input the source cannot read and IngestError for rows the store refuses
    (with `on_error="fail"`); the store and the remembered inputs are unchanged then.
    """
    from supportmetrics.sources import source

    chosen = source(source_name)
    temp = ws.root / TEMP / f"import-{chosen.name}-{uuid.uuid4().hex[:8]}"
    try:
        changed, full = convert_records(chosen, paths, ws, temp)
        report = None
        if changed.files:
            report = ws.ingest(list(changed.files.values()), on_error=on_error)
            keep_rejects(report, ws, chosen)
        History(ws.root, chosen).remember(paths, full)
        return Imported(changed, report)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def keep_rejects(report: IngestReport, ws: Workspace, source: Source) -> None:
    """Move the rejects files a quarantined import wrote beside its converted (temporary) tables
    to `<workspace>/rejects/<source>-<UTC time>/`, and name them there in the report."""
    if not report.rejects_files:
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = ws.root / "rejects" / f"{source.name}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in report.rejects_files:
        target = folder / path.name
        shutil.move(path, target)
        moved.append(target)
    report.rejects_files = moved
