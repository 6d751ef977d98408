"""Workforce planning: Erlang C and Erlang A staffing per interval."""

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
    Targets,
    calculate,
    from_forecast,
    from_history,
    plan,
    scheduled,
    staffed_hours,
)

__all__ = [
    "Patience",
    "Performance",
    "StaffingError",
    "Targets",
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
