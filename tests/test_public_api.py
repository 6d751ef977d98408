"""The public surface is deliberate: pinned here so that a change to it is a visible decision."""

from __future__ import annotations

import supportmetrics


def test_public_names() -> None:
    assert sorted(supportmetrics.__all__) == sorted(
        [
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
    )
    for name in supportmetrics.__all__:
        assert getattr(supportmetrics, name) is not None
