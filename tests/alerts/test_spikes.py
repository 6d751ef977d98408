"""The seasonal baseline and the departure rule on hand-computed series."""

from __future__ import annotations

import math

import numpy as np
import pytest

from supportmetrics.alerts.settings import SpikeAlert
from supportmetrics.alerts.spikes import departures, seasonal_baseline


def _alert(**settings: object) -> SpikeAlert:
    return SpikeAlert(kind="spike", **settings)  # type: ignore[arg-type]


def test_median_and_mad_of_the_same_slot_in_earlier_weeks() -> None:
    # one slot per "week" (lag 1), three weeks of history
    values = np.array([[10.0, 12.0, 11.0, 30.0, 9.0]])
    median, mad = seasonal_baseline(values, lag=1, weeks=3)
    # index 3: history 11, 12, 10 -> median 11, deviations 0, 1, 1 -> MAD 1
    # index 4: history 30, 11, 12 -> median 12, deviations 18, 1, 0 -> MAD 1 (the spike moves neither)
    assert median[0, 3:].tolist() == [11.0, 12.0]
    assert mad[0, 3:].tolist() == [1.0, 1.0]
    assert np.isnan(median[0, :3]).all()  # fewer than three earlier weeks: no baseline


def test_the_lag_picks_the_same_weekday() -> None:
    # two slots per week (lag 2): slot A is 100, slot B is 10, every week
    values = np.array([[100.0, 10.0] * 4])
    median, _ = seasonal_baseline(values, lag=2, weeks=3)
    assert median[0, 6:].tolist() == [100.0, 10.0]


def test_missing_periods_are_left_out_of_the_baseline() -> None:
    values = np.array([[10.0, np.nan, 14.0, 12.0, 50.0]])
    median, _ = seasonal_baseline(values, lag=1, weeks=4)
    # index 4: history 12, 14, (nan), 10 -> median of three values, 12
    assert median[0, 4] == 12.0


def test_departure_uses_the_robust_score_with_a_poisson_floor_for_counts() -> None:
    values = np.array([[10.0, 12.0, 11.0, 30.0, 9.0]])
    median, mad = seasonal_baseline(values, lag=1, weeks=3)
    z, firing = departures(values, median, mad, _alert(threshold=5, min_value=10), counts=True)
    # index 3: spread max(1.4826 * 1, sqrt(11)) = 3.3166; z = 19 / 3.3166 = 5.729
    assert z[0, 3] == pytest.approx(19 / math.sqrt(11))
    # index 4: (9 - 12) / sqrt(12)
    assert z[0, 4] == pytest.approx(-3 / math.sqrt(12))
    assert firing[0].tolist() == [False, False, False, True, False]
    # not counts: the spread is 1.4826 x MAD, so z = 19 / 1.4826
    z, _ = departures(values, median, mad, _alert(), counts=False)
    assert z[0, 3] == pytest.approx(19 / 1.4826)


def test_direction_min_change_and_min_value_gate_the_alarm() -> None:
    values = np.array([[100.0, 100.0, 100.0, 20.0]])
    median, mad = seasonal_baseline(values, lag=1, weeks=3)  # median 100, MAD 0, spread 10
    _, both = departures(values, median, mad, _alert(), counts=True)
    _, up = departures(values, median, mad, _alert(direction="up"), counts=True)
    _, small = departures(values, median, mad, _alert(min_change=0.9), counts=True)
    _, tiny = departures(values, median, mad, _alert(min_value=101), counts=True)
    assert (both[0, 3], up[0, 3], small[0, 3], tiny[0, 3]) == (True, False, False, False)
