"""What an importer is: a named source that turns a tool's native data into canonical table files.

An importer reads its source (files, folders or a database URL), checks that it really is that source's
data (a clear `SourceError` otherwise: "this is not a Zendesk tickets export: expected ..."), and writes
one Parquet file per canonical table it fills into `out_dir`. The conversion runs in the engine (DuckDB
SQL over the source files, streamed to Parquet), never as a Python loop over rows, so a large export
converts with bounded memory. Loading the files is the job of the ordinary ingest: the same validation,
atomicity and idempotency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportmetrics.workspace import Workspace

__all__ = ["Conversion", "Convert", "Reconcile", "Source", "SourceError"]


class SourceError(ValueError):
    """The input is not what the source expects; the message says what was expected and where."""


@dataclass
class Conversion:
    """What a conversion wrote: canonical table name -> Parquet file, and anything worth telling."""

    files: dict[str, Path]
    notes: list[str] = field(default_factory=list)
    """Lines for the user (skipped records and why, reconciliation summaries ...)."""
    details: dict[str, Any] = field(default_factory=dict)
    """Structured extras a source reports (e.g. a reconciliation table), JSON-serialisable."""


Convert = Callable[[Sequence[str], Path, str], Conversion]
"""convert(inputs, out_dir, timezone): inputs are the paths (or URL) given on the command line;
timezone is the workspace's, for source timestamps without an offset."""

Reconcile = Callable[[Conversion, "Workspace"], list[str]]
"""reconcile(conversion, workspace): once the converted tables are in `workspace`, compare the metrics
the engine computes with the source's own figures; returns lines for the user and may put the
comparison in `conversion.details`."""


@dataclass(frozen=True)
class Source:
    """One importer, as `supportmetrics import --list` shows it."""

    name: str
    title: str
    reads: str
    """What to give it, e.g. "Zendesk API records as JSON or JSON Lines (tickets, ticket_audits ...)"."""
    how_to_export: str
    """How to get that data out of the tool (one or two sentences)."""
    convert: Convert = field(repr=False, compare=False)
    reconcile: Reconcile | None = field(default=None, repr=False, compare=False)
    """Optional: checks the engine's metrics against the source's own (see `Reconcile`)."""
    schedules: Callable[[Sequence[str]], dict[str, dict[str, Any]]] | None = field(
        default=None, repr=False, compare=False
    )
    """Optional: the business-hours schedules among the inputs, as `[schedules.NAME]` settings."""
    settings: tuple[str, ...] = ()
    """Name endings of inputs that configure the conversion rather than hold records (the csv
    source's `.toml` mapping): an incremental import keeps only the latest one."""
