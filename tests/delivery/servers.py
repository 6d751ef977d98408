"""Real servers on loopback for delivery tests: an SMTP server (aiosmtpd) keeping what it
receives, and an HTTP receiver checking webhook signatures."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["Hook", "Mailbox", "smtp_server", "webhook_receiver"]


@dataclass
class Mailbox:
    """Messages the SMTP server accepted, parsed, with their envelope recipients."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)


@contextmanager
def smtp_server(refuse: int = 0) -> Iterator[Mailbox]:
    """An aiosmtpd server on 127.0.0.1 (a free port); the first `refuse` messages get a 451."""
    try:
        import aiosmtpd.controller as controller_module
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the delivery tests need aiosmtpd (the test extra) in CI")
        pytest.skip("aiosmtpd is not installed (pip install -e '.[test]')")
    box = Mailbox(port=0)
    refusals = [refuse]

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if refusals[0] > 0:
                refusals[0] -= 1
                return "451 try again later"
            box.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
            )
            box.envelopes.append(list(envelope.rcpt_tos))
            return "250 OK"

    with socket.socket() as probe:  # a free port (the controller cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = controller_module.Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Hook:
    """Requests a webhook receiver got, whether each signature checked out, and its url."""

    url: str
    secret: str
    bodies: list[Any] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    valid: list[bool] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def webhook_receiver(secret: str, fail: int = 0, status: int = 503) -> Iterator[Hook]:
    """An HTTP server on loopback verifying `X-Supportmetrics-Signature` with `secret`; the first
    `fail` requests get `status`."""
    failures = [fail]
    hook = Hook(url="", secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if failures[0] > 0:
                failures[0] -= 1
                self.send_response(status)
                self.end_headers()
                return
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            signature = self.headers.get("X-Supportmetrics-Signature", "")
            hook.raw.append(body)
            hook.valid.append(hmac.compare_digest(expected, signature))
            hook.headers.append(dict(self.headers.items()))
            hook.bodies.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
