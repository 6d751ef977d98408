"""Survey invitations and responses.

CSAT, CES and NPS follow solved tickets, scored worse after slow replies, long resolutions, reopens
and the outage; relationship NPS goes to a sample of customers; esat and enps to agents quarterly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..schema import SURVEY_SCALES
from ._clock import DAY, END_S, HOUR, OUTAGE_WEEK, START_S
from ._columns import Rows, ids, lognormal, strings, take, timestamps
from ._people import Agents, Customers
from ._tickets import TicketFacts
from ._vocab import CHANNELS, CUSTOMER_CREATED

__all__ = ["Surveys", "make_surveys"]

SURVEYS = ("csat", "nps", "ces", "esat", "enps")
CSAT, NPS, CES, ESAT, ENPS = range(len(SURVEYS))
_LIVE_CHANNELS = [CHANNELS.index("chat"), CHANNELS.index("messaging"), CHANNELS.index("phone")]
_CAMPAIGN_WEEKS = (6, 19, 32, 45)
"""Relationship NPS campaigns to a sample of all customers."""
_PULSE_WEEKS = (8, 21, OUTAGE_WEEK + 1, 47)
"""Employee surveys (esat and enps) to every agent employed then; one lands just after the outage."""
_COMMENTS = (
    (
        "Quick and friendly, thanks!",
        "Solved my problem on the first try.",
        "Great support, very knowledgeable.",
        "Fast answer, exactly what I needed.",
    ),
    ("It was fine.", "Took a while but got sorted.", "OK, but I had to explain it twice."),
    (
        "Waited far too long for a reply.",
        "Still not fixed.",
        "Had to repeat myself to several people.",
        "Nobody followed up.",
    ),
)
"""Free-text comments for positive, middling and negative scores."""


@dataclass(frozen=True)
class Surveys:
    """The two survey tables and which customers gave a poor CSAT (they churn more)."""

    responses: pa.Table
    invitations: pa.Table
    unhappy: np.ndarray


def _ladder(z: np.ndarray, cuts: tuple[float, ...], low: int) -> np.ndarray:
    """Map a latent score onto a discrete scale starting at low."""
    return low + (z[:, None] > np.asarray(cuts)).sum(axis=1)


def make_surveys(
    rng: np.random.Generator, agents: Agents, customers: Customers, facts: TicketFacts
) -> Surveys:
    """Invitations (about 15-30% answered) and responses, tied to tickets, agents and channels."""
    solved = facts.first_solve >= 0
    asked = solved & ~facts.spam & (facts.created_by == CUSTOMER_CREATED) & (facts.customer >= 0)
    live = np.isin(facts.channel, _LIVE_CHANNELS)
    wait_h = np.where(facts.first_reply >= 0, facts.first_reply - facts.created, 0) / HOUR
    resolve_d = np.where(solved, facts.first_solve - facts.created, 0) / DAY
    # how the customer felt about the ticket (before the noise of each answer)
    mood = (
        1.2
        + np.where(facts.assignee >= 0, agents.quality[facts.assignee], 0.0)
        - 0.35 * np.log1p(wait_h)
        - 0.25 * np.log1p(resolve_d)
        - 0.6 * (facts.reopens > 0)
        - 0.4 * facts.outage
    )

    invitations = Rows(survey=np.int8, sent=np.int64, ticket=np.int64, customer=np.int64)
    responses = Rows(
        survey=np.int8,
        score=np.int64,
        submitted=np.int64,
        ticket=np.int64,
        customer=np.int64,
        agent=np.int64,
    )

    def send(
        code: int,
        sent: np.ndarray,
        ticket: np.ndarray,
        customer: np.ndarray,
        agent: np.ndarray,
        rate: np.ndarray | float,
        score: np.ndarray,
    ) -> None:
        """Invitations sent before the export, and the answers that came back before it."""
        keep = sent < END_S
        invitations.add(survey=code, sent=sent[keep], ticket=ticket[keep], customer=customer[keep])
        delay = np.minimum(lognormal(rng, 2 * HOUR, 1.2, len(sent)), 7 * DAY).astype(np.int64)
        submitted = sent + delay
        back = keep & (rng.random(len(sent)) < rate) & (submitted < END_S)
        responses.add(
            survey=code,
            score=score[back],
            submitted=submitted[back],
            ticket=ticket[back],
            customer=customer[back],
            agent=agent[back],
        )

    def after_tickets(share: np.ndarray | float, delay: np.ndarray) -> tuple[np.ndarray, ...]:
        t = np.flatnonzero(asked & (rng.random(len(asked)) < share))
        return t, facts.first_solve[t] + delay[t], facts.customer[t], facts.assignee[t]

    n = len(facts.created)
    t, sent, cust, agent = after_tickets(
        np.where(live, 0.9, 0.7),
        np.where(live, rng.integers(60, 600, n), rng.integers(HOUR, DAY, n)),
    )
    csat = _ladder(mood[t] + rng.normal(0, 1, len(t)), (-1.2, -0.5, 0.2, 0.9), 1)
    send(CSAT, sent, t, cust, agent, np.where(live[t], 0.28, 0.2), csat)
    unhappy = np.zeros(len(customers.signup), dtype=bool)
    unhappy[cust[csat <= 2]] = True

    t, sent, cust, agent = after_tickets(0.2, rng.integers(600, 2 * HOUR, n))
    ces = np.clip(np.round(4.4 + 1.3 * (mood[t] + rng.normal(0, 0.8, len(t)))), 1, 7)
    send(CES, sent, t, cust, agent, 0.2, ces)

    t, sent, cust, agent = after_tickets(0.12, rng.integers(DAY, 3 * DAY, n))
    nps = np.clip(np.round(7.0 + 1.6 * (0.8 * mood[t] + rng.normal(0, 1, len(t)))), 0, 10)
    send(NPS, sent, t, cust, agent, 0.18, nps)

    # relationship NPS: a sample of the customers signed up at each campaign
    for week in _CAMPAIGN_WEEKS:
        at = START_S + (week * 7 + 2) * DAY + 15 * HOUR
        signed_up = int(np.searchsorted(customers.signup, at, side="right"))
        cust = rng.choice(signed_up, size=int(0.08 * signed_up), replace=False)
        z = 0.5 + 0.4 * (customers.tier[cust] == 2) - 0.8 * unhappy[cust]
        score = np.clip(np.round(7.0 + 1.6 * (z + rng.normal(0, 1, len(cust)))), 0, 10)
        none = np.full(len(cust), -1)
        sent = at + rng.integers(0, 2 * DAY, len(cust))
        send(NPS, sent, none, cust, none, 0.15, score)

    # employee pulse: every agent employed that week, a dip right after the outage
    morale = rng.normal(0.4, 0.5, len(agents.hired))
    for week in _PULSE_WEEKS:
        at = START_S + (week * 7 + 1) * DAY + 14 * HOUR
        staff = np.flatnonzero(
            agents.active(np.arange(len(agents.hired)), np.full(len(agents.hired), at))
        )
        z = morale[staff] - 0.6 * (week == OUTAGE_WEEK + 1)
        none = np.full(len(staff), -1)
        sent = at + rng.integers(0, HOUR, len(staff))
        esat = _ladder(z + rng.normal(0, 0.7, len(staff)), (-1.2, -0.4, 0.3, 1.1), 1)
        send(ESAT, sent, none, none, staff, 0.7, esat)
        enps = np.clip(np.round(7.0 + 1.8 * (z + rng.normal(0, 0.7, len(staff)))), 0, 10)
        send(ENPS, sent, none, none, staff, 0.7, enps)

    r = responses.pop(order_by="submitted")
    lo = np.array([SURVEY_SCALES[s][0] for s in SURVEYS])[r["survey"]]
    hi = np.array([SURVEY_SCALES[s][1] for s in SURVEYS])[r["survey"]]
    share = (r["score"] - lo) / (hi - lo)
    band = np.select([share >= 0.75, share > 0.4], [0, 1], 2)
    sizes = np.array([len(c) for c in _COMMENTS])
    starts = np.cumsum(sizes) - sizes
    comment = starts[band] + (rng.random(len(band)) * sizes[band]).astype(np.int64)
    comment[rng.random(len(band)) >= 0.3] = -1
    channel = np.where(r["ticket"] >= 0, facts.channel[np.maximum(r["ticket"], 0)], -1)
    responses_table = pa.table(
        {
            "response_id": ids("R", len(r["score"]), 7),
            "survey": strings(SURVEYS, r["survey"]),
            "score": pa.array(r["score"]),
            "scale_min": pa.array(lo.astype(np.int64)),
            "scale_max": pa.array(hi.astype(np.int64)),
            "submitted_at": timestamps(r["submitted"]),
            "ticket_id": take(facts.ids, r["ticket"]),
            "customer_id": take(customers.ids, r["customer"]),
            "agent_id": take(agents.ids, r["agent"]),
            "channel": strings(CHANNELS, channel),
            "comment": strings([text for group in _COMMENTS for text in group], comment),
            # Like most survey tools' exports, the demo does not say which invitation a response
            # answers: survey_response_rate matches it by ticket, customer or count.
            "invitation_id": pa.nulls(len(r["score"]), pa.string()),
        }
    )
    i = invitations.pop(order_by="sent")
    invitations_table = pa.table(
        {
            "invitation_id": ids("I", len(i["sent"]), 7),
            "survey": strings(SURVEYS, i["survey"]),
            "sent_at": timestamps(i["sent"]),
            "ticket_id": take(facts.ids, i["ticket"]),
            "customer_id": take(customers.ids, i["customer"]),
        }
    )
    return Surveys(responses=responses_table, invitations=invitations_table, unhappy=unhappy)
