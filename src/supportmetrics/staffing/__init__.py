"""Workforce planning: Erlang C and Erlang A staffing per interval, beside the agents actually
available."""

from supportmetrics.staffing.actual import available_agents
from supportmetrics.staffing.erlang import (
    Performance,
    StaffingError,
    erlang_b,
    erlang_c,
    performance,
    required_agents,
)
from supportmetrics.staffing.patience import Patience, estimate_patience
from supportmetrics.staffing.requirements import (
    STAFFING_INTERVALS,
    Targets,
    calculate,
    from_forecast,
    from_history,
    plan,
    scheduled,
    staffed_hours,
)

__all__ = [
    "STAFFING_INTERVALS",
    "Patience",
    "Performance",
    "StaffingError",
    "Targets",
    "available_agents",
    "calculate",
    "erlang_b",
    "erlang_c",
    "estimate_patience",
    "from_forecast",
    "from_history",
    "performance",
    "plan",
    "required_agents",
    "scheduled",
    "staffed_hours",
]
