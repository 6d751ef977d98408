"""A pull killed with SIGKILL in the middle resumes from the last committed page: the resumed store
equals the store of an uninterrupted pull, row for row, in every canonical table; and resuming
from an older position (a kill after a page's commit, before its position was saved) re-imports
pages already loaded without changing a row."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

import supportmetrics
from tests.sources.pull._store import counts, run, tables, workspace
from tests.sources.pull.replay import ZENDESK_AUTH, Replay, serve, zendesk_api

pytestmark = pytest.mark.slow  # three pulls, one of them a separate process
SINCE = "2024-01-01T00:00:00Z"
SRC = str(Path(supportmetrics.__file__).parent.parent)
PAGE_3 = "cursor=" + quote("cG9zaXRpb246NA==", safe="")
"""The export request of page 3 (the replay's cursor after 4 tickets; 2 a page)."""
PAGE_3_LAST = "GET /api/v2/tickets/106/audits.json?page=2"
"""The last request of page 3: its conversion and ingest follow."""


def _env(url: str) -> dict[str, str]:
    return {
        "ZENDESK_BASE_URL": url,
        "ZENDESK_EMAIL": "agent@example.com",
        "ZENDESK_API_TOKEN": "secret",
    }


def _start(ws: Path, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **_env(url), "PYTHONPATH": SRC}
    args = ["pull", "zendesk", "--since", SINCE, "--page-size", "2", "-w", str(ws)]
    return subprocess.Popen(
        [sys.executable, "-m", "supportmetrics", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _export(cursor: str) -> str:
    return (
        "/api/v2/incremental/tickets/cursor.json?per_page=2&include=users%2Cgroups%2C"
        f"organizations%2Cmetric_sets&{cursor}"
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL


def _wait_for(api: Replay, request: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while request not in api.log:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, api.log
        time.sleep(0.02)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    ws = workspace(tmp_path_factory.mktemp("full") / "ws")
    with serve(zendesk_api(), ZENDESK_AUTH) as api:
        result = run(
            "pull",
            "zendesk",
            "--since",
            SINCE,
            "--page-size",
            "2",
            "-w",
            str(ws),
            env=_env(api.url),
        )
    assert result.exit_code == 0, result.output
    return tables(ws)


def test_killed_between_pages_resumes_to_the_same_store(
    tmp_path: Path, uninterrupted: dict[str, list[tuple[object, ...]]]
) -> None:
    ws = workspace(tmp_path / "ws")
    state = ws / ".supportmetrics" / "pull" / "zendesk.json"
    with serve(zendesk_api(), ZENDESK_AUTH) as api:
        api.hold = PAGE_3
        proc = _start(ws, api.url)
        assert api.held.wait(120), api.log
        _kill(proc)
        api.hold = None
        api.release.set()
        after_two_pages = tmp_path / "after-two-pages.json"
        shutil.copy(state, after_two_pages)
        assert counts(ws)["tickets"] == 3  # pages 1 and 2: 101, 103, 104 (105 is deleted)
        resumed = run("pull", "zendesk", "--page-size", "2", "-w", str(ws), env=_env(api.url))
        assert resumed.exit_code == 0, resumed.output
        assert "resuming from" in resumed.stderr
        # the held request, then the resume's first request: page 3 again, not page 1
        assert [r for r in api.log if "/incremental/" in r][2:4] == [f"GET {_export(PAGE_3)}"] * 2
        assert tables(ws) == uninterrupted

        # a kill after page 3's commit but before its position was saved: pages 3 and 4 again
        shutil.copy(after_two_pages, state)
        again = run("pull", "zendesk", "--page-size", "2", "-w", str(ws), env=_env(api.url))
        assert again.exit_code == 0, again.output
    assert tables(ws) == uninterrupted


@pytest.mark.parametrize("moment", ["converting", "writing"])
def test_killed_while_a_page_is_converted_or_written_resumes_to_the_same_store(
    tmp_path: Path, uninterrupted: dict[str, list[tuple[object, ...]]], moment: str
) -> None:
    """Killed while page 3 is converted and validated (right after its last request), or while
    it is written (as soon as the store's write-ahead log appears: inside the transaction, or
    just after its commit and before its position is saved)."""
    ws = workspace(tmp_path / "ws")
    wal = Path(f"{supportmetrics.connect(ws).store_path}.wal")
    with serve(zendesk_api(), ZENDESK_AUTH) as api:
        proc = _start(ws, api.url)
        _wait_for(api, PAGE_3_LAST, proc)
        if moment == "converting":
            time.sleep(0.2)
        else:
            deadline = time.monotonic() + 60
            while not wal.exists():
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.002)
        _kill(proc)
        if moment == "converting":
            assert counts(ws)["tickets"] == 3  # page 3 was not committed
        resumed = run("pull", "zendesk", "--page-size", "2", "-w", str(ws), env=_env(api.url))
    assert resumed.exit_code == 0, resumed.output
    assert tables(ws) == uninterrupted
