"""Who is asking: session cookies for the pages, bearer tokens for the JSON API, CSRF tokens on every
state-changing request, and a limit on failed logins."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque

from fastapi import HTTPException, Request

from supportmetrics.web.users import Session, User, Users

__all__ = [
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "LoginLimiter",
    "LoginRequired",
    "api_user",
    "check_csrf",
    "page_session",
    "safe_next",
]

SESSION_COOKIE = "sm_session"
LOGIN_COOKIE = "sm_login_csrf"


class LoginRequired(Exception):
    """The request has no valid session (pages redirect to the login form)."""


class LoginLimiter:
    """At most `max_failures` failed logins per user name and per client address in `window` s."""

    def __init__(self, max_failures: int = 5, window: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, keys: list[str]) -> int:
        """Seconds until a login for these keys is allowed again (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                stamps = self._failures.get(key)
                if not stamps:
                    continue
                while stamps and now - stamps[0] > self.window:
                    stamps.popleft()
                if len(stamps) >= self.max_failures:
                    wait = max(wait, self.window - (now - stamps[0]))
        return int(wait) + 1 if wait else 0

    def failed(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures[key].append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def _users(request: Request) -> Users:
    return request.app.state.users


def page_session(request: Request) -> Session:
    """The logged-in session of a page request (LoginRequired without one)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    session = _users(request).session(session_id) if session_id else None
    if session is None:
        raise LoginRequired
    return session


def api_user(request: Request) -> User:
    """The caller of an API request: a bearer token, else the session cookie (401 without)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        user = _users(request).token_user(secret.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise HTTPException(
                401, "invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"}
            )
        return user
    try:
        return page_session(request).user
    except LoginRequired:
        raise HTTPException(
            401,
            "log in, or send an API token: Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


def check_csrf(session: Session, submitted: str | None) -> None:
    """A state-changing request must carry the session's CSRF token (403 otherwise)."""
    if not submitted or not secrets.compare_digest(submitted, session.csrf):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
