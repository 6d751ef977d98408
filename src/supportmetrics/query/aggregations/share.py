"""`share`: the share of rows whose `_value` is true, with its Wilson interval."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Grouped
from supportmetrics.query.model import Query, Row
from supportmetrics.stats import wilson_interval

__all__ = ["Share", "flag_counts", "share_of"]


def flag_counts(rows: ir.Table) -> dict[str, ir.Value]:
    """The rows with a true `_value` (numerator) of those with a `_value` (denominator)."""
    value = rows._value
    return {"numerator": ibis.ifelse(value, 1, 0).sum(), "denominator": value.count()}


def share_of(row: Row, *, interval: bool = True) -> float | None:
    """Set `numerator`, `n`, `value` (numerator / n) and, if asked, the Wilson interval of an
    aggregated row with a numerator and denominator; returns the share."""
    numerator, n = row["numerator"] or 0, row["denominator"] or 0
    row["numerator"], row["n"] = numerator, n
    share: float | None = numerator / n if n else None
    row["value"] = share
    bounds = wilson_interval(numerator, n)
    if bounds and interval:
        row["ci_low"], row["ci_high"] = bounds
    return share


class Share(Grouped):
    """Share of true `_value` (x 100 when the unit is percent)."""

    name = "share"
    sampled = True
    percent = True
    drillable = True

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        return flag_counts(rows)

    def finish(self, row: Row, query: Query) -> None:
        share_of(row)
