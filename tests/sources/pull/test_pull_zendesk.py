"""`supportmetrics pull zendesk` against a loopback server replaying the incremental export."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.sources._canonical import FIXTURES
from tests.sources.pull._store import counts, run, tables, workspace
from tests.sources.pull.replay import ZENDESK_AUTH, Fault, serve, zendesk_api

SINCE = "2024-01-01T00:00:00Z"


def env(url: str) -> dict[str, str]:
    return {
        "ZENDESK_BASE_URL": url,
        "ZENDESK_EMAIL": "agent@example.com",
        "ZENDESK_API_TOKEN": "secret",
    }


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """The same records imported from files, all at once."""
    ws = workspace(tmp_path / "imported")
    folder = tmp_path / "files"
    folder.mkdir()
    for name in (
        "tickets.json",
        "ticket_audits.jsonl",
        "users.json",
        "groups.json",
        "ticket_metrics.json",
        "satisfaction_ratings.jsonl",
    ):
        (folder / name).write_bytes((FIXTURES / "zendesk" / name).read_bytes())
    result = run("import", "zendesk", str(folder), "-w", str(ws), env={})
    assert result.exit_code == 0, result.output
    return ws


@pytest.mark.slow
def test_a_pull_in_pages_gives_the_store_an_import_of_the_same_records_gives(
    tmp_path: Path, imported: Path
) -> None:
    ws = workspace(tmp_path / "ws")
    with serve(zendesk_api(), ZENDESK_AUTH) as api:
        result = run(
            "pull", "zendesk", "--since", SINCE, "--page-size", "2", "-w", str(ws), env=env(api.url)
        )
    assert result.exit_code == 0, result.output
    exports = [r for r in api.log if "/incremental/" in r]
    # 7 ticket records (ticket 106 twice: updated between two pages), 2 a page: 4 pages
    assert len(exports) == 4
    assert "start_time=1704067200" in exports[0]
    assert all("cursor=" in r and "start_time" not in r for r in exports[1:])
    assert all("include=users%2Cgroups%2Corganizations%2Cmetric_sets" in r for r in exports)
    # ticket 101 has 3 audits, 2 a page: the second page is followed
    assert [r for r in api.log if "/tickets/101/audits" in r] == [
        "GET /api/v2/tickets/101/audits.json",
        "GET /api/v2/tickets/101/audits.json?page=2",
    ]
    assert "/tickets/105/audits" not in " ".join(api.log)  # deleted: skipped
    # page 3 holds ticket 106 before it was assigned: its comment author 1002 is not sideloaded
    assert [r for r in api.log if "show_many" in r] == ["GET /api/v2/users/show_many.json?ids=1002"]
    # the rated tickets' ratings by id (803 belongs to the deleted ticket 105)
    assert sorted(r for r in api.log if "satisfaction_ratings" in r) == [
        "GET /api/v2/satisfaction_ratings/801.json",
        "GET /api/v2/satisfaction_ratings/802.json",
    ]
    assert tables(ws) == tables(imported)
    found = counts(ws)
    assert (found["tickets"], found["surveys"], found["survey_invitations"]) == (5, 1, 2)


@pytest.mark.slow
def test_a_429_waits_for_retry_after_and_a_500_is_retried(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    with serve(zendesk_api(), ZENDESK_AUTH) as api:
        api.faults = [
            Fault("/incremental/tickets/cursor.json?", 429, {"Retry-After": "1"}),
            Fault("/tickets/104/audits.json", 500),
        ]
        result = run("pull", "zendesk", "--since", SINCE, "-w", str(ws), env=env(api.url))
    assert result.exit_code == 0, result.output
    assert "rate limited (429)" in result.stderr and "waiting 1 s" in result.stderr
    assert "500 from" in result.stderr and "retry 1 of 5" in result.stderr
    first = [r for r in api.log if "/incremental/" in r][:2]
    assert first[0] == first[1]  # the rate-limited request was sent again
    assert api.log.count("GET /api/v2/tickets/104/audits.json") == 2
    assert counts(ws)["tickets"] == 5


@pytest.mark.slow
def test_the_state_is_saved_after_each_page_and_the_next_pull_starts_from_it(
    tmp_path: Path,
) -> None:
    ws = workspace(tmp_path / "ws")
    with serve(zendesk_api(), ZENDESK_AUTH) as api:
        first = run("pull", "zendesk", "--since", SINCE, "-w", str(ws), env=env(api.url))
        again = run("pull", "zendesk", "-w", str(ws), "--format", "json", env=env(api.url))
    assert first.exit_code == 0 and again.exit_code == 0, again.output
    state = json.loads((ws / ".supportmetrics" / "pull" / "zendesk.json").read_text())
    assert state["connector"] == "zendesk" and state["account"] == api.url
    after = [r for r in api.log if "/incremental/" in r]
    assert (
        f"cursor={quote(state['cursor']['cursor'])}" in after[-1]
    )  # the second pull resumed there
    summary = json.loads(again.stdout)
    assert (summary["resumed"], summary["tickets"], summary["rows_loaded"]) == (True, 0, 0)


def test_a_missing_variable_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    result = run(
        "pull",
        "zendesk",
        "--since",
        SINCE,
        "-w",
        str(ws),
        env={"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "", "ZENDESK_API_TOKEN": "x"},
    )
    assert result.exit_code == 1
    assert "environment variable ZENDESK_EMAIL is not set" in result.stderr
    assert counts(ws) == {}
    assert not (ws / ".supportmetrics" / "pull").exists()


def test_refused_credentials_stop_the_pull_with_the_status(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    with serve(zendesk_api(), ZENDESK_AUTH) as api:
        result = run(
            "pull",
            "zendesk",
            "--since",
            SINCE,
            "-w",
            str(ws),
            env={**env(api.url), "ZENDESK_API_TOKEN": "wrong"},
        )
    assert result.exit_code == 1
    assert "401 from" in result.stderr and "credentials were refused" in result.stderr
    assert counts(ws) == {}


def test_a_first_pull_needs_since(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    result = run("pull", "zendesk", "-w", str(ws), env=env("http://127.0.0.1:9"))
    assert result.exit_code == 1
    assert "give --since DATE for the first pull" in result.stderr
