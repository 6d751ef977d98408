"""Reconciling the engine's first reply and resolution times with Zendesk's own `ticket_metrics`.

For every imported ticket with a metrics record, the engine's first response and full resolution
minutes (calendar and business, from the workspace's facts) are compared with Zendesk's
`reply_time_in_minutes` and `full_resolution_time_in_minutes`. Values within a minute match (Zendesk
rounds to whole minutes); for the others the likely reason is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from supportmetrics.sources.base import Conversion

if TYPE_CHECKING:
    from supportmetrics.workspace import Workspace

__all__ = ["MEASURES", "METRICS_FILE", "reconcile"]

METRICS_FILE = Path(".zendesk") / "ticket_metrics.parquet"
"""Where the conversion keeps Zendesk's figures (a hidden folder: ingest skips it)."""
SHOWN = 10
TOLERANCE_MINUTES = 1.0

MEASURES = {
    "first reply (calendar)": ("first_response_seconds", "reply_calendar"),
    "first reply (business)": ("first_response_business_seconds", "reply_business"),
    "full resolution (calendar)": ("resolution_full_seconds", "resolution_calendar"),
    "full resolution (business)": ("resolution_full_business_seconds", "resolution_business"),
}
"""Measure -> (the engine's facts column in seconds, Zendesk's column in minutes)."""

_REASONS = {
    "reply_agent_created": "agent-created ticket: the engine measures no first reply for it "
    "(variant agent_created=exclude)",
    "reply_none": "no public, non-automated agent comment in the export",
    "resolution_open": "not solved now (reopened or still open): the engine counts resolution "
    "only for solved tickets",
    "bot": "a bot replied first: Zendesk counts it, the engine counts agents only "
    "(variant count_bots=true counts bots)",
    "zendesk_none": "Zendesk has no value (e.g. the reply came from a trigger, a bot or the API)",
    "schedule": "calendar minutes agree: the workspace's business hours are not Zendesk's schedule",
    "other": "a different comment or status change is counted: compare the ticket's audits",
}


def _reason(measure: str, ours: float | None, theirs: float | None, row: dict[str, Any]) -> str:
    reply = measure.startswith("first reply")
    if ours is None and reply:
        return _REASONS["reply_agent_created" if row["created_by"] == "agent" else "reply_none"]
    if ours is None:
        return _REASONS["resolution_open"]
    if theirs is None:
        return _REASONS["zendesk_none"]
    if reply and theirs < ours and row["bot_messages"]:
        return _REASONS["bot"]
    if "business" in measure and row[f"{measure.replace('business', 'calendar')}_matches"]:
        return _REASONS["schedule"]
    return _REASONS["other"]


def reconcile(conversion: Conversion, workspace: Workspace) -> list[str]:
    """Compare with Zendesk's ticket_metrics (when imported); lines for the user.

    Puts `{"measures": {...}, "differences": [...]}` in `conversion.details["reconciliation"]`.
    """
    path = conversion.details.get("zendesk_ticket_metrics")
    if not path or "tickets" not in conversion.files:
        return []
    facts = workspace.facts("tickets")
    with duckdb.connect() as con:
        con.register("facts", facts)
        selected = ", ".join(
            f"f.{ours} / 60.0 AS {ours}, z.{theirs}" for ours, theirs in MEASURES.values()
        )
        relation = con.sql(
            f"SELECT f.ticket_id, f.created_by, f.bot_messages, {selected} FROM facts f "
            f"JOIN read_parquet('{path}') z USING (ticket_id) "
            f"WHERE f.ticket_id IN (SELECT ticket_id FROM read_parquet('{conversion.files['tickets']}')) "
            "ORDER BY f.created_at, f.ticket_id"
        )
        columns = relation.columns
        rows = [dict(zip(columns, values, strict=True)) for values in relation.fetchall()]
    summary: dict[str, dict[str, int]] = {}
    differences: list[dict[str, Any]] = []
    for row in rows:
        for measure, (ours_col, theirs_col) in MEASURES.items():
            ours, theirs = row[ours_col], row[theirs_col]
            row[f"{measure}_matches"] = (ours is None and theirs is None) or (
                ours is not None and theirs is not None and abs(ours - theirs) <= TOLERANCE_MINUTES
            )
    for measure, (ours_col, theirs_col) in MEASURES.items():
        counts = summary.setdefault(measure, {"compared": 0, "match": 0, "differ": 0})
        for row in rows:
            ours, theirs = row[ours_col], row[theirs_col]
            counts["compared"] += 1
            if row[f"{measure}_matches"]:
                counts["match"] += 1
                continue
            counts["differ"] += 1
            differences.append(
                {
                    "ticket_id": row["ticket_id"],
                    "measure": measure,
                    "ours_minutes": None if ours is None else round(ours, 1),
                    "zendesk_minutes": theirs,
                    "why": _reason(measure, ours, theirs, row),
                }
            )
    conversion.details["reconciliation"] = {"measures": summary, "differences": differences}
    return _lines(summary, differences)


def _minutes(value: float | None) -> str:
    return "none" if value is None else f"{value:g} min"


def _lines(summary: dict[str, dict[str, int]], differences: list[dict[str, Any]]) -> list[str]:
    lines = ["reconciliation with Zendesk's ticket_metrics (match = within 1 minute):"]
    for measure, counts in summary.items():
        lines.append(
            f"  {measure}: {counts['compared']} tickets, {counts['match']} match, "
            f"{counts['differ']} differ"
        )
    for diff in differences[:SHOWN]:
        lines.append(
            f"  ticket {diff['ticket_id']}, {diff['measure']}: ours {_minutes(diff['ours_minutes'])}"
            f", Zendesk {_minutes(diff['zendesk_minutes'])}: {diff['why']}"
        )
    if len(differences) > SHOWN:
        lines.append(f"  ... and {len(differences) - SHOWN} more differences")
    return lines
