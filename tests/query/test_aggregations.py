"""The aggregation registry: every kind by name, and what each tells the query layer and the
dashboard (small-sample flag, percent scale, drill-down, statistic, result dimensions)."""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir
import pytest

from supportmetrics.engine import Engine
from supportmetrics.metrics import CATALOGUE
from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations import AGGREGATIONS, Aggregation, aggregation
from supportmetrics.query.model import Query, Row


def _with(flag: str) -> set[str]:
    return {name for name, kind in AGGREGATIONS.items() if getattr(kind, flag)}


def test_every_kind_is_registered_under_its_name() -> None:
    assert sorted(AGGREGATIONS) == [
        "answered",
        "backlog",
        "churn",
        "count",
        "customers",
        "distribution",
        "growth",
        "link",
        "mrr",
        "nps",
        "ratio",
        "retention",
        "share",
        "sum",
        "tally",
    ]
    assert all(kind.name == name for name, kind in AGGREGATIONS.items())


def test_what_each_kind_tells_the_query_layer_and_the_dashboard() -> None:
    assert _with("sampled") == {
        "answered",
        "churn",
        "customers",
        "distribution",
        "link",
        "nps",
        "retention",
        "share",
        "tally",
    }
    assert _with("percent") == {"churn", "customers", "link", "retention", "share"}
    assert _with("drillable") == {"count", "distribution", "nps", "share", "tally"}
    assert _with("takes_stat") == {"distribution"}
    # snapshots find the local period of each change, not of each population row
    assert set(AGGREGATIONS) - _with("local_periods") == {"backlog", "growth", "mrr"}


def test_result_dimensions_lead_with_the_metrics_own_splits() -> None:
    activity = CATALOGUE["agent_activity"].resolve()
    assert aggregation("sum").dimensions(activity, ["channel"]) == ["agent", "channel"]
    link = CATALOGUE["support_retention_link"]
    by_csat = link.resolve(link.resolve_variants({"by": "csat"}))
    assert aggregation("link").dimensions(by_csat, ["tier"]) == ["csat_segment", "tier"]
    assert aggregation("share").dimensions(CATALOGUE["csat"].resolve(), []) == []


def test_an_unknown_kind_is_named_with_the_kinds() -> None:
    with pytest.raises(
        ValueError, match=r"unknown aggregation 'avg'; the aggregations are: answered"
    ):
        aggregation("avg")


def test_defining_a_kind_registers_it() -> None:
    class Nothing(Aggregation):
        """No rows."""

        name = "nothing"

        def rows(
            self,
            engine: Engine,
            resolved: ResolvedMetric,
            query: Query,
            population: ir.Table,
            start: date | None,
            end: date | None,
        ) -> list[Row]:
            return []

    try:
        assert isinstance(aggregation("nothing"), Nothing)
    finally:
        del AGGREGATIONS["nothing"]
