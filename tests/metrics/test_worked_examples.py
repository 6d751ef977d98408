"""The worked examples at the end of docs/metrics.md, each computed through the public query API
from rows in the canonical tables."""

from __future__ import annotations

from datetime import date

import pytest

from tests.metrics.conftest import make_workspace, values


def _surveys(survey: str, scores: list[int]) -> str:
    lines = ["response_id,survey,score,submitted_at"]
    lines += [f"R{i},{survey},{s},2024-03-01T12:00:00Z" for i, s in enumerate(scores)]
    return "\n".join(lines) + "\n"


def _metric(tmp_path, metric: str, **tables: str) -> list:
    ws = make_workspace(tmp_path, **tables)
    try:
        return values(ws.metric(metric, start=date(2024, 1, 1), end=date(2024, 12, 31)))
    finally:
        ws.close()


def test_csat_72(tmp_path) -> None:
    # 100 responses: 43 "satisfied" (4), 29 "very satisfied" (5), the rest 1-3.
    scores = [4] * 43 + [5] * 29 + [3] * 14 + [2] * 8 + [1] * 6
    assert _metric(tmp_path, "csat", surveys=_surveys("csat", scores)) == [72.0]


def test_csat_80_percent(tmp_path) -> None:
    # 200 responses, 160 choose 4 or 5.
    scores = [4] * 100 + [5] * 60 + [3] * 40
    assert _metric(tmp_path, "csat", surveys=_surveys("csat", scores)) == [80.0]


def test_nps_60(tmp_path) -> None:
    # 100 responses: 70 answer 9-10, 20 answer 7-8, 10 answer 0-6.
    scores = [9] * 35 + [10] * 35 + [7] * 10 + [8] * 10 + [0] * 5 + [6] * 5
    assert _metric(tmp_path, "nps", surveys=_surveys("nps", scores)) == [60.0]


def test_nps_40(tmp_path) -> None:
    # 60% promoters, 20% detractors.
    scores = [10] * 30 + [8] * 10 + [3] * 10
    assert _metric(tmp_path, "nps", surveys=_surveys("nps", scores)) == [pytest.approx(40.0)]


def _subscriptions(customers: int, still_there: int) -> str:
    lines = ["subscription_id,customer_id,started_at,ended_at,mrr"]
    for i in range(customers):
        ended = "" if i < still_there else "2024-07-01T00:00:00Z"
        lines.append(f"S{i},C{i},2023-06-01T00:00:00Z,{ended},10")
    return "\n".join(lines) + "\n"


def test_churn_50_percent_over_12_months(tmp_path) -> None:
    # 100 customers, 50 of the same still customers 12 months later.
    subscriptions = _subscriptions(100, 50)
    assert _metric(tmp_path, "customer_churn", subscriptions=subscriptions) == [0.5]


def test_retention_80_percent(tmp_path) -> None:
    # 100 customers at the start of a year, 80 of them still customers at the end.
    subscriptions = _subscriptions(100, 80)
    assert _metric(tmp_path, "customer_retention", subscriptions=subscriptions) == [0.8]


def test_ces_is_the_average_of_all_answers(tmp_path) -> None:
    scores = [7, 6, 5, 5, 3, 1]
    assert _metric(tmp_path, "ces", surveys=_surveys("ces", scores)) == [pytest.approx(27 / 6)]
