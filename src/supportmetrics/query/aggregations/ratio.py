"""`ratio`: sum of `_value` / sum of `_base`, over the agents with a base."""

from __future__ import annotations

import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Key, PerEntity
from supportmetrics.query.model import Query, Row

__all__ = ["Ratio"]


class Ratio(PerEntity):
    """Per agent the sums of `_value` and `_base` and the rows with a value; then the ratio of the
    sums over the agents with a positive base (`agents` of them)."""

    name = "ratio"
    entity = "agent_id"

    def per_entity(self, rows: ir.Table, by: list[Key]) -> ir.Table:
        per = rows.group_by(by).aggregate(
            __value=rows._value.sum(),
            __base=rows._base.sum(),
            __rows=rows.count(where=rows._value > 0),
        )
        return per.filter(per["__base"] > 0)

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        return {
            "numerator": rows["__value"].sum(),
            "denominator": rows["__base"].sum(),
            "n": rows["__rows"].sum(),
            "agents": rows.count(),
        }

    def finish(self, row: Row, query: Query) -> None:
        numerator, denominator = row["numerator"] or 0.0, row["denominator"] or 0.0
        row["numerator"], row["denominator"], row["n"] = numerator, denominator, row["n"] or 0
        row["value"] = numerator / denominator if denominator else None
