"""Zendesk Support: the cursor-based incremental ticket export, with each page's users, groups,
organizations and ticket metrics sideloaded and every ticket's audits fetched, so that a page
carries its tickets with their whole history.

Requests: `GET /api/v2/incremental/tickets/cursor.json?start_time=...` (then `?cursor=...` from
`after_cursor` until `end_of_stream`), `include=users,groups,organizations,metric_sets`, and
`GET /api/v2/tickets/{id}/audits.json` (following `next_page` or `links.next`); comment authors the
sideload lacks (another agent, a CC'd user) come from `GET /api/v2/users/show_many.json?ids=...`,
so that every author's role is known; a ticket whose `satisfaction_rating` has an id gets that
rating from `GET /api/v2/satisfaction_ratings/{id}.json`. The saved cursor is the export's `after_cursor`, which
Zendesk keeps valid for the next run.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from supportmetrics.sources.pull.base import Account, Connector, Page, required, unix
from supportmetrics.sources.pull.http import Client

__all__ = ["CONNECTOR"]

EXPORT = "/api/v2/incremental/tickets/cursor.json"
SIDELOADS = "users,groups,organizations,metric_sets"
USERS = "/api/v2/users/show_many.json"
SHOW_MANY = 100


def account(environ: Mapping[str, str]) -> Account:
    """ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL), ZENDESK_EMAIL and ZENDESK_API_TOKEN."""
    base = environ.get("ZENDESK_BASE_URL", "").strip()
    if not base:
        sub = required(
            environ, "ZENDESK_SUBDOMAIN", "your Zendesk subdomain (acme for acme.zendesk.com)"
        )
        base = f"https://{sub.removesuffix('.zendesk.com')}.zendesk.com"
    email = required(environ, "ZENDESK_EMAIL", "the e-mail of the agent the API token belongs to")
    token = required(
        environ, "ZENDESK_API_TOKEN", "an API token (Admin Center > Apps and integrations > APIs)"
    )
    secret = base64.b64encode(f"{email}/token:{token}".encode()).decode()
    return Account(base.rstrip("/"), {"Authorization": f"Basic {secret}"}, base.rstrip("/"))


def start(since: datetime) -> dict[str, Any]:
    """A first export starts at `since`."""
    return {"start_time": unix(since)}


def pages(client: Client, cursor: dict[str, Any], size: int) -> Iterator[Page]:
    """Export pages from `cursor` until `end_of_stream`."""
    position = dict(cursor)
    while True:
        params: dict[str, object] = {"per_page": size, "include": SIDELOADS, **position}
        body = client.get(EXPORT, params).body or {}
        tickets = body.get("tickets") or []
        # a ticket listed twice (updated meanwhile) is fetched once, as its latest record says
        latest = [t for t in {t["id"]: t for t in tickets}.values() if t.get("status") != "deleted"]
        audits = [audit for ticket in latest for audit in _audits(client, ticket["id"])]
        ratings = [
            (client.get(f"/api/v2/satisfaction_ratings/{rated}.json").body or {}).get(
                "satisfaction_rating"
            )
            for rated in (_rating_id(ticket) for ticket in latest)
            if rated is not None
        ]
        users = body.get("users") or []
        users += _users(client, _authors(audits) - {str(u["id"]) for u in users})
        after = body.get("after_cursor")
        position = {"cursor": after} if after else position
        files = {
            "tickets.jsonl": tickets,
            "ticket_audits.jsonl": audits,
            "users.jsonl": users,
            "groups.jsonl": body.get("groups") or [],
            "organizations.jsonl": body.get("organizations") or [],
            "ticket_metrics.jsonl": body.get("metric_sets") or [],
            "satisfaction_ratings.jsonl": [r for r in ratings if r],
        }
        yield Page(files, dict(position), len(tickets))
        if body.get("end_of_stream", True) or not after:
            return


def _rating_id(ticket: dict[str, Any]) -> object | None:
    """The id of the ticket's satisfaction rating, if it was offered or rated."""
    rating = ticket.get("satisfaction_rating")
    return rating.get("id") if isinstance(rating, dict) else None


def _authors(audits: list[dict[str, Any]]) -> set[str]:
    """The ids of everyone who wrote or changed something in `audits`."""
    ids = {a.get("author_id") for a in audits}
    ids |= {e.get("author_id") for a in audits for e in a.get("events") or []}
    return {str(i) for i in ids if i is not None and str(i) != "-1"}


def _users(client: Client, ids: set[str]) -> list[dict[str, Any]]:
    """The user records of `ids` (`/api/v2/users/show_many.json`, 100 ids a request)."""
    order = sorted(ids)
    found: list[dict[str, Any]] = []
    for start in range(0, len(order), SHOW_MANY):
        chunk = ",".join(order[start : start + SHOW_MANY])
        found += (client.get(USERS, {"ids": chunk}).body or {}).get("users") or []
    return found


def _audits(client: Client, ticket_id: object) -> list[dict[str, Any]]:
    """Every audit of one ticket, following the list's pagination."""
    found: list[dict[str, Any]] = []
    url: str | None = client.url(f"/api/v2/tickets/{ticket_id}/audits.json")
    while url:
        body = client.request("GET", url).body or {}
        found.extend(body.get("audits") or [])
        links = body.get("links") or {}
        more = (body.get("meta") or {}).get("has_more")
        following = links.get("next") if more else body.get("next_page")
        url = client.url(following) if following else None
    return found


CONNECTOR = Connector(
    name="zendesk",
    title="Zendesk Support",
    variables=("ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_BASE_URL"),
    account=account,
    start=start,
    pages=pages,
    page_size=1000,
)
