"""Report issues: which (report, period) was rendered and sent, kept in the delivery database,
with each issue's files in the workspace's `.supportmetrics/reports/<name>/<period>/`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from supportmetrics.delivery import DeliveryLog

__all__ = ["ISSUES_FOLDER", "Issue", "Issues", "State"]

ISSUES_FOLDER = ".supportmetrics/reports"
State = Literal["rendered", "sent", "failed"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS report_issues (
    report TEXT NOT NULL, period TEXT NOT NULL, state TEXT NOT NULL, rendered_at REAL NOT NULL,
    sent_at REAL, runs INTEGER NOT NULL DEFAULT 0, error TEXT, PRIMARY KEY (report, period));
"""


@dataclass(frozen=True)
class Issue:
    """One report issue: `rendered` (files written, not yet delivered to every recipient), `sent`
    or `failed` (given up after too many runs)."""

    report: str
    period: str
    state: State
    rendered_at: float
    sent_at: float | None
    runs: int
    error: str | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, times as ISO 8601 UTC."""

        def iso(t: float | None) -> str | None:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None

        return {
            "report": self.report,
            "period": self.period,
            "state": self.state,
            "rendered_at": iso(self.rendered_at),
            "sent_at": iso(self.sent_at),
            "runs": self.runs,
            "error": self.error,
        }


class Issues:
    """The issues of one workspace."""

    def __init__(self, root: Path, log: DeliveryLog | None = None) -> None:
        self.root = root
        self.log = log or DeliveryLog.of_workspace(root)
        with self.log.connect() as db:
            db.executescript(_SCHEMA)

    def folder(self, report: str, period: str) -> Path:
        """Where the issue's files are."""
        return self.root / ISSUES_FOLDER / report / period

    def get(self, report: str, period: str) -> Issue | None:
        with self.log.connect() as db:
            row = db.execute(
                "SELECT * FROM report_issues WHERE report = ? AND period = ?", (report, period)
            ).fetchone()
        return Issue(*row) if row else None

    def list(self, report: str | None = None, limit: int = 500) -> list[Issue]:
        """Issues, newest period first (of `report` only when given)."""
        sql, args = "SELECT * FROM report_issues", tuple[str, ...]()
        if report is not None:
            sql, args = sql + " WHERE report = ?", (report,)
        with self.log.connect() as db:
            rows = db.execute(
                sql + " ORDER BY rendered_at DESC, period DESC LIMIT ?", (*args, limit)
            ).fetchall()
        return [Issue(*row) for row in rows]

    def rendered(self, report: str, period: str) -> None:
        """Record that the issue's files are written (before anything is sent)."""
        with self.log.connect() as db:
            db.execute(
                "INSERT INTO report_issues (report, period, state, rendered_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (report, period) DO UPDATE SET state = excluded.state,"
                " rendered_at = excluded.rendered_at, error = NULL",
                (report, period, "rendered", time.time()),
            )

    def finished(self, report: str, period: str, state: State, error: str | None = None) -> None:
        """Count a delivery run of the issue and set its state (`sent` stamps when)."""
        with self.log.connect() as db:
            db.execute(
                "UPDATE report_issues SET state = ?, runs = runs + 1, error = ?,"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
                " WHERE report = ? AND period = ?",
                (state, error, state, time.time(), report, period),
            )
