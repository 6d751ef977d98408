"""Customer cohorts: who was a customer at the start of a period and still is at its end (churn,
retention), and how that differs for customers who contacted support (support_retention_link).

A customer is active at an instant when one of their subscriptions covers it (started_at <= t <
ended_at, no ended_at = still running), so a subscription that ends and restarts within a period
does not count as churn. Without --period the window is --from .. --to, by default the twelve
months to the end of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.localtime import local_timestamp
from supportmetrics.query.dimensions import filter_rows, with_dimensions
from supportmetrics.query.model import Query
from supportmetrics.query.periods import floor, label, next_start, spine, to_utc, truncate
from supportmetrics.stats import nps_interval, wilson_interval

__all__ = ["LINK_SEGMENTS", "cohort_rows", "windows"]

LINK_SEGMENTS = {"contact": "contacted_support", "csat": "csat_segment"}
"""support_retention_link's `by` variant -> the segment column its rows lead with."""


def windows(engine: Engine, query: Query, start: date | None, end: date | None) -> ir.Table:
    """The query's periods as a table: `__label`, `__start` (naive local start), and `__from` and
    `__to` (naive UTC instants)."""
    last_day = end or engine.span()[1]
    first_day = start or (engine.span()[0] if query.period else last_day - timedelta(days=364))
    zone = engine.config.timezone
    if query.period:
        first = floor(datetime.combine(first_day, datetime.min.time()), query.period)
        last = floor(datetime.combine(last_day, datetime.min.time()), query.period)
        starts = spine(first, last, query.period)
        bounds = [(s, next_start(s, query.period)) for s in starts]
        labels = [label(s, query.period) for s, _ in bounds]
    else:
        bounds = [
            (
                datetime.combine(first_day, datetime.min.time()),
                datetime.combine(last_day + timedelta(days=1), datetime.min.time()),
            )
        ]
        labels = [""]
    return ibis.memtable(
        {
            "__label": labels,
            "__start": [a for a, _ in bounds],
            "__from": [to_utc(a, zone) for a, _ in bounds],
            "__to": [to_utc(b, zone) for _, b in bounds],
        }
    )


def _active(subscriptions: ir.Table, periods: ir.Table, at: str) -> ir.Table:
    """(period, customer) pairs with a subscription covering the period's `at` instant."""
    pairs = subscriptions.cross_join(periods)
    instant = pairs[at]
    covering = pairs.filter((pairs.start <= instant) & (pairs.end.isnull() | (pairs.end > instant)))
    return covering.group_by(["__label", "customer_id"]).aggregate(plan=covering.plan.max())


def _in_window(
    engine: Engine, rows: ir.Table, at: str, periods: ir.Table, period: str | None
) -> ir.Table:
    """Rows with the `__label` of the period `at` falls in (rows outside every period left out):
    by the local period start, an equi-join, when there are periods; else the one window."""
    if period is None:
        pairs = rows.cross_join(periods.select("__label", "__from", "__to"))
        return pairs.filter((pairs[at] >= pairs.__from) & (pairs[at] < pairs.__to))
    rows = local_timestamp(rows, {"__at_local": at}, engine.offsets())
    rows = rows.mutate(__start=truncate(rows.__at_local, period)).drop("__at_local")
    return rows.join(periods.select("__label", "__start"), "__start")


def _cohort(subscriptions: ir.Table, periods: ir.Table) -> ir.Table:
    at_start = _active(subscriptions, periods, "__from")
    at_end = _active(subscriptions, periods, "__to").select(
        "__label", "customer_id", retained=ibis.literal(True)
    )
    cohort = at_start.left_join(at_end, ["__label", "customer_id"])
    cohort = cohort.select(
        "__label", "customer_id", "plan", retained=cohort.retained.coalesce(False)
    )
    return cohort


def _link(engine: Engine, cohort: ir.Table, periods: ir.Table, period: str | None) -> ir.Table:
    """Add whether each customer contacted support in the period, their CSAT segment
    (satisfied when at least half their CSAT answers in the period are in the top two points of the
    scale) and their NPS answer (the mean of their answers in the period, on 0-10)."""
    tickets = engine.table("tickets")
    tickets = tickets.filter(tickets.customer_id.notnull())
    contacted = (
        _in_window(engine, tickets, "created_at", periods, period)
        .select("__label", "customer_id")
        .distinct()
        .mutate(contacted_support=ibis.literal(True))
    )
    surveys = engine.facts("surveys")
    csat = _in_window(
        engine, surveys.filter(surveys.survey == "csat"), "submitted_at", periods, period
    )
    satisfied = csat.score >= csat.scale_max - 1
    csat = csat.group_by(["__label", "customer_id"]).aggregate(
        __satisfied=ibis.ifelse(satisfied, 1.0, 0.0).mean()
    )
    nps = _in_window(
        engine, surveys.filter(surveys.survey == "nps"), "submitted_at", periods, period
    )
    nps = nps.mutate(__norm=10 * (nps.score - nps.scale_min) / (nps.scale_max - nps.scale_min))
    nps = nps.group_by(["__label", "customer_id"]).aggregate(__nps=nps.__norm.mean())
    rows = cohort.left_join(contacted, ["__label", "customer_id"]).drop(
        "__label_right", "customer_id_right"
    )
    rows = rows.left_join(csat, ["__label", "customer_id"]).drop(
        "__label_right", "customer_id_right"
    )
    rows = rows.left_join(nps, ["__label", "customer_id"]).drop(
        "__label_right", "customer_id_right"
    )
    return rows.mutate(
        contacted_support=rows.contacted_support.coalesce(False),
        csat_segment=ibis.cases(
            (rows.__satisfied.isnull(), "no rating"),
            (rows.__satisfied >= 0.5, "satisfied"),
            else_="dissatisfied",
        ),
    )


def cohort_rows(
    engine: Engine,
    facts_name: str,
    aggregation: str,
    by: Sequence[str],
    query: Query,
    subscriptions: ir.Table,
    start: date | None,
    end: date | None,
) -> list[dict[str, Any]]:
    """Rows of the `aggregation` churn, retention or link (see the module), split by `by` (the
    link's segment first)."""
    periods = windows(engine, query, start, end)
    cohort = _cohort(subscriptions, periods)
    if aggregation == "link":
        cohort = _link(engine, cohort, periods, query.period)
    cohort = filter_rows(engine, facts_name, cohort, query.where, None, None)
    cohort, dims = with_dimensions(engine, facts_name, cohort, by)
    keys = [cohort[c].name(n) for n, c in dims.items()]
    if query.period:
        keys.append(cohort.__label.name("period"))
    aggregates: dict[str, ir.Value] = {
        "customers": cohort.count(),
        "retained": cohort.count(where=cohort.retained),
    }
    if aggregation == "link":
        aggregates |= {
            "promoters": cohort.count(where=cohort.__nps >= 9),
            "detractors": cohort.count(where=cohort.__nps <= 6),
            "nps_n": cohort.count(where=cohort.__nps.notnull()),
        }
    grouped = cohort.group_by(keys) if keys else cohort
    rows = engine.arrow(grouped.aggregate(**aggregates)).to_pylist()
    return [_finish(row, aggregation) for row in rows]


def _finish(row: dict[str, Any], aggregation: str) -> dict[str, Any]:
    n, retained = row.pop("customers"), row.pop("retained")
    churned = n - retained
    numerator = retained if aggregation == "retention" else churned
    row |= {"value": numerator / n if n else None, "n": n, "numerator": numerator, "denominator": n}
    interval = wilson_interval(numerator, n)
    if interval:
        row["ci_low"], row["ci_high"] = interval
    if aggregation == "link":
        promoters, detractors, answers = (
            row.pop("promoters"),
            row.pop("detractors"),
            row.pop("nps_n"),
        )
        row["retention"] = retained / n if n else None
        row["nps"] = 100 * (promoters - detractors) / answers if answers else None
        row["nps_n"] = answers
        nps = nps_interval(promoters, detractors, answers)
        row["nps_ci_low"], row["nps_ci_high"] = nps if nps else (None, None)
    return row
