"""Staffing from a workspace's calls, the calculator and the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.staffing import StaffingError, Targets, calculate, from_history, staffed_hours
from tests.metrics.conftest import make_workspace

# Hour 10: K1, K2 answered (handle 230 s and 180 + 20 s), K4 abandoned (15 s wait),
# K3 a short abandon (left out) -> 3 offered. Hour 11: K8 answered (280 s), K7 timed out -> 2.
CALLS = """call_id,queued_at,outcome,answered_at,ended_at,direction,queue,agent_id,talk_seconds,after_call_seconds
K1,2024-01-01T10:00:00Z,answered,2024-01-01T10:00:10Z,2024-01-01T10:04:00Z,inbound,sales,A1,230,
K2,2024-01-01T10:05:00Z,answered,2024-01-01T10:05:40Z,2024-01-01T10:09:00Z,,sales,A2,180,20
K3,2024-01-01T10:10:00Z,abandoned,,2024-01-01T10:10:03Z,,sales,,,
K4,2024-01-01T10:20:00Z,abandoned,,2024-01-01T10:20:15Z,,support,,,
K7,2024-01-01T11:00:00Z,timeout,,2024-01-01T11:05:00Z,,support,,,
K8,2024-01-01T11:10:00Z,answered,2024-01-01T11:10:20Z,2024-01-01T11:15:00Z,,support,A1,280,
"""
AGENTS = "agent_id,name\nA1,Ann\nA2,Bob\n"
# A1 logged in 09:00-12:00 (30 min of it paused), A2 10:00-11:00: 3 h available.
AVAILABILITY = """availability_id,agent_id,started_at,ended_at,state
V1,A1,2024-01-01T09:00:00Z,2024-01-01T11:30:00Z,available
V2,A1,2024-01-01T11:30:00Z,2024-01-01T12:00:00Z,paused
V3,A2,2024-01-01T10:00:00Z,2024-01-01T10:30:00Z,available
"""


@pytest.fixture
def center(tmp_path):
    ws = make_workspace(tmp_path, calls=CALLS, agents=AGENTS, agent_availability=AVAILABILITY)
    yield ws
    ws.close()


def test_requirement_per_hour_from_calls(center) -> None:
    rows = from_history(center, None, None, Targets(service_level=0.8, answer_within=20))
    assert [(r["period"], r["calls"], r["aht_seconds"]) for r in rows] == [
        ("2024-01-01T10:00", 3, 215.0),
        ("2024-01-01T11:00", 2, 280.0),
    ]
    # 3 x 215 / 3600 = 0.179 Erlangs: one agent answers 1 - 0.179 e^{-(1 - 0.179) 20/215} = 83.6%
    assert rows[0]["traffic_erlangs"] == pytest.approx(645 / 3600)
    assert rows[0]["agents"] == 1
    assert rows[0]["service_level"] == pytest.approx(1 - 0.17917 * 0.92652, abs=1e-4)
    # 2 x 280 / 3600 = 0.156 Erlangs: 1 agent gives 1 - 0.156 e^{-0.844 x 20/280} = 85.1%
    assert rows[1]["agents"] == 1
    fixed = from_history(center, None, None, Targets(asa=5.0), aht=600)
    # 3 x 600 / 3600 = 0.5 E: 1 agent C = 0.5, ASA 0.5 x 600 / 0.5 = 600 s; 2 agents C = 0.1,
    # ASA 40 s; 3 agents C = 0.01515, ASA 3.6 s. 0.333 E: 2 agents C = 0.0476, ASA 17.1 s;
    # 3 agents C = 0.004975, ASA 1.1 s.
    assert [r["agents"] for r in fixed] == [3, 3]
    assert [r["asa_seconds"] for r in fixed] == pytest.approx([3.636, 1.119], abs=1e-3)


def test_required_hours_beside_available_hours(center) -> None:
    rows = from_history(center, None, None, Targets())
    (day,) = staffed_hours(center, rows, None, None)
    assert day == {
        "day": "2024-01-01",
        "required_agent_hours": 2.0,
        "available_agent_hours": 3.0,
        "over_under_hours": 1.0,
    }


def test_calculator_shrinkage_rounds_up() -> None:
    row = calculate(100, 1800, 180, Targets(max_occupancy=0.85, shrinkage=0.3))
    assert (row["traffic_erlangs"], row["agents"], row["scheduled"]) == (10.0, 14, 20)
    # 14 agents at 0% shrinkage schedule exactly 14 (no rounding of 14.000000001 to 15)
    assert calculate(100, 1800, 180, Targets())["scheduled"] == 14
    with pytest.raises(StaffingError, match="shrinkage"):
        Targets(shrinkage=1.0)


def test_command_line_calculator() -> None:
    args = "staffing --volume 100 --interval 30m --aht 180s --service-level 0.8 --answer-within "
    args += "20s --max-occupancy 0.85 --shrinkage 0.3 --format json"
    result = CliRunner().invoke(app, args.split())
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert (row["agents"], row["scheduled"]) == (14, 20)
    assert row["service_level"] == pytest.approx(0.8884, abs=1e-4)
    assert row["asa_seconds"] == pytest.approx(7.84, abs=1e-2)
    assert row["occupancy"] == pytest.approx(10 / 14)
    assert row["wait_probability"] == pytest.approx(0.1741, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ("--volume 10 --aht soon", 2, "not a duration"),
        ("--volume 10", 2, "needs --aht"),
        ("--volume 10 --aht 60 --asa 20s --service-level 0.8", 2, "not both"),
        ("--volume 10 --aht 60 --service-level 1.5", 1, "between 0 and 1"),
    ],
)
def test_command_line_refuses_bad_input(args: str, code: int, message: str) -> None:
    result = CliRunner().invoke(app, ["staffing", *args.split()])
    assert result.exit_code == code
    assert message in result.output


def test_command_line_from_the_workspace(center) -> None:
    args = ["staffing", "--aht", "600", "--asa", "5s", "-w", str(center.root), "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [(r["period"], r["calls"], r["agents"]) for r in body["rows"]] == [
        ("2024-01-01T10:00", 3, 3),
        ("2024-01-01T11:00", 2, 3),
    ]
    # 6 agent-hours needed on the phones, 3 logged in and available
    assert body["days"][0]["over_under_hours"] == -3.0
    # 10:00 A1 the whole hour and A2 half of it; 11:00 A1 until his break at 11:30
    assert [(r["available_agents"], r["over_under"]) for r in body["rows"]] == [
        (1.5, -1.5),
        (0.5, -2.5),
    ]


def test_forecast_command_refuses_quarter_hours(center) -> None:
    result = CliRunner().invoke(app, ["forecast", "--interval", "15m", "-w", str(center.root)])
    assert result.exit_code == 2 and "--interval 30m, 1h or day" in result.output


@pytest.mark.parametrize(
    ("volume", "aht", "message"),
    [
        (200_001 * 10, 180.0, "more than 20,000"),  # 200,001 Erlangs
        (float("inf"), 180.0, "finite"),
        (100.0, float("nan"), "finite"),
    ],
)
def test_out_of_range_traffic_is_refused_at_once(volume, aht, message) -> None:
    """An absurd volume (a typo, or a request to the API) is refused before the agent search,
    which would run for each agent up to the traffic."""
    with pytest.raises(StaffingError, match=message):
        calculate(volume, 1800.0, aht, Targets())
