"""A backend module as a third party would write one: the embedded store, with a materialisation
policy that records what it stores (ibis's cache) so the seam tests can see it chosen."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportmetrics.backends import Backend, backend_named, cached_table

STORED: list[str] = []
"""The names the engine materialised through this backend, in order."""


def _record(db: ibis.BaseBackend, name: str, expr: ir.Table) -> ir.Table:
    STORED.append(name)
    return cached_table(db, name, expr)


BACKEND = Backend("fake", backend_named("duckdb").connect, _record)
