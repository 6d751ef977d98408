"""Self-service activity: knowledge-base, bot and IVR sessions.

Knowledge-base sessions search (some searches fail, mostly on a few recurring queries), view
articles and vote on them; some sessions by known customers end in a ticket within a day.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ._calls import IvrSessions
from ._clock import END_S, HOUR, START_S, Calendar
from ._columns import choose, ids, strings, take, timestamps
from ._people import Customers
from ._tickets import TicketFacts
from ._vocab import CUSTOMER_CREATED

__all__ = ["make_self_service"]

TYPES = ("search", "article_view", "article_vote", "bot_session", "ivr_session")
SEARCH, VIEW, VOTE, BOT_SESSION, IVR_SESSION = range(len(TYPES))
KB, BOT, IVR = range(3)
_QUERIES = (
    "reset password",
    "change billing address",
    "download invoice",
    "export data to csv",
    "add a team member",
    "two-factor authentication",
    "api rate limit",
    "webhook setup",
    "cancel subscription",
    "update credit card",
    "change plan",
    "mobile app login",
    "import contacts",
    "custom fields",
    "email notifications",
    "delete account",
    "connect slack",
    "api key",
    "refund policy",
    "user permissions",
    "password requirements",
    "data retention",
    "single sign-on",
    "change email address",
    "report builder",
)
_FAILED_QUERIES = (
    "okta scim provisioning",
    "invoice vat number",
    "dark mode",
    "bulk import xlsx",
    "webhook retries",
    "offline mode",
    "gdpr data export",
    "salesforce sync",
    "change currency",
    "audit log api",
    "pause subscription",
    "custom domain ssl",
)
"""Queries the knowledge base has no answer for; a few recur far more than the rest."""
_ARTICLES = 200
_SEARCHES = 3
_SLOT_TYPES = (SEARCH, VIEW, VOTE, VIEW, VOTE)
"""Per search: the search, up to two article views, each with an optional vote."""


def _zipf(rng: np.random.Generator, k: int, n: int) -> np.ndarray:
    """n draws of 0..k-1, low indices far more often (recurring queries, popular articles)."""
    return choose(rng, 1.0 / np.arange(1, k + 1) ** 1.1, n)


def make_self_service(
    rng: np.random.Generator,
    n_tickets: int,
    cal: Calendar,
    customers: Customers,
    facts: TicketFacts,
    ivr: IvrSessions,
) -> pa.Table:
    """About 0.4 sessions per ticket plus IVR sessions; about 1.4 rows per ticket."""
    n_free = round(0.4 * n_tickets)
    start = cal.sample(rng, n_free, cal.arrivals)
    customer = np.where(rng.random(n_free) < 0.55, customers.pick(rng, start), -1)
    # customers who tried self-service first and then wrote in (within a day)
    t = np.flatnonzero(
        (facts.created_by == CUSTOMER_CREATED)
        & (facts.customer >= 0)
        & (rng.random(len(facts.created)) < 0.12)
    )
    before = np.maximum(facts.created[t] - rng.integers(300, 20 * HOUR, len(t)), START_S)
    s_start = np.concatenate([start, before, ivr.at])
    s_customer = np.concatenate([customer, facts.customer[t], ivr.customer])
    s_kind = np.concatenate(
        [
            np.where(rng.random(n_free) < 0.78, KB, BOT),
            np.where(rng.random(len(t)) < 0.7, KB, BOT),
            np.full(len(ivr.at), IVR),
        ]
    )
    gave_up = np.concatenate([np.zeros(n_free, bool), np.ones(len(t), bool), ~ivr.resolved])
    order = np.argsort(s_start, kind="stable")
    s_start, s_customer, s_kind, gave_up = (
        s_start[order],
        s_customer[order],
        s_kind[order],
        gave_up[order],
    )
    n = len(order)

    # knowledge-base sessions as a fixed grid of slots, of which each session uses some
    searches = np.where(s_kind == KB, 1 + choose(rng, [0.6, 0.3, 0.1], n), 0)
    failed = rng.random((n, _SEARCHES)) < np.where(gave_up, 0.35, 0.13)[:, None]
    views = np.where(failed, 0, choose(rng, [0.35, 0.45, 0.2], n * _SEARCHES).reshape(n, _SEARCHES))
    views = views.astype(np.int8)
    voted = rng.random((n, _SEARCHES, 2)) < 0.25
    searched = np.arange(_SEARCHES) < searches[:, None]
    exists = np.stack(
        [
            searched,
            searched & (views >= 1),
            searched & (views >= 1) & voted[:, :, 0],
            searched & (views >= 2),
            searched & (views >= 2) & voted[:, :, 1],
        ],
        axis=2,
    ).reshape(n, _SEARCHES * len(_SLOT_TYPES))
    exists[:, 0] |= s_kind != KB  # bot and IVR sessions are one row
    steps = np.cumsum(rng.integers(5, 121, exists.shape, dtype=np.int32), axis=1, dtype=np.int32)
    session, slot = np.nonzero(exists)
    at = s_start[session] + steps[session, slot]
    slot_type = np.array(_SLOT_TYPES)[slot % len(_SLOT_TYPES)]
    kind = s_kind[session]
    row_type = np.select([kind == BOT, kind == IVR], [BOT_SESSION, IVR_SESSION], slot_type)
    is_search = row_type == SEARCH
    row_failed = failed[session, slot // len(_SLOT_TYPES)] & is_search

    query = np.where(
        row_failed,
        len(_QUERIES) + _zipf(rng, len(_FAILED_QUERIES), len(at)),
        _zipf(rng, len(_QUERIES), len(at)),
    )
    query[~is_search] = -1
    results = np.where(row_failed, 0, 1 + rng.poisson(6, len(at)))
    article = _zipf(rng, _ARTICLES, len(at))
    article[row_type == VOTE] = np.roll(article, 1)[row_type == VOTE]  # vote on the viewed one
    helpfulness = np.where(
        rng.random(_ARTICLES) < 0.15, rng.beta(2, 4, _ARTICLES), rng.beta(6, 2, _ARTICLES)
    )
    helpful = rng.random(len(at)) < helpfulness[article]
    has_article = (row_type == VIEW) | (row_type == VOTE)

    any_failed = (failed & searched).any(axis=1)
    resolved = ~gave_up & (
        rng.random(n) < np.select([s_kind == BOT, any_failed], [0.55, 0.25], 0.6)
    )
    resolved[s_kind == IVR] = ~gave_up[s_kind == IVR]

    keep = at < END_S
    order = np.argsort(at[keep], kind="stable")

    def col(values: np.ndarray) -> np.ndarray:
        return values[keep][order]

    session = col(session)
    row_type = col(row_type)
    return pa.table(
        {
            "event_id": ids("SS", len(order), 7),
            "at": timestamps(col(at)),
            "type": strings(TYPES, row_type),
            "session_id": ids("SE", n, 7).take(pa.array(session)),
            "customer_id": take(customers.ids, s_customer[session]),
            "query": strings(_QUERIES + _FAILED_QUERIES, col(query)),
            "results_count": pa.array(col(results), pa.int64(), mask=row_type != SEARCH),
            "article_id": take(
                ids("KB", _ARTICLES, 4), np.where(col(has_article), col(article), -1)
            ),
            "helpful": pa.array(col(helpful), mask=row_type != VOTE),
            "resolved": pa.array(resolved[session]),
        }
    )
