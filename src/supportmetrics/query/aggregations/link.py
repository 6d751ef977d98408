"""`link`: churn and NPS by whether customers contacted support, or by their CSAT (see `supportmetrics.query.cohorts`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations.base import Aggregation
from supportmetrics.query.cohorts import LINK_SEGMENTS, cohort_rows
from supportmetrics.query.model import Query, Row

__all__ = ["Link"]


class Link(Aggregation):
    """Churn, retention and NPS of the customers active at the period start, by the segment the
    metric's `by` variant chooses (contacted support, or their CSAT), which leads each row."""

    name = "link"
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

    def dimensions(self, resolved: ResolvedMetric, by: Sequence[str]) -> list[str]:
        return [LINK_SEGMENTS[resolved.variants["by"]], *super().dimensions(resolved, by)]
