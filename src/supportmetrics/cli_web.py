"""`supportmetrics serve`, `users` and `tokens`: the dashboard, its users and their API tokens."""

from __future__ import annotations

import ipaddress
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from supportmetrics.cli import Format, FormatOption, WorkspaceOption, _emit, _fail, _open, err, out
from supportmetrics.web.users import ROLES, UserError, Users
from supportmetrics.workspace import Workspace

__all__ = ["serve_command", "serve_demo", "tokens_app", "users_app"]

users_app = typer.Typer(help="Dashboard users (admin or viewer).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the JSON API.", no_args_is_help=True)
DEMO_USER = "demo"

HostOption = Annotated[
    str, typer.Option(help="Address to listen on; anything but loopback needs TLS in front.")
]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


def _users(workspace: Path | None) -> tuple[Workspace, Users]:
    ws = _open(workspace)
    return ws, Users.of_workspace(ws.root)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run_server(ws: Workspace, users: Users, host: str, port: int, idle: float) -> None:
    import uvicorn

    from supportmetrics.web import create_app

    if not _is_loopback(host):
        err.print(
            f"[bold yellow]warning:[/] listening on {host}: other machines can reach the "
            "dashboard; put a TLS proxy in front of it",
            markup=True,
        )
    app = create_app(ws, users=users, idle_seconds=idle, warm=True)
    uvicorn.run(  # forwarded headers are the app's to judge ([server] trusted_proxies)
        app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False
    )


def serve_command(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    idle: Annotated[
        float,
        typer.Option(
            "--release-after",
            min=0,
            help="Seconds without queries after which the server releases the store, so "
            "`supportmetrics ingest` can write (0: never).",
        ),
    ] = 10.0,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the dashboard and the JSON API (login required; see `users add`)."""
    ws, users = _users(workspace)
    if not users.list():
        raise _fail(
            "no dashboard users yet: add one with "
            f"`supportmetrics users add NAME --role admin --workspace {ws.root}`"
        )
    err.print(f"supportmetrics dashboard on http://{host}:{port}/ (Ctrl+C stops it)")
    _run_server(ws, users, host, port, idle)


def serve_demo(directory: Path, host: str, port: int) -> None:
    """Serve the demo workspace with a fresh generated password for the `demo` admin."""
    ws, users = _users(directory)
    if DEMO_USER in {u.username for u in users.list()}:
        users.remove(DEMO_USER)
    password = secrets.token_urlsafe(12)
    users.add(DEMO_USER, password, "admin")
    err.print(
        f"\nDashboard: http://{host}:{port}/\n"
        f"  user:     {DEMO_USER}\n"
        f"  password: {password}\n"
        "(Ctrl+C stops it)"
    )
    _run_server(ws, users, host, port, 10.0)


def _password(stdin: bool, generate: bool) -> tuple[str, bool]:
    if generate:
        return secrets.token_urlsafe(15), True
    if stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True), False


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option(help=f"{' or '.join(ROLES)}.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate a password and print it.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a dashboard user (asks for the password unless told otherwise)."""
    _, users = _users(workspace)
    password, generated = _password(password_stdin, generate)
    try:
        users.add(name, password, role)
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    err.print(f"added {role} {name}")
    if generated:
        out.print(password, markup=False)


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="User name.")], workspace: WorkspaceOption = None
) -> None:
    """Remove a user, their API tokens and sessions."""
    _, users = _users(workspace)
    try:
        users.remove(name)
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    err.print(f"removed {name}")


@users_app.command("list")
def users_list(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Every user and their role."""
    _, users = _users(workspace)
    _emit([{"user": u.username, "role": u.role} for u in users.list()], fmt, title="users")


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    workspace: WorkspaceOption = None,
) -> None:
    """Create an API token and print it (only its hash is kept: copy it now)."""
    _, users = _users(workspace)
    try:
        secret = users.create_token(user, label)
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    out.print(secret, markup=False)


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """API tokens (never their secrets)."""
    _, users = _users(workspace)
    rows = [
        {"id": t.id, "user": t.username, "label": t.label, "last used": _when(t.last_used_at)}
        for t in users.tokens(user)
    ]
    _emit(rows, fmt, title="API tokens")


def _when(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="minutes") if epoch else "never"


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="Token id (see: tokens list).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke an API token."""
    _, users = _users(workspace)
    try:
        users.revoke_token(token_id)
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    err.print(f"revoked token {token_id}")
