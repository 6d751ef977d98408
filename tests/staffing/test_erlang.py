"""Erlang B/C against published worked examples and an exact rational oracle."""

from __future__ import annotations

from fractions import Fraction
from math import factorial

import numpy as np
import pytest

from supportmetrics.staffing.erlang import (
    StaffingError,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    performance,
    required_agents,
    service_level,
)


def exact_c(n: int, a: int) -> float:
    """Erlang C from its textbook definition, in exact fractions (an independent oracle)."""
    top = Fraction(a**n, factorial(n)) * Fraction(n, n - a)
    return float(top / (sum(Fraction(a**k, factorial(k)) for k in range(n)) + top))


def test_erlangc_r_package_example() -> None:
    """The ErlangC R package (version 0.1.0, CRAN 2024), README: 100 calls in 30 minutes, AHT
    180 s, answer within 20 s. With 14 agents, erlang_c() prints traffic 10, wait probability
    0.1741319, service level 0.88835, ASA 7.83593701177724 s and occupancy 0.7142857;
    calculate_agents() at 80% in 20 s, occupancy at most 0.85 and 30% shrinkage gives 14 agents,
    its first step (11 agents) P(wait) 0.6821182 and service level 0.3896138."""
    assert erlang_c(14, 10.0) == pytest.approx(0.1741319, abs=5e-8)
    assert service_level(14, 10.0, 180, 20) == pytest.approx(0.88835, abs=5e-6)
    assert average_speed_of_answer(14, 10.0, 180) == pytest.approx(7.83593701177724, rel=1e-12)
    assert performance(14, 10.0, 180, 20).occupancy == pytest.approx(0.7142857, abs=5e-8)
    assert erlang_c(11, 10.0) == pytest.approx(0.6821182, abs=5e-8)
    assert service_level(11, 10.0, 180, 20) == pytest.approx(0.3896138, abs=5e-8)
    agents = required_agents(10.0, 180, service_level=0.8, within=20, max_occupancy=0.85)
    assert int(agents) == 14
    assert service_level(13, 10.0, 180, 20) < 0.8  # so 14 is the fewest


def test_westbay_erlang_b_manual_example() -> None:
    """Westbay Engineers' Erlang calculator manual ("How much traffic can a trunk group
    handle?"): 15 lines at 1% blocking carry at most 8.108 Erlangs."""
    assert erlang_b(15, 8.108) == pytest.approx(0.01, abs=5e-6)
    low, high = 1.0, 15.0
    for _ in range(60):  # the most traffic 15 lines carry at 1% blocking, by bisection
        mid = (low + high) / 2
        low, high = (mid, high) if erlang_b(15, mid) <= 0.01 else (low, mid)
    assert low == pytest.approx(8.108, abs=5e-4)


def test_westbay_erlang_c_example() -> None:
    """The inputs of Westbay Engineers' step-by-step Erlang C example: 360 calls per half hour
    of 4 minutes, 55 agents, a 15 s target -> 48 Erlangs, occupancy 48/55. The expected values
    (P(wait) 0.23870, ASA 8.184 s, service level 84.59%) come from the exact-fraction oracle
    below, not from the page."""
    assert erlang_c(55, 48.0) == pytest.approx(exact_c(55, 48), rel=1e-10)
    assert erlang_c(55, 48.0) == pytest.approx(0.23870, abs=5e-6)
    assert average_speed_of_answer(55, 48.0, 240) == pytest.approx(
        exact_c(55, 48) * 240 / 7, rel=1e-10
    )
    assert service_level(55, 48.0, 240, 15) == pytest.approx(0.84588, abs=5e-6)
    assert performance(55, 48.0, 240, 15).occupancy == pytest.approx(48 / 55)


def test_erlang_b_against_its_definition() -> None:
    """Erlang B from its definition, (A^n / n!) / sum_k (A^k / k!), in exact fractions: the
    values every Erlang B table gives for E(5, 2 E) = 0.0367 and E(10, 5 E) = 0.0184."""
    for n, a in ((5, 2), (10, 5), (30, 20)):
        terms = [Fraction(a**k, factorial(k)) for k in range(n + 1)]
        assert erlang_b(n, float(a)) == pytest.approx(float(terms[-1] / sum(terms)), rel=1e-12)
    assert erlang_b(5, 2.0) == pytest.approx(0.0367, abs=5e-5)
    assert erlang_b(10, 5.0) == pytest.approx(0.0184, abs=5e-5)


def test_wolfram_erlang_b_example() -> None:
    """The Wolfram Language documentation of ErlangB: with 30 lines and 25 Erlangs of traffic the
    loss probability is "approximately 0.05"."""
    assert erlang_b(30, 25.0) == pytest.approx(0.05, abs=5e-3)
    assert erlang_b(30, 25.0) > erlang_b(31, 25.0)  # one line more loses less


@pytest.mark.parametrize(("n", "a"), [(2, 1), (7, 5), (25, 20), (60, 48), (120, 100)])
def test_erlang_c_matches_exact_fractions(n: int, a: int) -> None:
    assert erlang_c(n, float(a)) == pytest.approx(exact_c(n, a), rel=1e-10)


def test_large_traffic_is_finite_and_monotone() -> None:
    """800 Erlangs: the factorial form overflows floats; the recursion does not."""
    servers = np.arange(801, 900)
    c = erlang_c(servers, 800.0)
    assert np.all(np.isfinite(c)) and np.all((c > 0) & (c < 1))
    assert np.all(np.diff(c) < 0)
    sl = service_level(servers, 800.0, 300, 20)
    assert np.all(np.diff(sl) > 0)
    need = required_agents(np.array([600.0, 700.0, 800.0]), 300, service_level=0.8, within=20)
    assert np.all(np.diff(need) > 0) and np.all(need > [600, 700, 800])
    assert service_level(need, [600.0, 700.0, 800.0], 300, 20) == pytest.approx(
        [0.8, 0.8, 0.8], abs=0.05
    )


def test_required_agents_is_the_fewest_meeting_every_target() -> None:
    traffic = np.array([0.0, 0.4, 10.0, 48.0])
    need = required_agents(traffic, 240, service_level=0.8, within=15, max_occupancy=0.85)
    assert need[0] == 0
    met = performance(need, traffic, 240, 15)
    fewer = performance(np.maximum(need - 1, 0), traffic, 240, 15)
    assert np.all(met.service_level[1:] >= 0.8) and np.all(met.occupancy <= 0.85)
    assert np.all((fewer.service_level[1:] < 0.8) | (fewer.occupancy[1:] > 0.85))


def test_asa_target_and_occupancy_cap() -> None:
    # 10 Erlangs, AHT 180: ASA 40.4 s with 12 agents, 17.1 s with 13
    assert int(required_agents(10.0, 180, asa=30)) == 13
    assert int(required_agents(10.0, 180, asa=60)) == 12
    # the occupancy cap binds: 10 / 0.7 -> 15 agents
    assert int(required_agents(10.0, 180, asa=60, max_occupancy=0.7)) == 15


def test_chat_concurrency_counts_slots() -> None:
    """Three chats per agent: 14 slots for 80/20 at 10 Erlangs -> 5 agents."""
    assert int(required_agents(10.0, 180, service_level=0.8, within=20, concurrency=3)) == 5
    assert performance(5, 10.0, 180, 20, concurrency=3).occupancy == pytest.approx(10 / 15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_level": 1.2}, "between 0 and 1"),
        ({"service_level": 0.8, "asa": 20}, "not both"),
        ({}, "either"),
        ({"asa": 0}, "more than 0"),
        ({"asa": 10, "max_occupancy": 0}, "max occupancy"),
    ],
)
def test_bad_targets_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(StaffingError, match=message):
        required_agents(10.0, 180, **kwargs)
