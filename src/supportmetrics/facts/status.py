"""A ticket's status history: solves, reopens and the time spent in each status.

History comes from `ticket_events` rows of type `status`. A ticket with none is taken as
created -> (solved at solved_at) -> (closed at closed_at), as the data model says.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis.expr.builders import LegacyWindowBuilder

__all__ = [
    "SOLVED",
    "UNSOLVED",
    "WAIT_STATUSES",
    "flow_events",
    "status_events",
    "status_segments",
    "status_summary",
    "unsolved_segments",
    "with_derived_summary",
]

SOLVED = ("solved", "closed")
UNSOLVED = ("new", "open", "pending", "on_hold")
WAIT_STATUSES = {
    "requester_wait": ("new", "open", "on_hold"),
    "agent_wait": ("pending",),
    "on_hold": ("on_hold",),
}
"""Which statuses each waiting time adds up (spec: requester, agent and on-hold wait)."""


def status_events(tickets: ir.Table, events: ir.Table) -> ir.Table:
    """Every status change: `ticket_id, at, event_id, from_value, to_value`, real or derived
    (without an event id). Changes at the same instant are ordered by event id (`_in_order`)."""
    real = events.filter(events.type == "status").select(
        "ticket_id", "at", "event_id", "from_value", "to_value"
    )
    bare = tickets.anti_join(real, "ticket_id")
    solve_at = bare.solved_at.coalesce(bare.closed_at)
    solved = bare.filter(solve_at.notnull()).select(
        "ticket_id",
        at=solve_at,
        event_id=ibis.null("string"),
        from_value=ibis.literal("open"),
        to_value=ibis.ifelse(bare.solved_at.isnull(), "closed", "solved"),
    )
    closed = bare.filter(bare.solved_at.notnull() & bare.closed_at.notnull()).select(
        "ticket_id",
        at=bare.closed_at,
        event_id=ibis.null("string"),
        from_value=ibis.literal("solved"),
        to_value=ibis.literal("closed"),
    )
    return real.union(solved).union(closed)


def _in_order(history: ir.Table) -> LegacyWindowBuilder:
    """Each ticket's status changes in time order; at one instant, by event id (exports number
    events as they happened), so every reading of the history takes ties alike."""
    return ibis.window(group_by=history.ticket_id, order_by=[history.at, history.event_id])


def _order_key(history: ir.Table) -> ir.StructValue:
    """What `_in_order` orders a ticket's changes by, as one value for `argmin` and `argmax`."""
    return ibis.struct({"at": history.at, "event_id": history.event_id})


def status_summary(events: ir.Table, **counts: ir.Value) -> ir.Table:
    """Per ticket with events: first and last solve, reopens and the last status its status
    changes reach (the last in `_in_order`; `status_changes` counts them), with `counts`
    (aggregates over all its events), in one pass over `events`.

    A solve is a change into solved/closed from anything else (solved -> closed is not a second
    solve); a reopen is a change from solved/closed to an unsolved status. A ticket without status
    changes is summarised by `with_derived_summary`.
    """
    status = events.type == "status"
    was_solved = events.from_value.isin(SOLVED)
    is_solve = status & events.to_value.isin(SOLVED) & (events.from_value.isnull() | ~was_solved)
    is_reopen = status & was_solved & events.to_value.isin(UNSOLVED)
    return events.group_by("ticket_id").aggregate(
        first_solved_at=events.at.min(where=is_solve),
        last_solve_event_at=events.at.max(where=is_solve),
        reopens=events.count(where=is_reopen),
        history_status=events.to_value.argmax(_order_key(events), where=status),
        **counts,
        status_changes=events.count(where=status),
    )


def with_derived_summary(facts: ir.Table) -> ir.Table:
    """`facts` (tickets left-joined to `status_summary`) with, for a ticket without status
    changes, the summary of the history `status_events` derives for it: solved at `solved_at`
    (else `closed_at`), never reopened, last in closed when closed after that solve, else solved
    (closed at the solve itself: solved, the change `status_events` lists first). Drops
    `status_changes`."""
    bare = facts.status_changes.coalesce(0) == 0
    solve_at = facts.solved_at.coalesce(facts.closed_at)
    closed_last = facts.closed_at.notnull() & (
        facts.solved_at.isnull() | (facts.closed_at > facts.solved_at)
    )
    derived = ibis.cases((closed_last, "closed"), (facts.solved_at.notnull(), "solved"), else_=None)
    return facts.mutate(
        first_solved_at=ibis.ifelse(bare, solve_at, facts.first_solved_at),
        last_solve_event_at=ibis.ifelse(bare, solve_at, facts.last_solve_event_at),
        history_status=ibis.ifelse(bare, derived, facts.history_status),
    ).drop("status_changes")


def status_segments(history: ir.Table, facts: ir.Table) -> ir.Table:
    """Stretches of time a solved ticket spent in one status, up to its last solve.

    `facts` gives per ticket `created_at` and `last_solved_at`. Before its first change a ticket
    is in that change's from-status (else new). Returns `ticket_id, status, start, end` with end
    clipped at the last solve.
    """
    solved = facts.filter(facts.last_solved_at.notnull()).select(
        "ticket_id", "created_at", "last_solved_at"
    )
    history = history.semi_join(solved, "ticket_id")
    window = _in_order(history)
    changes = history.mutate(next_at=history.at.lead().over(window))
    starts = history.group_by("ticket_id").aggregate(
        first_status_at=history.at.min(),
        initial_status=history.from_value.argmin(_order_key(history)),
    )
    solved = solved.left_join(starts, "ticket_id").drop("ticket_id_right")
    later = changes.join(solved, "ticket_id").select(
        "ticket_id",
        status=changes.to_value,
        start=changes.at,
        end=changes.next_at.coalesce(solved.last_solved_at),
        cutoff=solved.last_solved_at,
    )
    first = solved.select(
        "ticket_id",
        status=solved.initial_status.coalesce("new"),
        start=solved.created_at,
        end=solved.first_status_at.coalesce(solved.last_solved_at),
        cutoff=solved.last_solved_at,
    )
    segments = later.union(first)
    end = ibis.least(segments.end, segments.cutoff)
    return segments.filter(segments.start < end).select("ticket_id", "status", "start", end=end)


def unsolved_segments(history: ir.Table, tickets: ir.Table) -> ir.Table:
    """Each stretch of time a ticket was unsolved, as long as it lasted: `ticket_id, start, end`
    (end null: still open).

    From creation the ticket is unsolved until its first change; after each change it is unsolved
    when the new status is. A stretch runs from a change into unsolved (or the creation) to the
    next change into solved/closed, across the unsolved statuses in between (one row per ticket
    and reopen, not per change: the same moments open, fewer rows).
    """
    unsolved = ~history.to_value.isin(SOLVED)
    window = _in_order(history)
    changes = history.select(
        "ticket_id",
        "at",
        unsolved=unsolved,
        before=unsolved.lag().over(window),
        seq=ibis.row_number().over(window) + 1,
    )
    # A change flips the state when it differs from the one before it; before the first change
    # the ticket is unsolved from its creation (when that is earlier), else not yet open.
    later = changes.filter(changes.before.notnull() & (changes.before != changes.unsolved))
    first = changes.filter(changes.before.isnull())
    first = tickets.select("ticket_id", "created_at").left_join(first, "ticket_id")
    created_first = first.at.isnull() | (first.created_at < first.at)
    flips = (
        later.select("ticket_id", "at", "unsolved", "seq")
        .union(
            first.filter(created_first).select(
                "ticket_id",
                at=first.created_at,
                unsolved=ibis.literal(True),
                seq=ibis.literal(0, "int64"),
            )
        )
        .union(
            first.filter(first.at.notnull() & (first.unsolved != created_first)).select(
                "ticket_id", "at", "unsolved", "seq"
            )
        )
    )
    following = ibis.window(group_by=flips.ticket_id, order_by=flips.seq)
    stretches = flips.select(
        "ticket_id", "unsolved", start=flips.at, end=flips.at.lead().over(following)
    )
    stretches = stretches.filter(stretches.unsolved).drop("unsolved")
    return stretches.filter(stretches.end.isnull() | (stretches.end > stretches.start))


def flow_events(history: ir.Table, tickets: ir.Table) -> ir.Table:
    """Backlog inflow and outflow: `ticket_id, at, change` with change created, reopened or solved."""
    was_solved = history.from_value.isin(SOLVED)
    now_solved = history.to_value.isin(SOLVED)
    change = ibis.cases(
        (now_solved & (history.from_value.isnull() | ~was_solved), "solved"),
        (was_solved & ~now_solved, "reopened"),
        else_=None,
    )
    moves = history.select("ticket_id", "at", change=change).filter(lambda t: t.change.notnull())
    created = tickets.select("ticket_id", at=tickets.created_at, change=ibis.literal("created"))
    return moves.union(created)
