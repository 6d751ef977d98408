"""The FastAPI application: JSON API under /api (OpenAPI at /api/openapi.json, both behind login),
dashboard pages, login, and the static files (charts and the API docs render from JavaScript shipped
in the package). Every response, errors included, carries the security headers."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportmetrics import display
from supportmetrics.backends import BackendError
from supportmetrics.config import CONFIG_FILE
from supportmetrics.query import QueryError
from supportmetrics.resources import ResourceError
from supportmetrics.store import WorkspaceBusy
from supportmetrics.web import (
    alerts_routes,
    api,
    api_docs,
    export_routes,
    pages_routes,
    planning_api,
    planning_pages,
    reports_routes,
    session_routes,
    settings_routes,
)
from supportmetrics.web.auth import LoginLimiter, LoginRequired
from supportmetrics.web.data import DataSource
from supportmetrics.web.pages import overview
from supportmetrics.web.params import ParamError, View
from supportmetrics.web.settings_file import SettingsFile
from supportmetrics.web.users import Users
from supportmetrics.workspace import Workspace

__all__ = ["create_app"]

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)


def create_app(
    workspace: Workspace,
    *,
    users: Users | None = None,
    idle_seconds: float = 10.0,
    warm: bool = False,
) -> FastAPI:
    """The dashboard and API over `workspace` (users from its user file unless given); with
    `warm`, the default overview is computed in the background as the server starts."""
    data = DataSource(
        workspace,
        idle_seconds=idle_seconds,
        max_queries=workspace.config.server.max_concurrent_queries,
    )

    def warm_up() -> None:
        view = View()
        try:
            data.cached(("overview", view.key()), lambda e: overview(e, workspace.config, view))
        except Exception as exc:  # the first request shows the problem; the server keeps running
            logging.getLogger(__name__).warning("warming the overview failed: %s", exc)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        data.start()
        if warm:
            threading.Thread(target=warm_up, daemon=True).start()
        yield
        data.stop()

    app = FastAPI(
        title="supportmetrics",
        summary="Customer-service metrics: the same query API as the command line.",
        version="1",
        openapi_url=None,  # served by api_docs, behind login
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.data = data
    app.state.config = workspace.config
    app.state.workspace_root = workspace.root
    app.state.settings = SettingsFile(workspace.root / CONFIG_FILE, app.state, data)
    app.state.users = users or Users.of_workspace(workspace.root)
    app.state.limiter = LoginLimiter(app.state.users)
    templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html
    templates.env.filters["when"] = _when
    templates.env.filters.update(display.FILTERS)
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(api_docs.router)
    app.include_router(session_routes.router)
    app.include_router(pages_routes.router)
    app.include_router(reports_routes.api)
    app.include_router(reports_routes.pages)
    app.include_router(alerts_routes.router)
    app.include_router(export_routes.router)
    app.include_router(settings_routes.router)
    app.include_router(planning_api.router)
    app.include_router(planning_pages.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        if not request.url.path.startswith("/static"):
            app.state.settings.refresh()  # a change to the settings file by hand
        return _secured(request, await call_next(request))

    def _is_api(request: Request) -> bool:
        return request.url.path.startswith("/api")

    def _error(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return _error(request, 400, str(exc))

    async def unavailable(request: Request, exc: Exception) -> Response:
        """The store is busy, out of resources or unreachable: the message says which and why."""
        return _error(request, 503, str(exc))

    for rejected in (QueryError, ParamError):
        app.add_exception_handler(rejected, bad_request)
    for refused in (WorkspaceBusy, ResourceError, BackendError):
        app.add_exception_handler(refused, unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        response = _error(request, exc.status_code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        """An unexpected error: logged with its traceback, answered without one (this handler
        runs outside the middleware, so it adds the security headers itself)."""
        logging.getLogger(__name__).error(
            "%s %s failed", request.method, request.url.path, exc_info=exc
        )
        return _secured(request, _error(request, 500, "internal error; the server log says why"))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
            for e in exc.errors()
        )
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return _error(request, 422, problems)

    return app


def _secured(request: Request, response: Response) -> Response:
    """`response` with the security headers (and no caching outside /static)."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.url.path.startswith("/static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
