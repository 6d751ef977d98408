"""supportmetrics: customer-service metrics with one clear definition each, from your own data.

import supportmetrics
ws = supportmetrics.init("my-team", timezone="America/New_York")
ws.ingest(["exports/"])
ws.tables()
"""

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
