"""Helpers for importer tests: run a conversion, read the canonical rows it wrote, load them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

import supportmetrics
from supportmetrics.sources import Conversion, source

FIXTURES = Path(__file__).parent / "fixtures"
TIMEZONE = "America/New_York"


def convert(name: str, tmp_path: Path, *inputs: Path | str) -> Conversion:
    """Convert `inputs` (default: the source's fixture folder) into tmp_path/out."""
    paths = [str(p) for p in inputs] or [str(FIXTURES / name)]
    return source(name).convert(paths, tmp_path / "out", TIMEZONE)


def rows(conversion: Conversion, table: str, *columns: str) -> list[tuple[Any, ...]]:
    """The table's rows as tuples of `columns` (all when none), sorted; instants as UTC text."""
    data = pq.read_table(conversion.files[table]).to_pylist()
    names = columns or tuple(data[0])
    return sorted((tuple(_plain(row[c]) for c in names) for row in data), key=repr)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def load(conversion: Conversion, tmp_path: Path) -> supportmetrics.Workspace:
    """A fresh workspace (New York time) holding the converted tables."""
    ws = supportmetrics.init(tmp_path / "ws", timezone=TIMEZONE)
    ws.ingest(list(conversion.files.values()))
    return ws


def by_ticket(ws: supportmetrics.Workspace, *columns: str) -> dict[str, tuple[Any, ...]]:
    """Ticket facts: ticket_id -> the values of `columns`."""
    facts = ws.facts("tickets").to_pylist()
    return {row["ticket_id"]: tuple(row[c] for c in columns) for row in facts}
