"""Period rows say whether the data covers the whole period (`partial`).

The data runs from Sun 1 Dec 2024 00:00 to Sat 4 Jan 2025 10:00 (UTC workspace), so it covers the
days 1 Dec - 4 Jan: December is complete; January, week 30 Dec - 5 Jan and the 2025 year are not;
the week of 25 Nov - 1 Dec starts before the data does.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from tests.metrics.conftest import make_workspace

TICKETS = """ticket_id,created_at,channel,customer_id,solved_at
T1,2024-12-01T00:00:00Z,email,C1,2024-12-02T00:00:00Z
T2,2025-01-04T10:00:00Z,email,C2,
"""
SUBSCRIPTIONS = """subscription_id,customer_id,started_at,ended_at,mrr
S1,C1,2024-12-01T00:00:00Z,2024-12-20T00:00:00Z,10
S2,C2,2024-12-01T00:00:00Z,,10
S3,C3,2024-12-01T00:00:00Z,2025-01-03T00:00:00Z,10
"""


@pytest.fixture
def until_4_january(tmp_path):
    ws = make_workspace(tmp_path, tickets=TICKETS, subscriptions=SUBSCRIPTIONS)
    yield ws
    ws.close()


def _flags(result) -> list[tuple]:
    return [(r["period"], r["partial"]) for r in result.rows]


def test_monthly_churn_flags_the_month_the_data_ends_in(until_4_january) -> None:
    # December: 3 active at its start (S1..S3 start at 1 Dec 00:00), S1 ended -> 1 of 3, complete.
    # January: S2 and S3 active at its start; S3 ended on 3 Jan; measured only to 4 Jan: partial.
    rows = until_4_january.metric("customer_churn", period="month").rows
    assert [(r["period"], r["numerator"], r["n"], r["partial"]) for r in rows] == [
        ("2024-12-01", 1, 3, False),
        ("2025-01-01", 1, 2, True),
    ]


def test_every_periodic_metric_carries_the_flag(until_4_january) -> None:
    ws = until_4_january
    assert _flags(ws.metric("ticket_volume", period="month")) == [
        ("2024-12-01", False),
        ("2025-01-01", True),
    ]
    assert _flags(ws.metric("ticket_volume", period="week")) == [
        ("2024-11-25", True),  # starts before the data
        ("2024-12-30", True),
    ]
    assert _flags(ws.metric("backlog", period="month")) == [
        ("2024-12-01", False),
        ("2025-01-01", True),
    ]
    # 2024 has nobody active at its start (no row); 2025 is cut short.
    assert _flags(ws.metric("customer_retention", period="year")) == [("2025-01-01", True)]
    days = ws.metric("ticket_volume", period="day").rows
    assert [(r["period"], r["partial"]) for r in days] == [
        ("2024-12-01", False),
        ("2025-01-04", False),  # the data's last day counts as covered
    ]
    assert "partial" not in ws.metric("ticket_volume").rows[0]


def test_json_and_csv_show_the_flag(until_4_january) -> None:
    root = str(until_4_january.root)
    until_4_january.close()
    runner = CliRunner()
    out = runner.invoke(
        app, ["metric", "customer_churn", "--period", "month", "-w", root, "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["rows"]
    assert [(r["period"], r["partial"]) for r in rows] == [
        ("2024-12-01", False),
        ("2025-01-01", True),
    ]
    csv = runner.invoke(
        app, ["metric", "ticket_volume", "--period", "month", "-w", root, "--format", "csv"]
    )
    assert csv.stdout.splitlines()[0].split(",")[-1] == "partial"
