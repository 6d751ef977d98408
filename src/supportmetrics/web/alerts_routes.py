"""The Alerts page and `GET /api/alerts`: open and past alert episodes, each linking to the metric
page filtered to its segment."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from supportmetrics.alerts.episodes import Episode, Episodes
from supportmetrics.web.api import ERRORS
from supportmetrics.web.auth import api_user, page_session
from supportmetrics.web.users import Session, User

__all__ = ["router"]

router = APIRouter()
PAST = 200
"""Past episodes shown (newest first)."""


class EpisodeInfo(BaseModel):
    """One alert episode (times in UTC, ISO 8601)."""

    id: int
    alert: str
    kind: str = Field(description="target, spike or sla_risk")
    segment: str = Field(description="what is affected, e.g. issue_type=technical")
    status: str = Field(description="open or resolved")
    opened_at: str
    last_seen_at: str
    resolved_at: str | None
    period: str | None = Field(description="the period judged, or the due time of an SLA target")
    observed: float | None
    expected: float | None = Field(description="the expected value, the target or the limit")
    unit: str
    summary: str
    link: str | None = Field(description="the dashboard's metric page filtered to the segment")
    detail: dict[str, Any]
    notified_at: str | None
    resolved_notified_at: str | None


class AlertEpisodes(BaseModel):
    open: list[EpisodeInfo]
    past: list[EpisodeInfo] = Field(description=f"the latest {PAST} resolved episodes")


def _episodes(request: Request) -> tuple[list[Episode], list[Episode]]:
    episodes = Episodes.of_workspace(request.app.state.data.workspace.root)
    return episodes.list(status="open"), episodes.list(status="resolved", limit=PAST)


@router.get(
    "/api/alerts",
    tags=["api"],
    summary="Open and past alert episodes",
    response_model=AlertEpisodes,
    responses=ERRORS,
)
def api_alerts(
    request: Request,
    user: Annotated[User, Depends(api_user)],
    status: Annotated[
        Literal["open", "resolved"] | None, Query(description="only open or only resolved")
    ] = None,
) -> dict[str, list[dict[str, Any]]]:
    opened, past = _episodes(request)
    return {
        "open": [e.to_dict() for e in opened] if status != "resolved" else [],
        "past": [e.to_dict() for e in past] if status != "open" else [],
    }


@router.get("/alerts", include_in_schema=False)
def alerts_page(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    opened, past = _episodes(request)
    config = request.app.state.config
    context = {
        "session": session,
        "view": None,
        "open": [e.to_dict() for e in opened],
        "past": [e.to_dict() for e in past],
        "alerts": config.alerts,
    }
    return request.app.state.templates.TemplateResponse(request, "alerts.html", context)
