"""Editing targets and SLA policies from the dashboard (admins only, CSRF-checked): each change is
validated, written to supportmetrics.toml (see `supportmetrics.config_edit`) and served at once."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from supportmetrics.config import Config, ConfigError
from supportmetrics.config_edit import (
    EditError,
    remove_sla_policy,
    remove_target,
    set_sla_policy,
    set_target,
)
from supportmetrics.engine import Engine
from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import QueryError, dimension_names, resolve_metric
from supportmetrics.web.auth import check_csrf, page_session
from supportmetrics.web.pages_routes import sla_response, targets_response
from supportmetrics.web.settings_forms import policy_fields, target_fields
from supportmetrics.web.users import Session

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
CurrentSession = Annotated[Session, Depends(page_session)]
MAX_FIELD = 2000


async def _form(request: Request, session: Session) -> dict[str, str]:
    """The posted form as text fields, after the CSRF and admin checks."""
    form = await request.form()
    fields = {k: v[:MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
    check_csrf(session, fields.get("csrf_token"))
    if not session.user.is_admin:
        raise HTTPException(403, "only admins change targets and SLA policies")
    return fields


def _back(request: Request, path: str) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


async def _save(
    request: Request,
    change: Callable[[Path], Config],
    path: str,
    refused: Callable[[dict[str, str]], Response],
) -> Response:
    """Apply `change` to the settings file and serve the new settings, or show the form again
    (in the thread pool: writing the file and computing the page block)."""
    state = request.app.state
    try:
        config = await run_in_threadpool(change, state.settings.path)
    except EditError as exc:
        return await run_in_threadpool(refused, exc.problems)
    except ConfigError as exc:
        return await run_in_threadpool(refused, {"form": str(exc)})
    state.settings.use(config)
    return _back(request, path)


def _scope_problems(request: Request, metric_id: str, fields: dict[str, Any]) -> dict[str, str]:
    """The scope's filters that the metric's facts cannot filter by, with the closest names."""
    where, chosen = fields["where"], CATALOGUE.get(metric_id)
    if not where or chosen is None:
        return {}

    def names(engine: Engine) -> list[str]:
        return dimension_names(engine, resolve_metric(engine, chosen, fields["variants"]).facts)

    try:
        known = request.app.state.data.run(names)
    except (QueryError, ValueError):  # variants or facts the settings check names themselves
        return {}
    for name in where:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            hint = (
                f"did you mean {' or '.join(close)}?"
                if close
                else "use one of: " + ", ".join(known)
            )
            return {"where": f"{metric_id} cannot be filtered by {name!r}; {hint}"}
    return {}


@router.post("/targets")
async def save_target(request: Request, session: CurrentSession) -> Response:
    """Add a target (`new=1`) or change one."""
    form = await _form(request, session)
    metric_id = form.get("metric", "")
    new = form.get("new") == "1"

    def refused(problems: dict[str, str]) -> Response:
        edit = {"metric": metric_id, "new": new, "form": form, "problems": problems}
        return targets_response(request, session, edit, status=400)

    if not metric_id:
        return await run_in_threadpool(refused, {"metric": "choose the metric of the target"})
    try:
        fields = target_fields(form)
    except EditError as exc:
        return await run_in_threadpool(refused, exc.problems)
    problems = await run_in_threadpool(_scope_problems, request, metric_id, fields)
    if problems:
        return await run_in_threadpool(refused, problems)
    return await _save(
        request,
        lambda path: set_target(path, metric_id, fields, new=new),
        "/targets",
        refused,
    )


@router.post("/targets/{metric_id}/remove")
async def delete_target(request: Request, metric_id: str, session: CurrentSession) -> Response:
    await _form(request, session)

    def refused(problems: dict[str, str]) -> Response:
        edit = {"metric": metric_id, "new": False, "form": {}, "problems": problems}
        return targets_response(request, session, edit, status=400)

    return await _save(request, lambda path: remove_target(path, metric_id), "/targets", refused)


def _index(text: str) -> int:
    """A policy's 0-based index from its 1-based number."""
    if not text.isdigit() or int(text) < 1:
        raise HTTPException(400, f"policy takes a number from 1; got {text!r}")
    return int(text) - 1


@router.post("/sla")
async def save_policy(request: Request, session: CurrentSession) -> Response:
    """Add an SLA policy (no `policy` field) or change the numbered one."""
    form = await _form(request, session)
    index = _index(form["policy"]) if form.get("policy") else None

    def refused(problems: dict[str, str]) -> Response:
        edit: dict[str, Any] = {"index": index, "form": form, "problems": problems}
        return sla_response(request, session, edit, status=400)

    try:
        fields = policy_fields(form)
    except EditError as exc:
        return await run_in_threadpool(refused, exc.problems)
    return await _save(request, lambda path: set_sla_policy(path, index, fields), "/sla", refused)


@router.post("/sla/{number}/remove")
async def delete_policy(request: Request, number: str, session: CurrentSession) -> Response:
    await _form(request, session)
    index = _index(number)

    def refused(problems: dict[str, str]) -> Response:
        edit = {"index": index, "form": {}, "problems": problems}
        return sla_response(request, session, edit, status=400)

    return await _save(request, lambda path: remove_sla_policy(path, index), "/sla", refused)
