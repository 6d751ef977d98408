"""Dashboard users, API tokens and sessions, kept in a small SQLite file in the workspace.

Not in the DuckDB store: the engine opens that read-only and ingest locks it. Passwords are hashed
with argon2; API tokens and session ids are random 256-bit secrets stored as SHA-256 digests (they
are not guessable, so a slow hash buys nothing and would cost every request).
"""

from __future__ import annotations

import builtins
import hashlib
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "ROLES",
    "USERS_FILE",
    "ApiToken",
    "Role",
    "Session",
    "User",
    "UserError",
    "Users",
]

USERS_FILE = "supportmetrics-users.sqlite"
Role = Literal["admin", "viewer"]
ROLES: tuple[str, ...] = ("admin", "viewer")
MIN_PASSWORD = 10
SESSION_SECONDS = 12 * 3600
TOKEN_PREFIX = "smt_"
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT UNIQUE NOT NULL,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    label TEXT NOT NULL, created_at REAL NOT NULL, last_used_at REAL);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at REAL NOT NULL);
"""


class UserError(ValueError):
    """A user or token operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ApiToken:
    id: int
    username: str
    label: str
    created_at: float
    last_used_at: float | None


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Users:
    """The user file of one workspace (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._hasher = PasswordHasher()
        if not path.exists():  # password hashes and session digests: the owner's only
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        with self._db() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def of_workspace(cls, root: Path) -> Users:
        return cls(root / USERS_FILE)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        finally:
            db.close()

    # users

    def add(self, username: str, password: str, role: str = "viewer") -> User:
        """Add a user (UserError if the name is taken or invalid, or the password is short)."""
        if not _NAME.match(username):
            raise UserError(
                f"user name {username!r}: use 1-64 letters, digits or the characters _ . @ -"
            )
        if role not in ROLES:
            raise UserError(f"unknown role {role!r}; use {' or '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?)",
                    (username, self._hasher.hash(password), role, time.time()),
                )
        except sqlite3.IntegrityError:
            raise UserError(f"user {username!r} exists; remove it first") from None
        return User(username, role)

    def remove(self, username: str) -> None:
        """Remove a user with their tokens and sessions."""
        with self._db() as db:
            if not db.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount:
                raise UserError(f"no user {username!r}")

    def list(self) -> builtins.list[User]:
        with self._db() as db:
            rows = db.execute("SELECT username, role FROM users ORDER BY username").fetchall()
        return [User(*row) for row in rows]

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is theirs (a hash is checked either way, so timing does not
        tell whether the name exists)."""
        with self._db() as db:
            row = db.execute(
                "SELECT password_hash, role FROM users WHERE username = ?", (username,)
            ).fetchone()
        stored = row[0] if row else _DUMMY_HASH
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(username, row[1]) if row else None

    # sessions

    def start_session(self, user: User) -> tuple[str, str]:
        """A new session for `user`: (session id for the cookie, CSRF token)."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (_digest(session_id), user.username, csrf, now + SESSION_SECONDS),
            )
        return session_id, csrf

    def session(self, session_id: str) -> Session | None:
        with self._db() as db:
            row = db.execute(
                "SELECT u.username, u.role, s.csrf FROM sessions s JOIN users u USING (username)"
                " WHERE s.digest = ? AND s.expires_at > ?",
                (_digest(session_id), time.time()),
            ).fetchone()
        return Session(User(row[0], row[1]), row[2]) if row else None

    def end_session(self, session_id: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE digest = ?", (_digest(session_id),))

    # failed logins (the limiter's state, kept across restarts)

    def login_failures(self, key: str) -> tuple[int, float] | None:
        """Failures recorded for `key` and when the last one was (epoch seconds)."""
        with self._db() as db:
            row = db.execute(
                "SELECT failures, last_at FROM login_failures WHERE key = ?", (key,)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def add_login_failure(self, key: str, now: float, forget_before: float) -> None:
        """Count a failed login for `key`; a count whose last failure is older than
        `forget_before` starts again at one."""
        with self._db() as db:
            db.execute(
                "INSERT INTO login_failures VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET"
                " failures = CASE WHEN last_at < ? THEN 1 ELSE failures + 1 END,"
                " last_at = excluded.last_at",
                (key, now, forget_before),
            )

    def clear_login_failures(self, key: str | None = None, *, before: float | None = None) -> None:
        """Forget the failures of `key`, or of every key whose last failure is before `before`."""
        with self._db() as db:
            if key is not None:
                db.execute("DELETE FROM login_failures WHERE key = ?", (key,))
            if before is not None:
                db.execute("DELETE FROM login_failures WHERE last_at < ?", (before,))

    # API tokens

    def create_token(self, username: str, label: str) -> str:
        """A new API token for `username`; the secret is shown once and only its digest kept."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO tokens (digest, username, label, created_at) VALUES (?, ?, ?, ?)",
                    (_digest(secret), username, label.strip()[:100] or "token", time.time()),
                )
        except sqlite3.IntegrityError:
            raise UserError(f"no user {username!r}") from None
        return secret

    def tokens(self, username: str | None = None) -> builtins.list[ApiToken]:
        query = "SELECT id, username, label, created_at, last_used_at FROM tokens"
        with self._db() as db:
            if username is None:
                rows = db.execute(query + " ORDER BY id").fetchall()
            else:
                rows = db.execute(query + " WHERE username = ? ORDER BY id", (username,)).fetchall()
        return [ApiToken(*row) for row in rows]

    def revoke_token(self, token_id: int, username: str | None = None) -> None:
        """Delete a token (only `username`'s, when given)."""
        with self._db() as db:
            if username is None:
                deleted = db.execute("DELETE FROM tokens WHERE id = ?", (token_id,)).rowcount
            else:
                deleted = db.execute(
                    "DELETE FROM tokens WHERE id = ? AND username = ?", (token_id, username)
                ).rowcount
        if not deleted:
            raise UserError(f"no token {token_id}")

    def token_user(self, secret: str) -> User | None:
        """The user an API token belongs to (None for an unknown or revoked token)."""
        digest = _digest(secret)
        with self._db() as db:
            row = db.execute(
                "SELECT u.username, u.role FROM tokens t JOIN users u USING (username)"
                " WHERE t.digest = ?",
                (digest,),
            ).fetchone()
            now = time.time()
            if row:  # at most once a minute: a busy client does not write on every call
                db.execute(
                    "UPDATE tokens SET last_used_at = ? WHERE digest = ?"
                    " AND (last_used_at IS NULL OR last_used_at < ?)",
                    (now, digest, now - 60),
                )
        return User(*row) if row else None


_DUMMY_HASH = PasswordHasher().hash(secrets.token_urlsafe(16))
