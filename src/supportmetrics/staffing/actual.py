"""Actual staffing per interval: the agents logged in and available (agent_availability), beside
the agents an interval needs.

Per local interval, available agents = the seconds of `available` stretches overlapping it / its
length (two agents for half of a half hour: one agent). Paused stretches are left out; a stretch
still open (no `ended_at`) lasts to the data's last timestamp. Stretches and intervals meet on the
local wall clock, as the query API's periods do. Computed in the engine: the intervals as a small
table, joined to the stretches on overlap, the overlap seconds summed per interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from supportmetrics.localtime import local_timestamp

if TYPE_CHECKING:
    from supportmetrics.engine import Engine

__all__ = ["AVAILABILITY_FILTERS", "available_agents", "with_actual"]

AVAILABILITY_FILTERS = {"queue": "queue", "agent": "agent_id", "agent_id": "agent_id"}
"""The `--where` names that filter agent_availability too (name -> its column); under any other
filter the agents available are unknown (null)."""


def available_agents(
    engine: Engine,
    periods: Sequence[str],
    seconds: int,
    where: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, float] | None:
    """Agents available per local interval starting at each label of `periods` (`seconds` long):
    None when the workspace has no agent_availability or a filter does not apply to it."""
    chosen = dict(where or {})
    stretches = engine.table("agent_availability")
    if any(name not in AVAILABILITY_FILTERS for name in chosen) or not _any(engine, stretches):
        return None
    if not periods:
        return {}
    for name, values in chosen.items():
        stretches = stretches.filter(stretches[AVAILABILITY_FILTERS[name]].isin(list(values)))
    data_end = ibis.literal(engine.bounds()[1], "timestamp")
    stretches = stretches.filter(stretches.state.coalesce("available") == "available")
    stretches = stretches.mutate(__until=stretches.ended_at.coalesce(data_end))
    local = local_timestamp(
        stretches, {"__from_local": "started_at", "__to_local": "__until"}, engine.offsets()
    )
    begins = local.__from_local.epoch_seconds().cast("int64")
    ends = local.__to_local.epoch_seconds().cast("int64")
    starts = [int(_epoch(p)) for p in periods]
    low, high = min(starts), max(starts) + seconds
    spans = local.select(__s=begins, __e=ends)
    spans = spans.filter((spans.__e > low) & (spans.__s < high) & (spans.__e > spans.__s))
    slots = ibis.memtable({"period": list(periods), "__a": starts}).mutate(
        __b=lambda t: t.__a + seconds
    )
    pairs = spans.join(slots, [spans.__s < slots.__b, spans.__e > slots.__a])
    overlap = ibis.least(pairs.__e, pairs.__b) - ibis.greatest(pairs.__s, pairs.__a)
    summed = pairs.group_by("period").aggregate(__seconds=overlap.sum())
    found = engine.arrow(summed).to_pydict()
    by_period = dict(zip(found["period"], found["__seconds"], strict=True))
    return {p: (by_period.get(p) or 0) / seconds for p in periods}


def with_actual(
    engine: Engine,
    rows: list[dict[str, Any]],
    seconds: int,
    where: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """`rows` (staffing rows with `period` and `agents`) with `available_agents` and
    `over_under` (available - required agents, before shrinkage); both null when the agents
    available are unknown."""
    actual = available_agents(engine, [r["period"] for r in rows], seconds, where)
    out = []
    for row in rows:  # the staffing rows: one per interval, already in memory
        have = None if actual is None else round(actual[row["period"]], 4)
        gap = None if have is None else round(have - row["agents"], 4)
        out.append(row | {"available_agents": have, "over_under": gap})
    return out


def _any(engine: Engine, stretches: ir.Table) -> bool:
    return bool(engine.arrow(stretches.limit(1).select("agent_id")).num_rows)


def _epoch(label: str) -> float:
    """Seconds from 1970 of a local wall time label, read as if UTC (as `epoch_seconds` reads
    the local timestamps)."""
    return (datetime.fromisoformat(label) - datetime(1970, 1, 1)).total_seconds()
