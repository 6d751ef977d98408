"""Aggregations computed in one grouped query: the population split by dimensions and period,
aggregated by the backend, each row then finished in Python (value, n, interval)."""

from __future__ import annotations

import math
from abc import abstractmethod
from datetime import date, timedelta
from typing import Any, ClassVar, TypeAlias

import ibis.expr.operations as ops
import ibis.expr.types as ir
from ibis.expr.operations.reductions import Filterable

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
_EARLIER = "__earlier_"
"""Prefixes the previous range's aggregates beside the range's own (`Grouped._both`)."""


class Grouped(Aggregation):
    """An aggregation over the population grouped by its dimensions and period."""

    filterable: ClassVar[bool] = True
    """Whether its aggregates are over the population's rows themselves, so each can be filtered
    to a subset of them (not so for per-entity kinds, which first sum up each entity)."""

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
        metric = resolved.metric
        alone = metric.top is None and metric.beside is None  # no query beside the aggregates
        if self.filterable and alone and not self.dimensions(resolved, query.by):
            return self._both(engine, resolved, query, population, start, end, before)
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

    def _both(
        self,
        engine: Engine,
        resolved: ResolvedMetric,
        query: Query,
        population: ir.Table,
        start: date,
        end: date,
        before: date,
    ) -> tuple[list[Row], list[Row]]:
        """The one row of each range, from one row of one query: every aggregate twice, once
        filtered to each range (a range without rows gets the row an aggregate over no rows
        gives, with no query of its own)."""
        metric = resolved.metric
        rows = filter_rows(engine, resolved.facts, population, query.where, before, end)
        aggregates = self.aggregates(rows, query)
        if metric.extras is not None:
            aggregates |= metric.extras(rows, resolved.variants)
        current = rows._filed_at >= utc_midnight(start, engine.config.timezone)
        both = {name: _within(value, current) for name, value in aggregates.items()}
        both |= {
            f"{_EARLIER}{name}": _within(value, ~current) for name, value in aggregates.items()
        }
        [row] = engine.arrow(rows.aggregate(**both)).to_pylist()
        earlier = {name: row.pop(f"{_EARLIER}{name}") for name in aggregates}
        return [self._finished(row, query)], [self._finished(earlier, query)]

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

    filterable = False

    entity: ClassVar[str]
    """The column naming an entity."""

    def prepare(self, rows: ir.Table, keys: list[Key]) -> tuple[ir.Table, list[Key]]:
        by: list[Key] = [*keys, rows[self.entity].name("__entity")]
        names: list[Key] = [k if isinstance(k, str) else k.get_name() for k in keys]
        return self.per_entity(rows, by), names

    @abstractmethod
    def per_entity(self, rows: ir.Table, by: list[Key]) -> ir.Table:
        """One row per group key and entity (`__entity`)."""


def _within(value: ir.Value, condition: ir.BooleanValue) -> ir.Value:
    """The aggregate `value` over only the rows where `condition` holds: each reduction in it
    filtered (as `FILTER (WHERE ...)`), its relations left as they are."""
    extra = condition.op()

    def filtered(node: ops.Node, changed: dict[str, Any] | None) -> ops.Node:
        node = node.__recreate__(changed) if changed else node
        if not isinstance(node, Filterable):
            return node
        where = extra if node.where is None else ops.And(node.where, extra)
        return node.copy(where=where)

    rewritten = value.op().replace(filtered, filter=ops.Value)
    return rewritten.to_expr().name(value.get_name())


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
