"""`link`: churn and NPS by whether customers contacted support, or by their CSAT (see `supportmetrics.query.cohorts`)."""

from __future__ import annotations

from collections.abc import Sequence

from supportmetrics.metrics.base import ResolvedMetric
from supportmetrics.query.aggregations.cohort import Cohort
from supportmetrics.query.cohorts import LINK_SEGMENTS

__all__ = ["Link"]


class Link(Cohort):
    """Churn, retention and NPS of the customers active at the period start, by the segment the
    metric's `by` variant chooses (contacted support, or their CSAT), which leads each row."""

    name = "link"

    def dimensions(self, resolved: ResolvedMetric, by: Sequence[str]) -> list[str]:
        return [LINK_SEGMENTS[resolved.variants["by"]], *super().dimensions(resolved, by)]
