"""A loopback HTTP server that answers like the tools' APIs, from recorded records.

Each API is a function (method, path, query, body) -> (status, headers, JSON body) serving the
fixture records of `tests/sources/fixtures/<tool>/` in the documented response shapes: Zendesk's
cursor-based incremental ticket export (sideloads, `after_cursor`, `end_of_stream`; each ticket
with its `satisfaction_rating` summary), ticket audits (`next_page`), users and ratings by id, Freshdesk's ticket list (`updated_since`, `page`, `per_page`) and per-ticket
lists (`Link` header), Intercom's conversation search (`pages.next.starting_after`) and
conversations. Faults (a 429 with Retry-After, a 500) are injected on chosen requests, and a
request can be held until released, to kill a client in the middle of a pull.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent.parent / "fixtures"
Answer = tuple[int, dict[str, str], Any]
Api = Callable[[str, str, dict[str, str], Any], Answer]

ZENDESK_AUTH = "Basic " + base64.b64encode(b"agent@example.com/token:secret").decode()
FRESHDESK_AUTH = "Basic " + base64.b64encode(b"key123:X").decode()
INTERCOM_AUTH = "Bearer tok"


@dataclass
class Fault:
    """Answer the `times` next requests whose path and query contain `match` with `status`."""

    match: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class Replay:
    """The running server: its URL, the requests it saw, faults to inject and a request to hold."""

    api: Api
    auth: str
    url: str = ""
    log: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    hold: str | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, method: str, target: str, body: Any, auth: str | None) -> Answer:
        self.log.append(f"{method} {target}")
        if auth != self.auth:
            return 401, {}, {"error": "Couldn't authenticate you"}
        for fault in self.faults:
            if fault.times and fault.match in target:
                fault.times -= 1
                return fault.status, fault.headers, {"error": f"injected {fault.status}"}
        if self.hold and self.hold in target:
            self.held.set()
            self.release.wait(60)
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return self.api(method, parts.path, query, body)


@contextmanager
def serve(api: Api, auth: str) -> Iterator[Replay]:
    """Run `api` on 127.0.0.1 (a free port) in a thread for the duration of the block."""
    replay = Replay(api, auth)

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, headers, payload = replay.answer(
                method, self.path, body, self.headers.get("Authorization")
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a killed client
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply("GET")

        def do_POST(self) -> None:
            self._reply("POST")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    replay.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        replay.release.set()
        server.shutdown()
        server.server_close()


def _load(path: Path, key: str | None = None) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    data = json.loads(path.read_text())
    return data[key] if key and isinstance(data, dict) else data


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _token(index: int) -> str:
    return base64.urlsafe_b64encode(f"position:{index}".encode()).decode()


def _index(token: str) -> int:
    return int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])


def zendesk_api(folder: Path = FIXTURES / "zendesk") -> Api:
    """Zendesk Support's incremental ticket export and ticket audits over the fixture records."""
    ratings = {r["id"]: r for r in _load(folder / "satisfaction_ratings.jsonl")}
    by_ticket = {
        r["ticket_id"]: {"id": r["id"], "score": r["score"], "comment": r["comment"]}
        for r in ratings.values()
    }
    tickets = sorted(
        (
            {**t, "satisfaction_rating": by_ticket.get(t["id"], {"score": "unoffered"})}
            for t in _load(folder / "tickets.json", "tickets")
        ),
        key=lambda t: (_seconds(t["updated_at"]), t["id"]),
    )
    audits = _load(folder / "ticket_audits.jsonl")
    users = {u["id"]: u for u in _load(folder / "users.json", "users")}
    groups = {g["id"]: g for g in _load(folder / "groups.json", "groups")}
    metrics = {m["ticket_id"]: m for m in _load(folder / "ticket_metrics.json", "ticket_metrics")}

    def api(method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if path == "/api/v2/incremental/tickets/cursor.json":
            if "cursor" in query:
                start = _index(query["cursor"])
            else:
                since = int(query["start_time"])
                start = next(
                    (i for i, t in enumerate(tickets) if _seconds(t["updated_at"]) >= since),
                    len(tickets),
                )
            page = tickets[start : start + int(query.get("per_page", 1000))]
            end = start + len(page)
            included = set(query.get("include", "").split(","))
            people = {t[k] for t in page for k in ("requester_id", "submitter_id", "assignee_id")}
            answer: dict[str, Any] = {
                "tickets": page,
                "after_url": f"/api/v2/incremental/tickets/cursor.json?cursor={_token(end)}",
                "after_cursor": _token(end),
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": end >= len(tickets),
            }
            if "users" in included:
                answer["users"] = [users[i] for i in sorted(people - {None}) if i in users]
            if "groups" in included:
                answer["groups"] = [groups[i] for i in {t["group_id"] for t in page} if i in groups]
            if "metric_sets" in included:
                answer["metric_sets"] = [metrics[t["id"]] for t in page if t["id"] in metrics]
            return 200, {}, answer
        if path.startswith("/api/v2/satisfaction_ratings/"):
            rating = ratings[int(path.split("/")[4].removesuffix(".json"))]
            return 200, {}, {"satisfaction_rating": rating}
        if path == "/api/v2/users/show_many.json":
            wanted = [int(i) for i in query["ids"].split(",")]
            return 200, {}, {"users": [users[i] for i in wanted if i in users]}
        if path.startswith("/api/v2/tickets/") and path.endswith("/audits.json"):
            ticket = int(path.split("/")[4])
            mine = [a for a in audits if a["ticket_id"] == ticket]
            page = int(query.get("page", 1))
            chunk = mine[(page - 1) * 2 : page * 2]  # two per page, to exercise next_page
            more = page * 2 < len(mine)
            next_page = f"/api/v2/tickets/{ticket}/audits.json?page={page + 1}" if more else None
            return 200, {}, {"audits": chunk, "next_page": next_page, "count": len(mine)}
        return 404, {}, {"error": "InvalidEndpoint"}

    return api


def freshdesk_api(folder: Path = FIXTURES / "freshdesk") -> Api:
    """Freshdesk's ticket list and per-ticket conversations and ratings over the fixture records."""
    tickets = sorted(
        _load(folder / "tickets.json"), key=lambda t: (_seconds(t["updated_at"]), t["id"])
    )
    conversations = _load(folder / "conversations.jsonl")
    ratings = _load(folder / "satisfaction_ratings.json")
    lists = {
        "/api/v2/agents": _load(folder / "agents.json"),
        "/api/v2/groups": _load(folder / "groups.json"),
    }

    def paged(path: str, records: list[dict[str, Any]], query: dict[str, str]) -> Answer:
        page = int(query.get("page", 1))
        size = min(int(query.get("per_page", 30)), 2)  # small pages, to exercise the Link header
        chunk = records[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(records):
            headers["Link"] = f'<{path}?per_page={size}&page={page + 1}>; rel="next"'
        return 200, headers, chunk

    def api(method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if path == "/api/v2/tickets":
            assert (query["order_by"], query["order_type"], query["include"]) == (
                "updated_at",
                "asc",
                "stats",
            )
            since = _seconds(query["updated_since"])
            found = [t for t in tickets if _seconds(t["updated_at"]) >= since]
            size, page = int(query["per_page"]), int(query["page"])
            return 200, {}, found[(page - 1) * size : page * size]
        if path in lists:
            return paged(path, lists[path], query)
        parts = path.split("/")
        if len(parts) == 6 and parts[3] == "tickets":
            ticket = int(parts[4])
            records = conversations if parts[5] == "conversations" else ratings
            return paged(path, [r for r in records if r["ticket_id"] == ticket], query)
        return 404, {}, {"code": "invalid_path"}

    return api


def intercom_api(folder: Path = FIXTURES / "intercom") -> Api:
    """Intercom's conversation search and conversations over the fixture records."""
    conversations = sorted(
        _load(folder / "conversations.jsonl"), key=lambda c: (c["updated_at"], c["id"])
    )
    by_id = {c["id"]: c for c in conversations}
    admins = json.loads((folder / "admins.json").read_text())
    teams = json.loads((folder / "teams.json").read_text())

    def api(method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        if method == "POST" and path == "/conversations/search":
            rule = body["query"]
            assert (rule["field"], rule["operator"]) == ("updated_at", ">")
            assert body["sort"] == {"field": "updated_at", "order": "ascending"}
            found = [c for c in conversations if c["updated_at"] > rule["value"]]
            size = body["pagination"]["per_page"]
            start = _index(body["pagination"].get("starting_after") or _token(0))
            page = [
                {k: v for k, v in c.items() if k != "conversation_parts"}
                for c in found[start : start + size]
            ]
            pages: dict[str, Any] = {
                "type": "pages",
                "page": start // size + 1,
                "per_page": size,
                "total_pages": -(-len(found) // size),
            }
            if start + size < len(found):
                pages["next"] = {"page": start // size + 2, "starting_after": _token(start + size)}
            answer = {
                "type": "conversation.list",
                "pages": pages,
                "total_count": len(found),
                "conversations": page,
            }
            return 200, {}, answer
        if path.startswith("/conversations/") and path.split("/")[2] in by_id:
            return 200, {}, by_id[path.split("/")[2]]
        if path == "/admins":
            return 200, {}, admins
        if path == "/teams":
            return 200, {}, teams
        return 404, {}, {"type": "error.list", "errors": [{"code": "not_found"}]}

    return api
