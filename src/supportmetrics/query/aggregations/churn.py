"""`churn`: customers who leave (see `supportmetrics.query.cohorts`)."""

from __future__ import annotations

from supportmetrics.query.aggregations.cohort import Cohort

__all__ = ["Churn"]


class Churn(Cohort):
    """Customers active at the period start and not at its end, of those active at its start."""

    name = "churn"
