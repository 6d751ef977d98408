"""generate(): every table of the data model, realistic and deterministic, built with NumPy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..schema import TABLES
from ._availability import make_availability
from ._calls import make_calls
from ._clock import calendar
from ._people import make_agents, make_customers
from ._revenue import make_demos, make_reviews, make_subscriptions_and_orders
from ._self_service import make_self_service
from ._surveys import make_surveys
from ._tickets import make_tickets

__all__ = ["generate"]


def generate(tickets: int, seed: int = 0) -> dict[str, pa.Table]:
    """Demo data for every canonical table, scaled to `tickets` tickets.

    The data covers a fixed 52-week window (START to END, a New York support team, an outage in
    week OUTAGE_WEEK), so the same `tickets` and `seed` always give identical tables. Other tables
    scale with `tickets`: about 0.3 calls, 0.25 customers and 1.4 self-service rows per ticket.
    """
    if tickets < 1:
        raise ValueError(f"tickets must be at least 1, got {tickets}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")

    def rng(family: int) -> np.random.Generator:
        """An independent stream per family, so changing one family leaves the others alone."""
        return np.random.default_rng([seed, family])

    cal = calendar()
    agents = make_agents(rng(0), tickets)
    customers = make_customers(rng(1), tickets)
    tables, facts = make_tickets(rng(2), tickets, cal, agents, customers)
    tables["calls"], ivr = make_calls(rng(3), tickets, cal, agents, customers, facts)
    surveys = make_surveys(rng(4), agents, customers, facts)
    tables["surveys"] = surveys.responses
    tables["survey_invitations"] = surveys.invitations
    tables["subscriptions"], tables["orders"] = make_subscriptions_and_orders(
        rng(5), agents, customers, facts, surveys.unhappy
    )
    tables["self_service"] = make_self_service(rng(6), tickets, cal, customers, facts, ivr)
    tables["demos"] = make_demos(rng(7), tickets, cal, agents)
    tables["reviews"] = make_reviews(rng(8), tickets, cal, agents, customers)
    tables["customers"] = customers.table
    tables["agents"] = agents.table
    tables["agent_availability"] = make_availability(tables["calls"])
    return {name: tables[name] for name in TABLES}
