"""A demo workspace for the report tests (built once per session); each test writes its own
reports and mail settings into its supportmetrics.toml (the facts do not depend on them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import supportmetrics
from supportmetrics import demo
from supportmetrics.config import CONFIG_FILE

SRC = str(Path(supportmetrics.__file__).resolve().parents[1])
TARGET = """
[targets.first_response_time]
value = "30m"
stat = "median"
owner = "Support lead"
next_action = "Staff the morning queue"
"""


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("reports")
    root = base / "ws"
    supportmetrics.init(root, timezone="America/New_York").close()
    demo.write(demo.generate(1500, seed=5), base / "data", "parquet")
    ws = supportmetrics.connect(root)
    ws.ingest([base / "data"])
    ws.close()
    return root


def configure(root: Path, settings: str) -> None:
    """The workspace's settings: the defaults, a missed target and `settings`."""
    (root / CONFIG_FILE).write_text('timezone = "America/New_York"\n' + TARGET + settings)


def cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`supportmetrics ARGS` on this checkout's sources, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "supportmetrics", *args, "-w", str(root)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC, **(env or {})},
        timeout=600,
        check=False,
    )


def metric_row(root: Path, metric: str, start: str, end: str, stat: str = "mean") -> dict:
    """The row `supportmetrics metric --compare previous` prints (as JSON) for the range."""
    done = cli(
        root,
        "metric",
        metric,
        "--from",
        start,
        "--to",
        end,
        "--stat",
        stat,
        "--compare",
        "previous",
        "-f",
        "json",
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["rows"][0]
