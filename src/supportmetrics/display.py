"""Values as people read them: durations in d/h/m/s, shares in percent, counts with separators."""

from __future__ import annotations

from typing import Any

__all__ = ["human", "human_change"]


def _duration(seconds: float) -> str:
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.0f}s"
    if seconds < 3600:
        return f"{sign}{int(seconds // 60)}m {int(seconds % 60):02d}s"
    if seconds < 86400:
        return f"{sign}{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"
    return f"{sign}{int(seconds // 86400)}d {int(seconds % 86400 // 3600):02d}h"


def human(value: Any, unit: str) -> str:
    """`value` in `unit` for the screen ("" for no value)."""
    if value is None:
        return ""
    if unit == "seconds":
        return _duration(float(value))
    if unit == "share":
        return f"{100 * float(value):.1f}%"
    if unit == "percent":
        return f"{float(value):.1f}%"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def human_change(change: float | None, unit: str) -> str:
    """A change between two values, signed (shares change in percentage points)."""
    if change is None:
        return ""
    if unit == "share":
        return f"{100 * change:+.1f} pts"
    sign = "+" if change >= 0 else "-"
    return sign + human(abs(change), unit)
