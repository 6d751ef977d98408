"""`nps`: % of rows whose `_value` is "promoter" minus % "detractor", with its interval."""

from __future__ import annotations

import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Grouped
from supportmetrics.query.model import Query, Row
from supportmetrics.stats import nps_interval

__all__ = ["Nps"]


class Nps(Grouped):
    """Net promoter score of `_value` categories, with promoters, passives and detractors."""

    name = "nps"
    sampled = True
    drillable = True

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        value = rows._value
        return {
            "promoters": rows.count(where=value == "promoter"),
            "passives": rows.count(where=value == "passive"),
            "detractors": rows.count(where=value == "detractor"),
        }

    def finish(self, row: Row, query: Query) -> None:
        promoters, detractors = row["promoters"], row["detractors"]
        n = promoters + row["passives"] + detractors
        row["n"] = n
        row["value"] = 100 * (promoters - detractors) / n if n else None
        interval = nps_interval(promoters, detractors, n)
        if interval:
            row["ci_low"], row["ci_high"] = interval
