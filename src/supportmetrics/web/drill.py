"""The drill-down as people read it: which columns to show, their headers and their cells.

The columns come from `queries.drill_rows` (the fact table's `drill_columns` by default); headers
are words, not column names, and durations read as durations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from supportmetrics.display import human
from supportmetrics.web.params import ParamError

__all__ = ["ALL", "DEFAULT", "cell", "chosen_columns", "header", "ticket_link"]

ALL, DEFAULT = "all", "default"
"""The `columns` values for every column and for the fact table's default ones."""
_HEADERS = {
    "ticket_id": "Ticket",
    "call_id": "Call",
    "response_id": "Response",
    "message_id": "Message",
    "assignee_id": "Agent id",
    "agent_id": "Agent id",
    "agent_name": "Agent",
    "customer_id": "Customer",
    "invitation_id": "Invitation",
    "queued_at": "Queued",
    "submitted_at": "Submitted",
}


def header(column: str, title: str, filed_at: str | None) -> str:
    """The header of `column`: the metric's title for `value`, words for the rest."""
    if column == "value":
        return title
    if column == "filed_at":
        return header(filed_at, title, None) if filed_at else "Filed"
    if column in _HEADERS:
        return _HEADERS[column]
    words = column.removesuffix("_seconds").removesuffix("_at").replace("_", " ")
    return words[:1].upper() + words[1:]


def cell(value: Any, column: str, unit: str) -> str:
    """A drill-down cell as text: durations humanised, times to the minute, yes/no for flags."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, int | float) and (
        column.endswith("_seconds") or (column == "value" and unit == "seconds")
    ):
        return human(value, "seconds")
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def chosen_columns(text: str | None, available: list[str], default: list[str]) -> list[str]:
    """The columns `columns=` asks for: default, all, or a comma-separated list of names."""
    if not text or text == DEFAULT:
        return default
    if text == ALL:
        return available
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ParamError(
            f"columns: no column {', '.join(unknown)}; choose from {', '.join(available)}, "
            f"or {ALL} or {DEFAULT}"
        )
    return names


def ticket_link(ticket_id: Any) -> str:
    """The drill-down of one ticket (from a survey response or a call)."""
    return "/metrics/ticket_volume/rows?" + urlencode(
        {"range": "all", "where": f"ticket_id={ticket_id}", "columns": ALL}
    )
