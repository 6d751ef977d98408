"""The life of a batch of tickets, simulated step by step for all of them at once.

Each step acts on every ticket at that stage (a loop over steps, never over tickets): creation,
acknowledgement and bot, first agent reply, follow-up rounds (pending on the customer or on hold),
solve, reopens, auto-close. Rows after the export moment (END) are then cut off, and each ticket's
status, assignee, team, priority, solved_at and closed_at are read back from the surviving history,
so the ticket row and its history always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ._clock import DAY, END_S, HOUR, START_S, Calendar
from ._columns import Rows, choose, choose_rows, first_in_group, last_in_group, lognormal
from ._people import Agents
from ._vocab import (
    AGENT,
    AGENT_CODE,
    AGENT_CREATED,
    ASSIGNEE_EVENT,
    BOT,
    BUG,
    CLOSED,
    CUSTOMER,
    CUSTOMER_CREATED,
    EMAIL,
    LIVE,
    NEW,
    ON_HOLD,
    OPEN,
    PENDING,
    PHONE,
    PRIORITY_CODE,
    PRIORITY_EVENT,
    SOLVED,
    STATUS_CODE,
    STATUS_EVENT,
    SYSTEM,
    SYSTEM_CREATED,
    TEAM_CODE,
    TEAM_EVENT,
    TECHNICAL,
    WEB,
)

__all__ = ["History", "TicketDraw", "simulate"]

_M = 60
# Median delays in seconds by channel: email, chat, phone, social, web, messaging, sms, other.
_FIRST_REPLY = np.array([4 * HOUR, 75, 60, 35 * _M, 5 * HOUR, 8 * _M, 20 * _M, 8 * HOUR])
_NEXT_REPLY = np.array([3 * HOUR, 60, 3 * HOUR, 30 * _M, 4 * HOUR, 6 * _M, 15 * _M, 6 * HOUR])
_CUSTOMER_REPLY = np.array([5 * HOUR, 90, 20 * HOUR, 40 * _M, 6 * HOUR, 20 * _M, 25 * _M, 8 * HOUR])
_PRIORITY_SPEED = np.array([1.4, 1.0, 0.6, 0.3])
"""Reply delay multiplier by priority (urgent tickets are answered fastest)."""
_ROUNDS_SHARE = np.array(
    [
        [0.75, 0.15, 0.06, 0.03, 0.01, 0.00, 0.00],  # phone
        [0.50, 0.30, 0.12, 0.05, 0.02, 0.01, 0.00],  # chat, messaging
        [0.40, 0.28, 0.15, 0.09, 0.05, 0.02, 0.01],  # the rest
    ]
)
"""Follow-up rounds (a customer reply or a hold, then an agent reply) after the first reply."""
_AUTO_SOLVE = 3 * DAY
"""Pending tickets without an answer are solved by an automation after three days."""
_AUTO_CLOSE = 4 * DAY
"""Solved tickets close after four days; a customer reply before then reopens them."""


@dataclass(frozen=True)
class TicketDraw:
    """Per-ticket attributes drawn before the simulation, in created order."""

    created: np.ndarray
    channel: np.ndarray
    created_by: np.ndarray
    issue: np.ndarray
    team: np.ndarray
    """The team that should handle the ticket (where it ends up)."""
    team_initial: np.ndarray
    """The team it is first routed to (another one for misrouted tickets)."""
    priority: np.ndarray
    """The priority at creation; escalated tickets go one step up before the first reply."""
    escalated: np.ndarray
    customer: np.ndarray
    outage: np.ndarray
    enterprise: np.ndarray
    follow_up: np.ndarray
    spam: np.ndarray
    bot: np.ndarray
    """The conversation starts with the bot (chat and messaging)."""
    bot_only: np.ndarray
    """... and the bot solves it, no agent needed."""
    neglected: np.ndarray
    """Picked up but never answered (old backlog)."""
    transfer: np.ndarray
    product: np.ndarray
    request_quality: np.ndarray
    sentiment: np.ndarray
    """-1...1, NaN where the source gives none."""

    def part(self, lo: int, hi: int) -> TicketDraw:
        """Tickets lo..hi-1 (views, no copy)."""
        return TicketDraw(**{f.name: getattr(self, f.name)[lo:hi] for f in fields(self)})


@dataclass(frozen=True)
class History:
    """Messages and events before END (sorted by ticket, then time) and what they imply per ticket.

    Ticket indices are those of the simulated batch (0-based).
    """

    messages: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    status: np.ndarray
    priority: np.ndarray
    assignee: np.ndarray
    """-1 if never assigned."""
    team: np.ndarray
    solved_at: np.ndarray
    """Latest solve if the ticket is solved or closed now, else -1."""
    closed_at: np.ndarray
    first_reply: np.ndarray
    """First public, non-automated agent message, -1 if none."""
    first_agent: np.ndarray
    first_solve: np.ndarray
    reopens: np.ndarray


class _Simulation:
    """Current state of each ticket of a batch plus the message and event rows emitted so far."""

    def __init__(self, rng: np.random.Generator, cal: Calendar, agents: Agents, d: TicketDraw):
        self.rng, self.cal, self.agents = rng, cal, agents
        self.channel = d.channel
        self.priority = d.priority + d.escalated
        self.team = d.team_initial.copy()
        n = len(d.created)
        self.status = np.full(n, -1, dtype=np.int64)
        self.assignee = np.full(n, -1, dtype=np.int64)
        self.messages = Rows(
            ticket=np.int32,
            at=np.int64,
            author=np.int8,
            agent=np.int32,
            public=bool,
            automated=bool,
        )
        self.events = Rows(
            ticket=np.int32, at=np.int64, type=np.int8, old=np.int32, new=np.int32, actor=np.int32
        )

    def say(
        self,
        idx: np.ndarray,
        at: np.ndarray,
        author: int,
        agent: np.ndarray | int = -1,
        public: bool = True,
        automated: bool = False,
    ) -> None:
        self.messages.add(
            ticket=idx, at=at, author=author, agent=agent, public=public, automated=automated
        )

    def set_status(
        self, idx: np.ndarray, at: np.ndarray, to: np.ndarray | int, actor: np.ndarray | int = -1
    ) -> None:
        """Status events for the tickets whose status changes."""
        to = np.broadcast_to(to, idx.shape)
        actor = np.broadcast_to(actor, idx.shape)
        change = self.status[idx] != to
        idx, at, to, actor = idx[change], at[change], to[change], actor[change]
        old = self.status[idx]
        self.events.add(
            ticket=idx,
            at=at,
            type=STATUS_EVENT,
            old=np.where(old >= 0, old + STATUS_CODE, -1),
            new=to + STATUS_CODE,
            actor=actor,
        )
        self.status[idx] = to

    def assign(
        self, idx: np.ndarray, at: np.ndarray, agent: np.ndarray, actor: np.ndarray | int
    ) -> None:
        old = self.assignee[idx]
        self.events.add(
            ticket=idx,
            at=at,
            type=ASSIGNEE_EVENT,
            old=np.where(old >= 0, old + AGENT_CODE, -1),
            new=agent + AGENT_CODE,
            actor=actor,
        )
        self.assignee[idx] = agent

    def move_team(
        self, idx: np.ndarray, at: np.ndarray, team: np.ndarray, actor: np.ndarray
    ) -> None:
        self.events.add(
            ticket=idx,
            at=at,
            type=TEAM_EVENT,
            old=self.team[idx] + TEAM_CODE,
            new=team + TEAM_CODE,
            actor=actor,
        )
        self.team[idx] = team

    def note(self, idx: np.ndarray, at: np.ndarray) -> None:
        """An internal note by the assignee (handed on first if they have left by then)."""
        self.keep_staffed(idx, at)
        self.say(idx, at, AGENT, self.assignee[idx], public=False)

    def keep_staffed(self, idx: np.ndarray, at: np.ndarray) -> None:
        """Hand tickets whose assignee is not employed at `at` to a colleague (by routing)."""
        gone = ~self.agents.active(self.assignee[idx], at)
        if gone.any():
            idx, at = idx[gone], at[gone]
            self.assign(idx, at, self.agents.pick(self.rng, self.team[idx], at), actor=-1)

    def reply_at(
        self, idx: np.ndarray, ready: np.ndarray, agent: np.ndarray, first: bool
    ) -> np.ndarray:
        """When an agent answers a customer waiting since `ready`.

        Off-hours work waits for the next staffed hour (a night shift picks up some live chats,
        slowly); weekends, the outage, low priority and slower agents stretch the delay.
        """
        n = len(idx)
        cal, rng, channel = self.cal, self.rng, self.channel[idx]
        night = LIVE[channel] & ~cal.staffed[cal.hour(ready)] & (rng.random(n) < 0.35)
        start = np.where(night, ready, cal.next_open(ready))
        h = cal.hour(start)
        factor = (
            _PRIORITY_SPEED[self.priority[idx]]
            * self.agents.speed[agent]
            * (1.0 + 0.8 * (cal.load[h] - 1.0))
            * np.where(cal.off_day[h], 1.6, 1.0)
            * np.where(night, 4.0, 1.0)
        )
        median = (_FIRST_REPLY if first else _NEXT_REPLY)[channel]
        reply = start + 1 + lognormal(rng, median * factor, 0.9, n).astype(np.int64)
        late = ~night & ~cal.staffed[cal.hour(reply)]  # work left at closing resumes next opening
        return np.where(late, cal.next_open(reply) + rng.integers(0, 1_800, n), reply)


def simulate(rng: np.random.Generator, cal: Calendar, agents: Agents, d: TicketDraw) -> History:
    """Messages and ticket events of a batch of tickets, and the state they leave each ticket in."""
    n = len(d.created)
    sim = _Simulation(rng, cal, agents, d)
    created, channel, team = d.created, d.channel, d.team
    outbound = d.created_by == AGENT_CREATED
    answered = ~outbound & ~d.bot_only & ~d.spam & ~d.neglected
    technical = np.isin(d.issue, [TECHNICAL, BUG])

    # --- creation ----------------------------------------------------------------------------
    for kind, author in ((CUSTOMER_CREATED, CUSTOMER), (SYSTEM_CREATED, SYSTEM)):
        idx = np.flatnonzero(d.created_by == kind)
        sim.say(idx, created[idx], author, automated=author == SYSTEM)
    out = np.flatnonzero(outbound)
    out_agent = agents.pick(rng, team[out], created[out])
    sim.say(out, created[out], AGENT, out_agent)
    sim.set_status(np.flatnonzero(~outbound), created[~outbound], NEW)
    sim.set_status(out, created[out], PENDING, actor=out_agent)
    sim.assign(out, created[out], out_agent, actor=out_agent)

    # --- acknowledgements, bots, spam, neglect -----------------------------------------------
    ready = created.copy()
    ack = np.flatnonzero((d.created_by == CUSTOMER_CREATED) & (channel == EMAIL))
    ready[ack] += rng.integers(2, 41, len(ack))
    sim.say(ack, ready[ack], SYSTEM, automated=True)

    idx = np.flatnonzero(d.bot)
    exchanges = 1 + choose(rng, [0.5, 0.35, 0.15], len(idx))
    t = ready[idx]
    for j in range(3):
        turn = exchanges > j
        t[turn] += rng.integers(2, 9, int(turn.sum()))
        sim.say(idx[turn], t[turn], BOT)
        more = exchanges > j + 1
        t[more] += rng.integers(15, 121, int(more.sum()))
        sim.say(idx[more], t[more], CUSTOMER)
    ready[idx] = t

    solved = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(d.bot_only)
    solved[idx] = ready[idx] + rng.integers(20, 181, len(idx))
    sim.set_status(idx, solved[idx], SOLVED)

    # spam is closed unanswered; of the neglected tickets half are picked up, none answered
    picked_up = d.neglected & (rng.random(n) < 0.5)
    for flag, status, median in ((d.spam, SOLVED, 2 * HOUR), (picked_up, OPEN, HOUR)):
        idx = np.flatnonzero(flag)
        at = cal.next_open(ready[idx]) + lognormal(rng, median, 0.8, len(idx)).astype(np.int64)
        agent = agents.pick(rng, team[idx], at)
        sim.assign(idx, at, agent, actor=agent)
        sim.set_status(idx, at, status, actor=agent)
        if status == SOLVED:
            solved[idx] = at

    # --- first agent reply -------------------------------------------------------------------
    idx = np.flatnonzero(d.transfer)  # misrouted: picked up by the wrong team, then moved
    at = cal.next_open(ready[idx]) + lognormal(rng, 20 * _M, 0.8, len(idx)).astype(np.int64)
    moved_at = at + rng.integers(5 * _M, 2 * HOUR, len(idx))
    wrong_agent = agents.pick(rng, d.team_initial[idx], at, until=moved_at)
    sim.assign(idx, at, wrong_agent, actor=wrong_agent)
    sim.set_status(idx, at, OPEN, actor=wrong_agent)
    sim.say(idx, moved_at, AGENT, wrong_agent, public=False)
    sim.move_team(idx, moved_at, team[idx], actor=wrong_agent)
    sim.assign(idx, moved_at, agents.pick(rng, team[idx], moved_at), actor=wrong_agent)
    ready[idx] = moved_at

    idx = np.flatnonzero(answered & ~d.transfer)
    phone = channel[idx] == PHONE  # the ticket logs a call: answered as it was created
    agent = agents.pick(rng, team[idx], ready[idx])
    reply = sim.reply_at(idx, ready[idx], agent, first=True)
    reply[phone] = created[idx[phone]] + rng.integers(20, 181, int(phone.sum()))
    take_at = np.maximum(ready[idx], reply - rng.integers(10, 901, len(idx)))
    take_at[phone] = created[idx[phone]]
    gone = ~(agents.active(agent, take_at) & agents.active(agent, reply))
    agent[gone] = agents.pick(rng, team[idx[gone]], reply[gone])
    take_at[gone] = reply[gone]
    sim.assign(idx, take_at, agent, actor=agent)
    sim.set_status(idx, take_at, OPEN, actor=agent)

    first = np.full(n, -1, dtype=np.int64)
    first[idx] = reply
    idx = np.flatnonzero(d.transfer)
    first[idx] = sim.reply_at(idx, ready[idx], sim.assignee[idx], first=True)
    idx = np.flatnonzero(answered)
    sim.keep_staffed(idx, first[idx])
    sim.say(idx, first[idx], AGENT, sim.assignee[idx])
    esc = idx[d.escalated[idx]]
    span = first[esc] - created[esc]
    sim.events.add(
        ticket=esc,
        at=created[esc] + (span * rng.uniform(0.1, 0.9, len(esc))).astype(np.int64),
        type=PRIORITY_EVENT,
        old=d.priority[esc] + PRIORITY_CODE,
        new=d.priority[esc] + 1 + PRIORITY_CODE,
        actor=-1,
    )

    # --- follow-up rounds: pending on the customer or on hold with a third party -------------
    worked = np.flatnonzero(answered | outbound)
    last = np.where(outbound, created, first)[worked]
    group = np.where(channel[worked] == PHONE, 0, np.where(LIVE[channel[worked]], 1, 2))
    rounds = choose_rows(rng, _ROUNDS_SHARE[group])
    silent = outbound[worked] & (rng.random(len(worked)) < 0.3)  # outbound nobody answers
    rounds = np.where(outbound[worked] & ~silent, np.maximum(rounds, 1), rounds)
    rounds[silent] = 0
    hold_share = np.where(technical, 0.15, 0.04)
    for k in range(int(rounds.max(initial=0))):
        live = rounds > k
        idx, at = worked[live], last[live]
        hold = (rng.random(len(idx)) < hold_share[idx]) & ~(outbound[idx] & (k == 0))
        sim.set_status(idx, at, np.where(hold, ON_HOLD, PENDING), actor=sim.assignee[idx])
        wait = np.where(
            hold,
            lognormal(rng, 18 * HOUR, 0.9, len(idx)),
            lognormal(rng, _CUSTOMER_REPLY[channel[idx]], 1.0, len(idx)),
        ).astype(np.int64)
        noted = hold & (rng.random(len(idx)) < 0.7)
        note_at = at + np.minimum(rng.integers(30, 601, len(idx)), wait // 2)
        sim.note(idx[noted], note_at[noted])
        ready = at + 1 + wait
        sim.say(idx[~hold], ready[~hold], CUSTOMER)
        sim.set_status(idx, ready, OPEN, actor=np.where(hold, sim.assignee[idx], -1))
        if k == 0:  # some tickets change hands within the team
            moved = rng.random(len(idx)) < 0.05
            mi, mt = idx[moved], ready[moved]
            colleague = agents.pick(rng, sim.team[mi], mt)
            other = colleague != sim.assignee[mi]
            sim.assign(mi[other], mt[other], colleague[other], actor=sim.assignee[mi[other]])
        sim.keep_staffed(idx, ready)
        reply = sim.reply_at(idx, ready, sim.assignee[idx], first=False)
        noted = rng.random(len(idx)) < 0.08
        note_at = ready + ((reply - ready) * rng.uniform(0.2, 0.8, len(idx))).astype(np.int64)
        sim.note(idx[noted], note_at[noted])
        sim.keep_staffed(idx, reply)
        sim.say(idx, reply, AGENT, sim.assignee[idx])
        last[live] = reply

    # --- solve: with the last reply, or by automation after an unanswered pending ------------
    auto = silent | (rng.random(len(worked)) < 0.12)
    idx, at = worked[auto], last[auto]
    sim.set_status(idx, at, PENDING, actor=sim.assignee[idx])
    solved[idx] = at + _AUTO_SOLVE + rng.integers(0, HOUR, len(idx))
    sim.set_status(idx, solved[idx], SOLVED)
    idx, at = worked[~auto], last[~auto]
    solved[idx] = at
    sim.set_status(idx, at, SOLVED, actor=sim.assignee[idx])
    notify = idx[np.isin(channel[idx], [EMAIL, WEB]) & (rng.random(len(idx)) < 0.3)]
    notify_at = solved[notify] + rng.integers(1, 6, len(notify))
    sim.keep_staffed(notify, notify_at)
    sim.say(notify, notify_at, AGENT, sim.assignee[notify], automated=True)

    # --- reopens (some twice), then auto-close ------------------------------------------------
    reopen_share = np.where(technical, 0.10, np.where(channel == PHONE, 0.03, 0.06))
    idx, share = worked, reopen_share[worked]
    for _ in range(2):
        idx = idx[rng.random(len(idx)) < share]
        share = np.full(len(idx), 0.2)
        back = solved[idx] + np.clip(
            lognormal(rng, 20 * HOUR, 1.0, len(idx)), 300, _AUTO_CLOSE - HOUR
        ).astype(np.int64)
        sim.say(idx, back, CUSTOMER)
        sim.set_status(idx, back, OPEN)
        sim.keep_staffed(idx, back)
        reply = sim.reply_at(idx, back, sim.assignee[idx], first=False)
        sim.keep_staffed(idx, reply)
        sim.say(idx, reply, AGENT, sim.assignee[idx])
        sim.set_status(idx, reply, SOLVED, actor=sim.assignee[idx])
        solved[idx] = reply

    idx = np.flatnonzero(solved >= 0)
    sim.set_status(idx, solved[idx] + _AUTO_CLOSE + rng.integers(0, HOUR, len(idx)), CLOSED)
    return _history(sim, d)


def _until_export(rows: Rows) -> dict[str, np.ndarray]:
    """Rows before END, sorted by ticket then time (ties keep the order they were added in)."""
    cols = rows.pop()
    key = (cols["ticket"].astype(np.int64) << 26) | (cols["at"] - START_S)
    key[cols["at"] >= END_S] = np.iinfo(np.int64).max
    order = np.argsort(key, kind="stable")[: int((cols["at"] < END_S).sum())]
    del key
    return {name: cols.pop(name)[order] for name in list(cols)}


def _per_ticket(
    ticket: np.ndarray, rows: np.ndarray, values: np.ndarray, n: int, *, last: bool
) -> np.ndarray:
    """The value of each ticket's first (or last) selected row, -1 for tickets without one."""
    t, v = ticket[rows], values[rows]
    pick = last_in_group(t) if last else first_in_group(t)
    out = np.full(n, -1, dtype=np.int64)
    out[t[pick]] = v[pick]
    return out


def _history(sim: _Simulation, d: TicketDraw) -> History:
    n = len(d.created)
    m = _until_export(sim.messages)
    e = _until_export(sim.events)
    ticket, at, new = e["ticket"], e["at"], e["new"]
    is_status = e["type"] == STATUS_EVENT
    status = _per_ticket(ticket, is_status, new - STATUS_CODE, n, last=True)
    solve = is_status & (new == SOLVED + STATUS_CODE)
    solved_at = _per_ticket(ticket, solve, at, n, last=True)
    closed_at = _per_ticket(ticket, is_status & (new == CLOSED + STATUS_CODE), at, n, last=True)
    assignee = _per_ticket(ticket, e["type"] == ASSIGNEE_EVENT, new - AGENT_CODE, n, last=True)
    team = _per_ticket(ticket, e["type"] == TEAM_EVENT, new - TEAM_CODE, n, last=True)
    priority = _per_ticket(ticket, e["type"] == PRIORITY_EVENT, new - PRIORITY_CODE, n, last=True)
    reopen = is_status & (e["old"] == SOLVED + STATUS_CODE) & (new == OPEN + STATUS_CODE)
    reply = (m["author"] == AGENT) & m["public"] & ~m["automated"]
    return History(
        messages=m,
        events=e,
        status=status,
        priority=np.where(priority >= 0, priority, d.priority),
        assignee=assignee,
        team=np.where(team >= 0, team, d.team_initial),
        solved_at=np.where(np.isin(status, [SOLVED, CLOSED]), solved_at, -1),
        closed_at=np.where(status == CLOSED, closed_at, -1),
        first_reply=_per_ticket(m["ticket"], reply, m["at"], n, last=False),
        first_agent=_per_ticket(m["ticket"], reply, m["agent"], n, last=False),
        first_solve=_per_ticket(ticket, solve, at, n, last=False),
        reopens=np.bincount(ticket[reopen], minlength=n),
    )
