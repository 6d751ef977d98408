"""Every delivery attempt, recorded in the workspace's delivery database.

`supportmetrics-delivery.sqlite` in the workspace folder, beside the dashboard's user file
(`supportmetrics-users.sqlite`) rather than inside it: the user file holds password hashes and
sessions and belongs to the web layer, while deliveries are written by the command line, cron and
the background due-check. Report issues and alert episodes keep their state in the same file
(each module creates its own tables through `DeliveryLog.connect`).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DELIVERY_FILE", "DeliveryLog", "DeliveryRecord", "Status"]

DELIVERY_FILE = "supportmetrics-delivery.sqlite"
Status = Literal["sent", "failed"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, channel TEXT NOT NULL,
    recipient TEXT NOT NULL, attempt INTEGER NOT NULL, status TEXT NOT NULL, at REAL NOT NULL,
    error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_key ON deliveries (key);
"""


@dataclass(frozen=True)
class DeliveryRecord:
    """One attempt to deliver `key` to `recipient` (an address, or webhook:<name>)."""

    key: str
    channel: Literal["email", "webhook"]
    recipient: str
    attempt: int
    status: Status
    at: float
    """When, in epoch seconds (UTC)."""
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The record as JSON-ready values (`at` as ISO 8601 UTC)."""
        return {
            "key": self.key,
            "channel": self.channel,
            "recipient": self.recipient,
            "attempt": self.attempt,
            "status": self.status,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at)),
            "error": self.error,
        }


class DeliveryLog:
    """The delivery database of one workspace (created on first use, readable by its owner only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():  # recipients and errors: the owner's only
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self.connect() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def of_workspace(cls, root: Path) -> DeliveryLog:
        """The log in the workspace folder `root`."""
        return cls(root / DELIVERY_FILE)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (committed on success), waiting up to 30 s for a lock."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(self, record: DeliveryRecord) -> None:
        """Write one attempt."""
        with self.connect() as db:
            db.execute(
                "INSERT INTO deliveries (key, channel, recipient, attempt, status, at, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.channel,
                    record.recipient,
                    record.attempt,
                    record.status,
                    record.at,
                    record.error,
                ),
            )

    def records(self, key: str | None = None, limit: int = 1000) -> list[DeliveryRecord]:
        """Attempts, newest first (of `key` only when given)."""
        sql = "SELECT key, channel, recipient, attempt, status, at, error FROM deliveries"
        args: tuple[object, ...] = ()
        if key is not None:
            sql, args = sql + " WHERE key = ?", (key,)
        with self.connect() as db:
            rows = db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [DeliveryRecord(*row) for row in rows]

    def sent_to(self, key: str) -> set[str]:
        """The recipients `key` was delivered to (a sent attempt recorded)."""
        with self.connect() as db:
            rows = db.execute(
                "SELECT DISTINCT recipient FROM deliveries WHERE key = ? AND status = 'sent'",
                (key,),
            ).fetchall()
        return {row[0] for row in rows}
