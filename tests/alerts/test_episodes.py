"""Episodes: an alert fires once per episode, stays open without sending again, resolves, and a
new episode fires again; a failed send is retried by the next run."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from supportmetrics.alerts import check
from supportmetrics.alerts.episodes import Episode, Episodes, Finding
from supportmetrics.alerts.settings import AlertSettings, SpikeAlert

T0 = datetime(2026, 3, 2, 9, 0)
ALERT = SpikeAlert(kind="spike", by="issue_type", recipients=["ops@example.com"])


class Outbox:
    """A `Send` keeping what it is given; it fails while `failing` is set."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []
        self.failing = False

    def __call__(self, name: str, alert: AlertSettings, event: str, batch: list[Episode]) -> None:
        if self.failing:
            raise RuntimeError("mail server down")
        self.sent.append((event, [e.segment for e in batch]))


@pytest.fixture
def firing(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Set the segments the next run finds firing (the evaluation is replaced)."""
    now: list[list[str]] = [[]]

    def evaluate(engine: object, alert: AlertSettings, at: datetime) -> list[Finding]:
        return [Finding(s, f"{s} is up", "2026-03-01", 30.0, 10.0) for s in now[0]]

    monkeypatch.setattr(check, "evaluate", evaluate)
    return now


def _run(episodes: Episodes, outbox: Outbox, hours: int, dry: bool = False) -> check.AlertRun:
    (run,) = check.check_alerts(
        None,  # type: ignore[arg-type]  # the evaluation is replaced
        {"volume": ALERT},
        episodes,
        T0 + timedelta(hours=hours),
        None if dry else outbox,
    )
    return run


def test_fires_once_stays_open_resolves_and_fires_again(tmp_path: Path, firing) -> None:
    episodes, outbox = Episodes.of_workspace(tmp_path), Outbox()
    firing[0] = ["issue_type=bug"]
    first = _run(episodes, outbox, 0)
    assert (first.opened, first.ongoing, first.resolved) == (["issue_type=bug"], [], [])
    assert outbox.sent == [("opened", ["issue_type=bug"])]

    for hour in (1, 2):  # still firing: nothing new is sent
        again = _run(episodes, outbox, hour)
        assert (again.opened, again.ongoing) == ([], ["issue_type=bug"])
    assert outbox.sent == [("opened", ["issue_type=bug"])]
    (open_episode,) = episodes.list(status="open")
    assert open_episode.opened_at == T0 and open_episode.last_seen_at == T0 + timedelta(hours=2)

    firing[0] = []
    ended = _run(episodes, outbox, 3)
    assert ended.resolved == ["issue_type=bug"]
    assert outbox.sent[-1] == ("resolved", ["issue_type=bug"])
    assert episodes.list(status="open") == []
    _run(episodes, outbox, 4)  # quiet: nothing more
    assert len(outbox.sent) == 2

    firing[0] = ["issue_type=bug"]
    _run(episodes, outbox, 5)
    assert outbox.sent[-1] == ("opened", ["issue_type=bug"])
    history = episodes.list()
    assert [(e.is_open, e.opened_at, e.resolved_at) for e in history] == [
        (True, T0 + timedelta(hours=5), None),
        (False, T0, T0 + timedelta(hours=3)),
    ]


def test_a_dry_run_records_and_sends_nothing(tmp_path: Path, firing) -> None:
    episodes, outbox = Episodes.of_workspace(tmp_path), Outbox()
    firing[0] = ["all"]
    run = _run(episodes, outbox, 0, dry=True)
    assert run.opened == ["all"]
    assert episodes.list() == [] and outbox.sent == []


def test_a_failed_send_is_retried_by_the_next_run_once(tmp_path: Path, firing) -> None:
    episodes, outbox = Episodes.of_workspace(tmp_path), Outbox()
    firing[0] = ["issue_type=bug"]
    outbox.failing = True
    run = _run(episodes, outbox, 0)
    assert run.error is not None and "mail server down" in run.error
    assert episodes.list()[0].notified_at is None
    outbox.failing = False
    _run(episodes, outbox, 1)
    _run(episodes, outbox, 2)
    assert outbox.sent == [("opened", ["issue_type=bug"])]


def test_an_episode_ended_before_it_was_announced_is_never_sent(tmp_path: Path, firing) -> None:
    episodes, outbox = Episodes.of_workspace(tmp_path), Outbox()
    firing[0] = ["all"]
    outbox.failing = True
    _run(episodes, outbox, 0)
    firing[0] = []
    outbox.failing = False
    _run(episodes, outbox, 1)
    assert outbox.sent == []
    assert not episodes.list()[0].is_open


def test_one_open_episode_per_alert_and_segment(tmp_path: Path) -> None:
    import sqlite3

    episodes = Episodes.of_workspace(tmp_path)
    episodes.open("volume", "spike", Finding("all", "up"), T0)
    with pytest.raises(sqlite3.IntegrityError):
        episodes.open("volume", "spike", Finding("all", "up again"), T0)
