"""`retention`: customers who stay (see `supportmetrics.query.cohorts`)."""

from __future__ import annotations

from supportmetrics.query.aggregations.cohort import Cohort

__all__ = ["Retention"]


class Retention(Cohort):
    """Customers active at the period start and still at its end, of those active at its start."""

    name = "retention"
