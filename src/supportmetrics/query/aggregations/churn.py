"""`churn`: customers who leave (see `supportmetrics.query.cohorts`)."""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations.base import Aggregation
from supportmetrics.query.cohorts import cohort_rows
from supportmetrics.query.model import Query, Row

__all__ = ["Churn"]


class Churn(Aggregation):
    """Customers active at the period start and not at its end, of those active at its start."""

    name = "churn"
    sampled = True
    percent = True

    def rows(
        self,
        engine: Engine,
        resolved: ResolvedMetric,
        query: Query,
        population: ir.Table,
        start: date | None,
        end: date | None,
    ) -> list[Row]:
        by = self.dimensions(resolved, query.by)
        return cohort_rows(engine, resolved.facts, self.name, by, query, population, start, end)
