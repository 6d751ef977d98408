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
KEPT = 1000
"""At most this many differences are kept in the details (the counts cover all)."""


def _matches(ours: str, theirs: str) -> str:
    both_none = f"(({ours}) IS NULL AND ({theirs}) IS NULL)"
    return f"({both_none} OR coalesce(abs(({ours}) - ({theirs})) <= {TOLERANCE_MINUTES}, false))"


def _compared(path: str, tickets: Path) -> str:
    """One row per ticket and measure: ours and Zendesk's minutes, whether they match, and why
    not (a key of _REASONS)."""
    pairs = []
    for order, (measure, (ours, theirs)) in enumerate(MEASURES.items()):
        twin_ours, twin_theirs = MEASURES[measure.replace("business", "calendar")]
        reply = measure.startswith("first reply")
        pairs.append(
            f"SELECT ticket_id, created_at, created_by, bot_messages, {order} AS position, "
            f"'{measure}' AS measure, {reply} AS reply, {'business' in measure} AS business, "
            f"{ours} / 60.0 AS ours, {theirs} AS theirs, "
            f"{_matches(f'{twin_ours} / 60.0', twin_theirs)} AS twin_matches FROM joined"
        )
    return f"""
        WITH joined AS (
            SELECT * FROM facts f JOIN read_parquet('{path}') z USING (ticket_id)
            WHERE ticket_id IN (SELECT ticket_id FROM read_parquet('{tickets}'))
        ), measured AS ({" UNION ALL ".join(pairs)})
        SELECT *, {_matches("ours", "theirs")} AS matches,
            CASE
                WHEN ours IS NULL AND reply AND created_by = 'agent' THEN 'reply_agent_created'
                WHEN ours IS NULL AND reply THEN 'reply_none'
                WHEN ours IS NULL THEN 'resolution_open'
                WHEN theirs IS NULL THEN 'zendesk_none'
                WHEN reply AND theirs < ours AND bot_messages > 0 THEN 'bot'
                WHEN business AND twin_matches THEN 'schedule'
                ELSE 'other'
            END AS why
        FROM measured
    """


def reconcile(conversion: Conversion, workspace: Workspace) -> list[str]:
    """Compare with Zendesk's ticket_metrics (when imported); lines for the user.

    Puts `{"measures": {...}, "differences": [...]}` in `conversion.details["reconciliation"]`
    (the first KEPT differences, by measure and ticket creation).
    """
    path = conversion.details.get("zendesk_ticket_metrics")
    if not path or "tickets" not in conversion.files:
        return []
    columns = {"ticket_id", "created_at", "created_by", "bot_messages"}
    columns |= {ours for ours, _ in MEASURES.values()}
    facts = workspace.facts("tickets").select(sorted(columns))
    with duckdb.connect() as con:
        con.register("facts", facts)
        con.execute(f"CREATE TEMP TABLE compared AS {_compared(path, conversion.files['tickets'])}")
        counts = con.execute(
            "SELECT measure, count(*), count(*) FILTER (matches), count(*) FILTER (NOT matches) "
            "FROM compared GROUP BY measure, position ORDER BY position"
        ).fetchall()
        sizes = con.execute(
            f"SELECT (SELECT count(*) FROM read_parquet('{conversion.files['tickets']}')), "
            f"(SELECT count(*) FROM read_parquet('{path}'))"
        ).fetchone()
        kept = con.execute(
            "SELECT ticket_id, measure, round(ours, 1), theirs, why FROM compared "
            f"WHERE NOT matches ORDER BY position, created_at, ticket_id LIMIT {KEPT}"
        ).fetchall()
    summary = {m: {"compared": n, "match": same, "differ": other} for m, n, same, other in counts}
    differences = [
        {
            "ticket_id": ticket,
            "measure": measure,
            "ours_minutes": ours,
            "zendesk_minutes": theirs,
            "why": _REASONS[why],
        }
        for ticket, measure, ours, theirs, why in kept
    ]
    conversion.details["reconciliation"] = {"measures": summary, "differences": differences}
    if not summary:
        tickets, metrics = sizes or (0, 0)
        return [
            "reconciliation with Zendesk's ticket_metrics: nothing to compare, no ticket is in "
            f"both: the {tickets} imported ticket(s) and the {metrics} ticket_metrics record(s) "
            "share no ticket_id. Export ticket_metrics for the same tickets (the same date range "
            "or incremental cursor) to compare"
        ]
    total = sum(c["differ"] for c in summary.values())
    return _lines(summary, differences, total)


def _minutes(value: float | None) -> str:
    return "none" if value is None else f"{value:g} min"


def _lines(
    summary: dict[str, dict[str, int]], differences: list[dict[str, Any]], total: int
) -> list[str]:
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
    if total > SHOWN:
        lines.append(f"  ... and {total - SHOWN} more differences")
    return lines
