"""`count`: how many rows."""

from __future__ import annotations

import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Grouped
from supportmetrics.query.model import Query, Row

__all__ = ["Count"]


class Count(Grouped):
    """The number of population rows."""

    name = "count"
    drillable = True

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        return {"n": rows.count()}

    def finish(self, row: Row, query: Query) -> None:
        row["value"] = row["n"]
