"""Agents (in teams, some hired or leaving during the window) and customers (in accounts, by tier)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._clock import DAY, END_S, START_S
from ._columns import choose, ids, strings, timestamps

__all__ = ["REGIONS", "TEAMS", "TIERS", "Agents", "Customers", "make_agents", "make_customers"]

TEAMS = ("billing", "technical", "accounts", "sales")
_TEAM_SHARE = np.array([0.22, 0.45, 0.23, 0.10])
_MIN_PER_TEAM = 2
"""The first agent of each team was hired before the window and never leaves (always staffed)."""
_TICKETS_PER_AGENT = 1_500

TIERS = ("free", "pro", "enterprise")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
_INDUSTRIES = ("software", "retail", "finance", "healthcare", "education", "manufacturing", "media")

_FIRST_NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Isla",
    "Jamal",
    "Kira",
    "Luis",
    "Maya",
    "Noah",
    "Olivia",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aiden",
    "Bianca",
    "Carlos",
    "Dana",
    "Emeka",
    "Fatima",
    "Gabriel",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
]
_LAST_NAMES = [
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Kim",
    "Lopez",
    "Martin",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walker",
    "Xu",
    "Young",
    "Zimmer",
    "Abbott",
    "Brooks",
    "Costa",
    "Dubois",
    "Eriksen",
    "Flores",
    "Gupta",
    "Haddad",
    "Ivanova",
    "Jones",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
]
_EARLIEST_HIRE = int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
_NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Agents:
    """The agents, their teams and employment, plus hidden traits that shape their metrics."""

    ids: pa.Array
    team: np.ndarray
    hired: np.ndarray
    left: np.ndarray
    """Epoch seconds, or a far-future sentinel for agents still employed."""
    speed: np.ndarray
    """Multiplier on reply delays (below 1 = faster than the team)."""
    quality: np.ndarray
    """Shift of the satisfaction their customers report."""
    table: pa.Table

    def active(self, agent: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether each agent is employed at each instant."""
        return (self.hired[agent] <= t) & (t < self.left[agent])

    def pick(
        self,
        rng: np.random.Generator,
        team: np.ndarray,
        t: np.ndarray,
        until: np.ndarray | None = None,
    ) -> np.ndarray:
        """A random agent of each team employed at each instant t (and still at `until`)."""
        end = t if until is None else until
        out = np.empty(len(team), dtype=np.int64)
        for k in range(len(TEAMS)):
            rows = np.flatnonzero(team == k)
            members = np.flatnonzero(self.team == k)
            chosen = members[rng.integers(0, len(members), len(rows))]
            for _ in range(8):  # redraw those not employed then; few remain after a round or two
                bad = ~(self.active(chosen, t[rows]) & self.active(chosen, end[rows]))
                if not bad.any():
                    break
                chosen[bad] = members[rng.integers(0, len(members), bad.sum())]
            bad = ~(self.active(chosen, t[rows]) & self.active(chosen, end[rows]))
            chosen[bad] = members[0]
            out[rows] = chosen
        return out


def make_agents(rng: np.random.Generator, tickets: int) -> Agents:
    """About one agent per 1,500 tickets (at least two per team); some are hired or leave mid-window."""
    n = max(len(TEAMS) * _MIN_PER_TEAM, round(tickets / _TICKETS_PER_AGENT))
    extra = n - len(TEAMS) * _MIN_PER_TEAM
    per_team = np.floor(_TEAM_SHARE * extra).astype(np.int64) + _MIN_PER_TEAM
    per_team[1] += n - per_team.sum()
    team = np.repeat(np.arange(len(TEAMS)), per_team)
    core = np.zeros(n, dtype=bool)
    core[np.cumsum(per_team) - per_team] = True

    hired = rng.integers(_EARLIEST_HIRE, START_S - 30 * DAY, n)
    new_hire = ~core & (rng.random(n) < 0.15)
    hired[new_hire] = rng.integers(START_S, START_S + 200 * DAY, new_hire.sum())
    leaves = ~core & (rng.random(n) < 0.08)
    if not leaves.any():  # small teams still show someone leaving
        leaves[rng.choice(np.flatnonzero(~core))] = True
    earliest_leave = np.maximum(hired, START_S) + 30 * DAY
    span = END_S - 7 * DAY - earliest_leave
    left = np.where(leaves, earliest_leave + (rng.random(n) * span).astype(np.int64), _NEVER)

    combos = len(_FIRST_NAMES) * len(_LAST_NAMES)
    names = rng.permutation(combos)[np.arange(n) % combos]
    first = strings(_FIRST_NAMES, names % len(_FIRST_NAMES))
    last = strings(_LAST_NAMES, names // len(_FIRST_NAMES))
    agent_ids = ids("AG", n, 4)
    table = pa.table(
        {
            "agent_id": agent_ids,
            "name": pc.binary_join_element_wise(first, last, " "),
            "team": strings(TEAMS, team),
            "hired_at": timestamps(hired),
            "left_at": timestamps(np.where(left == _NEVER, 0, left), valid=left != _NEVER),
        }
    )
    return Agents(
        ids=agent_ids,
        team=team,
        hired=hired,
        left=left,
        speed=rng.lognormal(0.0, 0.25, n),
        quality=rng.normal(0.0, 0.3, n),
        table=table,
    )


@dataclass(frozen=True)
class Customers:
    """Customers ordered by signup time (so the ones signed up by t are a prefix)."""

    ids: pa.Array
    signup: np.ndarray
    tier: np.ndarray
    region: np.ndarray
    table: pa.Table

    def pick(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """A customer signed up by each instant; free-tier customers contact support less."""
        signed_up = np.maximum(np.searchsorted(self.signup, t, side="right"), 1)
        chosen = (rng.random(len(t)) * signed_up).astype(np.int64)
        again = (self.tier[chosen] == 0) & (rng.random(len(t)) < 0.4)
        chosen[again] = (rng.random(again.sum()) * signed_up[again]).astype(np.int64)
        return chosen


def make_customers(rng: np.random.Generator, tickets: int) -> Customers:
    """About tickets/4 customers in accounts (enterprise accounts have several contacts)."""
    n = max(20, tickets // 4)
    account_tier = choose(rng, [0.62, 0.28, 0.10], n)
    contacts = np.where(account_tier == 2, 1 + rng.poisson(2.0, n), 1)
    account = np.repeat(np.arange(n), contacts)[:n]
    rank = np.arange(n) - np.searchsorted(account, account)  # 0 for an account's first contact
    existing = rng.random(n) < 0.65
    # accounts before the window spread over six years; new ones arrive a little faster over time
    created = np.where(
        existing,
        rng.integers(_EARLIEST_HIRE, START_S, n),
        START_S + (np.sqrt(rng.random(n)) * (END_S - START_S - DAY)).astype(np.int64),
    )
    signup = np.minimum(created[account] + (rank > 0) * rng.integers(0, 180 * DAY, n), END_S - DAY)
    order = np.argsort(signup, kind="stable")
    signup, account = signup[order], account[order]
    tier = account_tier[account]
    region = choose(rng, [0.45, 0.30, 0.15, 0.10], n)[account]
    industry = rng.integers(0, len(_INDUSTRIES), n)[account]
    account_ids = ids("AC", n)
    customer_ids = ids("CU", n)
    table = pa.table(
        {
            "customer_id": customer_ids,
            "account_id": account_ids.take(pa.array(account)),
            "tier": strings(TIERS, tier),
            "region": strings(REGIONS, region),
            "signup_at": timestamps(signup),
            "industry": strings(_INDUSTRIES, industry),
        }
    )
    return Customers(ids=customer_ids, signup=signup, tier=tier, region=region, table=table)
