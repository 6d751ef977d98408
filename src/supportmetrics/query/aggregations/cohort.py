"""What the customer-cohort kinds (`churn`, `retention`, `link`) share: their rows come from
`supportmetrics.query.cohorts`, as shares with the small-sample flag."""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations.base import Aggregation
from supportmetrics.query.cohorts import cohort_rows
from supportmetrics.query.model import Query, Row

__all__ = ["Cohort"]


class Cohort(Aggregation):
    """A share of the customers active at each period's start (no `name`: not a kind itself)."""

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
