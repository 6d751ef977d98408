"""Helpers for the pull tests: workspaces, running `supportmetrics pull`, and a store's every
canonical table as sorted rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from typer.testing import CliRunner, Result

import supportmetrics
from supportmetrics.cli import app
from supportmetrics.schema import TABLES
from supportmetrics.store import quote

runner = CliRunner()
TIMEZONE = "America/New_York"


def workspace(folder: Path) -> Path:
    """A new workspace (New York time) in `folder`."""
    supportmetrics.init(folder, timezone=TIMEZONE).close()
    return folder


def run(*args: str, env: dict[str, str]) -> Result:
    """`supportmetrics ARGS` in this process with `env` added to the environment."""
    return runner.invoke(app, list(args), env=env)


def tables(ws: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every canonical table of the workspace's store: name -> its rows (columns by name, so
    custom columns added in another order compare equal), sorted."""
    store = supportmetrics.connect(ws).store_path
    found = {}
    with duckdb.connect(str(store), read_only=True) as con:
        for name in TABLES:
            columns = [
                d[0] for d in con.execute(f"SELECT * FROM {quote(name)} LIMIT 0").description
            ]
            select = ", ".join(quote(c) for c in sorted(columns))
            rows = con.execute(f"SELECT {select} FROM {quote(name)}").fetchall()
            found[name] = [tuple(sorted(columns)), *sorted(rows, key=repr)]
    return found


def counts(ws: Path) -> dict[str, int]:
    """Rows per non-empty canonical table."""
    return {name: len(rows) - 1 for name, rows in tables(ws).items() if len(rows) > 1}
