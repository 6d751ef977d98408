"""The metric catalogue (docs/metrics.md): every metric declared once, by family."""

from supportmetrics.metrics.base import Benchmark, Metric, Variant, VariantError
from supportmetrics.metrics.contact_center import CONTACT_CENTER
from supportmetrics.metrics.experience import EXPERIENCE
from supportmetrics.metrics.quality import QUALITY
from supportmetrics.metrics.revenue import REVENUE
from supportmetrics.metrics.self_service import SELF_SERVICE
from supportmetrics.metrics.social import social
from supportmetrics.metrics.speed import SPEED
from supportmetrics.metrics.workload import WORKLOAD

__all__ = ["CATALOGUE", "Benchmark", "Metric", "Variant", "VariantError", "metric"]

_BY_ID = {m.id: m for m in (*SPEED, *QUALITY, *WORKLOAD)}
SOCIAL = (
    social(_BY_ID["first_response_time"], "social_response_time", "Social response time"),
    social(_BY_ID["ticket_volume"], "social_volume", "Social volume"),
)
CATALOGUE: dict[str, Metric] = {
    m.id: m
    for m in (
        *SPEED,
        *QUALITY,
        *WORKLOAD,
        *EXPERIENCE,
        *CONTACT_CENTER,
        *SELF_SERVICE,
        *REVENUE,
        *SOCIAL,
    )
}
"""Every metric by id, in catalogue order."""


def metric(metric_id: str) -> Metric:
    """The catalogue entry `metric_id` (KeyError if there is none)."""
    return CATALOGUE[metric_id]
