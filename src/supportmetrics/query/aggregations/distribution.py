"""`distribution`: the mean (with its 95% interval), median or a percentile of `_value`."""

from __future__ import annotations

import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Grouped
from supportmetrics.query.model import Query, Row
from supportmetrics.stats import mean_interval

__all__ = ["Distribution"]


class Distribution(Grouped):
    """The query's statistic of `_value` over the rows with one."""

    name = "distribution"
    sampled = True
    drillable = True
    takes_stat = True

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        value = rows._value
        aggs: dict[str, ir.Value] = {"n": value.count()}
        if query.stat == "mean":
            aggs |= {"value": value.mean(), "stddev": value.std()}
        else:
            q = 0.5 if query.stat == "median" else float(query.stat[1:]) / 100
            aggs["value"] = value.quantile(q)
        return aggs

    def finish(self, row: Row, query: Query) -> None:
        stddev = row.pop("stddev", None)
        if query.stat == "mean" and row["value"] is not None:
            interval = mean_interval(row["value"], stddev, row["n"])
            if interval:
                row["ci_low"], row["ci_high"] = interval
