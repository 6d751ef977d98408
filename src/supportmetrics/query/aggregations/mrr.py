"""`mrr`: recurring revenue at each period end (see `supportmetrics.query.snapshots`)."""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations.base import Aggregation
from supportmetrics.query.model import Query, Row
from supportmetrics.query.snapshots import mrr_rows

__all__ = ["Mrr"]


class Mrr(Aggregation):
    """A snapshot at each period end of the amounts (`_value`) of the stretches covering it."""

    name = "mrr"
    local_periods = False

    def rows(
        self,
        engine: Engine,
        resolved: ResolvedMetric,
        query: Query,
        population: ir.Table,
        start: date | None,
        end: date | None,
    ) -> list[Row]:
        return mrr_rows(engine, resolved.facts, query, population, start, end)
