"""`supportmetrics pull freshdesk` and `pull intercom` against loopback servers replaying their
APIs: the pulled store equals the store an import of the same records gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sources._canonical import FIXTURES
from tests.sources.pull._store import counts, run, tables, workspace
from tests.sources.pull.replay import (
    FRESHDESK_AUTH,
    INTERCOM_AUTH,
    Fault,
    freshdesk_api,
    intercom_api,
    serve,
)

pytestmark = pytest.mark.slow  # a conversion and an ingest per page


def _imported(tmp_path: Path, tool: str) -> Path:
    ws = workspace(tmp_path / "imported")
    result = run("import", tool, str(FIXTURES / tool), "-w", str(ws), env={})
    assert result.exit_code == 0, result.output
    return ws


def test_freshdesk_pages_restart_after_the_newest_update_and_equal_an_import(
    tmp_path: Path,
) -> None:
    ws = workspace(tmp_path / "ws")
    with serve(freshdesk_api(), FRESHDESK_AUTH) as api:
        api.faults = [Fault("/api/v2/tickets?", 429, {"Retry-After": "0"})]
        env = {"FRESHDESK_BASE_URL": api.url, "FRESHDESK_API_KEY": "key123"}
        result = run(
            "pull",
            "freshdesk",
            "--since",
            "2024-01-01",
            "--page-size",
            "3",
            "-w",
            str(ws),
            env=env,
        )
    assert result.exit_code == 0, result.output
    lists = [r.split("?")[1] for r in api.log if r.startswith("GET /api/v2/tickets?")]
    # --since without an offset is in the workspace's time zone (New York: UTC-5);
    # a full page of 3 restarts one second before its newest update (tickets 1, 4, 5 ... then
    # 5, 2, 3, then 3, 6, 7, then 7); a 429 (Retry-After: 0) repeats the first request
    assert [q.split("&")[0] for q in lists] == [
        "updated_since=2024-01-01T05%3A00%3A00Z",
        "updated_since=2024-01-01T05%3A00%3A00Z",
        "updated_since=2024-01-09T09%3A59%3A59Z",
        "updated_since=2024-01-11T13%3A59%3A59Z",
        "updated_since=2024-01-12T14%3A59%3A59Z",
    ]
    assert all("page=1&" in q or q.endswith("page=1") for q in lists)
    # ticket 1's three conversations come two a page, through the Link header
    assert [r for r in api.log if "/tickets/1/conversations" in r] == [
        "GET /api/v2/tickets/1/conversations?per_page=100",
        "GET /api/v2/tickets/1/conversations?per_page=2&page=2",
    ]
    assert tables(ws) == tables(_imported(tmp_path, "freshdesk"))
    state = json.loads((ws / ".supportmetrics" / "pull" / "freshdesk.json").read_text())
    assert state["cursor"] == {"updated_since": "2024-01-12T14:59:59Z", "page": 1}


def test_intercom_search_pages_and_whole_conversations_equal_an_import(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    with serve(intercom_api(), INTERCOM_AUTH) as api:
        api.faults = [Fault("/conversations/1002", 503)]
        env = {"INTERCOM_BASE_URL": api.url, "INTERCOM_ACCESS_TOKEN": "tok"}
        result = run(
            "pull",
            "intercom",
            "--since",
            "2024-01-01T00:00:00Z",
            "--page-size",
            "2",
            "-w",
            str(ws),
            env=env,
        )
    assert result.exit_code == 0, result.output
    searches = [r for r in api.log if "search" in r]
    assert len(searches) == 2  # conversations 1001, 1002; then from 1002's update: 1002, 1003
    assert api.log.count("GET /conversations/1002") == 3  # once in each page, once retried
    assert "503 from" in result.stderr
    assert tables(ws) == tables(_imported(tmp_path, "intercom"))
    assert counts(ws)["tickets"] == 3
    state = json.loads((ws / ".supportmetrics" / "pull" / "intercom.json").read_text())
    assert state["cursor"] == {"updated_after": 1704985199, "starting_after": None}
