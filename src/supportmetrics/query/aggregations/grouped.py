"""Aggregations computed in one grouped query: the population split by dimensions and period,
aggregated by the backend, each row then finished in Python (value, n, interval)."""

from __future__ import annotations

import math
from abc import abstractmethod
from datetime import date, timedelta
from typing import Any, ClassVar, TypeAlias

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.localtime import utc_midnight
from supportmetrics.metrics.base import Beside, ResolvedMetric
from supportmetrics.query.aggregations.base import Aggregation
from supportmetrics.query.dimensions import filter_rows, with_dimensions
from supportmetrics.query.model import Query, Row
from supportmetrics.query.periods import label, truncate

__all__ = ["Grouped", "Key", "PerEntity"]

Key: TypeAlias = str | ir.Value
"""A group key: a column expression, or the name of a column already computed."""
_TOP = 5
"""How many values `top` lists per row."""


class Grouped(Aggregation):
    """An aggregation over the population grouped by its dimensions and period."""

    def prepare(self, rows: ir.Table, keys: list[Key]) -> tuple[ir.Table, list[Key]]:
        """The rows to aggregate and their group keys (per-entity kinds first sum up entities)."""
        return rows, keys

    @abstractmethod
    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        """The aggregates of one group."""

    def finish(self, row: Row, query: Query) -> None:
        """Value, n and interval of one aggregated row, in place."""

    def rows(
        self,
        engine: Engine,
        resolved: ResolvedMetric,
        query: Query,
        population: ir.Table,
        start: date | None,
        end: date | None,
    ) -> list[Row]:
        return self._grouped(engine, resolved, query, population, start, end)

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
        """Both ranges in one query, grouped by which one a row is filed in as well."""
        if query.period or "_filed_at" not in population.columns:
            return super().compared_rows(engine, resolved, query, population, start, end, before)
        out = self._grouped(engine, resolved, query, population, before, end, split=start)
        current: list[Row] = []
        earlier: list[Row] = []
        for row in out:
            (current if row.pop("__current") else earlier).append(row)
        if not self.dimensions(resolved, query.by):  # a range without rows still has its row
            if not current:
                current = self.rows(engine, resolved, query, population, start, end)
            if not earlier:
                day_before = start - timedelta(days=1)
                earlier = self.rows(engine, resolved, query, population, before, day_before)
        return current, earlier

    def _grouped(
        self,
        engine: Engine,
        resolved: ResolvedMetric,
        query: Query,
        population: ir.Table,
        start: date | None,
        end: date | None,
        split: date | None = None,
    ) -> list[Row]:
        """The rows from `start` to `end`; with `split`, keyed by `__current` too: whether a row
        is filed from that day on."""
        metric = resolved.metric
        rows = filter_rows(engine, resolved.facts, population, query.where, start, end)
        by = self.dimensions(resolved, query.by)
        rows, dims = with_dimensions(engine, resolved.facts, rows, by)
        keys: list[Key] = [rows[c].name(n) for n, c in dims.items()]
        if query.period:
            keys.append(truncate(rows._local, query.period).name("period"))
        if split is not None:
            begins = utc_midnight(split, engine.config.timezone)
            keys.append((rows._filed_at >= begins).name("__current"))
        rows, keys = self.prepare(rows, keys)
        grouped = rows.group_by(keys) if keys else rows
        aggregates = self.aggregates(rows, query)
        if metric.extras is not None:
            aggregates |= metric.extras(rows, resolved.variants)
        table = grouped.aggregate(**aggregates)
        if metric.beside is not None:
            table = _beside(engine, table, metric.beside)
        out = [self._finished(row, query) for row in engine.arrow(table).to_pylist()]
        if metric.top is not None:
            _add_top(engine, metric.top, rows, keys, out)
        else:
            for row in out:
                row.pop("__period", None)
        return out

    def _finished(self, row: Row, query: Query) -> Row:
        if "period" in row and row["period"] is not None:
            row["__period"] = row["period"]
            row["period"] = label(row["period"], query.period)
        self.finish(row, query)
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
        return row


class PerEntity(Grouped):
    """A grouped aggregation that first sums up each entity's rows within a group (one row per
    customer, agent or survey), then aggregates the entities."""

    entity: ClassVar[str]
    """The column naming an entity."""

    def prepare(self, rows: ir.Table, keys: list[Key]) -> tuple[ir.Table, list[Key]]:
        by: list[Key] = [*keys, rows[self.entity].name("__entity")]
        names: list[Key] = [k if isinstance(k, str) else k.get_name() for k in keys]
        return self.per_entity(rows, by), names

    @abstractmethod
    def per_entity(self, rows: ir.Table, by: list[Key]) -> ir.Table:
        """One row per group key and entity (`__entity`)."""


def _beside(engine: Engine, table: ir.Table, beside: Beside) -> ir.Table:
    """`table` with the metric's current counts joined on the dimensions they share (0 if none)."""
    extra = beside(engine)
    on = [c for c in extra.columns if c in table.columns]
    joined = table.left_join(extra, on)
    counts = {c: joined[c].coalesce(0) for c in extra.columns if c not in on}
    return joined.select(*table.columns, **counts)


def _add_top(engine: Engine, column: str, rows: ir.Table, keys: list[Key], out: list[Row]) -> None:
    """Each row's most frequent values of `column` among its flagged rows (`top`)."""
    names = [k if isinstance(k, str) else k.get_name() for k in keys]
    flagged = rows.filter(rows._value & rows[column].notnull())
    counted = flagged.group_by([*keys, flagged[column].name("__top")]).aggregate(
        __count=flagged.count()
    )
    tops: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
    for row in engine.arrow(counted).to_pylist():
        group = tuple(row[n] for n in names)
        tops.setdefault(group, []).append((row["__count"], row["__top"]))
    for row in out:
        group = tuple(row.pop("__period") if n == "period" else row.get(n) for n in names)
        ranked = sorted(tops.get(group, []), key=lambda pair: (-pair[0], pair[1]))[:_TOP]
        row["top"] = [{column: value, "count": count} for count, value in ranked]
