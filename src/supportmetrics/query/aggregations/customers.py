"""`customers`: the share of customers with two rows, or one with a true `_value`."""

from __future__ import annotations

import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Key, PerEntity
from supportmetrics.query.aggregations.share import share_of
from supportmetrics.query.model import Query, Row

__all__ = ["Customers"]


class Customers(PerEntity):
    """Per customer (`customer_id`) the rows and whether any is flagged; then the share of
    customers with at least two rows or a flagged one."""

    name = "customers"
    entity = "customer_id"
    sampled = True
    percent = True

    def per_entity(self, rows: ir.Table, by: list[Key]) -> ir.Table:
        return rows.group_by(by).aggregate(__rows=rows.count(), __flagged=rows._value.any())

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        again = (rows["__rows"] >= 2) | rows["__flagged"]
        return {"numerator": rows.count(where=again), "denominator": rows.count()}

    def finish(self, row: Row, query: Query) -> None:
        share_of(row)
