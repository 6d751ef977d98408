"""Logging in and out, a user's API tokens, and (for admins) the user list."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from supportmetrics.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    check_csrf,
    client_address,
    is_https,
    page_session,
    safe_next,
)
from supportmetrics.web.users import ROLES, SESSION_SECONDS, Session, UserError, Users

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
CurrentSession = Annotated[Session, Depends(page_session)]
CsrfField = Annotated[str | None, Form(alias="csrf_token")]


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def _users(request: Request) -> Users:
    return request.app.state.users


def _login_form(
    request: Request, next_page: str, error: str | None = None, status: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = _render(
        request, "login.html", {"csrf": token, "next": next_page, "error": error}, status
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    try:
        page_session(request)
    except LoginRequired:
        return _login_form(request, safe_next(next))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: CsrfField = None,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Start a session (the login form's CSRF token must match its cookie)."""
    expected = request.cookies.get(LOGIN_COOKIE)
    if not csrf or not expected or not secrets.compare_digest(csrf, expected):
        raise HTTPException(403, "missing or wrong CSRF token; reload the login page")
    limiter = request.app.state.limiter
    client = client_address(request)
    wait = limiter.retry_after(username, client)
    if wait:
        response = _login_form(
            request, safe_next(next), f"Too many failed logins; try again in {wait} s.", 429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = _users(request).authenticate(username, password)
    if user is None:
        limiter.failed(username, client)
        return _login_form(request, safe_next(next), "Wrong user name or password.", 401)
    limiter.succeeded(username)
    session_id, _ = _users(request).start_session(user)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        max_age=SESSION_SECONDS,
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: CurrentSession, csrf: CsrfField = None) -> Response:
    check_csrf(session, csrf)
    _users(request).end_session(request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _account(
    request: Request, session: Session, new_token: str | None = None, status: int = 200
) -> Response:
    users = _users(request)
    context = {
        "session": session,
        "tokens": users.tokens(session.user.username),
        "new_token": new_token,
        "users": users.list() if session.user.is_admin else None,
        "roles": ROLES,
        "error": None,
    }
    return _render(request, "account.html", context, status)


@router.get("/account")
def account(request: Request, session: CurrentSession) -> Response:
    return _account(request, session)


@router.post("/account/tokens")
def create_token(
    request: Request,
    session: CurrentSession,
    label: Annotated[str, Form(max_length=100)] = "",
    csrf: CsrfField = None,
) -> Response:
    """A new API token for the logged-in user; its secret is shown this once."""
    check_csrf(session, csrf)
    secret = _users(request).create_token(session.user.username, label or "dashboard")
    return _account(request, session, new_token=secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: int, session: CurrentSession, csrf: CsrfField = None
) -> Response:
    check_csrf(session, csrf)
    owner = None if session.user.is_admin else session.user.username
    try:
        _users(request).revoke_token(token_id, owner)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse("/account", status_code=303)


def _admin(session: Session) -> None:
    if not session.user.is_admin:
        raise HTTPException(403, "only admins manage users")


@router.post("/account/users")
def add_user(
    request: Request,
    session: CurrentSession,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=20)] = "viewer",
    csrf: CsrfField = None,
) -> Response:
    check_csrf(session, csrf)
    _admin(session)
    try:
        _users(request).add(username, password, role)
    except UserError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse("/account", status_code=303)


@router.post("/account/users/{username}/remove")
def remove_user(
    request: Request, username: str, session: CurrentSession, csrf: CsrfField = None
) -> Response:
    check_csrf(session, csrf)
    _admin(session)
    if username == session.user.username:
        raise HTTPException(400, "you cannot remove yourself; ask another admin")
    try:
        _users(request).remove(username)
    except UserError as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse("/account", status_code=303)
