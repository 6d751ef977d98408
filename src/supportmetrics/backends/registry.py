"""Which backend module serves a store: `[store] engine`, else the scheme of `[store] url`, else
the embedded DuckDB store. A new backend is one module defining `BACKEND` and one entry here."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

import ibis

from supportmetrics.backends.base import Backend, BackendError, Target

__all__ = [
    "BACKENDS",
    "EXTRAS",
    "IBIS_NAMES",
    "SCHEMES",
    "backend_named",
    "backend_of",
    "choose",
    "open_backend",
]

BACKENDS: dict[str, str] = {
    "duckdb": "supportmetrics.backends.duckdb",
    "postgres": "supportmetrics.backends.postgres",
    "ibis": "supportmetrics.backends.ibis_url",
    "spark": "supportmetrics.backends.spark",
}
"""`[store] engine` value -> the module whose `BACKEND` serves it (imported on first use)."""
SCHEMES: dict[str, str] = {"postgres": "postgres", "postgresql": "postgres"}
"""`[store] url` scheme -> backend; other URLs go to the generic `ibis` backend."""
IBIS_NAMES: dict[str, str] = {"pyspark": "spark"}
"""Ibis backend name -> backend, where they differ."""
EXTRAS: dict[str, str] = {"postgres": "postgres", "spark": "spark"}
"""Backend -> the package extra that installs its drivers."""


def choose(engine: str | None, url: str | None) -> str:
    """The backend name for these store settings."""
    if engine:
        return engine
    if url:
        return SCHEMES.get(urlsplit(url).scheme, "ibis")
    return "duckdb"


def backend_named(name: str) -> Backend:
    """The registered backend `name`; a BackendError lists the others."""
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; the backends are: {', '.join(BACKENDS)}")
    try:
        module = importlib.import_module(BACKENDS[name])
    except ImportError as exc:
        extra = EXTRAS.get(name, name)
        raise BackendError(
            f"the {name} backend needs {exc.name or 'a driver'}, which is not installed: "
            f"pip install 'supportmetrics[{extra}]'"
        ) from None
    backend = module.BACKEND
    assert isinstance(backend, Backend), f"{BACKENDS[name]}.BACKEND is not a Backend"
    return backend


def backend_of(db: ibis.BaseBackend) -> Backend:
    """The backend module for an Ibis connection made elsewhere (by its Ibis name)."""
    name = IBIS_NAMES.get(db.name, db.name)
    return backend_named(name if name in BACKENDS else "ibis")


def open_backend(target: Target, session: object | None = None) -> tuple[ibis.BaseBackend, Backend]:
    """Connect as the store settings say and prepare the connection. `session`, passed in from
    Python, is used instead: an Ibis backend as it is (unprepared), another object (such as an
    engine's own session) through the configured backend's `connect`."""
    if isinstance(session, ibis.BaseBackend):
        return session, backend_of(session)
    store = target.config.store
    backend = backend_named(choose(store.engine, store.url))
    try:
        db = backend.connect(target, session)
    except BackendError:
        raise
    except Exception as exc:  # the driver's own error (refused, unknown host, bad password ...)
        lines = str(exc).strip().splitlines()
        raise BackendError(
            f"cannot connect to the {backend.name} store: {lines[0] if lines else type(exc).__name__}"
            " (check [store] in supportmetrics.toml, and that the server is running)"
        ) from exc
    backend.prepare(db, target)
    return db, backend
