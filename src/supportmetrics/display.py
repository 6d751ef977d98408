"""Values as people read them, one set of rules for the command line, the API and the pages.

A value is shown by its metric's unit (`Metric.unit`):

| unit | value | change | interval |
|---|---|---|---|
| share (0-1) | ``69.7%`` | ``+5.6 pts`` (percentage points) | ``66.7% ~ 72.6%`` |
| percent (0-100) | ``69.7%`` | ``+5.6 pts`` | ``66.7% ~ 72.6%`` |
| points (NPS, -100..100) | ``+5`` | ``+7.9 pts`` | ``-3 ~ +12`` |
| seconds | ``1h 35m`` | ``-12m 30s`` (in the unit) | ``1h 35m ~ 1h 52m`` |
| count | ``20,000`` | ``+8.8%`` (relative; in the unit when there was none before) | like the value |
| amount | ``12,345.00`` | ``+3.2%`` (relative, as for counts) | like the value |
| score (CES) | ``5.23`` | ``+0.12`` (in the unit) | like the value |

Shares and percents change in points because a relative change of a rate ("+8.8%" from 64.1% to
69.7%) is easily misread as points; counts and amounts change relatively because their size depends
on the range; durations and scores change in their own unit, which reads directly.

A change's colour follows the metric's direction (`change_class`): up is good for `higher`, bad for
`lower`, and neither for a metric without a direction (a volume drop is not bad by itself).

An interval's bounds are joined by an en dash with spaces (shown as ``~`` above).
`FILTERS` are the same functions under the names the dashboard's templates use.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "CHANGE_KIND",
    "DASH",
    "FILTERS",
    "change_class",
    "human",
    "human_change",
    "human_count",
    "human_duration",
    "human_interval",
]

DASH = " \N{EN DASH} "
"""Between an interval's bounds."""
CHANGE_KIND: dict[str, str] = {
    "share": "points",
    "percent": "points",
    "points": "points",
    "seconds": "unit",
    "score": "unit",
    "count": "relative",
    "amount": "relative",
}
"""How a change of each unit is shown: in percentage points, in the unit, or relative (percent)."""


def human_duration(seconds: float) -> str:
    """A duration in its two largest parts: 45s, 3m 05s, 1h 35m, 2d 03h."""
    sign, seconds = ("-" if round(seconds) < 0 else ""), round(abs(seconds))
    if seconds < 60:
        return f"{sign}{seconds}s"
    if seconds < 3600:
        return f"{sign}{int(seconds // 60)}m {int(seconds % 60):02d}s"
    if seconds < 86400:
        return f"{sign}{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"
    return f"{sign}{int(seconds // 86400)}d {int(seconds % 86400 // 3600):02d}h"


def human_count(value: float) -> str:
    """A count with thousands separators (a fractional one, such as a mean count, to 2 decimals)."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _signed(number: float, decimals: int, suffix: str = "") -> str:
    """`number` to `decimals` with its sign (+ for positive, none for a zero after rounding)."""
    text = f"{abs(number):,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        return text + suffix
    return ("+" if number > 0 else "-") + text + suffix


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def human(value: Any, unit: str) -> str:
    """`value` in `unit` for the screen ("" for no value)."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "seconds":
        return human_duration(float(value))
    if unit == "share":
        return f"{100 * float(value):.1f}%"
    if unit == "percent":
        return f"{float(value):.1f}%"
    if unit == "points":
        return _signed(float(value), 0)
    if unit == "count":
        return human_count(value)
    if unit in ("score", "amount"):
        return f"{float(value):,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def human_change(change: float | None, unit: str, previous: float | None = None) -> str:
    """The change from `previous` to a value (`change` = value - previous), signed, as
    `CHANGE_KIND` says for `unit` ("" for no change)."""
    if change is None or math.isnan(change):
        return ""
    kind = CHANGE_KIND.get(unit, "unit")
    if kind == "points":
        return _signed(100 * change if unit == "share" else change, 1, " pts")
    if kind == "relative" and previous and not math.isnan(previous):
        return _signed(100 * change / abs(previous), 1, "%")
    shown = human(abs(change), unit)
    return shown if float(change) == 0 else ("+" if change > 0 else "-") + shown


def human_interval(low: float | None, high: float | None, unit: str) -> str:
    """A confidence interval, each bound shown like the value ("" when there is none)."""
    if _missing(low) or _missing(high):
        return ""
    return f"{human(low, unit)}{DASH}{human(high, unit)}"


def change_class(change: float | None, better: str | None) -> str:
    """The class a change is drawn with: good, bad, or neutral (no change, no direction)."""
    if change is None or math.isnan(change) or change == 0 or better not in ("higher", "lower"):
        return "neutral"
    return "good" if (change > 0) == (better == "higher") else "bad"


FILTERS: dict[str, Callable[..., str]] = {
    "human": human,
    "human_change": human_change,
    "interval": human_interval,
    "change_class": change_class,
    "thousands": human_count,
}
"""Jinja filters: ``{{ value|human(unit) }}``, ``{{ change|human_change(unit, previous) }}``,
``{{ low|interval(high, unit) }}``, ``{{ change|change_class(better) }}``, ``{{ n|thousands }}``."""
