"""Target breach after N consecutive periods, and SLA targets at risk in business hours, on the
hand-made team of tests/metrics/conftest.py (UTC workspace, Mon 1 - Thu 4 January 2024).

First response time per creation day (tests/metrics/test_tickets.py): Mon T1 3600 s, Tue T3 300 s,
Wed none, Thu T8 1800 s.

SLA policies as in tests/metrics/test_sla.py: urgent (calendar) first response 15 min, resolution
2 h; standard (business hours Mon-Fri 09-17) first response 1 h, resolution 8 h.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import supportmetrics
from supportmetrics.alerts.check import check_alerts
from supportmetrics.alerts.episodes import Episodes
from supportmetrics.alerts.evaluate import evaluate
from supportmetrics.alerts.settings import SlaRiskAlert, TargetAlert
from supportmetrics.config import CONFIG_FILE, ConfigError
from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS, make_workspace
from tests.metrics.test_sla import POLICIES

TARGET = """
[targets.first_response_time]
value = "4m"
stat = "mean"
owner = "Support lead"
next_action = "Staff the morning queue"
"""


@pytest.fixture(scope="module")
def team_with_settings(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("team")
    team = make_workspace(base, tickets=TICKETS, messages=MESSAGES, ticket_events=EVENTS)
    team.close()
    path = team.root / CONFIG_FILE
    path.write_text(path.read_text() + TARGET + POLICIES)
    ws = supportmetrics.connect(team.root)
    yield ws
    ws.close()


def _target(periods: int) -> TargetAlert:
    return TargetAlert(kind="target", metric="first_response_time", period="day", periods=periods)


def test_target_breach_after_n_consecutive_missed_days(team_with_settings) -> None:
    engine = team_with_settings.engine()
    # Tuesday noon: the last two complete days are Sun (no data) and Mon: not yet two misses
    assert evaluate(engine, _target(2), datetime(2024, 1, 2, 12)) == []
    # Wednesday 00:00: Mon 3600 s and Tue 300 s both miss 240 s
    (found,) = evaluate(engine, _target(2), datetime(2024, 1, 3))
    assert (found.segment, found.period, found.observed, found.expected) == (
        "all",
        "2024-01-02",
        300.0,
        240.0,
    )
    assert found.detail["periods"] == {"2024-01-01": 3600.0, "2024-01-02": 300.0}
    assert "Support lead" in found.summary and "Staff the morning queue" in found.summary
    assert found.link == ("/metrics/first_response_time?from=2024-01-01&to=2024-01-02&period=day")
    # Thursday: Tue missed, Wed has no data: not two misses in a row
    assert evaluate(engine, _target(2), datetime(2024, 1, 4)) == []
    # one period: Thursday's 1800 s misses on Friday
    (found,) = evaluate(engine, _target(1), datetime(2024, 1, 5))
    assert (found.period, found.observed) == ("2024-01-04", 1800.0)


def test_target_breach_episode_opens_and_resolves(team_with_settings, tmp_path: Path) -> None:
    episodes = Episodes.of_workspace(tmp_path)
    alerts = {"frt": _target(2)}
    engine = team_with_settings.engine()
    runs = [
        check_alerts(engine, alerts, episodes, datetime(2024, 1, d), lambda *a: None)[0]
        for d in (3, 4)
    ]
    assert (runs[0].opened, runs[1].resolved) == (["all"], ["all"])


def _risk(within: str, *targets: str) -> SlaRiskAlert:
    chosen = targets or ("first_response_time", "resolution_time")
    return SlaRiskAlert(kind="sla_risk", within=within, targets=chosen)  # type: ignore[arg-type]


def test_sla_at_risk_counts_business_minutes(team_with_settings) -> None:
    engine = team_with_settings.engine()
    # Mon 16:40. T2 (standard, created Mon 10:00): first response was due 11:00 (past, breached
    # already); resolution 8 business hours -> Mon 10-17 (7 h) + Tue 09-10 -> due Tue 10:00, 20 + 60
    # = 80 business minutes away (17 h 20 min on the wall clock). T1 is solved.
    at = datetime(2024, 1, 1, 16, 40)
    (found,) = evaluate(engine, _risk("90m"), at)
    assert (found.segment, found.observed, found.period) == (
        "ticket T2 resolution_time",
        80 * 60.0,
        "2024-01-02T10:00",
    )
    assert "80 business minutes" in found.summary
    assert evaluate(engine, _risk("79m"), at) == []
    assert evaluate(engine, _risk("90m", "first_response_time"), at) == []


def test_sla_at_risk_on_the_calendar_clock(team_with_settings) -> None:
    engine = team_with_settings.engine()
    # Thu 09:05. T8 (urgent, calendar, created 09:00): first response due 09:15, 10 minutes away;
    # its resolution is due 11:00 (115 min). T6 (standard, created Wed 11:00): resolution due Thu
    # 11:00, 115 business minutes away.
    at = datetime(2024, 1, 4, 9, 5)
    (found,) = evaluate(engine, _risk("15m"), at)
    assert (found.segment, found.observed) == ("ticket T8 first_response_time", 600.0)
    assert "10 minutes" in found.summary
    both = evaluate(engine, _risk("2h"), at)
    assert [(f.segment, f.observed) for f in both] == [
        ("ticket T8 first_response_time", 600.0),
        ("ticket T6 resolution_time", 115 * 60.0),
        ("ticket T8 resolution_time", 115 * 60.0),
    ]


def test_settings_refer_to_what_exists(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text('[alerts.a]\nkind = "target"\nmetric = "csat"\n')
    with pytest.raises(ConfigError, match=r"alerts\.a: csat has no target; add \[targets\.csat\]"):
        supportmetrics.connect(tmp_path)
    (tmp_path / CONFIG_FILE).write_text('[alerts.a]\nkind = "sla_risk"\nwithin = "30m"\n')
    with pytest.raises(ConfigError, match=r"sla_risk needs SLA policies"):
        supportmetrics.connect(tmp_path)
    (tmp_path / CONFIG_FILE).write_text('[alerts.a]\nkind = "spike"\nweeks = 2\n')
    with pytest.raises(ConfigError, match=r"alerts\.a\.spike\.weeks"):
        supportmetrics.connect(tmp_path)
