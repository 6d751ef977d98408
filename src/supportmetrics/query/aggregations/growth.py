"""`growth`: the change of the MRR snapshot (see `supportmetrics.query.snapshots`)."""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations.base import Aggregation
from supportmetrics.query.model import Query, Row
from supportmetrics.query.snapshots import growth_rows

__all__ = ["Growth"]


class Growth(Aggregation):
    """Percent change of the mrr snapshot against the previous period or the same one a year
    before (variant `versus`)."""

    name = "growth"
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
        versus = str(resolved.variants["versus"])
        return growth_rows(engine, resolved.facts, versus, query, population, start, end)
