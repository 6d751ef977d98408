"""Retention, loyalty and revenue (docs/metrics.md, Retention, loyalty and revenue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from supportmetrics.metrics.base import Benchmark, Clock, Metric, Variant

__all__ = ["REVENUE"]

_ACTIVE = (
    "A customer is active at an instant when a subscription covers it (started_at <= t < "
    "ended_at); without --period the window is --from..--to, by default the 12 months to the end "
    "of the data."
)


def _stretches(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(start=facts.started_at, end=facts.ended_at, _value=facts.mrr)


def _repurchase(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    days = int(variants["lookback_days"])
    recent = facts.previous_order_at >= facts.ordered_at - ibis.interval(days=days)
    again = recent.coalesce(False) if days else ibis.literal(False)
    return facts.mutate(_value=again)


def _sales(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    if variants["per"] == "tickets":
        return facts.mutate(_value=facts.sales > 0)
    rows = facts.filter(
        facts.kind.isin(["upsell", "cross_sell"])
        & (facts.ticket_id.notnull() | facts.agent_id.notnull())
    )
    return rows.mutate(_value=ibis.literal(True))


def _revenue(rows: ir.Table, variants: Mapping[str, Any]) -> dict[str, ir.Value]:
    amount = rows.sales_amount if variants["per"] == "tickets" else rows.amount
    return {"revenue": amount.sum().cast("float64")}


def _sales_shape(variants: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    if variants["per"] == "tickets":
        return "share", "share", "higher"
    return "count", "count", "higher"


def _demos(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    return facts.mutate(_value=facts.registered_at.notnull())


def _reviews(facts: ir.Table, variants: Mapping[str, Any], clock: Clock) -> ir.Table:
    if variants["value"] == "rating":
        scale = facts.scale_max.cast("float64").coalesce(5.0)
        return facts.mutate(_value=5 * facts.rating / scale)
    if variants["value"] == "requested":
        return facts.mutate(_value=facts.requested.coalesce(False))
    return facts.mutate(_value=ibis.literal(True))


def _reviews_shape(variants: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    return {
        "count": ("count", "count", "higher"),
        "rating": ("distribution", "score", "higher"),
        "requested": ("share", "share", "higher"),
    }[variants["value"]]


REVENUE = (
    Metric(
        "customer_churn",
        "revenue",
        "Customer churn",
        "Customers active at the start of the period who are not at its end / customers active "
        f"at its start. {_ACTIVE}",
        facts="subscriptions",
        aggregation="churn",
        unit="share",
        better="lower",
        filed_under="period",
        build=_stretches,
    ),
    Metric(
        "customer_retention",
        "revenue",
        "Customer retention",
        "Customers active at the start of the period and still active at its end / customers "
        f"active at its start. {_ACTIVE}",
        facts="subscriptions",
        aggregation="retention",
        unit="share",
        better="higher",
        filed_under="period",
        build=_stretches,
    ),
    Metric(
        "repurchase_rate",
        "revenue",
        "Repurchase rate",
        "Customers with two or more orders in the period / customers with an order in it; with "
        "lookback_days=N an order also counts as a repurchase when the customer ordered in the N "
        "days before it.",
        facts="orders",
        aggregation="customers",
        unit="share",
        better="higher",
        filed_under="ordered_at",
        filed_at="ordered_at",
        build=_repurchase,
        variants=(Variant("lookback_days", 0, "days before an order that count (0: the period)"),),
    ),
    Metric(
        "mrr",
        "revenue",
        "Monthly recurring revenue (MRR)",
        "Sum of the monthly amount of the subscriptions active at the end of each period (a "
        "snapshot); n is how many. Split by currency when there are several.",
        facts="subscriptions",
        aggregation="mrr",
        unit="amount",
        better="higher",
        filed_under="period end",
        build=_stretches,
        benchmarks=(Benchmark("15-45% YoY growth typical; startups 15%+ MoM"),),
    ),
    Metric(
        "mrr_growth",
        "revenue",
        "MRR growth",
        "Percent change of MRR at the period end against the previous period's end (versus="
        "previous, MoM with --period month, the default) or a year before (versus=year, YoY).",
        facts="subscriptions",
        aggregation="growth",
        unit="percent",
        better="higher",
        filed_under="period end",
        build=_stretches,
        variants=(Variant("versus", "previous", "compare with", ("previous", "year")),),
        benchmarks=(Benchmark("15-45% YoY typical; startups 15%+ MoM"),),
    ),
    Metric(
        "upsell_cross_sell",
        "revenue",
        "Upsells and cross-sells from support",
        "per=orders (default): upsell and cross-sell orders attributed to a ticket or an agent, "
        "with their revenue; per=tickets: share of tickets followed by such an order (by "
        "created_at), with the revenue.",
        facts="orders",
        aggregation="count",
        unit="count",
        better="higher",
        filed_under="ordered_at (per=tickets: ticket created_at)",
        filed_at_by=("per", {"orders": "ordered_at", "tickets": "created_at"}),
        build=_sales,
        variants=(Variant("per", "orders", "count orders, or tickets", ("orders", "tickets")),),
        benchmarks=(Benchmark("cross-selling can lift profit up to 30%"),),
        extras=_revenue,
        shape=_sales_shape,
        facts_by=("per", {"orders": "orders", "tickets": "tickets"}),
    ),
    Metric(
        "demo_conversion",
        "revenue",
        "Demo conversion",
        "Demos whose lead registered / demos held.",
        facts="demos",
        aggregation="share",
        unit="share",
        better="higher",
        filed_under="held_at",
        filed_at="held_at",
        build=_demos,
        benchmarks=(Benchmark("4-26% for software"),),
    ),
    Metric(
        "reviews",
        "revenue",
        "Public reviews",
        "value=count (default): reviews posted; rating: mean rating normalised to 5; requested: "
        "share of reviews support asked for.",
        facts="reviews",
        aggregation="count",
        unit="count",
        better="higher",
        filed_under="posted_at",
        filed_at="posted_at",
        build=_reviews,
        variants=(Variant("value", "count", "what to report", ("count", "rating", "requested")),),
        shape=_reviews_shape,
    ),
    Metric(
        "support_retention_link",
        "revenue",
        "Support and retention",
        "Churn (value), retention and NPS of the customers active at the period start, split by "
        "whether they contacted support in the period (by=contact) or by the CSAT they gave "
        f"(by=csat: satisfied, dissatisfied, no rating). {_ACTIVE}",
        facts="subscriptions",
        aggregation="link",
        unit="share",
        better="lower",
        filed_under="period",
        build=_stretches,
        variants=(Variant("by", "contact", "segments", ("contact", "csat")),),
    ),
)
