"""Shared fixtures: a fresh workspace and a helper to write small input files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import supportmetrics

WriteFile = Callable[[str, str], Path]


@pytest.fixture
def workspace(tmp_path: Path) -> supportmetrics.Workspace:
    """An empty workspace whose time zone is America/New_York."""
    return supportmetrics.init(tmp_path / "ws", timezone="America/New_York")


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """Write `text` to `name` in a fresh input folder and return its path."""
    folder = tmp_path / "input"
    folder.mkdir()

    def _write(name: str, text: str) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


SLOW = (
    "tests/backends/",
    "tests/benchmarks/",
    "tests/demo/test_generator.py",
    "tests/test_crosscheck.py",
    "tests/test_crosscheck_experience.py",
    "tests/test_fact_refresh.py",
    "tests/web/test_browser.py",
    "tests/web/test_display_rules.py",
    "tests/web/test_pages.py",
    "tests/web/test_schema.py",
    "tests/web/test_views.py",
    "tests/web/test_settings_edit.py",
    "tests/web/test_screens.py",
)
"""Test modules marked `slow` (whole modules: their cost is a shared demo-sized fixture), measured
with `pytest --durations=40`; `pytest -m "not slow"` is the inner loop, CI runs everything."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if item.path.relative_to(root).as_posix().startswith(SLOW):
            item.add_marker(pytest.mark.slow)
