"""Waiting times: how long each solved ticket spent in each kind of status up to its last solve."""

from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir

from supportmetrics.calendar import schedule_of_team, with_business_seconds
from supportmetrics.facts.elapsed import elapsed_seconds
from supportmetrics.facts.status import WAIT_STATUSES, status_segments

__all__ = ["waiting_times"]


def waiting_times(
    history: ir.Table,
    facts: ir.Table,
    calendar: ir.Table | None,
    team_schedules: Mapping[str, str],
) -> ir.Table:
    """Per ticket with a status segment: `<wait>_seconds` for each of `WAIT_STATUSES` (and, with a
    calendar, `<wait>_business_seconds` on the team's schedule), null where it spent no time.

    `facts` gives per ticket `created_at`, `last_solved_at` and `team`.
    """
    segments = status_segments(history, facts)
    segments = segments.mutate(seconds=elapsed_seconds(segments.start, segments.end))
    if calendar is not None:
        schedules = facts.select(
            "ticket_id", __schedule=schedule_of_team(facts.team, team_schedules)
        )
        segments = with_business_seconds(
            segments.join(schedules, "ticket_id"),
            {"business_seconds": ("start", "end")},
            calendar,
            schedule_column="__schedule",
        )
    sums = {}
    for name, statuses in WAIT_STATUSES.items():
        in_status = segments.status.isin(statuses)
        sums[f"{name}_seconds"] = segments.seconds.sum(where=in_status)
        if calendar is not None:
            sums[f"{name}_business_seconds"] = segments.business_seconds.sum(where=in_status)
    return segments.group_by("ticket_id").aggregate(**sums)
