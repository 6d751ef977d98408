"""Freshdesk: tickets updated since a time, oldest update first, each with its conversations and
satisfaction ratings; agents and groups once per run, sent with every page.

Requests: `GET /api/v2/tickets?updated_since=...&order_by=updated_at&order_type=asc&include=stats`
with `page`/`per_page`, `GET /api/v2/tickets/{id}/conversations` and
`GET /api/v2/tickets/{id}/satisfaction_ratings` (following the `Link` header), `GET /api/v2/agents`
and `GET /api/v2/groups`. After each full page the listing restarts one second before the newest
update it held (see `base.next_window`), so it never runs into the API's page limit and a ticket
updated during the pull is listed again rather than skipped.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from supportmetrics.sources.pull.base import Account, Connector, Page, iso, next_window, required
from supportmetrics.sources.pull.http import Client, PullError

__all__ = ["CONNECTOR"]

LIST_SIZE = 100


def account(environ: Mapping[str, str]) -> Account:
    """FRESHDESK_DOMAIN (or FRESHDESK_BASE_URL) and FRESHDESK_API_KEY."""
    base = environ.get("FRESHDESK_BASE_URL", "").strip()
    if not base:
        domain = required(
            environ, "FRESHDESK_DOMAIN", "your helpdesk's domain (acme.freshdesk.com)"
        )
        domain = domain.removeprefix("https://").strip("/")
        base = f"https://{domain if '.' in domain else domain + '.freshdesk.com'}"
    key = required(environ, "FRESHDESK_API_KEY", "your API key (Profile settings > View API key)")
    secret = base64.b64encode(f"{key}:X".encode()).decode()
    return Account(base.rstrip("/"), {"Authorization": f"Basic {secret}"}, base.rstrip("/"))


def start(since: datetime) -> dict[str, Any]:
    """A first pull lists the tickets updated since `since`."""
    return {"updated_since": iso(since.timestamp()), "page": 1}


def pages(client: Client, cursor: dict[str, Any], size: int) -> Iterator[Page]:
    """Pages of tickets from `cursor` until a page is not full."""
    agents = _all(client, "/api/v2/agents")
    groups = _all(client, "/api/v2/groups")
    since, page = str(cursor["updated_since"]), int(cursor.get("page", 1))
    while True:
        params = {
            "updated_since": since,
            "order_by": "updated_at",
            "order_type": "asc",
            "include": "stats",
            "per_page": size,
            "page": page,
        }
        tickets = client.get("/api/v2/tickets", params).body or []
        if not isinstance(tickets, list):
            raise PullError(f"{client.url('/api/v2/tickets')} did not return a list of tickets")
        conversations, ratings = [], []
        for ticket in tickets:
            conversations += _all(client, f"/api/v2/tickets/{ticket['id']}/conversations")
            ratings += _all(client, f"/api/v2/tickets/{ticket['id']}/satisfaction_ratings")
        newest = max((_seconds(t["updated_at"]) for t in tickets), default=None)
        more = len(tickets) >= size
        restart = next_window(_seconds(since), newest, more)
        if restart is None:
            next_since, next_page = since, page + 1
        else:
            next_since, next_page = iso(restart), 1
        following = {"updated_since": next_since, "page": next_page}
        files = {
            "tickets.jsonl": tickets,
            "conversations.jsonl": conversations,
            "satisfaction_ratings.jsonl": ratings,
            "agents.jsonl": agents,
            "groups.jsonl": groups,
        }
        yield Page(files, following, len(tickets))
        if not more:
            return
        since, page = next_since, next_page


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _all(client: Client, path: str) -> list[dict[str, Any]]:
    """Every record of a list endpoint, following its `Link: <...>; rel="next"` header."""
    found: list[dict[str, Any]] = []
    url: str | None = client.url(path, {"per_page": LIST_SIZE})
    while url:
        response = client.request("GET", url)
        found.extend(response.body or [])
        following = response.next_link()
        url = client.url(following) if following else None
    return found


CONNECTOR = Connector(
    name="freshdesk",
    title="Freshdesk",
    variables=("FRESHDESK_DOMAIN", "FRESHDESK_API_KEY", "FRESHDESK_BASE_URL"),
    account=account,
    start=start,
    pages=pages,
    page_size=100,
)
