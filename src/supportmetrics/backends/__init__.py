"""The backend seam: how the engine connects to where the canonical tables are, prepares the
connection and materialises its facts, one module per engine (see `registry`)."""

from supportmetrics.backends.base import (
    Backend,
    BackendError,
    Materialise,
    Target,
    cached_table,
    temporary_table,
    view,
)
from supportmetrics.backends.registry import BACKENDS, backend_named, backend_of, open_backend

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendError",
    "Materialise",
    "Target",
    "backend_named",
    "backend_of",
    "cached_table",
    "open_backend",
    "temporary_table",
    "view",
]
