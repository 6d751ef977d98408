"""Workforce planning: Erlang staffing per interval."""

from supportmetrics.staffing.erlang import (
    Performance,
    StaffingError,
    erlang_b,
    erlang_c,
    performance,
    required_agents,
)
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
    "Performance",
    "StaffingError",
    "Targets",
    "calculate",
    "erlang_b",
    "erlang_c",
    "from_forecast",
    "from_history",
    "performance",
    "plan",
    "required_agents",
    "scheduled",
    "staffed_hours",
]
