"""One alerts run: evaluate every alert, open and end episodes, send what has not been sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from supportmetrics.alerts.episodes import Episode, Episodes, Finding
from supportmetrics.alerts.evaluate import evaluate
from supportmetrics.alerts.settings import AlertSettings
from supportmetrics.engine import Engine
from supportmetrics.locks import held

__all__ = ["LOCK_FILE", "AlertRun", "Send", "check_alerts", "exclusive"]

LOCK_FILE = ".supportmetrics/alerts.lock"
"""Held by the run recording episodes, so overlapping runs never open or send one twice."""

Send = Callable[[str, AlertSettings, str, list[Episode]], None]
"""Sends one message about `alert` (name, settings) saying its episodes were `opened` or
`resolved`; raises on failure (the episodes are then sent again by the next run)."""


@dataclass
class AlertRun:
    """What one alert's evaluation found and did."""

    alert: str
    kind: str
    firing: list[Finding] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    """Segments whose episode began in this run."""
    ongoing: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    """What was sent: `opened: <segments>` / `resolved: <segments>`."""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert,
            "kind": self.kind,
            "firing": [f.segment for f in self.firing],
            "opened": self.opened,
            "ongoing": self.ongoing,
            "resolved": self.resolved,
            "sent": self.sent,
            "error": self.error,
            "findings": [
                {
                    "segment": f.segment,
                    "summary": f.summary,
                    "period": f.period,
                    "observed": f.observed,
                    "expected": f.expected,
                    "unit": f.unit,
                    "link": f.link,
                }
                for f in self.firing
            ],
        }


def check_alerts(
    engine: Engine,
    alerts: Mapping[str, AlertSettings],
    episodes: Episodes,
    at: datetime,
    send: Send | None,
    now: datetime | None = None,
) -> list[AlertRun]:
    """Evaluate `alerts` at naive UTC instant `at`; with `send`, record episodes (a segment that
    fires with no open episode opens one; an open episode whose segment no longer fires ends) and
    send each opening and end once; without it (a dry run), change and send nothing. `now` stamps
    the records (default `at`)."""
    stamp = now or at
    runs = []
    for name, alert in alerts.items():
        run = AlertRun(name, alert.kind)
        runs.append(run)
        try:
            run.firing = evaluate(engine, alert, at)
        except ValueError as exc:  # a query the data cannot answer: say so, run the others
            run.error = str(exc)
            continue
        current = episodes.open_episodes(name)
        firing = {f.segment: f for f in run.firing}
        run.opened = [s for s in firing if s not in current]
        run.ongoing = [s for s in firing if s in current]
        run.resolved = [s for s in current if s not in firing]
        if send is None:
            continue
        for segment in run.opened:
            episodes.open(name, alert.kind, firing[segment], stamp)
        for segment in run.ongoing:
            episodes.seen(current[segment].id, firing[segment], stamp)
        for segment in run.resolved:
            episodes.resolve(current[segment].id, stamp)
        _send(name, alert, episodes, send, run, stamp)
    return runs


def _send(
    name: str, alert: AlertSettings, episodes: Episodes, send: Send, run: AlertRun, now: datetime
) -> None:
    """Send the openings and ends of `name` not sent yet; without recipients, or for ends when
    `notify_resolved` is off, there is nothing to send and they are marked done."""
    opened, ended = episodes.unsent(name)
    for event, batch in (("opened", opened), ("resolved", ended)):
        if not batch:
            continue
        quiet = not alert.recipients or (event == "resolved" and not alert.notify_resolved)
        if not quiet:
            try:
                send(name, alert, event, batch)
            except RuntimeError as exc:  # nobody got it: tried again on the next run
                run.error = f"sending failed, will retry on the next run: {exc}"
                continue
            run.sent.append(f"{event}: {', '.join(e.segment for e in batch)}")
        episodes.sent([e.id for e in batch], resolved=event == "resolved", now=now)


def exclusive(root: Path) -> AbstractContextManager[bool]:
    """Whether this process holds the workspace's alerts lock (released on exit or death)."""
    return held(root / LOCK_FILE)
