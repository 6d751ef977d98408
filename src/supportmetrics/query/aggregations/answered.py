"""`answered`: the share of survey invitations answered, anonymous ones by counts per survey."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportmetrics.query.aggregations.grouped import Key, PerEntity
from supportmetrics.query.aggregations.share import share_of
from supportmetrics.query.model import Query, Row

__all__ = ["Answered"]


class Answered(PerEntity):
    """Per survey its invitations (`record` invitation) and those answered (`_value`), anonymous
    ones (no `_value`) by the count of its responses (`record` response) capped at the count of
    anonymous invitations; then answered / sent over the surveys."""

    name = "answered"
    entity = "survey"
    sampled = True

    def per_entity(self, rows: ir.Table, by: list[Key]) -> ir.Table:
        sent = rows.record == "invitation"
        anonymous = rows.count(where=sent & rows._value.isnull())
        answers = rows.count(where=rows.record == "response")
        per = rows.group_by(by).aggregate(
            __rows=rows.count(where=sent),
            # coalesce: Ibis counts `where` as SUM(CAST(... AS BIGINT)) on Spark, null (not 0)
            # for a survey whose invitations are all anonymous
            __answered=rows.count(where=rows._value.coalesce(False))
            + ibis.least(anonymous, answers),
        )
        return per.filter(per["__rows"] > 0)

    def aggregates(self, rows: ir.Table, query: Query) -> dict[str, ir.Value]:
        return {"numerator": rows["__answered"].sum(), "denominator": rows["__rows"].sum()}

    def finish(self, row: Row, query: Query) -> None:
        share_of(row)
