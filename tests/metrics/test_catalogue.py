"""Every metric is documented, listed by the CLI, in the README, and has a hand-computed test."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.metrics import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]


def test_every_metric_is_declared_completely() -> None:
    for metric in CATALOGUE.values():
        assert metric.title and metric.definition.endswith("."), metric.id
        assert metric.filed_under and metric.unit, metric.id
        assert len({v.name for v in metric.variants}) == len(metric.variants), metric.id
        for variant in metric.variants:
            assert variant.description, (metric.id, variant.name)
            if variant.choices:
                assert variant.default in variant.choices, (metric.id, variant.name)


def test_metrics_list_shows_every_metric() -> None:
    result = CliRunner().invoke(app, ["metrics", "list", "--format", "json"])
    assert result.exit_code == 0
    listed = {row["id"]: row for row in json.loads(result.stdout)}
    assert list(listed) == list(CATALOGUE)
    assert "clock_start=created" in listed["first_response_time"]["variants"]
    assert "email: 24 h" in listed["first_response_time"]["benchmarks"]


def test_every_metric_is_in_the_readme_and_has_a_fixture_test() -> None:
    readme = (ROOT / "README.md").read_text()
    tests = "".join(p.read_text() for p in (ROOT / "tests" / "metrics").glob("test_*.py"))
    for metric_id in CATALOGUE:
        assert f"`{metric_id}`" in readme, f"{metric_id} is not documented in the README"
        assert f'"{metric_id}"' in tests, f"{metric_id} has no hand-computed test"
