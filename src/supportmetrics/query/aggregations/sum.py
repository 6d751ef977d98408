"""`sum`: the sum of `_value` over the rows with one; the metric's extras give the counts beside
it (backlog_flow's inflow and outflow, agent_activity's replies, notes, solves ...)."""

from __future__ import annotations

import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Grouped
from supportmetrics.query.model import Query

__all__ = ["Sum"]


class Sum(Grouped):
    """Sum of `_value` (0 when no row has one); n is the rows with a `_value`."""

    name = "sum"

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        value = rows._value
        return {"value": value.sum().coalesce(0), "n": value.count()}
