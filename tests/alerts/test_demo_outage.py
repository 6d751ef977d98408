"""Spike detection on the demo year: the injected outage (week 35, technical and bug tickets) is
found, and no ordinary week fires."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import supportmetrics
from supportmetrics import demo
from supportmetrics.alerts.check import check_alerts
from supportmetrics.alerts.episodes import Episodes
from supportmetrics.alerts.settings import SpikeAlert
from supportmetrics.alerts.spikes import series
from supportmetrics.config import CONFIG_FILE

pytestmark = pytest.mark.slow

FIRST = datetime(2025, 1, 6)  # demo.START, local Monday of week 0
LAST = datetime(2026, 1, 4)  # the Sunday ending week 51


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> supportmetrics.Workspace:
    base = tmp_path_factory.mktemp("demo-alerts")
    ws = supportmetrics.init(base / "ws", timezone=demo.TIME_ZONE)
    config = ws.root / CONFIG_FILE
    config.write_text(config.read_text() + '\n[schedules.default]\nholidays = "US"\n')
    demo.write(demo.generate(20_000, seed=0), base / "data", "parquet")
    ws = supportmetrics.connect(ws.root)
    ws.ingest([base / "data"])
    yield ws
    ws.close()


def _firing_weeks(ws: supportmetrics.Workspace, alert: SpikeAlert) -> dict[str, set[int]]:
    """Segment -> demo weeks (0-51) holding a period that fires."""
    found = series(ws.engine(), alert, FIRST, LAST)
    start = found.periods.index(FIRST.strftime("%Y-%m-%d"))
    weeks: dict[str, set[int]] = {}
    for row, column in zip(*np.nonzero(found.firing[:, start:]), strict=True):
        weeks.setdefault(found.segments[row], set()).add(int(column) // 7)
    return weeks


def test_the_outage_week_fires_in_technical_and_bug_tickets_only(year) -> None:
    weeks = _firing_weeks(year, SpikeAlert(kind="spike", by="issue_type"))
    assert weeks == {"technical": {demo.OUTAGE_WEEK}, "bug": {demo.OUTAGE_WEEK}}


def test_no_ordinary_week_fires_overall_or_by_channel(year) -> None:
    overall = _firing_weeks(year, SpikeAlert(kind="spike"))
    assert overall == {"all": {demo.OUTAGE_WEEK}}
    by_channel = _firing_weeks(year, SpikeAlert(kind="spike", by="channel"))
    assert set().union(*by_channel.values()) == {demo.OUTAGE_WEEK}


def test_one_episode_through_the_outage(year, tmp_path: Path) -> None:
    """A daily check from the Monday of the outage week to the next Monday, at 08:00 local: the
    technical episode opens on Wednesday (judging Tuesday, the outage's first day), stays open
    and ends once a day is back to normal."""
    episodes = Episodes.of_workspace(tmp_path)
    alert = {"by_type": SpikeAlert(kind="spike", by="issue_type", recipients=["ops@example.com"])}
    sent: list[tuple[str, list[str]]] = []
    monday = FIRST + timedelta(weeks=demo.OUTAGE_WEEK)
    for day in range(9):
        at = monday + timedelta(days=day, hours=12)  # 08:00 in New York (UTC-4)
        check_alerts(
            year.engine(),
            alert,
            episodes,
            at,
            lambda n, a, e, b: sent.append((e, [x.segment for x in b])),
        )
    (technical,) = [e for e in episodes.list() if e.segment == "issue_type=technical"]
    assert technical.opened_at == monday + timedelta(days=2, hours=12)
    assert technical.expected is not None and technical.observed is not None
    assert not technical.is_open
    assert sent[0] == ("opened", ["issue_type=bug", "issue_type=technical"])
    assert [s for s in sent if "issue_type=technical" in s[1]] == [
        ("opened", ["issue_type=bug", "issue_type=technical"]),
        ("resolved", ["issue_type=technical"]),
    ]


def test_hourly_departures_fall_in_the_outage_week_only(year) -> None:
    alert = SpikeAlert(kind="spike", by="issue_type", period="hour")
    found = series(year.engine(), alert, FIRST, LAST + timedelta(hours=23))
    start = found.periods.index("2025-01-06T00:00")
    rows, columns = np.nonzero(found.firing[:, start:])
    assert {int(c) // (7 * 24) for c in columns} == {demo.OUTAGE_WEEK}
    assert "technical" in {found.segments[r] for r in rows}
