"""Confidence intervals for aggregated results: t for means, Wilson for shares, NPS variance.

These run on aggregated rows (one per group and period), never on raw rows.
"""

from __future__ import annotations

import math
import re

__all__ = ["STAT", "is_stat", "mean_interval", "nps_interval", "wilson_interval"]

STAT = re.compile(r"^(mean|median|p\d{1,2}(\.\d+)?)$")
"""The statistics a distribution takes: mean, median or a percentile pNN (p90, p99.9)."""


def is_stat(text: str) -> bool:
    """Whether `text` names a statistic (`STAT`)."""
    return STAT.match(text) is not None


Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a share; None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def mean_interval(mean: float, stddev: float | None, n: int) -> tuple[float, float] | None:
    """Student-t interval for a mean from the sample standard deviation; None below 2 values."""
    if n < 2 or stddev is None or math.isnan(stddev):
        return None
    # scipy.special (the t quantile itself) loads in a third of scipy.stats' time; only here
    from scipy.special import stdtrit

    half = stdtrit(n - 1, 0.975) * stddev / math.sqrt(n)
    return float(mean - half), float(mean + half)


def nps_interval(
    promoters: int, detractors: int, n: int, z: float = Z95
) -> tuple[float, float] | None:
    """Interval for NPS (in points, -100..100) from the trinomial variance of promoter/detractor shares."""
    if n <= 0:
        return None
    p, d = promoters / n, detractors / n
    nps = p - d
    variance = (p + d - nps * nps) / n
    half = z * math.sqrt(max(variance, 0.0))
    return 100 * max(-1.0, nps - half), 100 * min(1.0, nps + half)
