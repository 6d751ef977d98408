"""The aggregation protocol and the registry of aggregation kinds.

An aggregation turns a metric's population (its fact rows with `_filed_at` and `_value`, and
`_local` when the query needs local time) into result rows, and says how the query layer treats
them: whether rows carry the small-sample flag, whether shares are scaled to percent, whether the rows behind a number can be listed, whether the
query's statistic applies, and which dimensions lead a result row. Each kind is one module of this
package defining a subclass with a `name`: defining it registers it under that name, the string
metrics declare as their `aggregation`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, ClassVar

import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.model import Query, Row

__all__ = ["AGGREGATIONS", "Aggregation", "aggregation"]

AGGREGATIONS: dict[str, Aggregation] = {}
"""Every aggregation kind by name."""


class Aggregation(ABC):
    """One aggregation kind (see the module docstring)."""

    name: ClassVar[str]
    """The kind's name, as metrics declare it."""
    sampled: ClassVar[bool] = False
    """Whether rows with `n` say whether they are below the minimum sample (`low_sample`)."""
    percent: ClassVar[bool] = False
    """Whether `value` and its interval are shares, scaled x 100 when the metric's unit is percent."""
    drillable: ClassVar[bool] = False
    """Whether each population row is one aggregated row, so the rows behind a number can be listed."""
    takes_stat: ClassVar[bool] = False
    """Whether the query's statistic (mean, median, pNN) chooses the value."""
    local_periods: ClassVar[bool] = True
    """Whether the kind splits the population's rows by local period (their `_local` wall time);
    snapshot kinds find the local periods of their own changes instead."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            AGGREGATIONS[cls.name] = cls()

    def dimensions(self, resolved: ResolvedMetric, by: Sequence[str]) -> list[str]:
        """The dimension keys of a result row: the metric's own splits, then `by`."""
        return [*resolved.metric.split_by, *by]

    @abstractmethod
    def rows(
        self,
        engine: Engine,
        resolved: ResolvedMetric,
        query: Query,
        population: ir.Table,
        start: date | None,
        end: date | None,
    ) -> list[Row]:
        """The result rows over `population` for local dates `start` to `end` (None: open)."""

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
        """The rows for `start` to `end` and for `before` to the day before `start` (a kind
        that can computes both in one query)."""
        earlier = self.rows(engine, resolved, query, population, before, start - timedelta(days=1))
        return self.rows(engine, resolved, query, population, start, end), earlier


def aggregation(name: str) -> Aggregation:
    """The aggregation kind `name` (ValueError naming the kinds if there is none)."""
    try:
        return AGGREGATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown aggregation {name!r}; the aggregations are: {', '.join(sorted(AGGREGATIONS))}"
        ) from None
