"""Revenue and loyalty: subscriptions, orders, demos and public reviews.

Subscriptions churn (faster after a poor support experience), some restart and some upgrade;
orders are new, repeat, renewal, upsell and cross-sell, some produced by a support ticket.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ._clock import DAY, END_S, HOUR, START_S, Calendar
from ._columns import Rows, choose, choose_rows, ids, lognormal, strings, take, timestamps
from ._people import REGIONS, Agents, Customers
from ._tickets import TicketFacts
from ._vocab import ACCOUNT, BILLING, HOW_TO, PRE_SALES

__all__ = ["make_demos", "make_reviews", "make_subscriptions_and_orders"]

PLANS = ("pro", "business", "enterprise")
PRO, BUSINESS, ENTERPRISE = range(len(PLANS))
CURRENCIES = ("USD", "EUR", "GBP")
ORDER_KINDS = ("new", "repeat", "upsell", "cross_sell", "renewal")
NEW, REPEAT, UPSELL, CROSS_SELL, RENEWAL = range(len(ORDER_KINDS))
_YEAR = 365 * DAY
_MONTH = 30.4 * DAY
_PRO_PRICES = np.array([49.0, 99.0, 149.0, 299.0])
_SALES_ISSUES = [PRE_SALES, BILLING, ACCOUNT, HOW_TO]
"""Issues after which support sometimes sells an upgrade or add-on."""
_PLATFORMS = ("G2", "Capterra", "Trustpilot", "App Store", "Google Play")
_RATING_SHARE = np.array(
    [
        [0.03, 0.04, 0.08, 0.30, 0.55],  # requested by support after a good interaction
        [0.20, 0.13, 0.12, 0.20, 0.35],  # unprompted
        [0.50, 0.20, 0.10, 0.10, 0.10],  # unprompted, during the outage
    ]
)


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform instant in [lo, hi) per row (hi > lo)."""
    return lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)


def make_subscriptions_and_orders(
    rng: np.random.Generator,
    agents: Agents,
    customers: Customers,
    facts: TicketFacts,
    unhappy: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    """Subscriptions for paying customers (unhappy ones churn faster) and the orders around them."""
    nc = len(customers.signup)
    tier = customers.tier
    converts = (tier == 0) & (rng.random(nc) < 0.12)
    start = customers.signup + np.where(
        tier > 0, rng.integers(0, 14 * DAY, nc), rng.integers(7 * DAY, 300 * DAY, nc)
    )
    cust = np.flatnonzero(((tier > 0) | converts) & (start < END_S))
    start = start[cust]
    n = len(cust)
    plan = np.where(tier[cust] == 2, ENTERPRISE, PRO)
    annual = rng.random(n) < np.where(plan == ENTERPRISE, 0.8, 0.3)
    mrr = np.where(
        plan == ENTERPRISE,
        np.round(lognormal(rng, 2_500, 0.5, n), -1),
        _PRO_PRICES[rng.integers(0, len(_PRO_PRICES), n)],
    )
    hazard = np.where(plan == ENTERPRISE, 0.008, 0.025) * np.where(unhappy[cust], 2.5, 1.0)
    life = rng.exponential(_MONTH / hazard)
    life = np.where(annual, np.ceil(life / _YEAR) * _YEAR, life)  # annual plans end at renewal
    end = (start + life).astype(np.int64)
    ended = np.where(end < END_S, end, -1)

    # some churned customers come back; some pro plans upgrade to business mid-way
    back = np.flatnonzero((ended >= 0) & (rng.random(n) < 0.2))
    restart = ended[back] + rng.integers(30 * DAY, 120 * DAY, len(back))
    back, restart = back[restart < END_S], restart[restart < END_S]
    up = np.flatnonzero((plan == PRO) & (rng.random(n) < 0.1))
    upgrade_at = np.maximum(start[up], START_S) + rng.integers(30 * DAY, 300 * DAY, len(up))
    ok = (upgrade_at < END_S) & ((ended[up] < 0) | (upgrade_at < ended[up]))
    up, upgrade_at = up[ok], upgrade_at[ok]
    upgraded_mrr = np.round(mrr[up] * rng.uniform(2.0, 3.0, len(up)), -1)
    upgrade_ended = ended[up]
    ended[up] = upgrade_at

    subs = {
        "customer": np.concatenate([cust, cust[back], cust[up]]),
        "start": np.concatenate([start, restart, upgrade_at]),
        "ended": np.concatenate([ended, np.full(len(back), -1), upgrade_ended]),
        "mrr": np.concatenate([mrr, mrr[back], upgraded_mrr]),
        "plan": np.concatenate([plan, plan[back], np.full(len(up), BUSINESS)]),
        "annual": np.concatenate([annual, annual[back], annual[up]]),
    }
    currency = np.where(
        customers.region[subs["customer"]] == REGIONS.index("EMEA"),
        np.where(rng.random(len(subs["start"])) < 0.75, 1, 2),
        0,
    )
    order = np.argsort(subs["start"], kind="stable")
    s = {name: values[order] for name, values in subs.items()}
    subscriptions = pa.table(
        {
            "subscription_id": ids("SUB", len(order)),
            "customer_id": customers.ids.take(pa.array(s["customer"])),
            "started_at": timestamps(s["start"]),
            "ended_at": timestamps(s["ended"], valid=s["ended"] >= 0),
            "mrr": pa.array(s["mrr"]),
            "plan": strings(PLANS, s["plan"]),
            "currency": strings(CURRENCIES, currency[order]),
        }
    )

    # --- orders -------------------------------------------------------------------------------
    stop = np.where(s["ended"] >= 0, s["ended"], END_S)
    orders = Rows(
        customer=np.int64, at=np.int64, amount=float, kind=np.int8, ticket=np.int64, agent=np.int64
    )

    def sell(
        customer: np.ndarray,
        at: np.ndarray,
        amount: np.ndarray,
        kind: np.ndarray | int,
        ticket: np.ndarray | int = -1,
        agent: np.ndarray | int = -1,
    ) -> None:
        """Orders, kept when placed inside the window."""
        keep = (at >= START_S) & (at < END_S)
        columns = {
            "customer": customer,
            "at": at,
            "amount": np.round(amount, 2),
            "kind": kind,
            "ticket": ticket,
            "agent": agent,
        }
        orders.add(**{name: np.broadcast_to(v, at.shape)[keep] for name, v in columns.items()})

    months = np.where(annual, 12.0, 1.0)  # billed per order: a year or a month
    sell(cust, start, mrr * months, NEW)
    sell(cust[back], restart, mrr[back] * months[back], REPEAT)
    sell(cust[up], upgrade_at, (upgraded_mrr - mrr[up]) * months[up], UPSELL)

    # renewals of annual plans on each anniversary inside the window
    first_k = np.maximum(1, np.ceil((START_S - s["start"]) / _YEAR)).astype(np.int64)
    last_k = np.ceil((stop - s["start"]) / _YEAR).astype(np.int64) - 1
    count = np.where(s["annual"], np.maximum(last_k - first_k + 1, 0), 0)
    row = np.repeat(np.arange(len(count)), count)
    k = first_k[row] + np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    sell(s["customer"][row], s["start"][row] + k * _YEAR, 12.0 * s["mrr"][row], RENEWAL)

    # add-on purchases and unprompted cross-sells while subscribed
    lo = np.maximum(s["start"], START_S)
    for kind, rate, median in ((REPEAT, 0.4, 150), (CROSS_SELL, 0.08, 400)):
        row = np.repeat(np.arange(len(lo)), rng.poisson(rate, len(lo)) * (stop > lo))
        sell(
            s["customer"][row],
            _between(rng, lo[row], stop[row]),
            lognormal(rng, median, 0.6, len(row)),
            kind,
        )

    # sales produced by support: after some solved tickets, attributed to the ticket and agent
    share = np.where(facts.issue == PRE_SALES, 0.25, 0.04)
    t = np.flatnonzero(
        (facts.first_solve >= 0)
        & (facts.customer >= 0)
        & (facts.assignee >= 0)
        & np.isin(facts.issue, _SALES_ISSUES)
        & (rng.random(len(share)) < share)
    )
    sell(
        facts.customer[t],
        facts.first_solve[t] + rng.integers(HOUR, 7 * DAY, len(t)),
        lognormal(rng, 600, 0.7, len(t)),
        np.where(rng.random(len(t)) < 0.6, UPSELL, CROSS_SELL),
        t,
        facts.assignee[t],
    )

    o = orders.pop(order_by="at")
    orders_table = pa.table(
        {
            "order_id": ids("OR", len(o["at"])),
            "customer_id": customers.ids.take(pa.array(o["customer"])),
            "ordered_at": timestamps(o["at"]),
            "amount": pa.array(o["amount"]),
            "kind": strings(ORDER_KINDS, o["kind"]),
            "ticket_id": take(facts.ids, o["ticket"]),
            "agent_id": take(agents.ids, o["agent"]),
        }
    )
    return subscriptions, orders_table


def make_demos(rng: np.random.Generator, n_tickets: int, cal: Calendar, agents: Agents) -> pa.Table:
    """About one demo per 150 tickets, mostly by the sales team; about 15% of leads sign up."""
    n = max(5, n_tickets // 150)
    held = np.sort(cal.sample(rng, n, cal.arrivals * cal.staffed[: len(cal.arrivals)]))
    team = np.where(rng.random(n) < 0.8, 3, 2)
    agent = agents.pick(rng, team, held)
    converts = rng.random(n) < np.clip(0.15 + 0.1 * agents.quality[agent], 0.02, 0.4)
    registered = held + lognormal(rng, 5 * DAY, 0.8, n).astype(np.int64)
    registered_ok = converts & (registered < END_S)
    return pa.table(
        {
            "demo_id": ids("DM", n, 5),
            "held_at": timestamps(held),
            "agent_id": agents.ids.take(pa.array(agent)),
            "lead_id": ids("LD", n, 5),
            "registered_at": timestamps(
                np.where(registered_ok, registered, 0), valid=registered_ok
            ),
        }
    )


def make_reviews(
    rng: np.random.Generator, n_tickets: int, cal: Calendar, agents: Agents, customers: Customers
) -> pa.Table:
    """About one review per 250 tickets; reviews support asked for rate higher, the outage lower."""
    n = max(5, n_tickets // 250)
    posted = np.sort(cal.sample(rng, n, cal.arrivals))
    requested = rng.random(n) < 0.35
    during_outage = cal.load[cal.hour(posted)] > 1.5
    group = np.where(requested, 0, np.where(during_outage, 2, 1))
    rating = 1 + choose_rows(rng, _RATING_SHARE[group])
    agent = np.where(requested, agents.pick(rng, rng.integers(0, 3, n), posted), -1)
    customer = np.where(requested | (rng.random(n) < 0.5), customers.pick(rng, posted), -1)
    return pa.table(
        {
            "review_id": ids("RV", n, 5),
            "posted_at": timestamps(posted),
            "platform": strings(_PLATFORMS, choose(rng, [0.3, 0.25, 0.2, 0.15, 0.1], n)),
            "rating": pa.array(rating.astype(np.int64)),
            "scale_max": pa.array(np.full(n, 5, dtype=np.int64)),
            "customer_id": take(customers.ids, customer),
            "requested": pa.array(requested),
            "agent_id": take(agents.ids, agent),
        }
    )
