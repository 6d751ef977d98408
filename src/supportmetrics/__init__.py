"""supportmetrics: customer-service metrics with one clear definition each, from your own data.

import supportmetrics
ws = supportmetrics.init("my-team", timezone="America/New_York")
ws.ingest(["exports/"])
ws.tables()

The public names load on first use (`__getattr__`), so that importing the package, or starting
the command line, does not load the engine (DuckDB, Ibis, pyarrow) until something needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportmetrics.columns import ColumnError
    from supportmetrics.config import Config, ConfigError
    from supportmetrics.ingest import IngestError, IngestReport, Problem
    from supportmetrics.resources import ResourceError
    from supportmetrics.schema import TABLES
    from supportmetrics.store import WorkspaceBusy
    from supportmetrics.workspace import TableSummary, Workspace, WorkspaceError, connect, init

__all__ = [
    "TABLES",
    "ColumnError",
    "Config",
    "ConfigError",
    "IngestError",
    "IngestReport",
    "Problem",
    "ResourceError",
    "TableSummary",
    "Workspace",
    "WorkspaceBusy",
    "WorkspaceError",
    "__version__",
    "connect",
    "init",
]

__version__ = "0.1.0"

_HOMES = {
    "TABLES": "supportmetrics.schema",
    "ColumnError": "supportmetrics.columns",
    "Config": "supportmetrics.config",
    "ConfigError": "supportmetrics.config",
    "IngestError": "supportmetrics.ingest",
    "IngestReport": "supportmetrics.ingest",
    "Problem": "supportmetrics.ingest",
    "ResourceError": "supportmetrics.resources",
    "TableSummary": "supportmetrics.workspace",
    "Workspace": "supportmetrics.workspace",
    "WorkspaceBusy": "supportmetrics.store",
    "WorkspaceError": "supportmetrics.workspace",
    "connect": "supportmetrics.workspace",
    "init": "supportmetrics.workspace",
}
"""Public name -> the module that defines it."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'supportmetrics' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
