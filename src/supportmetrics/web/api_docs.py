"""The API's OpenAPI document and its Swagger UI page, behind the same login as the API (a session
or an API token); Swagger UI is served from the package, started by a static script."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from supportmetrics.web.auth import api_user, page_session
from supportmetrics.web.users import User

__all__ = ["router"]

router = APIRouter(prefix="/api", include_in_schema=False)


def _docs_reader(request: Request) -> User:
    """An API token's user, else the session's (a browser without one is sent to log in)."""
    if request.headers.get("authorization"):
        return api_user(request)
    return page_session(request).user


Reader = Annotated[User, Depends(_docs_reader)]


@router.get("/openapi.json")
def openapi_document(request: Request, user: Annotated[User, Depends(api_user)]) -> dict[str, Any]:
    return request.app.openapi()


@router.get("/docs")
def docs(request: Request, user: Reader) -> Response:
    return request.app.state.templates.TemplateResponse(request, "api_docs.html", {})
