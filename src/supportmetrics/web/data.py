"""The server's access to the workspace: one engine shared by all requests, a result cache, and
releasing the store when idle so `supportmetrics ingest` can write.

DuckDB lets a process hold the store file read-only or writable, not both, and the engine keeps
facts materialised per connection. So the server opens the store on the first request, serialises
queries on it (one connection, one lock), caches results keyed by the store file's modification time
and size, and closes it after `idle_seconds` without a query; a waiting ingest (it retries for
`[ingest] busy_timeout`) then gets the file, and the next request reopens the store with fresh facts.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from supportmetrics.engine import Engine
from supportmetrics.workspace import Workspace

__all__ = ["DataSource"]

T = TypeVar("T")


class DataSource:
    """Thread-safe, cached access to one workspace's engine."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        idle_seconds: float = 10.0,
        ttl_seconds: float = 300.0,
        max_entries: int = 1024,
    ) -> None:
        self.workspace = workspace
        self.idle_seconds = idle_seconds
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._lock = threading.RLock()
        self._cache: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._last_used = time.monotonic()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    def version(self) -> tuple[int, int] | None:
        """Identifies the store's content: modification time and size (None for a database URL)."""
        if self.workspace.config.store.url:
            return None
        try:
            stat = self.workspace.store_path.stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_size)

    def cached(self, key: Hashable, compute: Callable[[Engine], T]) -> T:
        """`compute(engine)`, or its cached value for `key` while the store is unchanged."""
        full_key = (self.version(), key)
        hit = self._get(full_key)
        if hit is not None:
            return hit[1]
        with self._lock:
            hit = self._get(full_key)  # another request may have computed it meanwhile
            if hit is not None:
                return hit[1]
            value = self.run(compute)
            self._cache[full_key] = (time.monotonic(), value)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
            return value

    def run(self, compute: Callable[[Engine], T]) -> T:
        """`compute(engine)` without caching, holding the engine for its duration."""
        with self._lock:
            self._last_used = time.monotonic()
            try:
                return compute(self.workspace.engine())
            finally:
                self._last_used = time.monotonic()

    def _get(self, key: Hashable) -> tuple[float, Any] | None:
        hit = self._cache.get(key)
        if hit is None or time.monotonic() - hit[0] > self.ttl_seconds:
            return None
        return hit

    def start(self) -> None:
        """Start releasing the store after `idle_seconds` without queries."""
        if self._reaper is None and self.idle_seconds > 0:
            self._stop.clear()
            self._reaper = threading.Thread(target=self._release_when_idle, daemon=True)
            self._reaper.start()

    def stop(self) -> None:
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join()
            self._reaper = None
        with self._lock:
            self.workspace.close()

    def _release_when_idle(self) -> None:
        while not self._stop.wait(min(1.0, self.idle_seconds)):
            if time.monotonic() - self._last_used < self.idle_seconds:
                continue
            if self._lock.acquire(blocking=False):
                try:
                    if time.monotonic() - self._last_used >= self.idle_seconds:
                        self.workspace.close()
                finally:
                    self._lock.release()
