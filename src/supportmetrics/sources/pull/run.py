"""Running a pull: each page is converted by the source's importer and ingested in one store
transaction, and only then is the cursor after it saved, so a pull stopped at any moment resumes
from the last committed page (re-importing a page is harmless: ingest replaces rows by id)."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportmetrics.sources.pull.base import Connector
from supportmetrics.sources.pull.http import Client, PullError
from supportmetrics.sources.pull.state import load_state, save_state

if TYPE_CHECKING:
    from supportmetrics.ingest.batch import OnError
    from supportmetrics.workspace import Workspace

__all__ = ["PullSummary", "default_state", "pull"]


@dataclass
class PullSummary:
    """What a pull did."""

    connector: str
    resumed: bool
    pages: int = 0
    tickets: int = 0
    rows_loaded: int = 0
    requests: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As JSON: the counts, the rows loaded per table, the notes and the saved cursor."""
        return {
            "connector": self.connector,
            "resumed": self.resumed,
            "pages": self.pages,
            "tickets": self.tickets,
            "rows_loaded": self.rows_loaded,
            "requests": self.requests,
            "tables": self.tables,
            "notes": self.notes,
            "cursor": self.cursor,
        }


def default_state(ws: Workspace, connector: Connector) -> Path:
    """Where a workspace keeps a connector's position unless `--state` says otherwise."""
    return ws.root / ".supportmetrics" / "pull" / f"{connector.name}.json"


def pull(
    connector: Connector,
    ws: Workspace,
    *,
    since: datetime | None,
    state_path: Path,
    environ: Mapping[str, str],
    page_size: int,
    on_error: OnError = "fail",
    progress: Callable[[str], None] = lambda _: None,
    backoff: float = 1.0,
) -> PullSummary:
    """Pull every page from the saved cursor (or from `since`) into the workspace's store."""
    from supportmetrics.sources import SourceError, limits, source
    from supportmetrics.workspace import TEMP_FOLDER

    account = connector.account(environ)
    cursor = load_state(state_path, connector.name, account.label)
    summary = PullSummary(connector.name, resumed=cursor is not None)
    if cursor is None:
        if since is None:
            raise PullError(
                f"no saved position in {state_path}: give --since DATE for the first pull"
            )
        cursor = connector.start(since)
    else:
        progress(f"resuming from {state_path}: {json.dumps(cursor)}")
    client = Client(account.base_url, account.headers, on_wait=progress, backoff=backoff)
    importer = source(connector.name)
    temp = ws.root / TEMP_FOLDER / f"pull-{connector.name}-{uuid.uuid4().hex[:8]}"
    try:
        for page in connector.pages(client, cursor, page_size):
            folder = temp / f"page-{summary.pages + 1}"
            inputs = _write(folder, page.files)
            loaded = 0
            if inputs:
                try:
                    with limits(ws.config.ingest.memory_limit, ws.root / TEMP_FOLDER):
                        conversion = importer.convert(
                            [str(folder / "records")], folder / "tables", ws.config.timezone
                        )
                except SourceError as exc:
                    raise PullError(f"page {summary.pages + 1}: {exc}") from None
                for note in conversion.notes:
                    if note not in summary.notes:
                        summary.notes.append(note)
                        progress(f"note: {note}")
                if conversion.files:
                    report = ws.ingest(list(conversion.files.values()), on_error=on_error)
                    loaded = report.rows_loaded
                    for name, load in report.tables.items():
                        summary.tables[name] = summary.tables.get(name, 0) + load.rows_loaded
            save_state(state_path, connector.name, account.label, page.cursor)
            summary.pages += 1
            summary.tickets += page.tickets
            summary.rows_loaded += loaded
            summary.cursor = page.cursor
            progress(
                f"page {summary.pages}: {page.tickets} ticket(s), {loaded:,} row(s) loaded, "
                f"position saved ({client.requests} request(s) so far)"
            )
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    summary.requests = client.requests
    return summary


def _write(folder: Path, files: dict[str, list[dict[str, Any]]]) -> list[Path]:
    """Each non-empty record list as JSON Lines named after its records."""
    records = folder / "records"
    records.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in files.items():
        if not rows:
            continue
        path = records / name
        with path.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        written.append(path)
    return written
