"""Agents available per interval from agent_availability, worked out by hand, and staffing rows
beside them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics import demo
from supportmetrics.cli import app
from supportmetrics.query.periods import covered_days, label, spine
from supportmetrics.staffing import Targets, available_agents, from_history
from tests.metrics.conftest import make_workspace

# Monday 1 January 2024 (UTC):
# A1 available 09:10-10:00, paused 10:00-10:20 (a break inside the login), available 10:20-11:05
# A2 available 09:45-10:45 (crosses 10:00 and 10:30)
# A3 available from 10:40, still logged in: counted to the data's end, 11:20 (C2 ends then)
AVAILABILITY = """availability_id,agent_id,started_at,ended_at,state,queue
V1,A1,2024-01-01T09:10:00Z,2024-01-01T10:00:00Z,available,sales
V2,A1,2024-01-01T10:00:00Z,2024-01-01T10:20:00Z,paused,sales
V3,A1,2024-01-01T10:20:00Z,2024-01-01T11:05:00Z,,sales
V4,A2,2024-01-01T09:45:00Z,2024-01-01T10:45:00Z,available,support
V5,A3,2024-01-01T10:40:00Z,,available,support
"""
CALLS = """call_id,queued_at,outcome,answered_at,ended_at,direction,queue,agent_id,talk_seconds
C1,2024-01-01T09:20:00Z,answered,2024-01-01T09:20:10Z,2024-01-01T09:25:00Z,inbound,sales,A1,290
C2,2024-01-01T11:10:00Z,answered,2024-01-01T11:10:30Z,2024-01-01T11:20:00Z,inbound,support,A3,570
"""
HALF_HOURS = [f"2024-01-01T{h:02d}:{m:02d}" for h in (9, 10, 11) for m in (0, 30)]
# Available seconds per half hour:
# 09:00 A1 1200                      -> 1200 / 1800 = 0.6667
# 09:30 A1 1800 + A2 900             -> 1.5
# 10:00 A1 600 (after the break) + A2 1800 -> 1.3333
# 10:30 A1 1800 + A2 900 + A3 1200   -> 2.1667
# 11:00 A1 300 + A3 1200             -> 0.8333
# 11:30 none                         -> 0
BY_HALF_HOUR = [1200 / 1800, 1.5, 2400 / 1800, 3900 / 1800, 1500 / 1800, 0.0]


@pytest.fixture
def logged(tmp_path):
    ws = make_workspace(tmp_path, calls=CALLS, agent_availability=AVAILABILITY)
    yield ws
    ws.close()


def test_available_agents_per_half_hour(logged) -> None:
    found = available_agents(logged.engine(), HALF_HOURS, 1800)
    assert found is not None
    assert list(found) == HALF_HOURS
    assert list(found.values()) == pytest.approx(BY_HALF_HOUR)


def test_available_agents_per_hour_and_per_queue(logged) -> None:
    hours = ["2024-01-01T09:00", "2024-01-01T10:00", "2024-01-01T11:00"]
    found = available_agents(logged.engine(), hours, 3600)
    # 09:00 1200 + 1800 + 900; 10:00 600 + 1800 + 1800 + 900 + 1200; 11:00 300 + 1200
    assert list(found.values()) == pytest.approx([3900 / 3600, 6300 / 3600, 1500 / 3600])
    support = available_agents(logged.engine(), HALF_HOURS, 1800, {"queue": ["support"]})
    # A2 and A3 only: 09:30 900, 10:00 1800, 10:30 900 + 1200, 11:00 1200
    assert list(support.values()) == pytest.approx([0, 0.5, 1.0, 2100 / 1800, 1200 / 1800, 0])
    just_a1 = available_agents(logged.engine(), HALF_HOURS, 1800, {"agent": ["A1"]})
    assert list(just_a1.values()) == pytest.approx([1200 / 1800, 1, 600 / 1800, 1, 300 / 1800, 0])
    # a filter availability has no column for: the agents available are unknown
    assert available_agents(logged.engine(), HALF_HOURS, 1800, {"channel": ["phone"]}) is None


def test_intervals_are_local_at_a_half_hour_offset(tmp_path) -> None:
    # Kolkata is UTC+05:30: the local 14:30 slot is 09:00-09:30 UTC
    ws = make_workspace(
        tmp_path, timezone="Asia/Kolkata", calls=CALLS, agent_availability=AVAILABILITY
    )
    try:
        local = [f"2024-01-01T{t}" for t in ("14:30", "15:00", "15:30", "16:00", "16:30", "17:00")]
        found = available_agents(ws.engine(), local, 1800)
    finally:
        ws.close()
    assert list(found.values()) == pytest.approx(BY_HALF_HOUR)


def test_no_availability_gives_nulls(tmp_path) -> None:
    ws = make_workspace(tmp_path, calls=CALLS)
    try:
        assert available_agents(ws.engine(), HALF_HOURS, 1800) is None
        rows = from_history(ws, None, None, Targets(), interval="30m")
    finally:
        ws.close()
    assert [(r["available_agents"], r["over_under"]) for r in rows] == [(None, None)] * 2


def test_staffing_json_per_half_hour(logged) -> None:
    args = ["staffing", "--interval", "30m", "--aht", "300s", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "-w", str(logged.root)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["interval_seconds"] == 1800
    # one call in each slot: 300 / 1800 = 0.167 Erlangs, one agent answers 80% in 20 s
    shown = [(r["period"], r["calls"], r["agents"], r["available_agents"]) for r in body["rows"]]
    assert shown == [
        ("2024-01-01T09:00", 1, 1, pytest.approx(0.6667, abs=1e-4)),
        ("2024-01-01T11:00", 1, 1, pytest.approx(0.8333, abs=1e-4)),
    ]
    assert [r["over_under"] for r in body["rows"]] == pytest.approx([-0.3333, -0.1667], abs=1e-4)
    # the day's required agent-hours: two half hours of one agent
    assert body["days"][0]["required_agent_hours"] == 1.0
    hourly = CliRunner().invoke(app, ["staffing", "--format", "json", "-w", str(logged.root)])
    assert json.loads(hourly.stdout)["interval_seconds"] == 3600
    bad = CliRunner().invoke(app, ["staffing", "--interval", "15m", "-w", str(logged.root)])
    assert bad.exit_code == 2 and "30m or 1h" in bad.output


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("actual")
    demo.write(demo.generate(5_000, seed=1), root / "data", "parquet")
    ws = supportmetrics.init(root / "ws", timezone="America/New_York")
    ws.ingest([root / "data"])
    yield ws
    ws.close()


@pytest.mark.slow
def test_half_hours_add_up_to_hours_and_to_the_occupancy_denominator(demo_workspace) -> None:
    # Cross-check with the occupancy metric (breaks left out): every available second of the
    # demo's closed stretches falls in exactly one half hour of the data's local span.
    engine = demo_workspace.engine()
    low, high = covered_days(*engine.bounds(), engine.config.timezone)
    halves = [label(m, "half_hour") for m in spine(low, high, "half_hour")][:-1]
    found = available_agents(engine, halves, 1800)
    occupancy = demo_workspace.metric("occupancy", variants={"paused": "exclude"}).rows
    available_seconds = occupancy[0]["denominator"]
    assert available_seconds > 0
    assert sum(found.values()) * 1800 == pytest.approx(available_seconds, rel=1e-9)
    hours = [label(m, "hour") for m in spine(low, high, "hour")][:-1]
    hourly = available_agents(engine, hours, 3600)
    pairs = np.array(list(found.values())).reshape(-1, 2).mean(axis=1)
    assert pairs == pytest.approx(list(hourly.values()))
