"""`supportmetrics serve`, `users` and `tokens`: the dashboard, its users and their API tokens."""

from __future__ import annotations

import secrets
import sys
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer

from supportmetrics.cli.options import FormatOption, WorkspaceOption
from supportmetrics.cli.output import EXIT_USAGE, Format, emit, err, fail, out
from supportmetrics.cli.serving import run_server, users_of

__all__ = ["commands"]

commands = typer.Typer()
users_app = typer.Typer(help="Dashboard users (admin or viewer).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the JSON API.", no_args_is_help=True)
commands.add_typer(users_app, name="users")
commands.add_typer(tokens_app, name="tokens")

Role = Literal["admin", "viewer"]
"""A dashboard user's role (the web layer's `ROLES`)."""

HostOption = Annotated[
    str, typer.Option(help="Address to listen on; anything but loopback needs TLS in front.")
]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


@commands.command("serve", epilog="Example: supportmetrics serve --port 8000")
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
    ws, users = users_of(workspace)
    if not users.list():
        raise fail(
            "no dashboard users yet: add one with "
            f"`supportmetrics users add NAME --role admin --workspace {ws.root}`"
        )
    err.print(f"supportmetrics dashboard on http://{host}:{port}/ (Ctrl+C stops it)")
    run_server(ws, users, host, port, idle)


def _password(stdin: bool, generate: bool) -> tuple[str, bool]:
    if generate:
        return secrets.token_urlsafe(15), True
    if stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True), False


@users_app.command("add", epilog="Example: supportmetrics users add ana --role admin --generate")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[Role, typer.Option(help="admin or viewer.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate a password and print it.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a dashboard user (asks for the password unless told otherwise)."""
    from supportmetrics.web.users import UserError

    _, users = users_of(workspace)
    password, generated = _password(password_stdin, generate)
    try:
        users.add(name, password, role)
    except UserError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    err.print(f"added {role} {name}")
    if generated:
        out.print(password, markup=False)


@users_app.command("remove", epilog="Example: supportmetrics users remove ana")
def users_remove(
    name: Annotated[str, typer.Argument(help="User name.")], workspace: WorkspaceOption = None
) -> None:
    """Remove a user, their API tokens and sessions."""
    from supportmetrics.web.users import UserError

    _, users = users_of(workspace)
    try:
        users.remove(name)
    except UserError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    err.print(f"removed {name}")


@users_app.command("list", epilog="Example: supportmetrics users list")
def users_list(workspace: WorkspaceOption = None, fmt: FormatOption = Format.table) -> None:
    """Every user and their role."""
    _, users = users_of(workspace)
    emit([{"user": u.username, "role": u.role} for u in users.list()], fmt, title="users")


@tokens_app.command("create", epilog="Example: supportmetrics tokens create ana")
def tokens_create(
    user: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    workspace: WorkspaceOption = None,
) -> None:
    """Create an API token and print it (only its hash is kept: copy it now)."""
    from supportmetrics.web.users import UserError

    _, users = users_of(workspace)
    try:
        secret = users.create_token(user, label)
    except UserError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    out.print(secret, markup=False)


@tokens_app.command("list", epilog="Example: supportmetrics tokens list")
def tokens_list(
    user: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """API tokens (never their secrets)."""
    _, users = users_of(workspace)
    rows = [
        {"id": t.id, "user": t.username, "label": t.label, "last used": _when(t.last_used_at)}
        for t in users.tokens(user)
    ]
    emit(rows, fmt, title="API tokens")


def _when(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="minutes") if epoch else "never"


@tokens_app.command("revoke", epilog="Example: supportmetrics tokens revoke 3")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID", help="Token id (see: tokens list).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke an API token."""
    from supportmetrics.web.users import UserError

    _, users = users_of(workspace)
    try:
        users.revoke_token(token_id)
    except UserError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    err.print(f"revoked token {token_id}")
