"""A small demo workspace with targets, a hostile tag and agent name, two users and a token, shared
by the web tests (built once per session)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics import demo
from supportmetrics.config import CONFIG_FILE
from supportmetrics.web import create_app
from supportmetrics.web.users import Users

XSS_TAG = '<script>window.__xss = "tag"</script>'
XSS_NAME = '<img src=x onerror="window.__xss = 1">'
ADMIN, ADMIN_PASSWORD = "ana", "correct horse battery"
VIEWER, VIEWER_PASSWORD = "vic", "another long password"
TARGETS = """
[targets.first_response_time]
value = "1h"
stat = "median"
owner = "Support lead"
next_action = "Staff the morning queue"

[targets.reopen_rate]
value = "5%"
owner = "Quality lead"
next_action = "Review reopened billing tickets weekly"
"""


@dataclass(frozen=True)
class Site:
    """The demo workspace, its users file and an admin API token."""

    root: Path
    users: Users
    token: str


def _poison(data: Path) -> None:
    """Put markup in one ticket's tags and one agent's name: it must come out escaped."""
    tickets = pq.read_table(data / "tickets.parquet")
    tags = tickets.column("tags").to_pylist()
    tags[0] = [*tags[0], XSS_TAG]
    tickets = tickets.set_column(
        tickets.column_names.index("tags"),
        "tags",
        pa.array(tags, tickets.schema.field("tags").type),
    )
    pq.write_table(tickets, data / "tickets.parquet")
    agents = pq.read_table(data / "agents.parquet")
    names = agents.column("name").to_pylist()
    names[0] = XSS_NAME
    agents = agents.set_column(agents.column_names.index("name"), "name", pa.array(names))
    pq.write_table(agents, data / "agents.parquet")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    base = tmp_path_factory.mktemp("web")
    root = base / "ws"
    ws = supportmetrics.init(root, timezone="America/New_York")
    config = root / CONFIG_FILE
    config.write_text(config.read_text() + TARGETS)
    demo.write(demo.generate(1500, seed=5), base / "data", "parquet")
    _poison(base / "data")
    supportmetrics.connect(root).ingest([base / "data"])
    ws.close()
    users = Users.of_workspace(root)
    users.add(ADMIN, ADMIN_PASSWORD, "admin")
    users.add(VIEWER, VIEWER_PASSWORD, "viewer")
    return Site(root, users, users.create_token(ADMIN, "tests"))


@pytest.fixture(scope="session")
def web_app(site: Site) -> FastAPI:
    """The app over the demo workspace; releasing the store when idle is off."""
    return create_app(supportmetrics.connect(site.root), users=site.users, idle_seconds=0)


@pytest.fixture
def anon(web_app: FastAPI) -> TestClient:
    """A client with no session (API calls carry a token themselves)."""
    return TestClient(web_app)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture(scope="session")
def admin(web_app: FastAPI) -> TestClient:
    """A client logged in as the admin (one session for the whole run)."""
    client = TestClient(web_app)
    login(client, ADMIN, ADMIN_PASSWORD)
    return client


@pytest.fixture
def viewer(web_app: FastAPI) -> TestClient:
    client = TestClient(web_app)
    login(client, VIEWER, VIEWER_PASSWORD)
    return client


@pytest.fixture
def auth(site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.token}"}


def assert_same(got: object, expected: object, path: str = "") -> None:
    """Equal, floats to 1e-9 relative (the backend may sum in another order between runs)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), path
        for key in expected:
            assert_same(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), path
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-9), path
    else:
        assert got == expected, path


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` served on a free loopback port in a thread (for the browser tests): its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
