"""Alert episodes in the workspace's application database: one row from the run that finds a
condition to the run that finds it gone.

They live in the workspace's delivery database (`supportmetrics.delivery.DeliveryLog`, the SQLite
file that records every send), next to the deliveries of their messages. An episode is open while its
`resolved_at` is null; at most one is open per alert and segment (a unique index says so). Whether
its opening and its end have been sent is kept apart (`notified_at`, `resolved_notified_at`), so a
run that dies between recording and sending, or whose delivery fails, sends on the next run.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from supportmetrics.delivery import DeliveryLog

__all__ = ["Episode", "Episodes", "Finding"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_episodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, alert TEXT NOT NULL, kind TEXT NOT NULL,
    segment TEXT NOT NULL, opened_at TEXT NOT NULL, last_seen_at TEXT NOT NULL,
    resolved_at TEXT, period TEXT, observed REAL, expected REAL, unit TEXT NOT NULL,
    summary TEXT NOT NULL, link TEXT, detail TEXT NOT NULL DEFAULT '{}',
    notified_at TEXT, resolved_notified_at TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS alert_episodes_open
    ON alert_episodes (alert, segment) WHERE resolved_at IS NULL;
"""
_COLUMNS = (
    "id, alert, kind, segment, opened_at, last_seen_at, resolved_at, period, observed, expected, "
    "unit, summary, link, detail, notified_at, resolved_notified_at"
)


@dataclass(frozen=True)
class Finding:
    """One segment of an alert found in its condition by a run."""

    segment: str
    """What is affected, e.g. `issue_type=technical`, `all`, `ticket 42 first_response_time`."""
    summary: str
    """One line for people: what departs from what."""
    period: str | None = None
    """The period judged (a local label), or the due time for SLA risks."""
    observed: float | None = None
    expected: float | None = None
    unit: str = "count"
    link: str | None = None
    """The dashboard page (path and query) showing the metric filtered to the segment."""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Episode:
    """A stored episode (times are naive UTC)."""

    id: int
    alert: str
    kind: str
    segment: str
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    period: str | None
    observed: float | None
    expected: float | None
    unit: str
    summary: str
    link: str | None
    detail: dict[str, Any]
    notified_at: datetime | None
    resolved_notified_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, times as ISO 8601 UTC with Z."""
        return {
            "id": self.id,
            "alert": self.alert,
            "kind": self.kind,
            "segment": self.segment,
            "status": "open" if self.is_open else "resolved",
            "opened_at": _iso(self.opened_at),
            "last_seen_at": _iso(self.last_seen_at),
            "resolved_at": _iso(self.resolved_at),
            "period": self.period,
            "observed": self.observed,
            "expected": self.expected,
            "unit": self.unit,
            "summary": self.summary,
            "link": self.link,
            "detail": self.detail,
            "notified_at": _iso(self.notified_at),
            "resolved_notified_at": _iso(self.resolved_notified_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _episode(row: tuple[Any, ...]) -> Episode:
    (id_, alert, kind, segment, opened, seen, resolved, period, observed, expected, unit) = row[:11]
    summary, link, detail, notified, resolved_notified = row[11:]
    return Episode(
        id_,
        alert,
        kind,
        segment,
        datetime.fromisoformat(opened),
        datetime.fromisoformat(seen),
        _time(resolved),
        period,
        observed,
        expected,
        unit,
        summary,
        link,
        json.loads(detail),
        _time(notified),
        _time(resolved_notified),
    )


class Episodes:
    """The alert episodes of one workspace (the table is created on first use)."""

    def __init__(self, log: DeliveryLog) -> None:
        self.log = log
        self._db = log.connect
        with self._db() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def of_workspace(cls, root: Path) -> Episodes:
        """The episodes in the delivery database of the workspace folder `root`."""
        return cls(DeliveryLog.of_workspace(root))

    def _select(self, where: str = "", args: tuple[Any, ...] = ()) -> builtins.list[Episode]:
        with self._db() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM alert_episodes {where}", args).fetchall()
        return [_episode(row) for row in rows]

    def open_episodes(self, alert: str) -> dict[str, Episode]:
        """The open episodes of `alert` by segment."""
        found = self._select("WHERE alert = ? AND resolved_at IS NULL", (alert,))
        return {e.segment: e for e in found}

    def list(self, *, status: str | None = None, limit: int = 500) -> builtins.list[Episode]:
        """Episodes, open first, then the most recently opened (`status`: open or resolved)."""
        where = {
            None: "",
            "open": "WHERE resolved_at IS NULL",
            "resolved": "WHERE resolved_at IS NOT NULL",
        }[status]
        return self._select(
            f"{where} ORDER BY resolved_at IS NOT NULL, opened_at DESC, id DESC LIMIT ?", (limit,)
        )

    def get(self, episode_id: int) -> Episode | None:
        found = self._select("WHERE id = ?", (episode_id,))
        return found[0] if found else None

    def open(self, alert: str, kind: str, finding: Finding, now: datetime) -> Episode:
        """Record a new episode of `alert` for `finding`'s segment."""
        stamp = now.isoformat()
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO alert_episodes (alert, kind, segment, opened_at, last_seen_at, period,"
                " observed, expected, unit, summary, link, detail) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    alert,
                    kind,
                    finding.segment,
                    stamp,
                    stamp,
                    finding.period,
                    finding.observed,
                    finding.expected,
                    finding.unit,
                    finding.summary,
                    finding.link,
                    json.dumps(finding.detail, default=str),
                ),
            )
            episode_id = cursor.lastrowid
        found = self.get(int(episode_id or 0))
        assert found is not None
        return found

    def seen(self, episode_id: int, finding: Finding, now: datetime) -> None:
        """The condition still holds: keep the latest numbers (nothing is sent)."""
        with self._db() as db:
            db.execute(
                "UPDATE alert_episodes SET last_seen_at = ?, period = ?, observed = ?,"
                " expected = ?, summary = ?, link = ?, detail = ? WHERE id = ?",
                (
                    now.isoformat(),
                    finding.period,
                    finding.observed,
                    finding.expected,
                    finding.summary,
                    finding.link,
                    json.dumps(finding.detail, default=str),
                    episode_id,
                ),
            )

    def resolve(self, episode_id: int, now: datetime) -> None:
        """The condition is gone: the episode ends."""
        with self._db() as db:
            db.execute(
                "UPDATE alert_episodes SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL",
                (now.isoformat(), episode_id),
            )

    def unsent(self, alert: str) -> tuple[builtins.list[Episode], builtins.list[Episode]]:
        """Open episodes of `alert` not announced yet, and announced ones whose end has not been
        sent (one that ended before it was announced is never sent)."""
        opened = self._select(
            "WHERE alert = ? AND notified_at IS NULL AND resolved_at IS NULL ORDER BY id", (alert,)
        )
        ended = self._select(
            "WHERE alert = ? AND resolved_at IS NOT NULL AND notified_at IS NOT NULL"
            " AND resolved_notified_at IS NULL ORDER BY id",
            (alert,),
        )
        return opened, ended

    def sent(self, ids: builtins.list[int], *, resolved: bool, now: datetime) -> None:
        """Mark the opening (or the end) of episodes `ids` as sent."""
        column = "resolved_notified_at" if resolved else "notified_at"
        with self._db() as db:
            db.executemany(
                f"UPDATE alert_episodes SET {column} = ? WHERE id = ?",
                [(now.isoformat(), i) for i in ids],
            )
