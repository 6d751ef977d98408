"""Elapsed time between two timestamps, the same on every backend."""

from __future__ import annotations

import ibis.expr.types as ir

__all__ = ["elapsed_seconds"]


def elapsed_seconds(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Exact seconds from start to end, fractions included: the difference of the epoch seconds
    (DESIGN: never delta(), which counts unit boundaries). Rounding each side to whole seconds
    first would make a 4.7 s wait 5 s and move calls across the short-abandon and service-level
    thresholds."""
    return end.epoch_seconds().cast("float64") - start.epoch_seconds().cast("float64")
