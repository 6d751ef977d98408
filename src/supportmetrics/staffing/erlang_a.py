"""Erlang A (the M/M/n+M queue: Poisson arrivals at rate lambda, exponential handle time with
mean AHT, n agents, exponential patience with mean `patience`, abandonment rate theta =
1/patience), vectorised over intervals: P(wait), P(abandon), service level, ASA of answered
contacts, occupancy, and the fewest agents meeting a target.

Method. The offered wait V (how long a contact would wait if it never gave up) has an atom
P(V = 0) = P(N < n) and, for x > 0, the density (Baccelli & Hebuterne 1981; Mandelbaum & Zeltyn,
"The M/M/n+G queue: summary of performance measures", 2009, for exponential patience Garnett,
Mandelbaum & Reiman 2002, "Designing a call center with impatient customers", MSOM 4(3))

    v(x) = P(V > 0) * n mu / S * exp(h(x)),   h(x) = (lambda / theta) (1 - exp(-theta x)) - n mu x.

A contact with offered wait x is answered iff its patience exceeds x (probability exp(-theta x)),
so with g(x) = h(x) - theta x, F = int_0^inf exp(g), F_t = int_0^t exp(g) and
Fx = int_0^inf x exp(g):

    S = 1 + lambda F                   (the queue states' sum, GMR's A(n mu/theta, lambda/theta))
    P(V > 0) = S / (D + S)             (D = 1/ErlangB(n, A) - 1, by D(k) = k/A (1 + D(k-1)))
    P(answered | V > 0) = n mu F / S
    SL(t) = P(V = 0) + P(V > 0) n mu F_t / S
    ASA   = P(V > 0) n mu Fx / S / P(answered)

The integrals are Gauss-Legendre sums over the stretch where exp(g) is within e^-36 of its peak
(g is concave: the stretch's ends come from tangent bounds), scaled by the peak, so nothing
overflows or underflows at any traffic or patience; D is kept as a logarithm. P(wait) is P(V > 0)
(by PASTA: an arrival finds all agents busy). The service level counts every offered contact in
its denominator, abandoned ones included (as the `service_level` metric does by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit, gammaincc, gammaln

from supportmetrics.staffing import erlang
from supportmetrics.staffing.erlang import StaffingError, _check_targets

__all__ = ["MAX_PATIENCE", "Performance", "performance", "required_agents"]

Array = npt.NDArray[np.float64]
MAX_PATIENCE = 1e9
"""Seconds (32 years): beyond it the queue of an understaffed interval outgrows the floats."""
_DROP = 36.0
"""The integrals run where exp(g) is within e^-36 (2e-16) of its peak."""
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)
_PANELS = 2
"""Gauss-Legendre: 2 panels of 24 nodes over the stretch (within 1e-13 of the closed forms)."""


@dataclass(frozen=True)
class Performance(erlang.Performance):
    """What a staffing achieves under Erlang A, per interval. The service level is the share of
    offered contacts (abandoned ones included) answered within the threshold; the ASA is over
    answered contacts (inf when none is answered); occupancy is the carried traffic
    (A (1 - P(abandon))) per busy position (per chat slot with concurrency)."""

    abandon_probability: Array


@dataclass(frozen=True)
class _Measures:
    wait: Array
    answered_within: Array
    abandon: Array
    asa: Array


def _g(x: Array, rate: Array, theta: Array, beta: Array) -> Array:
    """g(x) = (rate/theta)(1 - exp(-theta x)) - beta x."""
    out: Array = -(rate / theta) * np.expm1(-theta * x) - beta * x
    return out


def _stretch(rate: Array, theta: Array, beta: Array) -> tuple[Array, Array, Array]:
    """Where exp(g) is within e^-_DROP of its peak: the ends and the peak's log."""
    with np.errstate(divide="ignore"):
        top = np.where(rate > beta, np.log(rate / beta) / theta, 0.0)
    peak = _g(top, rate, theta, beta)
    curve = theta * np.minimum(rate, beta)
    width = np.sqrt(2 * _DROP / curve)
    slope0 = rate - beta
    with np.errstate(divide="ignore"):
        width = np.where(top > 0, width, np.minimum(width, _DROP / np.abs(slope0)))
    right = top + width
    drop = _g(right, rate, theta, beta) - (peak - _DROP)
    hi = right + np.maximum(drop, 0) / (beta - rate * np.exp(-theta * right))
    left = np.maximum(top - width, 0.0)
    rise = rate * np.exp(-theta * left) - beta
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = left - np.maximum(_g(left, rate, theta, beta) - (peak - _DROP), 0) / rise
    lo = np.where(left > 0, np.maximum(lo, 0.0), 0.0)
    return lo, hi, peak


def _integrals(
    rate: Array, theta: Array, beta: Array, within: float | None
) -> tuple[Array, Array, Array, Array]:
    """exp(-peak) times int_0^inf exp(g), int_0^within exp(g) (0 without `within`) and
    int_0^inf x exp(g), and peak."""
    lo, hi, peak = _stretch(rate, theta, beta)
    args = (rate[:, None], theta[:, None], beta[:, None], peak[:, None])
    full, moment = _gauss(lo, hi, *args, first_moment=True)
    if within is None:
        return full, np.zeros_like(full), moment, peak
    cut = np.clip(np.minimum(within, hi), lo, None)
    part, _ = _gauss(lo, cut, *args, first_moment=False)
    return full, part, moment, peak


def _gauss(
    lo: Array, hi: Array, rate: Array, theta: Array, beta: Array, peak: Array, first_moment: bool
) -> tuple[Array, Array]:
    step = (hi - lo) / _PANELS
    starts = lo[:, None] + step[:, None] * np.arange(_PANELS)
    half = (step / 2)[:, None, None]
    x = (starts[:, :, None] + half * (1 + _NODES)).reshape(lo.size, -1)
    weights = np.broadcast_to(half * _WEIGHTS, (lo.size, _PANELS, _NODES.size)).reshape(lo.size, -1)
    values = np.exp(_g(x, rate, theta, beta) - peak) * weights
    total = values.sum(axis=1)
    return total, ((values * x).sum(axis=1) if first_moment else total)


def _measures(
    slots: Array, traffic: Array, aht: Array, patience: Array, log_d: Array, within: float | None
) -> _Measures:
    """The measures of `slots` servers at `traffic` Erlangs (all > 0), `log_d` = log D (without
    `within`, no service level)."""
    mu, theta = 1 / aht, 1 / patience
    rate = traffic * mu
    served = slots * mu
    full, part, moment, peak = _integrals(rate, theta, served + theta, within)
    with np.errstate(divide="ignore"):
        log_f = np.log(full) + peak
        log_s = np.logaddexp(0.0, np.log(rate) + log_f)
        wait = expit(log_s - log_d)
        ratio = np.where(slots > 0, np.exp(np.log(served) + log_f - log_s), 0.0)
        scale = np.exp(np.log(served) + peak - log_s)
    within_share = scale * part
    answered = 1 - wait * (1 - ratio)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(answered > 0, wait * scale * moment / answered, np.inf)
    return _Measures(wait, 1 - wait + wait * within_share, wait * (1 - ratio), asa)


def _inputs(
    traffic: npt.ArrayLike, aht: npt.ArrayLike, patience: npt.ArrayLike
) -> tuple[Array, Array, Array]:
    a = np.atleast_1d(np.asarray(traffic, dtype=np.float64))
    h = np.broadcast_to(np.asarray(aht, dtype=np.float64), a.shape)
    p = np.broadcast_to(np.asarray(patience, dtype=np.float64), a.shape)
    if np.any(a < 0) or not np.all(np.isfinite(a)):
        raise StaffingError("traffic must be a finite number of Erlangs, 0 or more")
    if np.any(h <= 0) or not np.all(np.isfinite(h)):
        raise StaffingError("AHT must be more than 0 seconds")
    if np.any(p <= 0) or np.any(p > MAX_PATIENCE) or not np.all(np.isfinite(p)):
        raise StaffingError(
            "patience must be more than 0 seconds (e.g. 120 for 2 minutes) and at most 1e9 "
            "(for callers who never hang up, use Erlang C)"
        )
    return a, h, p


def _log_d(slots: Array, traffic: Array) -> Array:
    """log D, D = 1/ErlangB(slots, traffic) - 1 = sum_{i<n} A^i/i! / (A^n/n!) (traffic > 0): the
    Poisson distribution function over its probability, in logs; where the former underflows
    (n far below A), its sum D = sum_i n!/((n-i)! A^i), whose terms fall by n/A or faster."""
    n = np.maximum(slots, 1.0)
    with np.errstate(divide="ignore"):
        below = np.log(gammaincc(n, traffic))
    log_d = below + traffic - n * np.log(traffic) + gammaln(n + 1)
    deep = np.flatnonzero(below < -600)
    if deep.size:
        count, load = n[deep], traffic[deep]
        term = count / load
        total = term.copy()
        for i in range(1, int(count.max())):
            term = term * np.maximum(count - i, 0) / load
            total += term
            if np.all(term <= 1e-17 * total):
                break
        log_d[deep] = np.log(total)
    return np.where(slots > 0, log_d, -np.inf)


def performance(
    agents: npt.ArrayLike,
    traffic: npt.ArrayLike,
    aht: npt.ArrayLike,
    patience: npt.ArrayLike,
    within: float,
    concurrency: int = 1,
) -> Performance:
    """Service level, ASA, occupancy, P(wait) and P(abandon) of `agents` agents (each taking
    `concurrency` contacts at once) at `traffic` Erlangs, AHT and mean patience in seconds."""
    counts, load = np.broadcast_arrays(np.asarray(agents, dtype=np.int64), np.asarray(traffic))
    a, h, p = _inputs(load, aht, patience)
    counts = counts.reshape(a.shape)
    if np.any(counts < 0):
        raise StaffingError("agents must be 0 or more")
    slots = (counts * concurrency).astype(np.float64)
    wait, level, abandon = np.zeros(a.shape), np.ones(a.shape), np.zeros(a.shape)
    asa = np.zeros(a.shape)
    busy = np.flatnonzero(a.ravel() > 0)
    if busy.size:
        n, load = slots.ravel()[busy], a.ravel()[busy]
        found = _measures(n, load, h.ravel()[busy], p.ravel()[busy], _log_d(n, load), within)
        for out, value in (
            (wait, found.wait),
            (level, found.answered_within),
            (abandon, found.abandon),
            (asa, found.asa),
        ):
            out.ravel()[busy] = value
    carried = a * (1 - abandon)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(slots > 0, np.minimum(carried / slots, 1.0), 0.0)
    return Performance(
        agents=counts.copy(),
        service_level=level,
        asa=asa,
        occupancy=occupancy,
        wait_probability=wait,
        abandon_probability=abandon,
    )


def required_agents(
    traffic: npt.ArrayLike,
    aht: npt.ArrayLike,
    patience: npt.ArrayLike,
    *,
    service_level: float | None = None,
    within: float = 20.0,
    asa: float | None = None,
    max_occupancy: float = 1.0,
    concurrency: int = 1,
) -> npt.NDArray[np.int64]:
    """The fewest agents per interval meeting the service level (`service_level` of offered
    contacts answered within `within` seconds) or the ASA target (seconds, of answered contacts),
    with occupancy at most `max_occupancy`; 0 where there is no traffic. The count is found by
    doubling steps and then halving (all intervals at once), which relies on the service level
    rising, and ASA and occupancy falling, with every agent added (as the tests check against
    every smaller count). With a service level target the search starts at
    level x traffic / max occupancy: meeting the level carries at least level x traffic Erlangs
    (answered contacts are at least that share of the offered ones), which the occupancy cap
    needs that many agents for."""
    _check_targets(service_level, within, asa, max_occupancy, concurrency)
    a, h, p = _inputs(traffic, aht, patience)
    slots = np.zeros(a.size, dtype=np.int64)
    busy = np.flatnonzero(a.ravel() > 0)
    load, handle, wait = a.ravel()[busy], h.ravel()[busy], p.ravel()[busy]

    def meets(servers: Array, at: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """Whether `servers` meet the target in the intervals `at` (of the busy ones)."""
        rate, handled, patient = load[at], handle[at], wait[at]
        threshold = None if asa is not None else within
        found = _measures(servers, rate, handled, patient, _log_d(servers, rate), threshold)
        ok = rate * (1 - found.abandon) <= max_occupancy * servers * (1 + 1e-12)
        if asa is not None:
            return ok & (found.asa <= asa)
        return ok & (found.answered_within >= (service_level or 0.0))

    fails = np.zeros(busy.size)  # a count known to fall short: 0, or below the lower bound
    if asa is None and service_level:  # then steps of about the spread of the calls in service
        fails = np.maximum(np.ceil(load * service_level / max_occupancy * (1 - 1e-12)) - 1, 0)
        step = np.ceil(np.sqrt(load))
    else:  # no lower bound: first try as many agents as Erlangs, halving below if they meet
        step = np.maximum(np.round(load), 1.0)
    passes = fails + step
    short = np.flatnonzero(~meets(passes, np.arange(busy.size)))
    while short.size:  # gallop: double the step until the count meets the target
        if step[short].max() > 2.0**40:
            raise StaffingError("no number of agents meets the target at this traffic")
        fails[short] = passes[short]
        step[short] *= 2
        passes[short] += step[short]
        short = short[~meets(passes[short], short)]
    open_ = np.flatnonzero(passes - fails > 1)
    while open_.size:  # bisect: `fails` falls short, `passes` meets
        middle = np.floor((fails[open_] + passes[open_]) / 2)
        ok = meets(middle, open_)
        passes[open_[ok]] = middle[ok]
        fails[open_[~ok]] = middle[~ok]
        open_ = open_[passes[open_] - fails[open_] > 1]
    slots[busy] = passes.astype(np.int64)
    agents: npt.NDArray[np.int64] = -(-slots // concurrency)
    return agents.reshape(np.shape(traffic))
