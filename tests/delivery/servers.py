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
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

__all__ = ["Hook", "Mailbox", "self_signed", "smtp_server", "webhook_receiver"]


@dataclass
class Mailbox:
    """Messages the SMTP server accepted, parsed, with their envelope recipients."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)


@contextmanager
def smtp_server(
    refuse: int = 0,
    tls: str | None = None,
    cert: tuple[Path, Path] | None = None,
    password: str | None = None,
) -> Iterator[Mailbox]:
    """An aiosmtpd server on 127.0.0.1 (a free port); the first `refuse` messages get a 451.
    With `tls` ("starttls": required before anything; "ssl": TLS from the start) it uses `cert`
    (certificate, key); with `password` it requires a login (user `metrics`) over TLS."""
    try:
        import aiosmtpd.controller as controller_module
        from aiosmtpd.smtp import AuthResult
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
    options: dict[str, Any] = {}
    if tls is not None:
        assert cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*cert)
        options = (
            {"tls_context": context, "require_starttls": True}
            if tls == "starttls"
            else {"ssl_context": context}
        )
    if password is not None:

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: Any, data: Any):
            ok = data.login == b"metrics" and data.password == password.encode()
            box.logins.append((data.login.decode(), ok))
            return AuthResult(success=ok)

        # PLAIN only (aiosmtpd's LOGIN with an initial response stalls smtplib); the "ssl" mode's
        # TLS is not seen by aiosmtpd as such, but the connection is encrypted from the start
        options |= {
            "authenticator": authenticate,
            "auth_require_tls": tls == "starttls",
            "auth_exclude_mechanism": ["LOGIN"],
        }
    controller = controller_module.Controller(
        Handler(), hostname="127.0.0.1", port=box.port, **options
    )
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


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with openssl (it is its own CA)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
