"""API docs behind login and shipped in the package, security headers on every response (errors
included), and the application database and store readable by their owner only."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.web import create_app
from supportmetrics.web.users import USERS_FILE, Users
from tests.conftest import WriteFile
from tests.web.conftest import Site, login

STATIC = Path(supportmetrics.__file__).parent / "web" / "static"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_secured(headers: object) -> None:
    assert "script-src 'self';" in headers["content-security-policy"]  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["referrer-policy"] == "same-origin"  # type: ignore[index]


def test_the_openapi_document_needs_a_login(
    anon: TestClient, auth: dict[str, str], admin: TestClient
) -> None:
    refused = anon.get("/api/openapi.json")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert "/api/metrics" in anon.get("/api/openapi.json", headers=auth).json()["paths"]
    assert "/api/metrics" in admin.get("/api/openapi.json").json()["paths"]  # a session


def test_the_docs_page_needs_a_login_and_loads_only_shipped_scripts(
    anon: TestClient, auth: dict[str, str], admin: TestClient
) -> None:
    away = anon.get("/api/docs", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/login?next=%2Fapi%2Fdocs"
    assert anon.get("/api/docs", headers={"Authorization": "Bearer smt_wrong"}).status_code == 401
    assert anon.get("/api/docs", headers=auth).status_code == 200
    page = admin.get("/api/docs")
    assert page.status_code == 200
    _assert_secured(page.headers)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert [attrs for attrs, body in scripts if "src=" not in attrs or body.strip()] == []
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert [s for s in sources if not s.startswith(("/static/", "data:"))] == []
    for source in sources:
        if source.startswith("/static/"):
            assert anon.get(source).status_code == 200, source
    assert (STATIC / "vendor" / "LICENSE-swagger-ui").exists()


def test_errors_carry_the_security_headers(site: Site) -> None:
    app = create_app(supportmetrics.connect(site.root), users=site.users, idle_seconds=0)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    client = TestClient(app, raise_server_exceptions=False)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    _assert_secured(missing.headers)
    failed = client.get("/api/boom")
    assert failed.status_code == 500
    _assert_secured(failed.headers)
    assert failed.headers["cache-control"] == "no-store"
    assert "secret detail" not in failed.text and "Traceback" not in failed.text


def test_the_application_database_and_the_store_are_the_owners_only(
    tmp_path: Path, write: WriteFile
) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    assert _mode(ws.store_path) == 0o600
    ws.ingest(
        [write("tickets.csv", "ticket_id,created_at,channel\nT1,2024-01-01T10:00:00Z,email\n")]
    )
    ws.close()
    assert _mode(ws.store_path) == 0o600
    Users.of_workspace(ws.root).add("ana", "correct horse battery", "admin")
    assert _mode(ws.root / USERS_FILE) == 0o600


def test_an_unreachable_store_is_a_503_naming_it(tmp_path) -> None:
    root = tmp_path / "ws"
    supportmetrics.init(root)
    config = root / "supportmetrics.toml"
    url = 'url = "postgres://nobody@127.0.0.1:1/test"'
    config.write_text(config.read_text().replace("[store]\n", f"[store]\n{url}\n", 1))
    users = Users(root / "users.sqlite")
    users.add("ana", "correct horse battery", "admin")
    client = TestClient(create_app(supportmetrics.connect(root), users=users, idle_seconds=0))
    login(client, "ana", "correct horse battery")
    response = client.get("/api/metrics/ticket_volume")
    assert response.status_code == 503, response.text
    assert "cannot connect to the postgres store" in response.json()["detail"]
