"""The pull's parts on their own: the HTTP client's retries and waits, where a listing restarts,
and the state file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from supportmetrics.sources.pull import Client, PullError
from supportmetrics.sources.pull.base import next_window
from supportmetrics.sources.pull.state import load_state, save_state
from tests.sources.pull.replay import Fault, Replay, serve

AUTH = "Bearer t"


def _ok(method: str, path: str, query: dict[str, str], body: object):
    return 200, {}, {"path": path, "query": query, "body": body}


def _client(api: Replay, waits: list[float]) -> Client:
    return Client(api.url, {"Authorization": AUTH}, sleep=waits.append)


def test_429_waits_retry_after_in_seconds_or_as_a_date_then_repeats_the_request() -> None:
    waits: list[float] = []
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    with serve(_ok, AUTH) as api:
        api.faults = [
            Fault("/a", 429, {"Retry-After": "7"}),
            Fault("/a", 429, {"Retry-After": later}),
        ]
        response = _client(api, waits).post("/a?x=1", {"k": 1})
    assert response.body == {"path": "/a", "query": {"x": "1"}, "body": {"k": 1}}
    assert api.log == ["POST /a?x=1"] * 3
    assert waits[0] == 7 and 28 <= waits[1] <= 30


def test_5xx_is_retried_with_a_doubling_backoff_and_given_up_after_five_retries() -> None:
    waits: list[float] = []
    with serve(_ok, AUTH) as api:
        api.faults = [Fault("/b", 502, times=2)]
        assert _client(api, waits).get("/b").body["path"] == "/b"
        assert waits == [1.0, 2.0]
        api.faults = [Fault("/c", 500, times=99)]
        with pytest.raises(PullError, match=r"500 from http://127\.0\.0\.1:\d+/c; the API says"):
            _client(api, waits).get("/c")
    assert waits[2:] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert api.log.count("GET /c") == 6


def test_a_used_up_rate_limit_waits_for_its_reset_before_the_next_request() -> None:
    waits: list[float] = []

    def limited(method: str, path: str, query: dict[str, str], body: object):
        return 200, {"ratelimit-remaining": "0", "ratelimit-reset": "12"}, {}

    with serve(limited, AUTH) as api:
        client = _client(api, waits)
        client.get("/one")
        assert waits == []
        client.get("/two")
    assert len(waits) == 1 and 11 < waits[0] <= 12


def test_a_wait_longer_than_the_limit_and_a_404_are_errors_saying_so() -> None:
    with serve(_ok, AUTH) as api:
        api.faults = [Fault("/d", 429, {"Retry-After": "3600"})]
        with pytest.raises(PullError, match=r"asks to wait 3600 s; try again later"):
            _client(api, []).get("/d")
    missing = r"404 from .*check the subdomain.*InvalidEndpoint"
    with (
        serve(lambda *a: (404, {}, {"error": "InvalidEndpoint"}), AUTH) as api,
        pytest.raises(PullError, match=missing),
    ):
        _client(api, []).get("/e")


def test_the_next_link_of_a_link_header() -> None:
    from supportmetrics.sources.pull.http import Response

    link = '<https://x.freshdesk.com/api/v2/tickets?page=3>; rel="next", <https://x/1>; rel="prev"'
    assert Response("u", [], {"link": link}).next_link() == (
        "https://x.freshdesk.com/api/v2/tickets?page=3"
    )
    assert Response("u", [], {}).next_link() is None


@pytest.mark.parametrize(
    ("since", "newest", "more", "restart"),
    [
        (100.0, 500.0, True, 499.0),  # a full page: restart a second before its newest update
        (100.0, 101.0, True, None),  # the whole page within a second of the start: page on
        (100.0, 100.0, True, None),
        (100.0, 500.0, False, 499.0),  # the last page: the next pull starts there
        (100.0, None, False, 100.0),  # nothing updated: stay
    ],
)
def test_where_a_listing_by_update_time_restarts(
    since: float, newest: float | None, more: bool, restart: float | None
) -> None:
    assert next_window(since, newest, more) == restart


def test_the_state_file_is_replaced_whole_and_belongs_to_one_connector_and_account(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep" / "zendesk.json"
    assert load_state(path, "zendesk", "https://a.zendesk.com") is None
    save_state(path, "zendesk", "https://a.zendesk.com", {"cursor": "abc"})
    save_state(path, "zendesk", "https://a.zendesk.com", {"cursor": "def"})
    assert load_state(path, "zendesk", "https://a.zendesk.com") == {"cursor": "def"}
    assert [p.name for p in path.parent.iterdir()] == ["zendesk.json"]  # no temporary left
    assert json.loads(path.read_text())["version"] == 1
    with pytest.raises(PullError, match="holds the position of a zendesk pull from https://a"):
        load_state(path, "zendesk", "https://b.zendesk.com")
    path.write_text("{not json")
    with pytest.raises(PullError, match="not a pull state file"):
        load_state(path, "zendesk", "https://a.zendesk.com")
