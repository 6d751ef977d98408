"""The metric catalogue (spec/metrics.md): every metric declared once, by family."""

from supportmetrics.metrics.base import Benchmark, Metric, Variant, VariantError
from supportmetrics.metrics.quality import QUALITY
from supportmetrics.metrics.speed import SPEED
from supportmetrics.metrics.workload import WORKLOAD

__all__ = ["CATALOGUE", "Benchmark", "Metric", "Variant", "VariantError", "metric"]

CATALOGUE: dict[str, Metric] = {m.id: m for m in (*SPEED, *QUALITY, *WORKLOAD)}
"""Every metric by id, in catalogue order."""


def metric(metric_id: str) -> Metric:
    """The catalogue entry `metric_id` (KeyError if there is none)."""
    return CATALOGUE[metric_id]
