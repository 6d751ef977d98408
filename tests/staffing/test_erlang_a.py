"""Erlang A against Erlang C (patience -> infinity), the Poisson case (patience = AHT), the
incomplete-gamma closed forms of Garnett, Mandelbaum & Reiman (2002), a discrete-event
simulation, and at 800 Erlangs."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from scipy.special import betainc, gammainc, gammaln
from scipy.stats import poisson

from supportmetrics.staffing import erlang, erlang_a


def _measures(n: int, traffic: float, aht: float, patience: float, within: float) -> np.ndarray:
    p = erlang_a.performance(n, traffic, aht, patience, within)
    return np.array([p.wait_probability[0], p.abandon_probability[0], p.service_level[0], p.asa[0]])


@pytest.mark.parametrize(("n", "traffic"), [(12, 10.0), (3, 2.5), (110, 100.0)])
def test_long_patience_converges_to_erlang_c(n: int, traffic: float) -> None:
    aht, within = 180.0, 20.0
    wait = erlang.erlang_c(n, traffic)
    expected = np.array(
        [
            wait,
            0.0,
            erlang.service_level(n, traffic, aht, within),
            erlang.average_speed_of_answer(n, traffic, aht),
        ]
    )
    errors = [np.abs(_measures(n, traffic, aht, p, within) - expected) for p in (1e4, 1e6, 1e9)]
    # the gap shrinks with the abandonment rate (about 100 x per 100 x patience) ...
    assert np.all(errors[1] < errors[0] / 50)
    # ... and is gone at a patience of 1e9 s
    assert _measures(n, traffic, aht, 1e9, within) == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize(("n", "traffic"), [(5, 3.0), (20, 25.0), (300, 280.0)])
def test_no_patience_is_erlang_b(n: int, traffic: float) -> None:
    """Callers who hang up at once when all agents are busy: the loss system, P(abandon) =
    P(wait) = Erlang B, and everyone else is answered at once (a mean patience of 1 us: the
    queue holds a caller for about lambda x 1 us, so within 1e-5 of the limit)."""
    p = erlang_a.performance(n, traffic, 180.0, 1e-6, 20.0)
    blocked = erlang.erlang_b(n, traffic)
    assert p.wait_probability[0] == pytest.approx(blocked, rel=1e-5)
    assert p.abandon_probability[0] == pytest.approx(blocked, rel=1e-5)
    assert p.service_level[0] == pytest.approx(1 - blocked, rel=1e-5)
    assert p.asa[0] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(("n", "traffic"), [(10, 9.0), (3, 8.0), (40, 30.0), (800, 790.0)])
def test_patience_equal_to_aht_makes_the_number_in_system_poisson(n: int, traffic: float) -> None:
    """With theta = mu every contact in the system leaves at rate mu, as in M/M/inf: N ~
    Poisson(A); an arrival waits when it finds N >= n, and abandons at rate theta E[(N - n)+]
    over lambda."""
    p = erlang_a.performance(n, traffic, 180.0, 180.0, 20.0)
    k = np.arange(0, int(traffic + 20 * np.sqrt(traffic) + 50))
    queued = (np.maximum(k - n, 0) * poisson.pmf(k, traffic)).sum()
    assert p.wait_probability[0] == pytest.approx(poisson.sf(n - 1, traffic), rel=1e-10)
    assert p.abandon_probability[0] == pytest.approx(queued / traffic, rel=1e-9)
    assert p.occupancy[0] == pytest.approx(traffic * (1 - queued / traffic) / n, rel=1e-10)


def _closed_form(n: int, traffic: float, aht: float, patience: float, t: float) -> np.ndarray:
    """GMR (2002): with x = n mu / theta, y = lambda / theta, A(x, y) = x e^y y^-x gamma(x, y),
    P(W > 0) = A E_B / (1 + (A - 1) E_B), P(Ab | W > 0) = 1 / (rho A) + 1 - 1 / rho, rho = y / x;
    and P(answered within t | W > 0) = P(answered | W > 0) (1 - P(x+1, y e^-theta t) / P(x+1, y))
    (regularised lower incomplete gammas: the offered wait's density, integrated)."""
    x, y = n * patience / aht, traffic * patience / aht
    big_a = np.exp(np.log(x) + y - x * np.log(y) + gammaln(x) + np.log(gammainc(x, y)))
    blocking = erlang.erlang_b(n, traffic)
    wait = big_a * blocking / (1 + (big_a - 1) * blocking)
    abandon = wait * (1 / (y / x * big_a) + 1 - x / y)
    ratio = gammainc(x + 1, y * np.exp(-t / patience)) / gammainc(x + 1, y)
    level = 1 - wait + (wait - abandon) * (1 - ratio)
    return np.array([wait, abandon, level])


@pytest.mark.parametrize(
    ("n", "traffic", "aht", "patience", "t"),
    [
        (10, 9.0, 180, 120, 20),
        (5, 8.0, 300, 60, 20),
        (50, 48.0, 180, 600, 30),
        (100, 120.0, 180, 30, 10),
    ],
)
def test_agrees_with_the_incomplete_gamma_forms(n, traffic, aht, patience, t) -> None:
    got = _measures(n, traffic, aht, patience, t)[:3]
    assert got == pytest.approx(_closed_form(n, traffic, aht, patience, t), abs=1e-11)


@pytest.mark.parametrize(
    ("n", "traffic", "aht", "patience", "t"),
    [(8, 8.0, 240, 90, 20), (20, 25.0, 180, 300, 15), (4, 2.0, 600, 45, 60)],
)
def test_agrees_with_the_queue_positions(n, traffic, aht, patience, t) -> None:
    """The birth-death chain (states n + j, truncated at 3000 queued) and, per queue position
    j found on arrival (a = n mu / theta): answered with chance a / (a + j + 1); within t with
    that times I_{1 - e^-theta t}(j + 1, a + 1) (the sum of exponentials with rates
    n mu + i theta, i = 1..j+1, is a beta order statistic); mean wait when answered
    sum_{i=1..j+1} 1 / (n mu + i theta)."""
    mu, theta = 1 / aht, 1 / patience
    a = n * mu / theta
    j = np.arange(3000)
    log_queue = np.concatenate(
        [[0.0], np.cumsum(np.log(traffic * mu / (n * mu + (j[1:]) * theta)))]
    )
    k = np.arange(n)
    log_below = k * np.log(traffic) - gammaln(k + 1) - n * np.log(traffic) + gammaln(n + 1)
    found = np.exp(log_queue) / (np.exp(log_below).sum() + np.exp(log_queue).sum())
    answered = a / (a + j + 1)
    within = answered * betainc(j + 1, a + 1, -np.expm1(-theta * t))
    wait_if_answered = np.cumsum(1 / (n * mu + (j + 1) * theta))
    answered_share = 1 - (found * (1 - answered)).sum()
    expected = [
        found.sum(),
        (found * (1 - answered)).sum(),
        1 - found.sum() + (found * within).sum(),
        (found * answered * wait_if_answered).sum() / answered_share,
    ]
    assert _measures(n, traffic, aht, patience, t) == pytest.approx(expected, rel=1e-10)


def _simulate(n: int, traffic: float, aht: float, patience: float, t: float, calls: int):
    """First come, first served with n agents: each call takes the first agent free after the
    calls before it that were answered, unless its patience runs out first (abandoned calls
    hold no agent). Returns P(wait), P(abandon), SL and ASA of answered calls, and their
    standard errors from batch means."""
    rng = np.random.default_rng(17)
    arrivals = np.cumsum(rng.exponential(aht / traffic, calls))
    handle = rng.exponential(aht, calls)
    patiences = rng.exponential(patience, calls)
    free = [0.0] * n
    waits = np.empty(calls)
    answered = np.zeros(calls, dtype=bool)
    for i in range(calls):  # the event order is sequential by nature
        start = max(arrivals[i], free[0])
        if start - arrivals[i] <= patiences[i]:
            heapq.heapreplace(free, start + handle[i])
            answered[i] = True
            waits[i] = start - arrivals[i]
        else:
            waits[i] = patiences[i]
    kept = slice(calls // 50, None)  # leave out the warm-up from an empty system
    waits = waits[kept].reshape(20, -1)  # 20 consecutive batches: their spread is the error
    answered = answered[kept].reshape(20, -1)
    answered_waits = np.where(answered, waits, 0).sum(axis=1) / answered.sum(axis=1)
    batches = np.stack(
        [
            (waits > 0).mean(axis=1),
            1 - answered.mean(axis=1),
            (answered & (waits <= t)).mean(axis=1),
            answered_waits,
        ]
    )
    return batches.mean(axis=1), batches.std(axis=1, ddof=1) / np.sqrt(20)


@pytest.mark.parametrize(
    ("n", "traffic", "aht", "patience"),
    [(10, 9.0, 180, 120), (5, 8.0, 300, 60), (30, 27.0, 120, 300)],
)
def test_agrees_with_a_simulation(n, traffic, aht, patience) -> None:
    """392,000 simulated calls (about 1.5 s each setting) after a warm-up: each measure within
    four standard errors (batch means; at most 0.008 for the probabilities, 3.5% of ASA)."""
    simulated, error = _simulate(n, traffic, aht, patience, 20.0, 400_000)
    assert np.all(error[:3] < 0.008) and error[3] < 0.035 * simulated[3]
    computed = _measures(n, traffic, aht, patience, 20.0)
    assert np.all(np.abs(computed - simulated) <= 4 * error)


def test_800_erlangs_stay_finite_and_monotone() -> None:
    agents = np.arange(700, 1001)
    p = erlang_a.performance(agents, 800.0, 180.0, 120.0, 20.0)
    for values in (p.wait_probability, p.abandon_probability, p.service_level, p.asa, p.occupancy):
        assert np.all(np.isfinite(values))
    assert np.all(np.diff(p.wait_probability) < 0)
    assert np.all(np.diff(p.abandon_probability) < 0)
    assert np.all(np.diff(p.service_level) > 0)
    assert np.all(np.diff(p.asa) < 0)
    assert np.all(np.diff(p.occupancy) < 0)
    # understaffed by 100 agents, a ninth of the callers hang up: carried = agents (almost)
    assert p.abandon_probability[0] == pytest.approx(1 - 700 / 800, abs=2e-3)
    assert p.service_level[-1] == pytest.approx(1.0, abs=1e-9)
    # with callers hanging up after 2 minutes on average, fewer agents than Erlang C's answer
    # 80% in 20 s: those who stay wait less, and SL <= answered share <= agents / traffic
    needed = erlang_a.required_agents([800.0, 801.0], 180.0, 120.0, service_level=0.8)
    fewest_c = erlang.required_agents([800.0, 801.0], 180.0, service_level=0.8)
    assert 0.8 * 800 <= needed[0] <= needed[1] < fewest_c[0] <= fewest_c[1]


@pytest.mark.parametrize(
    "target",
    [
        {"service_level": 0.8, "within": 20.0},
        {"service_level": 0.95, "within": 10.0, "max_occupancy": 0.85},
        {"asa": 15.0},
        {"asa": 5.0, "max_occupancy": 0.9},
    ],
)
def test_required_agents_are_the_fewest_meeting_the_target(target) -> None:
    traffic = np.array([0.0, 0.2, 1.5, 7.3, 19.0, 55.0, 140.0])
    aht, patience = 240.0, np.array([60, 60, 90, 30, 300, 120, 45], dtype=float)
    agents = erlang_a.required_agents(traffic, aht, patience, **target)
    assert agents[0] == 0
    within = target.get("within", 20.0)
    cap = target.get("max_occupancy", 1.0)

    def meets(count: np.ndarray) -> np.ndarray:
        p = erlang_a.performance(count, traffic, aht, patience, within)
        ok = p.occupancy <= cap + 1e-12
        if "asa" in target:
            return ok & (p.asa <= target["asa"])
        return ok & (p.service_level >= target["service_level"])

    assert np.all(meets(agents))
    below = np.maximum(agents - 1, 0)
    assert not np.any(meets(below)[1:])
    # no smaller count meets it either
    for fewer in range(int(below.max())):
        assert not np.any(meets(np.minimum(below, fewer))[1:])


@pytest.mark.parametrize("traffic", [0.3, 40.0, 5000.0])
def test_erlang_b_ratio_matches_its_recursion(traffic: float) -> None:
    """log(1/B - 1) from the Poisson distribution function (or its series far below the traffic)
    against D(k) = k/A (1 + D(k-1)) in logs, step by step."""
    top = int(traffic * 1.3) + 5
    recursion, log_d = [], -np.inf
    for k in range(1, top + 1):
        log_d = np.log(k / traffic) + np.logaddexp(0.0, log_d)
        recursion.append(log_d)
    counts = np.arange(1, top + 1, dtype=float)
    direct = erlang_a._log_d(counts, np.full(counts.size, traffic))
    assert direct == pytest.approx(np.array(recursion), rel=1e-9, abs=1e-9)


def test_every_agent_added_helps() -> None:
    """What the required-agents search relies on, over 200 random queues (0.05 to 500 Erlangs,
    AHT 30 s to 20 min, patience 5 s to a day): the service level rises, ASA of answered calls
    and occupancy fall (to rounding, where occupancy is 1 - 1e-12) with each agent added."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        traffic = float(np.exp(rng.uniform(np.log(0.05), np.log(500))))
        aht, patience = rng.uniform(30, 1200), float(np.exp(rng.uniform(np.log(5), np.log(1e5))))
        agents = np.arange(0, int(traffic * 1.6) + 10)
        p = erlang_a.performance(agents, traffic, aht, patience, rng.uniform(0, 120))
        assert np.all(np.diff(p.service_level) >= -1e-12)
        assert np.all(np.diff(p.asa[1:]) <= 1e-9 * p.asa[2:])
        assert np.all(np.diff(p.occupancy[1:]) <= 1e-9)


@pytest.mark.parametrize("patience", [0.0, -3.0, float("nan"), 2e9])
def test_patience_out_of_range_is_refused(patience: float) -> None:
    with pytest.raises(erlang.StaffingError, match="patience must be more than 0 seconds"):
        erlang_a.performance(3, 2.0, 180.0, patience, 20.0)
