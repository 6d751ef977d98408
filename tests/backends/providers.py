"""How the parity suite reaches each backend: a function that copies the reference DuckDB
workspace's canonical tables there and yields a workspace reading them. A new backend is one
function and one entry in PROVIDERS."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import ibis
import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.schema import TABLES

__all__ = ["PROVIDERS", "Provider", "listed", "unreachable"]

Provider = Callable[
    [supportmetrics.Workspace, Path, str], AbstractContextManager[supportmetrics.Workspace]
]
"""(reference workspace, empty folder, extra TOML settings) -> a workspace on the backend."""

POSTGRES = os.environ.get("SUPPORTMETRICS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")


def unreachable(backend: str, where: str, exc: Exception) -> None:
    """Skip (fail under CI, where every listed backend must run): `backend` is not reachable."""
    message = f"{backend} is not reachable at {where}: {exc}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (listed in SUPPORTMETRICS_TEST_BACKENDS, required in CI)")
    pytest.skip(message)


def _copy(source: supportmetrics.Workspace, target: ibis.BaseBackend) -> None:
    db = source.engine().db
    for table in TABLES:
        target.create_table(table, db.table(table).to_pyarrow())


def _workspace(folder: Path, source: supportmetrics.Workspace, store: str, extra: str):
    folder.mkdir()
    (folder / CONFIG_FILE).write_text(
        f'timezone = "{source.config.timezone}"\n[store]\n{store}\n{extra}'
    )
    return supportmetrics.connect(folder)


@contextmanager
def postgres(
    source: supportmetrics.Workspace, folder: Path, extra: str
) -> Iterator[supportmetrics.Workspace]:
    """A fresh schema on the server at SUPPORTMETRICS_TEST_POSTGRES, dropped afterwards."""
    try:
        server = ibis.connect(POSTGRES)
    except Exception as exc:  # any driver or connection error means: no server here
        unreachable("PostgreSQL", POSTGRES, exc)
    schema = f"sm_parity_{uuid.uuid4().hex[:10]}"
    server.raw_sql(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES}?schema={schema}"
    try:
        _copy(source, ibis.connect(url))
        ws = _workspace(folder, source, f'url = "{url}"', extra)
        yield ws
        ws.close()
    finally:
        server.raw_sql(f'DROP SCHEMA "{schema}" CASCADE')


PROVIDERS: dict[str, Provider] = {"postgres": postgres}


def listed() -> list[str]:
    """The backends SUPPORTMETRICS_TEST_BACKENDS names (comma-separated; default postgres)."""
    names = [
        n.strip() for n in os.environ.get("SUPPORTMETRICS_TEST_BACKENDS", "postgres").split(",")
    ]
    unknown = sorted({n for n in names if n} - PROVIDERS.keys())
    if unknown:
        raise pytest.UsageError(
            f"SUPPORTMETRICS_TEST_BACKENDS names {', '.join(unknown)}; "
            f"the parity suite knows: {', '.join(PROVIDERS)}"
        )
    return [n for n in names if n]
