"""PostgreSQL: the canonical tables in a database named by `[store] url`."""

from __future__ import annotations

from supportmetrics.backends.base import Backend, temporary_table
from supportmetrics.backends.ibis_url import from_url

__all__ = ["BACKEND"]

BACKEND = Backend("postgres", from_url, temporary_table)
