"""Elapsed time between two timestamps, the same on every backend."""

from __future__ import annotations

import ibis.expr.types as ir

__all__ = ["elapsed_seconds"]


def elapsed_seconds(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Exact seconds from start to end, fractions included: the microseconds between them over
    1e6. Timestamps are whole microseconds, so this unit counts no partial boundary; coarser
    `delta()` units do, differently per backend (DuckDB counts second boundaries crossed, Spark and
    PostgreSQL whole seconds elapsed). Epoch seconds would be no better: Spark's `unix_timestamp`
    drops each side's fraction, making 10:00:00.3 to 10:00:05 a 5 s wait instead of 4.7 s and
    moving calls across the short-abandon and service-level thresholds."""
    return end.delta(start, unit="microsecond").cast("float64") / 1_000_000
