"""Forecast: the model on series with a known answer, the baseline, the metrics, and the backtest
on the demo data (the model must not lose to "same as last week")."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics import demo
from supportmetrics.cli import app
from supportmetrics.staffing import Targets, calculate
from supportmetrics.staffing.forecast import accuracy, backtest, model_forecast, seasonal_naive

# A week of hourly shape: 0 at night, 4 an hour 08:00-16:00 on weekdays, 1 on weekends.
DAY = np.array([0] * 8 + [4] * 9 + [0] * 7, dtype=float)
WEEKEND = np.array([0] * 8 + [1] * 9 + [0] * 7, dtype=float)
WEEK = np.concatenate([DAY] * 5 + [WEEKEND] * 2)


def test_a_repeating_week_is_forecast_as_itself() -> None:
    history = np.tile(WEEK, 10)
    result = model_forecast(history, 14 * 24, 24)
    assert result.mean == pytest.approx(np.tile(WEEK, 2), abs=1e-6)
    assert np.array_equal(result.baseline, np.tile(WEEK, 2))
    assert np.all(result.lower <= result.mean + 1e-9) and np.all(result.upper >= result.mean)
    # daily totals: 36 a weekday, 9 a weekend day
    daily = model_forecast(np.tile(WEEK, 10).reshape(-1, 24).sum(axis=1), 7, 1)
    assert daily.mean == pytest.approx([36] * 5 + [9] * 2, abs=1e-6)


def test_seasonal_naive_repeats_last_week() -> None:
    history = np.arange(10, dtype=float)
    assert seasonal_naive(history, 5, 3).tolist() == [7, 8, 9, 7, 8]


def test_wape_and_mape_by_hand() -> None:
    actual, predicted = np.array([10.0, 0.0, 30.0]), np.array([12.0, 1.0, 27.0])
    # WAPE (2 + 1 + 3) / 40 = 0.15; MAPE over intervals with contacts (0.2 + 0.1) / 2 = 0.15
    assert accuracy(actual, predicted) == pytest.approx({"wape": 0.15, "mape": 0.15})
    assert accuracy(np.zeros(2), np.ones(2)) == {"wape": None, "mape": None}


def test_backtest_of_an_exact_pattern_is_perfect() -> None:
    result = backtest(np.tile(WEEK, 10), "1h")
    assert result["folds"] == 4
    assert result["model"]["wape"] == pytest.approx(0.0, abs=1e-6)
    assert result["baseline"]["wape"] == 0.0


def test_backtest_per_half_hour_of_an_exact_pattern_is_perfect() -> None:
    halves = np.repeat(WEEK, 2) / 2  # each hour's contacts split over its two half hours
    result = backtest(np.tile(halves, 10), "30m")
    assert result["folds"] == 4
    assert result["model"]["wape"] == pytest.approx(0.0, abs=1e-6)
    forecast = model_forecast(np.tile(halves, 10), 7 * 48, 48)
    assert forecast.mean == pytest.approx(halves, abs=1e-6)


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast")
    demo.write(demo.generate(20_000, seed=0), root / "data", "parquet")
    ws = supportmetrics.init(root / "ws", timezone="America/New_York")
    ws.ingest([root / "data"])
    yield ws
    ws.close()


@pytest.mark.slow
def test_model_beats_same_as_last_week_on_the_demo_data(demo_workspace) -> None:
    args = ["forecast", "--format", "json", "--horizon", "7d", "-w", str(demo_workspace.root)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    (check,) = payload["backtest"]
    assert check["folds"] == 4
    assert check["model"]["wape"] <= check["baseline"]["wape"]
    assert len(payload["rows"]) == 7 * 24
    row = payload["rows"][0]
    assert row["lower"] <= row["forecast"] <= row["upper"]
    daily = CliRunner().invoke(app, [*args, "--interval", "day"])
    (check,) = json.loads(daily.stdout)["backtest"]
    assert check["model"]["wape"] <= check["baseline"]["wape"]


@pytest.mark.slow
def test_staffing_the_forecast(demo_workspace) -> None:
    # Each hour of the forecast is staffed as the calculator staffs that many contacts
    args = ["staffing", "--forecast", "--aht", "300s", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "-w", str(demo_workspace.root)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    rows, days = body["rows"], body["days"]
    assert len(rows) == 14 * 24 and days == []
    last_data_day = demo_workspace.engine().span()[1].isoformat()
    assert rows[0]["period"] > last_data_day
    targets = Targets(service_level=0.8, answer_within=20)
    for row in rows[::37]:
        expected = calculate(row["forecast"], 3600, 300, targets)
        assert (row["agents"], row["aht_seconds"]) == (expected["agents"], 300.0)
    refused = CliRunner().invoke(app, [*args, "--where", "queue=sales"])
    assert refused.exit_code == 2 and "--where does not apply" in refused.output


@pytest.mark.slow
def test_half_hour_forecast_adds_up_to_the_hourly_one(demo_workspace) -> None:
    # The same daily model, spread by each weekday's profile: two half hours make their hour.
    args = ["forecast", "--format", "json", "--horizon", "7d", "-w", str(demo_workspace.root)]
    hourly = json.loads(CliRunner().invoke(app, args).stdout)
    result = CliRunner().invoke(app, [*args, "--interval", "30m"])
    assert result.exit_code == 0, result.output
    halves = json.loads(result.stdout)
    assert halves["interval"] == "30m" and len(halves["rows"]) == 7 * 48
    periods = [r["period"] for r in halves["rows"]]
    assert periods[:3] == [hourly["rows"][0]["period"], periods[0][:14] + "30", periods[2]]
    assert periods[2] == hourly["rows"][1]["period"]
    pairs = np.array([r["forecast"] for r in halves["rows"]]).reshape(-1, 2).sum(axis=1)
    assert pairs == pytest.approx([r["forecast"] for r in hourly["rows"]], abs=2e-3)
    (check,) = halves["backtest"]
    assert check["folds"] == 4 and check["model"]["wape"] is not None


@pytest.mark.slow
def test_staffing_the_forecast_per_half_hour(demo_workspace) -> None:
    args = ["staffing", "--forecast", "--aht", "300s", "--interval", "30m", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "-w", str(demo_workspace.root)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["interval_seconds"] == 1800 and len(body["rows"]) == 14 * 48
    targets = Targets(service_level=0.8, answer_within=20)
    for row in body["rows"][::41]:
        assert row["agents"] == calculate(row["forecast"], 1800, 300, targets)["agents"]
        assert (row["available_agents"], row["over_under"]) == (None, None)
