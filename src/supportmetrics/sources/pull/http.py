"""A small JSON-over-HTTPS client for the pull connectors (standard library only).

It retries what is worth retrying and nothing else: a `429 Too Many Requests` waits for its
`Retry-After` (seconds or an HTTP date), a `5xx` or a dropped connection waits with a doubling
backoff, both a bounded number of times; a response that says the rate limit is used up
(`ratelimit-remaining: 0` or `X-RateLimit-Remaining: 0`) waits for the reset it names before the
next request. Any other error is a `PullError` naming the URL, the status and the API's message.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["Client", "PullError", "Response"]

RETRIES = 5
"""How many times a 5xx or a dropped connection is retried (1, 2, 4, 8, 16 s apart by default)."""
RATE_LIMITED = 10
"""How many 429s in a row one request waits through before giving up."""
MAX_WAIT = 900.0
"""The longest single wait (seconds) a Retry-After or a rate-limit reset may ask for."""
TIMEOUT = 60.0


class PullError(RuntimeError):
    """The API or the settings stopped the pull; the message says what and how to fix it."""


@dataclass(frozen=True)
class Response:
    """A decoded JSON response and its headers (lower-case names)."""

    url: str
    body: Any
    headers: Mapping[str, str]

    def next_link(self) -> str | None:
        """The `rel="next"` URL of a `Link` header (Freshdesk's pagination), if any."""
        for part in self.headers.get("link", "").split(","):
            url, _, params = part.partition(";")
            if 'rel="next"' in params.replace(" ", ""):
                return url.strip().strip("<>")
        return None


@dataclass
class Client:
    """Requests against one API account: its base URL and the headers that authenticate."""

    base_url: str
    headers: Mapping[str, str]
    on_wait: Callable[[str], None] = lambda _: None
    """Told about every wait (rate limit, retry), for the progress lines."""
    backoff: float = 1.0
    """The first wait after a 5xx, doubled for each retry."""
    sleep: Callable[[float], None] = time.sleep
    requests: int = field(default=0, init=False)
    _resume_at: float = field(default=0.0, init=False)

    def url(self, path: str, params: Mapping[str, object] | None = None) -> str:
        """`path` (or an absolute URL the API gave) on the base URL, with `params` added."""
        url = path if "://" in path else self.base_url.rstrip("/") + "/" + path.lstrip("/")
        if params:
            query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
            url += ("&" if "?" in url else "?") + query
        return url

    def get(self, path: str, params: Mapping[str, object] | None = None) -> Response:
        """GET a JSON resource."""
        return self.request("GET", self.url(path, params))

    def post(self, path: str, payload: object) -> Response:
        """POST a JSON body, read a JSON response."""
        return self.request("POST", self.url(path), json.dumps(payload).encode())

    def request(self, method: str, url: str, data: bytes | None = None) -> Response:
        """One request, retried on 429, 5xx and dropped connections (see the module docstring)."""
        failures = limited = 0
        while True:
            self._await_reset()
            headers = {"Accept": "application/json", **self.headers}
            if data is not None:
                headers["Content-Type"] = "application/json"
            req = urllib.request.Request(url, data=data, method=method, headers=headers)
            self.requests += 1
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                    raw = resp.read()
                    got = {k.lower(): v for k, v in resp.headers.items()}
            except urllib.error.HTTPError as exc:
                got = {k.lower(): v for k, v in exc.headers.items()}
                detail = _detail(exc.read())
                if exc.code == 429 and limited < RATE_LIMITED:
                    limited += 1
                    self._wait(_retry_after(got, self.backoff), f"rate limited (429) on {url}")
                    continue
                if exc.code >= 500 and failures < RETRIES:
                    wait = _retry_after(got, self.backoff * 2**failures)
                    failures += 1
                    self._wait(wait, f"{exc.code} from {url}, retry {failures} of {RETRIES}")
                    continue
                raise PullError(_message(exc.code, url, detail)) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                if failures < RETRIES:
                    wait = self.backoff * 2**failures
                    failures += 1
                    self._wait(wait, f"cannot reach {url} ({reason}), retry {failures}")
                    continue
                raise PullError(f"cannot reach {url}: {reason}") from None
            self._note_limit(got)
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                raise PullError(
                    f"{url} did not answer with JSON (starts with {raw[:60]!r}); check the base "
                    "URL or the proxy"
                ) from None
            return Response(url, body, got)

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > MAX_WAIT:
            raise PullError(f"{why}: the API asks to wait {seconds:.0f} s; try again later")
        self.on_wait(f"{why}: waiting {seconds:g} s")
        self.sleep(seconds)

    def _note_limit(self, headers: Mapping[str, str]) -> None:
        """Remember when a used-up rate limit resets, to wait before the next request."""
        remaining = headers.get("ratelimit-remaining", headers.get("x-rate-limit-remaining"))
        remaining = remaining or headers.get("x-ratelimit-remaining")
        if remaining is None or remaining.strip() != "0":
            return
        reset = headers.get("ratelimit-reset") or headers.get("x-ratelimit-reset")
        seconds = _number(reset)
        if seconds is None:
            return
        if seconds > 1e9:  # Intercom gives the reset as a Unix time
            seconds -= time.time()
        self._resume_at = time.monotonic() + max(0.0, seconds)

    def _await_reset(self) -> None:
        left = self._resume_at - time.monotonic()
        self._resume_at = 0.0
        if left > 0:
            self._wait(left, "rate limit used up")


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    value = headers.get("retry-after")
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    if value:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    return default


def _detail(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text[:300]


def _message(status: int, url: str, detail: str) -> str:
    hint = {
        401: "the credentials were refused: check the token (and e-mail) variables",
        403: "the credentials may not read this: use an admin's token",
        404: "not found: check the subdomain, domain or base URL",
    }.get(status, "")
    parts = [f"{status} from {url}", hint, f"the API says: {detail}" if detail else ""]
    return "; ".join(p for p in parts if p)
