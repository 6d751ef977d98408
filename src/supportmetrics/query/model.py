"""What a query asks for and what it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

__all__ = ["PERIODS", "Period", "Query", "QueryError", "Result", "Row"]

Period = Literal["half_hour", "hour", "day", "week", "month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("half_hour", "hour", "day", "week", "month", "quarter", "year")
Row = dict[str, Any]
"""One result row: column name -> value (dimensions, period, value, n, ci_low ...), JSON-ready."""


class QueryError(ValueError):
    """A query names something that does not exist or takes another value; the message lists the
    valid ones."""


@dataclass(frozen=True)
class Query:
    """What to compute (see `supportmetrics metric --help` for the same options on the CLI)."""

    metric: str
    by: tuple[str, ...] = ()
    period: Period | None = None
    start: date | None = None
    end: date | None = None
    """Inclusive local dates."""
    where: Mapping[str, Sequence[str]] = field(default_factory=dict)
    stat: str = "mean"
    clock: Literal["calendar", "business"] = "calendar"
    variants: Mapping[str, str] = field(default_factory=dict)
    compare: Literal["previous"] | None = None


@dataclass
class Result:
    """A metric's rows, with its unit and direction."""

    metric: str
    unit: str
    better: str | None
    rows: list[Row]
    query: Query
    warnings: list[str] = field(default_factory=list)
    """Stored rows left out of the result, and why (see `Engine.warnings`), and filter values no
    row of the metric has (see `query.dimensions.unmatched_filters`)."""

    def to_dict(self) -> dict[str, Any]:
        shown = {"metric": self.metric, "unit": self.unit, "better": self.better, "rows": self.rows}
        return {**shown, "warnings": self.warnings} if self.warnings else shown
