"""The pull's saved position: one small JSON file, replaced atomically after each committed page.

The file says which connector and account it belongs to and where the next request starts
(`cursor`, the connector's own keys). It is written to a temporary file in the same folder, flushed
to disk, renamed over the old one and the folder flushed, so a crash at any moment leaves either the
previous position or the new one, never a torn file.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportmetrics.sources.pull.http import PullError

__all__ = ["load_state", "save_state"]

VERSION = 1


def load_state(path: Path, connector: str, account: str) -> dict[str, Any] | None:
    """The saved cursor of `connector` for `account`, or None when there is no state file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PullError(f"{path}: cannot read the pull state ({exc.strerror})") from None
    try:
        state = json.loads(text)
        cursor = state["cursor"]
        saved_for = state["connector"], state["account"]
    except (ValueError, KeyError, TypeError):
        raise PullError(
            f"{path}: not a pull state file (expected JSON with connector, account and cursor); "
            "remove it to start again from --since"
        ) from None
    if saved_for != (connector, account):
        raise PullError(
            f"{path} holds the position of a {saved_for[0]} pull from {saved_for[1]}, not of "
            f"{connector} from {account}: give another --state file"
        )
    if not isinstance(cursor, dict):
        raise PullError(f"{path}: its cursor is not an object; remove the file to start again")
    return cursor


def save_state(path: Path, connector: str, account: str, cursor: dict[str, Any]) -> None:
    """Replace the state file with `cursor` atomically (temporary file, fsync, rename, fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "version": VERSION,
        "connector": connector,
        "account": account,
        "cursor": cursor,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
