"""Who is asking: session cookies for the pages, bearer tokens for the JSON API, CSRF tokens on every
state-changing request, a limit on failed logins, and the client's address (forwarded headers are
believed only from trusted proxies)."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable

from fastapi import HTTPException, Request

from supportmetrics.web.users import Session, User, Users

__all__ = [
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "LoginLimiter",
    "LoginRequired",
    "api_user",
    "check_csrf",
    "client_address",
    "is_https",
    "page_session",
    "safe_next",
]

SESSION_COOKIE = "sm_session"
LOGIN_COOKIE = "sm_login_csrf"


class LoginRequired(Exception):
    """The request has no valid session (pages redirect to the login form)."""


class LoginLimiter:
    """Failed logins slow an account down; they never lock its owner out.

    Per account: the first `free_failures` failures cost nothing; after that an attempt must come
    `2^(failures - free_failures)` seconds after the last failure (1, 2, 4 ... s), at most
    `max_delay`. An attempt inside that wait is refused without looking at the password and is
    not counted, and the first one after it is checked: whoever tries, the owner with the right
    password gets in after at most the current delay. A success clears the account's count; a
    day without failures forgets it. Per client address: after `client_failures` failures, each
    within `client_window` of the one before, the address is refused until it has been quiet for
    `client_window`. The counts live in the application database (they survive a restart);
    `clock` gives epoch seconds (injectable for tests).
    """

    def __init__(
        self,
        users: Users,
        *,
        free_failures: int = 5,
        max_delay: float = 60.0,
        client_failures: int = 20,
        client_window: float = 900.0,
        forget_after: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.users = users
        self.free_failures = free_failures
        self.max_delay = max_delay
        self.client_failures = client_failures
        self.client_window = client_window
        self.forget_after = forget_after
        self.clock = clock

    def account_delay(self, failures: int) -> float:
        """Seconds an attempt must wait after the last of `failures` failures on an account."""
        if failures < self.free_failures:
            return 0.0
        return min(self.max_delay, 2.0 ** (failures - self.free_failures))

    def retry_after(self, account: str, client: str) -> int:
        """Whole seconds until a login to `account` from `client` is allowed (0: now)."""
        now = self.clock()
        wait = 0.0
        stored = self.users.login_failures(_account_key(account))
        if stored and now - stored[1] < self.forget_after:
            wait = stored[1] + self.account_delay(stored[0]) - now
        stored = self.users.login_failures(_client_key(client))
        if stored and stored[0] >= self.client_failures:
            wait = max(wait, stored[1] + self.client_window - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, account: str, client: str) -> None:
        now = self.clock()
        self.users.add_login_failure(_account_key(account), now, now - self.forget_after)
        self.users.add_login_failure(_client_key(client), now, now - self.client_window)
        self.users.clear_login_failures(before=now - self.forget_after)  # long-quiet names

    def succeeded(self, account: str) -> None:
        self.users.clear_login_failures(_account_key(account))


def _account_key(account: str) -> str:
    return f"user:{account.lower()}"


def _client_key(client: str) -> str:
    return f"client:{client}"


def client_address(request: Request) -> str:
    """Who is asking: the connecting address, or, when that is one of `[server] trusted_proxies`,
    the nearest address in X-Forwarded-For that is not a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    server = request.app.state.config.server
    if not server.trusts(peer):
        return peer
    chain = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    hops = [hop.strip() for hop in chain if hop.strip()]
    return next((hop for hop in reversed(hops) if not server.trusts(hop)), peer)


def is_https(request: Request) -> bool:
    """Whether the client used HTTPS: directly, or as a trusted proxy's X-Forwarded-Proto says."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return proto == "https" and request.app.state.config.server.trusts(peer)


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
