"""Calls: those behind phone tickets, other inbound calls and outbound calls.

Inbound calls wait in team queues; waits and abandons grow with the hour's load (and with the
outage); off-hours calls go to voicemail or the IVR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ._clock import END_S, START_S, Calendar
from ._columns import choose, choose_rows, ids, lognormal, strings, take, timestamps
from ._people import Agents, Customers
from ._tickets import TicketFacts
from ._vocab import CUSTOMER_CREATED, ISSUE_TEAM, PHONE

__all__ = ["IvrSessions", "make_calls"]

QUEUES = ("billing", "technical", "general", "sales")
"""One queue per team (accounts answers the general line)."""
OUTCOMES = ("answered", "abandoned", "timeout", "callback", "voicemail", "self_service")
ANSWERED, ABANDONED, TIMEOUT, CALLBACK, VOICEMAIL, SELF_SERVICE = range(len(OUTCOMES))
_INBOUND_SHARE = 0.27
_OUTBOUND_SHARE = 0.03
_MAX_WAIT = 600
"""Seconds after which a waiting call times out."""


@dataclass(frozen=True)
class IvrSessions:
    """IVR passes of inbound calls: when, by whom, and whether the caller was helped there."""

    at: np.ndarray
    customer: np.ndarray
    resolved: np.ndarray


def make_calls(
    rng: np.random.Generator,
    n_tickets: int,
    cal: Calendar,
    agents: Agents,
    customers: Customers,
    facts: TicketFacts,
) -> tuple[pa.Table, IvrSessions]:
    """About 0.3 calls per ticket: answered, abandoned (some within 5 s), timeouts, callbacks,
    voicemail, IVR self-service and outbound calls."""
    staffed = cal.staffed[: len(cal.arrivals)]
    typical = cal.arrivals[staffed].mean()

    # calls that became phone tickets: answered when the ticket was created
    logged = np.flatnonzero(
        (facts.channel == PHONE) & (facts.created_by == CUSTOMER_CREATED) & (facts.first_agent >= 0)
    )
    answered_at = facts.created[logged]
    busy = cal.arrivals[cal.hour(answered_at)] / typical
    wait = np.minimum(rng.exponential(25 * busy**1.5), _MAX_WAIT - 1)
    wait = np.minimum(wait, answered_at - START_S).astype(np.int64)
    ticket_calls = {
        "queued": answered_at - wait,
        "outcome": np.full(len(logged), ANSWERED),
        "wait": wait,
        "outbound": np.zeros(len(logged), dtype=bool),
        "team": ISSUE_TEAM[facts.issue[logged]],
        "agent": facts.first_agent[logged],
        "customer": facts.customer[logged],
        "ticket": logged,
    }

    # other inbound calls: outcome and wait depend on whether the line is open and how busy it is
    n_in = max(0, round(_INBOUND_SHARE * n_tickets) - len(logged))
    queued = cal.sample(rng, n_in, cal.arrivals)
    h = cal.hour(queued)
    open_line = cal.staffed[h]
    busy = cal.arrivals[h] / typical
    abandon = np.minimum(0.06 * busy**1.3, 0.45)
    probs = np.where(
        open_line[:, None],
        np.column_stack(
            [
                np.full(n_in, 0.79),
                abandon,
                0.01 * busy,
                np.full(n_in, 0.03),
                np.full(n_in, 0.01),
                np.full(n_in, 0.10),
            ]
        ),
        np.array([0.0, 0.10, 0.0, 0.0, 0.60, 0.30]),
    )
    outcome = choose_rows(rng, probs)
    wait = np.select(
        [
            outcome == ANSWERED,
            outcome == ABANDONED,
            outcome == TIMEOUT,
            outcome == CALLBACK,
            outcome == VOICEMAIL,
        ],
        [
            np.minimum(rng.exponential(25 * busy**1.5), _MAX_WAIT - 1),
            np.where(
                rng.random(n_in) < 0.25,
                rng.uniform(0, 5, n_in),
                np.minimum(5 + rng.exponential(40 * busy), _MAX_WAIT - 1),
            ),
            np.full(n_in, _MAX_WAIT),
            rng.uniform(30, 180, n_in),
            rng.uniform(20, 120, n_in),
        ],
        rng.uniform(40, 300, n_in),  # self-service: time spent in the IVR
    ).astype(np.int64)
    team = choose(rng, [0.25, 0.35, 0.30, 0.10], n_in)
    answered = outcome == ANSWERED
    agent = np.full(n_in, -1, dtype=np.int64)
    agent[answered] = agents.pick(rng, team[answered], queued[answered] + wait[answered])
    customer = np.where(rng.random(n_in) < 0.8, customers.pick(rng, queued), -1)
    inbound_calls = {
        "queued": queued,
        "outcome": outcome,
        "wait": wait,
        "outbound": np.zeros(n_in, dtype=bool),
        "team": team,
        "agent": agent,
        "customer": customer,
        "ticket": np.full(n_in, -1, dtype=np.int64),
    }

    # outbound calls, placed while staffed: the "wait" is the ring time
    n_out = round(_OUTBOUND_SHARE * n_tickets)
    queued = cal.sample(rng, n_out, cal.arrivals * staffed)
    outcome = np.array([ANSWERED, VOICEMAIL, TIMEOUT])[choose(rng, [0.65, 0.25, 0.10], n_out)]
    wait = np.where(outcome == TIMEOUT, 45, rng.integers(5, 31, n_out))
    team = choose(rng, [0.2, 0.2, 0.3, 0.3], n_out)
    outbound_calls = {
        "queued": queued,
        "outcome": outcome,
        "wait": wait,
        "outbound": np.ones(n_out, dtype=bool),
        "team": team,
        "agent": agents.pick(rng, team, queued),
        "customer": customers.pick(rng, queued),
        "ticket": np.full(n_out, -1, dtype=np.int64),
    }

    c = {
        name: np.concatenate([ticket_calls[name], inbound_calls[name], outbound_calls[name]])
        for name in ticket_calls
    }
    n = len(c["queued"])
    answered = c["outcome"] == ANSWERED
    transferred = answered & (rng.random(n) < 0.06)
    talk = (20 + lognormal(rng, 300, 0.7, n) * np.where(transferred, 1.5, 1.0)).astype(np.int64)
    hold = np.where(rng.random(n) < 0.35, rng.integers(15, 301, n), 0)
    after_call = (5 + lognormal(rng, 45, 0.6, n)).astype(np.int64)
    answered_at = c["queued"] + c["wait"]
    ended = np.where(answered, answered_at + talk + hold, answered_at)

    keep = ended < END_S
    order = np.argsort(c["queued"][keep], kind="stable")

    def col(values: np.ndarray) -> np.ndarray:
        return values[keep][order]

    reached = col(answered)
    table = pa.table(
        {
            "call_id": ids("C", len(order), 7),
            "queued_at": timestamps(col(c["queued"])),
            "outcome": strings(OUTCOMES, col(c["outcome"])),
            "answered_at": timestamps(col(answered_at), valid=reached),
            "ended_at": timestamps(col(ended)),
            "direction": strings(("inbound", "outbound"), col(c["outbound"]).astype(np.int64)),
            "queue": strings(QUEUES, col(c["team"])),
            "agent_id": take(agents.ids, col(c["agent"])),
            "talk_seconds": pa.array(col(talk), pa.int64(), mask=~reached),
            "hold_seconds": pa.array(col(hold), pa.int64(), mask=~reached),
            "after_call_seconds": pa.array(col(after_call), pa.int64(), mask=~reached),
            "transferred": pa.array(col(transferred)),
            "customer_id": take(customers.ids, col(c["customer"])),
            "ticket_id": take(facts.ids, col(c["ticket"])),
        }
    )
    # every self-service outcome and half the other inbound calls passed through the IVR first
    helped = c["outcome"] == SELF_SERVICE
    ivr = keep & ~c["outbound"] & (helped | (rng.random(n) < 0.5))
    at = c["queued"] - np.where(helped, 0, rng.integers(20, 91, n))
    return table, IvrSessions(
        at=np.maximum(at[ivr], START_S), customer=c["customer"][ivr], resolved=helped[ivr]
    )
