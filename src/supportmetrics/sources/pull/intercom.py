"""Intercom: conversations updated after a time, oldest update first, each fetched whole with its
conversation parts; admins and teams once per run, sent with every page.

Requests: `POST /conversations/search` with `{"query": {"field": "updated_at", "operator": ">",
"value": ...}, "sort": {"field": "updated_at", "order": "ascending"}, "pagination": {"per_page":
..., "starting_after": ...}}`, `GET /conversations/{id}`, `GET /admins` and `GET /teams`, with
`Intercom-Version: 2.11`. After each full page the search restarts one second before the newest
update it held (see `base.next_window`); within one second it follows `pages.next.starting_after`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from supportmetrics.sources.pull.base import Account, Connector, Page, next_window, required, unix
from supportmetrics.sources.pull.http import Client

__all__ = ["CONNECTOR"]

VERSION = "2.11"


def account(environ: Mapping[str, str]) -> Account:
    """INTERCOM_ACCESS_TOKEN (and INTERCOM_BASE_URL for the EU or Australian region)."""
    base = environ.get("INTERCOM_BASE_URL", "").strip() or "https://api.intercom.io"
    token = required(
        environ,
        "INTERCOM_ACCESS_TOKEN",
        "an access token (Developer Hub > your app > Authentication)",
    )
    headers = {"Authorization": f"Bearer {token}", "Intercom-Version": VERSION}
    return Account(base.rstrip("/"), headers, base.rstrip("/"))


def start(since: datetime) -> dict[str, Any]:
    """A first pull searches the conversations updated at `since` or later."""
    return {"updated_after": unix(since) - 1, "starting_after": None}


def pages(client: Client, cursor: dict[str, Any], size: int) -> Iterator[Page]:
    """Search pages from `cursor` until the search has no next page."""
    admins = (client.get("/admins").body or {}).get("admins") or []
    teams = (client.get("/teams").body or {}).get("teams") or []
    after, starting = int(cursor["updated_after"]), cursor.get("starting_after")
    while True:
        pagination: dict[str, object] = {"per_page": size}
        if starting:
            pagination["starting_after"] = starting
        query = {
            "query": {"field": "updated_at", "operator": ">", "value": after},
            "sort": {"field": "updated_at", "order": "ascending"},
            "pagination": pagination,
        }
        body = client.post("/conversations/search", query).body or {}
        found = body.get("conversations") or []
        conversations = [client.get(f"/conversations/{c['id']}").body for c in found]
        following = ((body.get("pages") or {}).get("next") or {}).get("starting_after")
        newest = max((float(c["updated_at"]) for c in found), default=None)
        more = bool(following)
        restart = next_window(after, newest, more)
        if restart is not None:
            after, following = int(restart), None
        position = {"updated_after": after, "starting_after": following}
        files = {"conversations.jsonl": conversations, "admins.jsonl": admins, "teams.jsonl": teams}
        yield Page(files, position, len(found))
        if not more:
            return
        starting = following


CONNECTOR = Connector(
    name="intercom",
    title="Intercom",
    variables=("INTERCOM_ACCESS_TOKEN", "INTERCOM_BASE_URL"),
    account=account,
    start=start,
    pages=pages,
    page_size=150,
)
