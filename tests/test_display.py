"""The formatting rules every interface shows values with (`supportmetrics.display`)."""

from __future__ import annotations

import pytest

from supportmetrics.display import change_class, human, human_change, human_interval

VALUES = [
    # percents and shares: one decimal
    (0.697, "share", "69.7%"),
    (0.05, "share", "5.0%"),
    (69.7, "percent", "69.7%"),
    (64.1234, "percent", "64.1%"),
    # NPS: a signed whole score
    (5.0, "points", "+5"),
    (-2.93, "points", "-3"),
    (0.2, "points", "0"),
    # durations
    (42, "seconds", "42s"),
    (59.6, "seconds", "1m 00s"),
    (185, "seconds", "3m 05s"),
    (5700, "seconds", "1h 35m"),
    (7265.0, "seconds", "2h 01m"),
    (183600, "seconds", "2d 03h"),
    # counts: thousands separators, fractional counts (means) to 2 decimals
    (20000, "count", "20,000"),
    (20000.0, "count", "20,000"),
    (2.345, "count", "2.35"),
    # scores and amounts
    (5.234, "score", "5.23"),
    (12345.5, "amount", "12,345.50"),
    (None, "share", ""),
    (float("nan"), "seconds", ""),
]


@pytest.mark.parametrize(("value", "unit", "shown"), VALUES)
def test_values(value: float | None, unit: str, shown: str) -> None:
    assert human(value, unit) == shown


CHANGES = [
    # shares and percents change in points (64.1% -> 69.7%), never as a relative percent
    (0.697 - 0.641, 0.641, "share", "+5.6 pts"),
    (69.7 - 64.1, 64.1, "percent", "+5.6 pts"),
    (-0.0004, 0.5, "share", "0.0 pts"),
    # NPS in points
    (7.9, -2.9, "points", "+7.9 pts"),
    # durations and scores in their unit
    (-750, 6450, "seconds", "-12m 30s"),
    (3600, 3600, "seconds", "+1h 00m"),
    (0.12, 5.1, "score", "+0.12"),
    # counts and amounts relatively, in the unit when there was nothing before
    (1618, 18382, "count", "+8.8%"),
    (-500, 2000, "count", "-25.0%"),
    (20000, 0, "count", "+20,000"),
    (20000, None, "count", "+20,000"),
    (-320.0, 10000.0, "amount", "-3.2%"),
    (None, 0.5, "share", ""),
]


@pytest.mark.parametrize(("change", "previous", "unit", "shown"), CHANGES)
def test_changes(change: float | None, previous: float | None, unit: str, shown: str) -> None:
    assert human_change(change, unit, previous) == shown


INTERVALS = [  # ~ stands for the en dash
    (0.66657, 0.72574, "share", "66.7% ~ 72.6%"),
    (66.6572, 72.5736, "percent", "66.7% ~ 72.6%"),
    (5700, 6720, "seconds", "1h 35m ~ 1h 52m"),
    (-3.2, 12.4, "points", "-3 ~ +12"),
    (1200, 1500.0, "count", "1,200 ~ 1,500"),
    (None, 3.0, "score", ""),
]


@pytest.mark.parametrize(("low", "high", "unit", "shown"), INTERVALS)
def test_intervals(low: float | None, high: float | None, unit: str, shown: str) -> None:
    assert human_interval(low, high, unit) == shown.replace("~", "\N{EN DASH}")


@pytest.mark.parametrize(
    ("change", "better", "drawn"),
    [
        (5.6, "higher", "good"),
        (-5.6, "higher", "bad"),
        (-120, "lower", "good"),
        (120, "lower", "bad"),
        (-500, None, "neutral"),  # a volume drop is not bad unless the metric says so
        (500, None, "neutral"),
        (0, "higher", "neutral"),
        (None, "lower", "neutral"),
    ],
)
def test_change_colour_follows_the_direction(
    change: float | None, better: str | None, drawn: str
) -> None:
    assert change_class(change, better) == drawn
