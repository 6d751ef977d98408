"""Agent availability: the stretches phone agents were logged in, derived from the calls they took.

Each agent is logged in from 20 minutes before the first call they answer on a (UTC) day to 20
minutes after the last one ends; a shift longer than five hours has a 30-minute paused lunch in its
middle.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._columns import ids

__all__ = ["make_availability"]

_MARGIN_US = 20 * 60 * 1_000_000
_LUNCH_US = 30 * 60 * 1_000_000
_LONG_US = 5 * 3600 * 1_000_000
_DAY_US = 86400 * 1_000_000


def _micros(column: pa.ChunkedArray) -> np.ndarray:
    return pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()


def make_availability(calls: pa.Table) -> pa.Table:
    """One row per available or paused stretch (see the module docstring)."""
    answered = calls.filter(
        pc.and_(pc.equal(calls["outcome"], "answered"), pc.is_valid(calls["agent_id"]))
    )
    start = _micros(answered["answered_at"])
    ended = pc.coalesce(answered["ended_at"], answered["answered_at"])
    shifts = (
        pa.table(
            {
                "agent_id": answered["agent_id"],
                "day": pa.array(start // _DAY_US),
                "first": pa.array(start),
                "last": pa.array(_micros(ended)),
            }
        )
        .group_by(["agent_id", "day"])
        .aggregate([("first", "min"), ("last", "max")])
        .sort_by([("agent_id", "ascending"), ("day", "ascending")])
    )
    agent = shifts["agent_id"].to_numpy(zero_copy_only=False).astype(object)
    begin = shifts["first_min"].to_numpy() - _MARGIN_US
    finish = shifts["last_max"].to_numpy() + _MARGIN_US
    long = (finish - begin) > _LONG_US
    lunch = begin + (finish - begin) // 2
    pieces = [  # (agent, start, end, state) of whole shifts, and of the three parts of long ones
        (agent[~long], begin[~long], finish[~long], "available"),
        (agent[long], begin[long], lunch[long], "available"),
        (agent[long], lunch[long], lunch[long] + _LUNCH_US, "paused"),
        (agent[long], lunch[long] + _LUNCH_US, finish[long], "available"),
    ]
    agents = np.concatenate([p[0] for p in pieces])
    starts = np.concatenate([p[1] for p in pieces])
    ends = np.concatenate([p[2] for p in pieces])
    states = np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in pieces])
    order = np.lexsort((starts, agents))
    count = len(order)
    return pa.table(
        {
            "availability_id": ids("AV", count),
            "agent_id": pa.array(agents[order], pa.string()),
            "started_at": pa.array(starts[order], pa.timestamp("us", tz="UTC")),
            "ended_at": pa.array(ends[order], pa.timestamp("us", tz="UTC")),
            "state": pa.array(states[order], pa.string()),
            "queue": pa.nulls(count, pa.string()),
        }
    )
