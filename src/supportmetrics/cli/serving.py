"""Serving the dashboard (`serve`, `demo`) and opening a workspace's users.

The web application (FastAPI, uvicorn, the dashboard's pages) and the engine are imported only here,
inside the functions, so commands that do not serve or manage users start without loading them.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from supportmetrics.cli.output import err, open_workspace

if TYPE_CHECKING:
    from supportmetrics.web.users import Users
    from supportmetrics.workspace import Workspace

__all__ = ["DEMO_USER", "run_server", "serve_demo", "users_of"]

DEMO_USER = "demo"


def users_of(workspace: Path | None) -> tuple[Workspace, Users]:
    """The workspace and its dashboard users (exit 1 when it is no workspace)."""
    from supportmetrics.web.users import Users

    ws = open_workspace(workspace)
    return ws, Users.of_workspace(ws.root)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_server(ws: Workspace, users: Users, host: str, port: int, idle: float) -> None:
    """Serve the dashboard and JSON API on `host:port` until interrupted."""
    import uvicorn

    from supportmetrics.web import create_app

    if not _is_loopback(host):
        err.print(
            f"[bold yellow]warning:[/] listening on {host}: other machines can reach the "
            "dashboard; put a TLS proxy in front of it",
            markup=True,
        )
    from supportmetrics.reports.due import start_due_checks

    app = create_app(ws, users=users, idle_seconds=idle, warm=True)
    checks = start_due_checks(ws)  # reports due are sent while the dashboard serves
    if checks is not None:
        err.print(
            f"Sending due reports every {ws.config.delivery.check_interval:g} s "
            "([delivery] check_interval)"
        )
    try:
        uvicorn.run(  # forwarded headers are the app's to judge ([server] trusted_proxies)
            app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False
        )
    finally:
        if checks is not None:
            checks.set()


def serve_demo(directory: Path, host: str, port: int) -> None:
    """Serve the demo workspace with a fresh generated password for the `demo` admin."""
    ws, users = users_of(directory)
    if DEMO_USER in {u.username for u in users.list()}:
        users.remove(DEMO_USER)
    password = secrets.token_urlsafe(12)
    users.add(DEMO_USER, password, "admin")
    err.print(
        f"\nDashboard: http://{host}:{port}/?anchor=data\n"
        "  (the demo's data ends in the past: anchor=data ends its date ranges on the data's last\n"
        "  day instead of today; the link keeps it from page to page)\n"
        f"  user:     {DEMO_USER}\n"
        f"  password: {password}\n"
        "(Ctrl+C stops it)"
    )
    run_server(ws, users, host, port, 10.0)
