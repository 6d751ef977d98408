"""Failed logins: a growing delay per account (never a lockout of its owner), a limit per client
address, X-Forwarded-For believed only from trusted proxies, and state that survives a restart.
The limiter's clock is a test double: no test sleeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.web import create_app
from supportmetrics.web.auth import LoginLimiter
from supportmetrics.web.users import Users
from tests.web.conftest import csrf_of

OWNER, PASSWORD = "ana", "correct horse battery"


class Clock:
    """Epoch seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def root(tmp_path: Path) -> Path:
    supportmetrics.init(tmp_path / "ws").close()
    Users.of_workspace(tmp_path / "ws").add(OWNER, PASSWORD, "admin")
    return tmp_path / "ws"


def _app(root: Path, clock: Clock, **limits: float) -> FastAPI:
    app = create_app(supportmetrics.connect(root), idle_seconds=0)
    app.state.limiter = LoginLimiter(app.state.users, clock=clock, **limits)
    return app


def _try(
    client: TestClient, password: str, username: str = OWNER, **headers: str
) -> tuple[int, int]:
    """Status of one login attempt and its Retry-After (0 without one)."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        headers=headers,
        follow_redirects=False,
    )
    return response.status_code, int(response.headers.get("retry-after", 0))


def test_failures_grow_a_delay_and_the_owner_gets_in_after_it(root: Path) -> None:
    clock = Clock()
    client = TestClient(_app(root, clock))
    assert [_try(client, "guess")[0] for _ in range(5)] == [401] * 5  # five free failures
    assert _try(client, PASSWORD) == (429, 1)  # refused unchecked: 2^0 s after the 5th
    clock.now += 1
    assert _try(client, "guess") == (401, 0)
    assert _try(client, "guess") == (429, 2)  # 2^1 s after the 6th
    clock.now += 2
    assert _try(client, "guess")[0] == 401
    clock.now += 3
    assert _try(client, PASSWORD) == (429, 1)  # 4 s after the 7th
    clock.now += 1
    assert _try(client, PASSWORD) == (303, 0)  # the owner is in after the current delay
    assert _try(TestClient(client.app), "guess") == (401, 0)  # the success cleared the count


def test_a_stranger_cannot_lock_the_owner_out(root: Path) -> None:
    clock = Clock()
    app = _app(root, clock)
    waits = []
    for attempt in range(40):  # a stranger on many addresses, trying as soon as allowed
        stranger = TestClient(app, client=(f"203.0.113.{attempt}", 4000))
        status, wait = _try(stranger, "guess")
        if status == 429:
            waits.append(wait)
            clock.now += wait
            assert _try(stranger, "guess")[0] == 401
    assert max(waits) == 60  # the delay stops growing at one minute
    clock.now += 60
    owner = TestClient(app, client=("198.51.100.7", 4000))
    assert _try(owner, PASSWORD) == (303, 0)


def test_one_client_address_is_limited_across_accounts(root: Path) -> None:
    clock = Clock()
    client = TestClient(_app(root, clock, client_failures=3, client_window=900))
    assert [_try(client, "guess", f"user{i}")[0] for i in range(3)] == [401] * 3
    assert _try(client, "guess", "someone-else") == (429, 900)
    assert _try(client, PASSWORD) == (429, 900)  # even the right password, from this address
    other = TestClient(client.app, client=("192.0.2.1", 4000))
    assert _try(other, PASSWORD)[0] == 303  # other addresses are not affected
    clock.now += 900
    assert _try(client, "guess", "someone-else")[0] == 401


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(root: Path) -> None:
    clock = Clock()
    local = ("127.0.0.1", 4000)
    client = TestClient(_app(root, clock, client_failures=3), client=local)
    statuses = [
        _try(client, "guess", f"user{i}", **{"X-Forwarded-For": f"198.51.100.{i}"})[0]
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]  # rotating the header does not help

    config = root / CONFIG_FILE
    config.write_text(config.read_text() + '\n[server]\ntrusted_proxies = ["127.0.0.0/8"]\n')
    proxied = TestClient(_app(root, clock, client_failures=3), client=local)
    statuses = [
        _try(proxied, "guess", f"user{i}", **{"X-Forwarded-For": f"198.51.100.{i}, 127.0.0.2"})[0]
        for i in range(4)
    ]
    assert statuses == [401] * 4  # behind the proxy, four different clients
    for _ in range(3):
        _try(proxied, "guess", "someone", **{"X-Forwarded-For": "192.0.2.9"})
    assert _try(proxied, PASSWORD, **{"X-Forwarded-For": "192.0.2.9"})[0] == 429
    assert _try(proxied, PASSWORD, **{"X-Forwarded-For": "192.0.2.10"})[0] == 303


def test_the_limit_survives_a_restart(root: Path) -> None:
    clock = Clock()
    client = TestClient(_app(root, clock))
    for _ in range(6):
        _try(client, "guess")
    restarted = TestClient(_app(root, clock))  # a new app over the same application database
    assert _try(restarted, PASSWORD) == (429, 1)
