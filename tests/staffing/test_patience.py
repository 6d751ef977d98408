"""Patience estimated from the calls, and Erlang A through the plan, the calculator and the
command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.staffing import (
    StaffingError,
    Targets,
    calculate,
    erlang_a,
    estimate_patience,
    from_history,
)
from tests.metrics.conftest import make_workspace
from tests.staffing.test_requirements import CALLS


@pytest.fixture
def center(tmp_path):
    ws = make_workspace(tmp_path, calls=CALLS)
    yield ws
    ws.close()


def test_patience_is_waiting_seconds_per_abandoned_call(center) -> None:
    # offered: K1 waits 10 s, K2 40 s, K8 20 s (answered), K7 300 s (timed out: censored),
    # K4 15 s (abandoned); K3 abandoned after 3 s, a short abandon, is left out.
    found = estimate_patience(center)
    assert (found.abandoned, found.calls, found.waiting_seconds) == (1, 5, 385.0)
    assert found.seconds == 385.0
    # the support queue: K4 15 s, K7 300 s, K8 20 s
    assert estimate_patience(center, where={"queue": ["support"]}).seconds == 335.0
    # the team's short-abandon threshold is the metric's: at 2 s, K3 counts (3 s, abandoned)
    center.config.variants["abandonment_rate"] = {"threshold": 2}
    assert estimate_patience(center).seconds == 388.0 / 2


def test_patience_needs_abandoned_calls(center) -> None:
    with pytest.raises(StaffingError, match="no abandoned calls among the 2 offered"):
        estimate_patience(center, where={"queue": ["sales"]})


def test_erlang_a_per_hour_uses_the_estimated_patience(center) -> None:
    targets = Targets(service_level=0.8, answer_within=20, model="erlang_a")
    rows = from_history(center, None, None, targets, aht=600)
    traffic = np.array([3 * 600 / 3600, 2 * 600 / 3600])
    expected = erlang_a.performance([r["agents"] for r in rows], traffic, 600, 385.0, 20)
    assert [r["patience_seconds"] for r in rows] == [385.0, 385.0]
    assert [r["abandon_probability"] for r in rows] == pytest.approx(
        expected.abandon_probability, rel=1e-12
    )
    assert [r["agents"] for r in rows] == list(
        erlang_a.required_agents(traffic, 600, 385.0, service_level=0.8, within=20)
    )
    assert "abandon_probability" not in from_history(center, None, None, Targets(), aht=600)[0]


def test_calculator_with_erlang_a() -> None:
    row = calculate(100, 1800, 180, Targets(max_occupancy=0.85, model="erlang_a", patience=90))
    assert row["model"] == "erlang_a" and row["patience_seconds"] == 90
    achieved = erlang_a.performance(row["agents"], 10.0, 180, 90, 20)
    fewer = erlang_a.performance(row["agents"] - 1, 10.0, 180, 90, 20)
    assert row["service_level"] == pytest.approx(achieved.service_level[0])
    assert row["service_level"] >= 0.8 and row["occupancy"] <= 0.85
    assert fewer.service_level[0] < 0.8 or fewer.occupancy[0] > 0.85
    with pytest.raises(StaffingError, match="needs the mean patience"):
        calculate(100, 1800, 180, Targets(model="erlang_a"))
    with pytest.raises(StaffingError, match="patience -5"):
        Targets(model="erlang_a", patience=-5)


def test_command_line_erlang_a(center) -> None:
    args = "staffing --volume 100 --interval 30m --aht 180s --model erlang-a --patience 90s"
    result = CliRunner().invoke(app, [*args.split(), "--format", "json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert row == json.loads(
        json.dumps(calculate(100, 1800, 180, Targets(model="erlang_a", patience=90)))
    )
    refused = CliRunner().invoke(app, [*args.split()[:-2], "--model", "erlang-a"])
    assert refused.exit_code == 2 and "needs --patience SECONDS" in refused.output
    data = ["staffing", "--aht", "600", "--model", "erlang-a", "-w", str(center.root)]
    result = CliRunner().invoke(app, [*data, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["patience_seconds"] for r in json.loads(result.stdout)["rows"]] == [385.0, 385.0]
    none = ["--where", "queue=sales"]
    result = CliRunner().invoke(app, [*data, *none])
    assert result.exit_code == 1 and "no abandoned calls" in result.output
