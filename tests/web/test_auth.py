"""Login, sessions, API tokens, CSRF and roles (the login limiter: test_login_limiter.py)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from supportmetrics.web.auth import SESSION_COOKIE
from supportmetrics.web.users import UserError, Users
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, csrf_of, login

PAGES = ["/", "/metrics", "/metrics/first_response_time", "/agents", "/targets", "/sla", "/account"]
API = ["/api/me", "/api/metrics", "/api/metrics/ticket_volume", "/api/overview", "/api/targets"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_the_logged_out_to_the_login_form(anon: TestClient, path: str) -> None:
    response = anon.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "path", ["/targets", "/targets/reopen_rate/remove", "/sla", "/sla/1/remove"]
)
def test_settings_edits_send_the_logged_out_to_the_login_form(anon: TestClient, path: str) -> None:
    response = anon.post(path, data={"owner": "Mallory"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", API)
def test_the_api_refuses_the_logged_out(anon: TestClient, path: str) -> None:
    response = anon.get(path)
    assert response.status_code == 401
    assert "API token" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer smt_not-a-real-token", "Bearer ", "Basic YW5hOmFuYQ=="])
def test_a_bad_token_is_refused(anon: TestClient, header: str) -> None:
    response = anon.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid or revoked API token"}


def test_a_token_identifies_its_user(anon: TestClient, auth: dict[str, str]) -> None:
    assert anon.get("/api/me", headers=auth).json() == {"username": ADMIN, "role": "admin"}


def test_login_sets_an_httponly_samesite_session_cookie(anon: TestClient) -> None:
    page = anon.get("/login")
    assert "httponly" in page.headers["set-cookie"].lower()
    response = anon.post(
        "/login",
        data={"username": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 303 and cookie.startswith(SESSION_COOKIE)
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert anon.get("/api/me").json()["username"] == ADMIN


def test_login_without_its_csrf_token_is_refused(anon: TestClient) -> None:
    anon.get("/login")
    response = anon.post("/login", data={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert anon.get("/api/me").status_code == 401


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(anon: TestClient) -> None:
    page = anon.get("/login")
    response = anon.post(
        "/login",
        data={"username": ADMIN, "password": "not it at all", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert SESSION_COOKIE not in anon.cookies


def test_state_changes_need_the_csrf_token(admin: TestClient) -> None:
    before = len(admin.get("/account").text)
    assert admin.post("/account/tokens", data={"label": "x"}).status_code == 403
    assert (
        admin.post("/account/tokens", data={"label": "x", "csrf_token": "forged"}).status_code
        == 403
    )
    assert admin.post("/logout", data={}).status_code == 403
    assert len(admin.get("/account").text) == before  # nothing was created


def test_tokens_made_on_the_account_page_work_until_revoked(
    web_app: FastAPI, anon: TestClient
) -> None:
    client = TestClient(web_app)
    login(client, ADMIN, ADMIN_PASSWORD)
    page = client.get("/account")
    created = client.post(
        "/account/tokens", data={"label": "report", "csrf_token": csrf_of(page.text)}
    )
    secret = created.text.split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {secret}"}
    assert anon.get("/api/me", headers=headers).status_code == 200
    users: Users = web_app.state.users
    token = next(t for t in users.tokens(ADMIN) if t.label == "report")
    assert token.last_used_at is not None
    revoked = client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_of(created.text)}
    )
    assert revoked.status_code == 200
    assert anon.get("/api/me", headers=headers).status_code == 401


def test_logout_ends_the_session(web_app: FastAPI) -> None:
    client = TestClient(web_app)
    login(client, ADMIN, ADMIN_PASSWORD)
    page = client.get("/account")
    session = client.cookies[SESSION_COOKIE]
    assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 200
    client.cookies.set(SESSION_COOKIE, session)  # a replayed cookie is dead too
    assert client.get("/api/me").status_code == 401


def test_only_admins_manage_users(web_app: FastAPI, viewer: TestClient) -> None:
    page = viewer.get("/account")
    assert "Add user" not in page.text
    refused = viewer.post(
        "/account/users",
        data={"username": "eve", "password": "0123456789ab", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 403
    assert "eve" not in [u.username for u in web_app.state.users.list()]


def test_an_admin_adds_and_removes_a_user(web_app: FastAPI, admin: TestClient) -> None:
    csrf = csrf_of(admin.get("/account").text)
    added = admin.post(
        "/account/users",
        data={"username": "temp", "password": "0123456789ab", "role": "viewer", "csrf_token": csrf},
    )
    assert added.status_code == 200 and "temp" in added.text
    assert admin.post("/account/users/temp/remove", data={"csrf_token": csrf}).status_code == 200
    assert "temp" not in [u.username for u in web_app.state.users.list()]


def test_users_need_a_real_password_and_a_known_role(tmp_path) -> None:
    users = Users(tmp_path / "u.sqlite")
    with pytest.raises(UserError, match="at least 10"):
        users.add("bo", "short")
    with pytest.raises(UserError, match="unknown role"):
        users.add("bo", "long enough password", "root")
    with pytest.raises(UserError, match="letters, digits"):
        users.add("<bo>", "long enough password")
    users.add("bo", "long enough password")
    with pytest.raises(UserError, match="exists"):
        users.add("bo", "long enough password")
    assert users.authenticate("bo", "long enough password") is not None
    assert users.authenticate("bo", "wrong password!") is None
    assert users.authenticate("nobody", "long enough password") is None
    stored = users._db  # passwords are stored as argon2 hashes only
    with stored() as db:
        (hashed,) = db.execute("SELECT password_hash FROM users").fetchone()
    assert hashed.startswith("$argon2") and "long enough" not in hashed


def test_login_redirects_only_to_local_pages(anon: TestClient) -> None:
    page = anon.get("/login?next=//evil.example/x")
    assert 'name="next" value="/"' in page.text
    response = anon.post(
        "/login",
        data={
            "username": ADMIN,
            "password": ADMIN_PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
