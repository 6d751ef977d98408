"""The benchmark suite's three ways agree on every figure (a tiny dataset; nothing is timed)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _module(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each way's figures over two 1,000-ticket parts (so the id prefixes are exercised too)."""
    data_module, run = _module("suite_data"), _module("suite_run")
    root = tmp_path_factory.mktemp("suite")
    data = root / "data"
    for index in range(2):
        data_module.write_part(1_000, index, index, data)
    workspace = root / "ws"
    run.run("ingest", data, workspace)
    return {way: run.run(way, data, workspace)["figures"] for way in ("engine", "sql", "pandas")}


def test_every_figure_is_computed(figures: dict[str, Any]) -> None:
    spec = _module("suite_spec")
    keys = {"|".join(key) for key in spec.figure_keys()}
    assert len(keys) == 48
    for way, computed in figures.items():
        assert set(computed) == keys, way
        empty = [key for key, groups in computed.items() if not groups]
        assert not empty, (way, empty)


@pytest.mark.parametrize("way", ["engine", "pandas"])
def test_agrees_with_the_sql(figures: dict[str, Any], way: str) -> None:
    spec = _module("suite_spec")
    assert spec.compare(figures["sql"], figures[way]) == []
