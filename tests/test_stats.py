"""Confidence intervals: hand-computed values and scipy.stats as the reference."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as reference

from supportmetrics.stats import mean_interval, wilson_interval


def test_mean_interval_of_ten_values() -> None:
    # t(0.975, 9) = 2.2621571627; half width = 2.2621571627 * 2 / sqrt(10)
    low, high = mean_interval(10.0, 2.0, 10)
    assert low == pytest.approx(10 - 1.4307138, abs=1e-6)
    assert high == pytest.approx(10 + 1.4307138, abs=1e-6)


def test_mean_interval_needs_two_values() -> None:
    assert mean_interval(5.0, None, 1) is None
    assert mean_interval(5.0, math.nan, 3) is None


@given(st.integers(2, 100_000), st.floats(0.01, 1e6))
def test_mean_interval_matches_the_student_t_quantile(n: int, stddev: float) -> None:
    half = reference.t.ppf(0.975, n - 1) * stddev / math.sqrt(n)
    low, high = mean_interval(0.0, stddev, n)
    assert high == pytest.approx(half, rel=1e-9)
    assert low == pytest.approx(-half, rel=1e-9)


def test_wilson_interval_worked_example() -> None:
    # 8 of 10: centre (0.8 + 1.96²/20) / (1 + 1.96²/10), the textbook 0.4902 to 0.9433
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
