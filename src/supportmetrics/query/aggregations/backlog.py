"""`backlog`: unsolved stretches at each period end (see `supportmetrics.query.snapshots`)."""

from __future__ import annotations

from datetime import date, timedelta

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations.base import Aggregation
from supportmetrics.query.model import Query, Row
from supportmetrics.query.snapshots import backlog_rows, backlog_snapshots

__all__ = ["Backlog"]


class Backlog(Aggregation):
    """A snapshot at each period end of the stretches [start, end) covering it, and how many of
    them were older than `aged_hours` then."""

    name = "backlog"
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
        aged_hours = int(resolved.variants["aged_hours"])
        return backlog_rows(engine, resolved.facts, aged_hours, query, population, start, end)

    def compared_rows(
        self,
        engine: Engine,
        resolved: ResolvedMetric,
        query: Query,
        population: ir.Table,
        start: date,
        end: date,
        before: date,
    ) -> tuple[list[Row], list[Row]]:
        """Without a period, the backlog when `end` ends and when the day before `start` ends,
        from one scan."""
        if query.period:
            return super().compared_rows(engine, resolved, query, population, start, end, before)
        aged_hours = int(resolved.variants["aged_hours"])
        ends = [end, start - timedelta(days=1)]
        current, earlier = backlog_snapshots(
            engine, resolved.facts, aged_hours, query, population, ends
        )
        return current, earlier
