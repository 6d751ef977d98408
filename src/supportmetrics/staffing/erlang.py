"""Erlang B and Erlang C, vectorised over intervals: waiting probability, service level, ASA,
occupancy, and the fewest agents meeting a target.

Erlang B comes from its recursion B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1)), which never forms a
factorial or a power of the traffic, so it stays finite for any load; Erlang C follows from it:
C(n) = n·B(n) / (n - A·(1 - B(n))) for n > A (1 when n <= A: the queue never empties).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Performance",
    "StaffingError",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "performance",
    "required_agents",
    "service_level",
]

Array = npt.NDArray[np.float64]


class StaffingError(ValueError):
    """A staffing input out of its range; the message names the value and the valid range."""


def _arrays(servers: npt.ArrayLike, traffic: npt.ArrayLike) -> tuple[Array, Array]:
    n, a = np.broadcast_arrays(np.asarray(servers, dtype=np.float64), np.asarray(traffic, float))
    if np.any(a < 0) or np.any(n < 0):
        raise StaffingError("traffic and servers must be 0 or more")
    return n.astype(np.float64), a.astype(np.float64)


def erlang_b(servers: npt.ArrayLike, traffic: npt.ArrayLike) -> Array:
    """Blocking probability of `servers` servers offered `traffic` Erlangs (element-wise)."""
    n, a = _arrays(servers, traffic)
    b = np.ones_like(a)
    top = int(n.max()) if n.size else 0
    for k in range(1, top + 1):
        step = a * b / (k + a * b)
        b = np.where(k <= n, step, b)
    return b


def erlang_c(servers: npt.ArrayLike, traffic: npt.ArrayLike) -> Array:
    """Probability that a contact waits (all `servers` busy) at `traffic` Erlangs; 1 when the
    servers cannot keep up (servers <= traffic) and 0 with no traffic."""
    n, a = _arrays(servers, traffic)
    return _c_from_b(n, a, erlang_b(n, a))


def _c_from_b(n: Array, a: Array, b: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1 - b))
    return np.where(a == 0, 0.0, np.where(n <= a, 1.0, c))


def service_level(
    servers: npt.ArrayLike, traffic: npt.ArrayLike, aht: npt.ArrayLike, within: float
) -> Array:
    """Share of contacts answered within `within` seconds (AHT in seconds)."""
    n, a = _arrays(servers, traffic)
    return _service_level(n, a, erlang_c(n, a), np.asarray(aht, float), within)


def _service_level(n: Array, a: Array, c: Array, aht: Array, within: float) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        level = 1 - c * np.exp(-(n - a) * within / aht)
    return np.where(n <= a, np.where(a == 0, 1.0, 0.0), level)


def average_speed_of_answer(
    servers: npt.ArrayLike, traffic: npt.ArrayLike, aht: npt.ArrayLike
) -> Array:
    """Mean wait in seconds over all contacts (inf when servers <= traffic > 0)."""
    n, a = _arrays(servers, traffic)
    return _asa(n, a, erlang_c(n, a), np.asarray(aht, float))


def _asa(n: Array, a: Array, c: Array, aht: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = c * aht / (n - a)
    return np.where(a == 0, 0.0, np.where(n <= a, np.inf, asa))


@dataclass(frozen=True)
class Performance:
    """What a staffing achieves, per interval."""

    agents: npt.NDArray[np.int64]
    """Agents on the phones (or at the chats), before shrinkage."""
    service_level: Array
    asa: Array
    """Average speed of answer, seconds."""
    occupancy: Array
    """Traffic / busy positions (per chat slot with concurrency)."""
    wait_probability: Array


def performance(
    agents: npt.ArrayLike,
    traffic: npt.ArrayLike,
    aht: npt.ArrayLike,
    within: float,
    concurrency: int = 1,
) -> Performance:
    """Service level, ASA, occupancy and P(wait) of `agents` agents, each taking `concurrency`
    contacts at once (a slot per contact, each slot working at the full AHT)."""
    counts = np.asarray(agents, dtype=np.int64)
    n, a = _arrays(counts * concurrency, traffic)
    c = erlang_c(n, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(n > 0, np.minimum(a / n, 1.0), 0.0)
    return Performance(
        agents=np.broadcast_to(counts, n.shape).copy(),
        service_level=_service_level(n, a, c, np.asarray(aht, float), within),
        asa=_asa(n, a, c, np.asarray(aht, float)),
        occupancy=occupancy,
        wait_probability=c,
    )


def required_agents(
    traffic: npt.ArrayLike,
    aht: npt.ArrayLike,
    *,
    service_level: float | None = None,
    within: float = 20.0,
    asa: float | None = None,
    max_occupancy: float = 1.0,
    concurrency: int = 1,
) -> npt.NDArray[np.int64]:
    """The fewest agents per interval meeting the service level (`service_level` of contacts
    answered within `within` seconds) or the ASA target (seconds), with occupancy at most
    `max_occupancy`; 0 where there is no traffic."""
    _check_targets(service_level, within, asa, max_occupancy, concurrency)
    a = np.atleast_1d(np.asarray(traffic, dtype=np.float64))
    h = np.broadcast_to(np.asarray(aht, dtype=np.float64), a.shape)
    if np.any(a < 0) or not np.all(np.isfinite(a)):
        raise StaffingError("traffic must be a finite number of Erlangs, 0 or more")
    slots = np.zeros(a.shape, dtype=np.int64)
    index = np.flatnonzero(a > 0)
    load, handle, b = a.ravel()[index], h.ravel()[index], np.ones(index.size)
    k = 0
    while index.size:
        k += 1
        b = load * b / (k + load * b)
        stable = (k > load) & (load / k <= max_occupancy + 1e-12)
        if not stable.any():
            continue
        servers = np.full_like(load, k)
        c = _c_from_b(servers, load, b)
        if asa is not None:
            ok = _asa(servers, load, c, handle) <= asa
        else:
            ok = _service_level(servers, load, c, handle, within) >= (service_level or 0.0)
        met = stable & ok
        slots.ravel()[index[met]] = k
        index, load, handle, b = index[~met], load[~met], handle[~met], b[~met]
    agents: npt.NDArray[np.int64] = -(-slots // concurrency)
    return agents.reshape(np.shape(traffic))


def _check_targets(
    level: float | None, within: float, asa: float | None, max_occupancy: float, concurrency: int
) -> None:
    if (level is None) == (asa is None):
        raise StaffingError("give either a service level target or an ASA target, not both")
    if level is not None and not 0 < level < 1:
        raise StaffingError(f"service level {level} must be between 0 and 1 (e.g. 0.8)")
    if within < 0:
        raise StaffingError(f"answer-within {within} s must be 0 or more")
    if asa is not None and asa <= 0:
        raise StaffingError(f"ASA target {asa} s must be more than 0")
    if not 0 < max_occupancy <= 1:
        raise StaffingError(f"max occupancy {max_occupancy} must be in (0, 1] (e.g. 0.85)")
    if concurrency < 1:
        raise StaffingError(f"concurrency {concurrency} must be 1 or more")
