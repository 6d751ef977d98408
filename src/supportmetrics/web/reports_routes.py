"""The Reports page (configured reports and the archive of issues, one issue shown) and its JSON
API: `GET /api/reports`, `GET /api/reports/{name}/{period}`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from supportmetrics.delivery import DeliveryLog
from supportmetrics.reports import Issue, Issues
from supportmetrics.reports.render import Rendered
from supportmetrics.web.auth import api_user, page_session
from supportmetrics.web.users import Session, User

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])
CurrentSession = Annotated[Session, Depends(page_session)]
Caller = Annotated[User, Depends(api_user)]
_SKIP = {"email.html", "body.html", "report.html"}


class ReportInfo(BaseModel):
    """A configured report."""

    name: str
    title: str
    cadence: str
    send_at: str
    timezone: str
    metrics: list[str]
    breakdowns: list[str]
    recipients: list[str]
    formats: list[str]


class IssueInfo(BaseModel):
    """One issue of a report: its state and when it was rendered and sent (UTC)."""

    report: str
    period: str
    state: str
    rendered_at: str | None
    sent_at: str | None
    runs: int
    error: str | None


class ReportsPage(BaseModel):
    """The configured reports and the archive of issues, newest first."""

    reports: list[ReportInfo]
    issues: list[IssueInfo]


class DeliveryInfo(BaseModel):
    """One delivery attempt."""

    key: str
    channel: str
    recipient: str
    attempt: int
    status: str
    at: str
    error: str | None


class IssuePage(BaseModel):
    """One issue: its state, subject, numbers (the webhook payload), files and delivery attempts."""

    issue: IssueInfo
    subject: str
    payload: dict[str, Any]
    files: list[str]
    deliveries: list[DeliveryInfo]


def _issues(request: Request) -> Issues:
    return Issues(request.app.state.workspace_root)


def _reports(request: Request) -> ReportsPage:
    config = request.app.state.config
    infos = [
        ReportInfo(
            name=name,
            title=s.heading(name),
            cadence=s.every,
            send_at=s.send_at,
            timezone=s.timezone or config.timezone,
            metrics=list(s.all_metrics),
            breakdowns=list(s.breakdowns),
            recipients=list(s.recipients),
            formats=list(s.formats),
        )
        for name, s in config.reports.items()
    ]
    issues = [IssueInfo.model_validate(i.to_dict()) for i in _issues(request).list()]
    return ReportsPage(reports=infos, issues=issues)


def _issue(request: Request, name: str, period: str) -> tuple[Issue, Path]:
    issues = _issues(request)
    found = issues.get(name, period)
    folder = issues.folder(name, period)
    if found is None or not (folder / "issue.json").exists():
        raise HTTPException(404, f"no issue {period} of report {name!r}")
    return found, folder


def _issue_page(request: Request, name: str, period: str) -> tuple[IssuePage, Rendered]:
    found, folder = _issue(request, name, period)
    rendered = Rendered.read(folder)
    log = DeliveryLog.of_workspace(request.app.state.workspace_root)
    page = IssuePage(
        issue=IssueInfo.model_validate(found.to_dict()),
        subject=rendered.subject,
        payload=rendered.payload,
        files=sorted(f for f in rendered.files if f not in _SKIP and not f.endswith(".png")),
        deliveries=[
            DeliveryInfo.model_validate(r.to_dict()) for r in log.records(f"report:{name}:{period}")
        ],
    )
    return page, rendered


@api.get("/reports", response_model=ReportsPage, summary="Reports and their issues")
def reports_api(request: Request, user: Caller) -> ReportsPage:
    """The configured reports and every issue rendered so far, newest first."""
    return _reports(request)


@api.get(
    "/reports/{name}/{period}",
    response_model=IssuePage,
    summary="One report issue",
    responses={404: {"description": "No such issue"}},
)
def issue_api(request: Request, name: str, period: str, user: Caller) -> IssuePage:
    """An issue's state, numbers, files and delivery attempts."""
    return _issue_page(request, name, period)[0]


@pages.get("/reports")
def reports_page(request: Request, session: CurrentSession) -> Response:
    context = {"session": session, "view": None, "page": _reports(request)}
    return request.app.state.templates.TemplateResponse(request, "reports.html", context)


@pages.get("/reports/{name}/{period}")
def issue_page(request: Request, name: str, period: str, session: CurrentSession) -> Response:
    page, rendered = _issue_page(request, name, period)
    context = {
        "session": session,
        "view": None,
        "page": page,
        "body": rendered.body_html,  # rendered by the report templates, which autoescape
    }
    return request.app.state.templates.TemplateResponse(request, "report_issue.html", context)


@pages.get("/reports/{name}/{period}/files/{filename}")
def issue_file(
    request: Request, name: str, period: str, filename: str, session: CurrentSession
) -> Response:
    _, folder = _issue(request, name, period)
    names = {p.name for p in folder.iterdir()} - _SKIP - {"issue.json"}
    if filename not in names or filename.endswith(".png"):
        raise HTTPException(404, f"no file {filename!r} in issue {period} of report {name!r}")
    kind = "application/pdf" if filename.endswith(".pdf") else "text/csv; charset=utf-8"
    return FileResponse(folder / filename, media_type=kind, filename=filename)
