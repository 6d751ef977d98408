"""`population`: the rows behind a query's number, as the drill-down reads them."""

from __future__ import annotations

from datetime import date

import pytest

from supportmetrics.query import Query, QueryError, population


def test_the_rows_behind_first_response_time(team) -> None:
    engine = team.engine()
    behind = population(engine, Query("first_response_time", where={"channel": ["email", "web"]}))
    assert (behind.facts, behind.aggregation) == ("ticket_core", "distribution")
    rows = engine.db.to_pyarrow(behind.rows.order_by("ticket_id").select("ticket_id", "_value"))
    assert rows.to_pylist() == [
        {"ticket_id": "T1", "_value": 3600},
        {"ticket_id": "T8", "_value": 1800},
    ]
    january_2 = population(
        engine, Query("ticket_volume", start=date(2024, 1, 2), end=date(2024, 1, 2))
    )
    assert engine.db.to_pyarrow(january_2.rows.count()).as_py() == 2  # T3 and T4


def test_population_checks_the_query_like_a_metric(team) -> None:
    with pytest.raises(QueryError, match="needs SLA policies"):
        population(team.engine(), Query("sla_attainment"))
    with pytest.raises(QueryError, match="unknown metric"):
        population(team.engine(), Query("nope"))
