"""Mean patience of callers from the workspace's calls, for Erlang A.

With exponential patience (rate theta), each offered call waits until it is answered or ends
unanswered: an abandoned call shows its patience (queued_at -> ended_at), an answered or timed-out
call only that its patience was longer than its wait (censored). The maximum-likelihood estimate
is then theta = abandoned calls / total waiting seconds of all offered calls, and the mean patience
1/theta. The calls are the `abandonment_rate` metric's offered calls (inbound, answered, abandoned
or timed out; short abandons under its threshold left out), their waits those of the call facts
(docs/metrics.md, Contact center); calls without a known wait are left out of both sums.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from supportmetrics.staffing.erlang import StaffingError

if TYPE_CHECKING:
    from supportmetrics.staffing.reader import Reader
    from supportmetrics.staffing.requirements import Targets

__all__ = ["Patience", "estimate_patience", "with_patience"]


@dataclass(frozen=True)
class Patience:
    """The estimate and what it rests on."""

    seconds: float
    """Mean patience: total waiting seconds / abandoned calls."""
    abandoned: int
    calls: int
    """Offered calls with a known wait."""
    waiting_seconds: float


def estimate_patience(
    ws: Reader,
    start: date | None = None,
    end: date | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> Patience:
    """The maximum-likelihood mean patience over the range and filters, in one aggregate query."""
    from supportmetrics.query import Query, population

    query = Query("abandonment_rate", start=start, end=end, where=dict(where or {}))
    engine = ws.engine()
    rows = population(engine, query).rows
    rows = rows.filter(rows.wait_seconds.notnull())
    totals = rows.aggregate(
        calls=rows.count(),
        abandoned=rows._value.cast("int64").sum(),
        waiting=rows.wait_seconds.cast("float64").sum(),
    )
    found = engine.arrow(totals).to_pylist()[0]
    abandoned, waiting = int(found["abandoned"] or 0), float(found["waiting"] or 0.0)
    if not abandoned or waiting <= 0:
        what = "no abandoned calls" if not abandoned else "no waiting time"
        raise StaffingError(
            f"cannot estimate the callers' patience: {what} among the {found['calls']} offered "
            "calls in the range; give --patience SECONDS or widen the range"
        )
    return Patience(waiting / abandoned, abandoned, int(found["calls"]), waiting)


def with_patience(
    ws: Reader,
    targets: Targets,
    start: date | None,
    end: date | None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> Targets:
    """`targets` with the patience estimated from the calls where Erlang A needs one."""
    if targets.model != "erlang_a" or targets.patience is not None:
        return targets
    return dataclasses.replace(targets, patience=estimate_patience(ws, start, end, where).seconds)
