"""`tally`: how many rows have a true `_value`, with their share beside it."""

from __future__ import annotations

import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Grouped
from supportmetrics.query.aggregations.share import flag_counts, share_of
from supportmetrics.query.model import Query, Row

__all__ = ["Tally"]


class Tally(Grouped):
    """Count of true `_value` (the value) and its share of all rows (`share`)."""

    name = "tally"
    sampled = True
    drillable = True

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        return flag_counts(rows)

    def finish(self, row: Row, query: Query) -> None:
        share = share_of(row, interval=False)
        row["value"] = row["numerator"]
        row["share"] = share
