"""Retention and revenue metrics on hand-made subscriptions, orders, demos and reviews (UTC).

Subscriptions: C1 since 2023 (100/month); C2 mid-2023 to 1 Mar 2024 (50); C3 2023 to 1 Feb 2024
(80), then again from 15 Feb 2024 (90): it ends and restarts; C4 from 1 May 2024 (40); C5 ended
before 2024; C9 2023 to 1 Jun 2024 (10) and never contacted support. C9 also has orders, and C8
has orders but no subscription at all.
"""

from __future__ import annotations

from datetime import date

import pytest

from supportmetrics.query import QueryError
from tests.metrics.conftest import TICKETS, make_workspace, values

SUBSCRIPTIONS = """subscription_id,customer_id,started_at,ended_at,mrr,plan
U1,C1,2023-01-01T00:00:00Z,,100,pro
U2,C2,2023-06-01T00:00:00Z,2024-03-01T00:00:00Z,50,pro
U3,C3,2023-01-01T00:00:00Z,2024-02-01T00:00:00Z,80,pro
U4,C3,2024-02-15T00:00:00Z,,90,business
U5,C4,2024-05-01T00:00:00Z,,40,pro
U6,C5,2022-01-01T00:00:00Z,2023-12-31T00:00:00Z,70,pro
U7,C9,2023-01-01T00:00:00Z,2024-06-01T00:00:00Z,10,pro
"""

CUSTOMERS = """customer_id,tier
C1,pro
C2,free
C3,pro
C9,free
"""

ORDERS = """order_id,customer_id,ordered_at,amount,kind,ticket_id,agent_id
O1,C1,2024-01-05T00:00:00Z,100,new,,
O2,C1,2024-01-20T00:00:00Z,50,repeat,,
O3,C2,2024-01-10T00:00:00Z,30,upsell,T2,A1
O4,C8,2024-02-01T00:00:00Z,20,new,,
O5,C8,2024-03-15T00:00:00Z,25,cross_sell,,A2
O6,C2,2024-02-20T00:00:00Z,40,renewal,,
"""

DEMOS = """demo_id,held_at,agent_id,lead_id,registered_at
D1,2024-01-03T10:00:00Z,A1,L1,2024-01-10T00:00:00Z
D2,2024-01-04T10:00:00Z,A1,L2,
D3,2024-01-05T10:00:00Z,A2,L3,2024-01-06T00:00:00Z
"""

REVIEWS = """review_id,posted_at,platform,rating,scale_max,requested
R1,2024-01-05T00:00:00Z,G2,4,5,true
R2,2024-01-06T00:00:00Z,App Store,8,10,false
R3,2024-02-01T00:00:00Z,G2,5,,
"""

SURVEYS = """response_id,survey,score,submitted_at,customer_id
V1,csat,5,2024-03-01T00:00:00Z,C1
V2,csat,1,2024-03-01T00:00:00Z,C2
V3,nps,10,2024-03-01T00:00:00Z,C1
V4,nps,3,2024-03-01T00:00:00Z,C2
"""

YEAR = {"start": date(2024, 1, 1), "end": date(2024, 12, 31)}


@pytest.fixture
def billing(tmp_path):
    ws = make_workspace(
        tmp_path,
        tickets=TICKETS,
        subscriptions=SUBSCRIPTIONS,
        customers=CUSTOMERS,
        orders=ORDERS,
        demos=DEMOS,
        reviews=REVIEWS,
        surveys=SURVEYS,
    )
    yield ws
    ws.close()


def test_churn_and_retention_over_a_year(billing) -> None:
    # Active on 1 Jan 2024: C1, C2, C3, C9. On 1 Jan 2025: C1, C3 (restarted), C4 (new).
    (churn,) = billing.metric("customer_churn", **YEAR).rows
    assert (churn["numerator"], churn["denominator"], churn["value"]) == (2, 4, 0.5)
    (retention,) = billing.metric("customer_retention", **YEAR).rows
    assert (retention["numerator"], retention["value"]) == (2, 0.5)
    by_tier = billing.metric("customer_churn", by=["tier"], **YEAR)
    assert [(r["tier"], r["numerator"], r["n"]) for r in by_tier.rows] == [
        ("free", 2, 2),
        ("pro", 0, 2),
    ]


def test_monthly_churn_counts_a_gap_in_its_month(billing) -> None:
    # January: C3's subscription ends on 1 Feb, before its restart: churned that month.
    # February: C2 ends on 1 Mar. March: nobody.
    result = billing.metric(
        "customer_churn", period="month", start=date(2024, 1, 1), end=date(2024, 3, 31)
    )
    assert [(r["period"], r["numerator"], r["n"]) for r in result.rows] == [
        ("2024-01-01", 1, 4),
        ("2024-02-01", 1, 3),
        ("2024-03-01", 0, 3),
    ]


def test_mrr_snapshot_and_growth(billing) -> None:
    months = {"period": "month", "start": date(2024, 1, 1), "end": date(2024, 6, 30)}
    mrr = billing.metric("mrr", **months)
    assert [(r["period"], r["value"], r["n"]) for r in mrr.rows] == [
        ("2024-01-01", 240.0, 4),  # U1 + U2 + U3 + U7 (U6 ended on 31 Dec)
        ("2024-02-01", 250.0, 4),  # U3 ended, U4 started
        ("2024-03-01", 200.0, 3),  # U2 ended
        ("2024-04-01", 200.0, 3),
        ("2024-05-01", 240.0, 4),  # U5 started
        ("2024-06-01", 230.0, 3),  # U7 ended
    ]
    growth = billing.metric("mrr_growth", **months)
    assert [r["value"] for r in growth.rows] == pytest.approx(
        [0.0, 100 * 10 / 240, -20.0, 0.0, 20.0, -100 * 10 / 240]
    )
    assert growth.rows[0]["previous_mrr"] == 240.0  # December 2023: U6 had ended already
    with pytest.raises(QueryError, match="versus=year"):
        billing.metric("mrr_growth", period="week", variants={"versus": "year"})


def test_repurchase_rate(billing) -> None:
    (row,) = billing.metric("repurchase_rate").rows
    assert (row["numerator"], row["denominator"]) == (3, 3)  # C1, C2, C8: two orders each
    monthly = billing.metric("repurchase_rate", period="month")
    assert [(r["period"], r["numerator"], r["n"]) for r in monthly.rows] == [
        ("2024-01-01", 1, 2),
        ("2024-02-01", 0, 2),
        ("2024-03-01", 0, 1),
    ]
    lookback = billing.metric("repurchase_rate", period="month", variants={"lookback_days": "45"})
    # February: C2's renewal came 41 days after its upsell. March: C8's order 43 days after.
    assert [(r["period"], r["numerator"]) for r in lookback.rows] == [
        ("2024-01-01", 1),
        ("2024-02-01", 1),
        ("2024-03-01", 1),
    ]


def test_upsell_cross_sell(billing) -> None:
    (row,) = billing.metric("upsell_cross_sell").rows
    assert (row["value"], row["revenue"]) == (2, 55.0)
    by_agent = billing.metric("upsell_cross_sell", by=["agent"])
    assert [(r["agent"], r["value"], r["revenue"]) for r in by_agent.rows] == [
        ("A1", 1, 30.0),
        ("A2", 1, 25.0),
    ]
    per_ticket = billing.metric("upsell_cross_sell", variants={"per": "tickets"})
    assert per_ticket.unit == "share"
    assert (per_ticket.rows[0]["numerator"], per_ticket.rows[0]["n"]) == (1, 8)  # T2


def test_demo_conversion(billing) -> None:
    assert values(billing.metric("demo_conversion")) == [pytest.approx(2 / 3)]
    by_agent = billing.metric("demo_conversion", by=["agent"])
    assert [(r["agent"], r["value"]) for r in by_agent.rows] == [("A1", 0.5), ("A2", 1.0)]


def test_reviews(billing) -> None:
    assert values(billing.metric("reviews")) == [3]
    rating = billing.metric("reviews", variants={"value": "rating"})
    assert values(rating) == [pytest.approx((4 + 4 + 5) / 3)]
    assert values(billing.metric("reviews", variants={"value": "requested"})) == [
        pytest.approx(1 / 3)
    ]


def test_support_retention_link(billing) -> None:
    # In 2024 C1, C2 and C3 opened tickets (T1/T4, T2, T3); C9 did not.
    by_contact = billing.metric("support_retention_link", **YEAR)
    rows = [
        (r["contacted_support"], r["numerator"], r["n"], r["nps"], r["nps_n"])
        for r in by_contact.rows
    ]
    assert rows == [(False, 1, 1, None, 0), (True, 1, 3, 0.0, 2)]
    by_csat = billing.metric("support_retention_link", variants={"by": "csat"}, **YEAR)
    assert [(r["csat_segment"], r["numerator"], r["n"]) for r in by_csat.rows] == [
        ("dissatisfied", 1, 1),  # C2
        ("no rating", 1, 2),  # C3 stayed, C9 left
        ("satisfied", 0, 1),  # C1
    ]


def test_snapshot_metrics_offer_no_time_of_day(billing) -> None:
    with pytest.raises(QueryError, match="unknown dimension 'hour_of_day'") as raised:
        billing.metric("mrr", by=["hour_of_day"])
    assert "day_of_week" not in str(raised.value) and "plan" in str(raised.value)
