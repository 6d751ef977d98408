"""`reports run-due`: send every issue that is due and not yet sent, exactly once.

Per report, the latest period whose send time has passed is due. Its issue is rendered and its
files written, then recorded `rendered`; then it is delivered to each recipient without a sent
attempt recorded, and recorded `sent` when none is left. A run killed after rendering finds the
`rendered` issue next time and only delivers it; one killed while rendering renders again. One run
at a time per workspace (a lock file the system releases when the process dies), so overlapping
cron runs and `serve`'s background check never send twice.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from supportmetrics.delivery import DeliveryLog, deliver
from supportmetrics.locks import held
from supportmetrics.reports.issues import ISSUES_FOLDER, Issues, State
from supportmetrics.reports.periods import ReportPeriod, latest_due

if TYPE_CHECKING:
    from supportmetrics.workspace import Workspace

__all__ = [
    "GIVE_UP_RUNS",
    "KILL_AFTER_RENDER",
    "Outcome",
    "run_due",
    "send_issue",
    "start_due_checks",
]

_log = logging.getLogger("supportmetrics.reports")

GIVE_UP_RUNS = 12
"""Delivery runs of one issue (an hour of a 5-minute cron) before it is recorded failed."""
KILL_AFTER_RENDER = "SUPPORTMETRICS_TEST_KILL_AFTER_RENDER"
"""Test hook: when set, the process kills itself (SIGKILL) right after recording an issue
rendered, to prove the next run delivers it exactly once."""


@dataclass(frozen=True)
class Outcome:
    """What a run did with one report's due issue."""

    report: str
    period: str
    action: str
    """`sent`, `already sent`, `failed`, `retry later` or `busy` (another run holds the lock)."""
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "report": self.report,
            "period": self.period,
            "action": self.action,
            "detail": self.detail,
        }


def send_issue(ws: Workspace, name: str, period: ReportPeriod, issues: Issues) -> Outcome:
    """Render the issue unless it is rendered, deliver it to whoever has not had it, record."""
    from supportmetrics.reports.content import compute
    from supportmetrics.reports.render import Rendered, render

    settings = ws.config.reports[name]
    label = period.label
    issue = issues.get(name, label)
    if issue is not None and issue.state == "sent":
        return Outcome(name, label, "already sent")
    folder = issues.folder(name, label)
    if issue is None or not (folder / "issue.json").exists():
        render(compute(ws, name, period), settings.formats).write(folder)
        issues.rendered(name, label)
        if os.environ.get(KILL_AFTER_RENDER):
            os.kill(os.getpid(), signal.SIGKILL)
    rendered = Rendered.read(folder)
    message = rendered.message()
    pending = [r for r in settings.recipients if r not in issues.log.sent_to(message.key)]
    records = deliver(message, pending, ws.config, issues.log)
    failed = {r.recipient: r.error for r in records if r.status == "failed"}
    missing = [r for r in pending if r not in issues.log.sent_to(message.key)]
    if not missing:
        issues.finished(name, label, "sent")
        return Outcome(name, label, "sent", f"to {len(pending)} recipient(s)")
    error = "; ".join(f"{r}: {failed.get(r)}" for r in missing)
    runs = (issue.runs if issue else 0) + 1
    state: State = "failed" if runs >= GIVE_UP_RUNS else "rendered"
    issues.finished(name, label, state, error)
    return Outcome(name, label, "failed" if state == "failed" else "retry later", error)


def run_due(ws: Workspace, now: datetime | None = None) -> list[Outcome]:
    """Send each report's due issue unless it was sent; one outcome per report."""
    moment = now or datetime.now(UTC)
    issues = Issues(ws.root, DeliveryLog.of_workspace(ws.root))
    outcomes = []
    with held(ws.root / ISSUES_FOLDER / ".lock") as mine:  # one run at a time
        for name, settings in ws.config.reports.items():
            period = latest_due(
                settings.every, settings.send_at, settings.timezone or ws.config.timezone, moment
            )
            if not mine:
                outcomes.append(Outcome(name, period.label, "busy", "another run is sending"))
                continue
            issue = issues.get(name, period.label)
            if issue is not None and issue.state in ("sent", "failed"):
                outcomes.append(Outcome(name, period.label, f"already {issue.state}"))
                continue
            outcomes.append(send_issue(ws, name, period, issues))
    return outcomes


def start_due_checks(ws: Workspace) -> threading.Event | None:
    """Run `run_due` now and then every `[delivery] check_interval` seconds in a background thread
    (on its own connection to the store) until the returned event is set; None without reports."""
    from supportmetrics.workspace import Workspace

    if not ws.config.reports:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            checker = Workspace(ws.root, ws.config)
            try:
                for outcome in run_due(checker):
                    if outcome.action in ("failed", "retry later"):
                        _log.warning(
                            "report %s %s: %s", outcome.report, outcome.period, outcome.detail
                        )
            except Exception:  # a bad run must not end the checks; the next one tries again
                _log.exception("the reports due-check failed")
            finally:
                checker.close()
            stop.wait(ws.config.delivery.check_interval)

    threading.Thread(target=loop, name="reports-due-check", daemon=True).start()
    return stop
