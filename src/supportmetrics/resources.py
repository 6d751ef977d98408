"""Running out of disk, memory or permissions, said as what ran out and what to change.

The engine's own error stays in the message (and as the exception's cause), so nothing is masked.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

__all__ = ["MemorySetting", "ResourceError", "explain", "explained", "is_resource_error"]

_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_DISK_TEXT = ("No space left on device", "File too large", "Disk quota exceeded")
_ACCESS_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_ACCESS_TEXT = ("Permission denied", "Read-only file system", "Operation not permitted")


class ResourceError(RuntimeError):
    """The machine refused disk space, memory or access; the message names it and the fix."""


@dataclass(frozen=True)
class MemorySetting:
    """The memory limit that applied: `[ingest] memory_limit` or `[engine] memory_limit`."""

    section: str
    value: str

    def __str__(self) -> str:
        return f'[{self.section}] memory_limit = "{self.value}"'


def _kind(exc: BaseException) -> str | None:
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "memory"
    if isinstance(exc, OSError):
        code = exc.errno
        return "disk" if code in _DISK_ERRNOS else "access" if code in _ACCESS_ERRNOS else None
    if isinstance(exc, duckdb.Error):
        text = str(exc)
        if "Out of Memory Error" in text:
            return "memory"
        if any(t in text for t in _DISK_TEXT):
            return "disk"
        if any(t in text for t in _ACCESS_TEXT):
            return "access"
    return None


def is_resource_error(exc: BaseException) -> bool:
    """Whether `exc` is the machine running out of disk, memory or permission, not bad input."""
    return _kind(exc) is not None


def explain(
    exc: BaseException, *, folder: Path, memory: MemorySetting, doing: str
) -> ResourceError | None:
    """A `ResourceError` for `exc` (raised while `doing` something in the workspace `folder`),
    or None when `exc` is not about resources."""
    kind = _kind(exc)
    if kind is None:
        return None
    lines = str(exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    if kind == "memory":
        return ResourceError(
            f"out of memory while {doing}: it needs more than {memory} allows ({detail}). "
            "Raise that setting in supportmetrics.toml if the machine has the memory, "
            + (
                "or load the files in smaller batches."
                if memory.section == "ingest"
                else "or ask for a shorter date range."
            )
        )
    if kind == "disk":
        return ResourceError(
            f"disk full while {doing} ({detail}). Free space on the disk holding "
            f"{folder.resolve()} and try again: an ingest that replaces stored rows needs about "
            "twice the store's size free, and `supportmetrics compact` gives back the space "
            "the store no longer uses."
        )
    return ResourceError(
        f"permission denied while {doing} ({detail}). Give the user running supportmetrics "
        f"read and write access to {folder.resolve()} and the files in it, or run it as "
        "their owner."
    )


@contextlib.contextmanager
def explained(folder: Path, memory: MemorySetting, doing: str) -> Iterator[None]:
    """Raise the block's resource failures as a `ResourceError` (see `explain`), the rest as is."""
    try:
        yield
    except (duckdb.Error, OSError) as exc:
        resource = explain(exc, folder=folder, memory=memory, doing=doing)
        if resource is None:
            raise
        raise resource from exc
