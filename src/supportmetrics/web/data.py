"""The server's access to the workspace: a small pool of engines for concurrent queries, a result
cache, and releasing the store when idle so `supportmetrics ingest` can write.

DuckDB lets a process hold the store file read-only or writable, not both. So the server opens the
store on the first request, runs up to `max_queries` uncached queries side by side (each on its own
engine: its own read-only connection to the one store, reading the facts persisted for this data
version, see `supportmetrics.fact_cache`, or building them if none are, and with `[server]
facts_in_memory` copying them into its memory once, in the background after the request that first
read them: see `supportmetrics.memory_copies`), caches results keyed by the store file's
modification time and size, and closes every connection after `idle_seconds` without a query (a
copy still being made is stopped: the next connection makes it again); a waiting ingest (it
retries for `[ingest] busy_timeout`) then gets the file, and the next request reopens the store with fresh facts. A cached answer never waits for a query, and two requests for
the same uncached answer compute it once. New settings (`reconfigure`, after an edit from the
dashboard) start a new generation: cached answers of the old one are never served again, and each
engine is reopened with them before its next query.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from supportmetrics.config import Config
from supportmetrics.engine import Engine
from supportmetrics.workspace import Workspace

__all__ = ["DataSource"]

T = TypeVar("T")


class DataSource:
    """Thread-safe, cached access to one workspace's engines (at most `max_queries` at once)."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        idle_seconds: float = 10.0,
        ttl_seconds: float = 300.0,
        max_entries: int = 1024,
        max_queries: int = 1,
    ) -> None:
        self.workspace = workspace
        self.idle_seconds = idle_seconds
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.max_queries = max_queries
        self._lock = threading.Lock()  # the cache, the pool and the pending computations
        self._cache: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._pending: dict[Hashable, threading.Lock] = {}
        self._free: list[Workspace] = [workspace]  # each holds at most one engine
        self._in_use = 0
        self._slots = _Slots(max_queries)
        self._last_used = time.monotonic()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        self._generation = 0
        self.config = workspace.config
        """The settings answers are computed with (the pooled workspaces follow it)."""

    def reconfigure(self, config: Config) -> None:
        """Answer with `config` from now on: the cache is dropped, and engines built with the
        old settings are closed before their next use (SLA policies and schedules change facts)."""
        with self._lock:
            self._generation += 1
            self._cache.clear()
            self.config = config

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
        full_key = (self._generation, self.version(), key)
        hit = self._get(full_key)
        if hit is not None:
            return hit[1]
        with self._lock:
            pending = self._pending.setdefault(full_key, threading.Lock())
        with pending:  # a second request for the same answer waits for the first
            hit = self._get(full_key)
            if hit is not None:
                return hit[1]
            try:
                value = self.run(compute)
            finally:
                with self._lock:
                    self._pending.pop(full_key, None)
            with self._lock:
                self._cache[full_key] = (time.monotonic(), value)
                while len(self._cache) > self.max_entries:
                    self._cache.popitem(last=False)
            return value

    def run(self, compute: Callable[[Engine], T]) -> T:
        """`compute(engine)` without caching, on an engine of its own for its duration (waits
        while `max_queries` others run)."""
        with self._slots:
            holder = self._check_out()
            try:
                with holder.reading("answering a dashboard request"):
                    engine = holder.engine()
                    try:
                        return compute(engine)
                    finally:  # the facts it read go into memory in the background
                        engine.copy_facts()
            finally:
                self._check_in(holder)

    def _check_out(self) -> Workspace:
        with self._lock:
            self._in_use += 1
            self._last_used = time.monotonic()
            holder = self._free.pop() if self._free else None
            config = self.config
        if holder is None:
            holder = Workspace(self.workspace.root, config)
        elif holder.config is not config:  # settings changed since this engine was opened
            holder.close()
            holder.config = config
        holder.facts_in_memory = config.server.facts_in_memory
        return holder

    def _check_in(self, holder: Workspace) -> None:
        with self._lock:
            self._in_use -= 1
            self._last_used = time.monotonic()
            self._free.append(holder)

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
        self._release(force=True)

    def _release(self, *, force: bool = False) -> None:
        """Close every engine when none is in use (and idle long enough, unless `force`)."""
        with self._lock:
            idle = time.monotonic() - self._last_used >= self.idle_seconds
            if self._in_use == 0 and (force or idle):
                for holder in self._free:
                    holder.close()

    def _release_when_idle(self) -> None:
        while not self._stop.wait(min(1.0, self.idle_seconds)):
            self._release()


class _Slots:
    """At most `count` holders at once, the waiting ones served in the order they came: a
    request waits for the queries ahead of it, never for later ones that came in between (a
    semaphore lets any waiter take a freed slot, so some requests wait many turns)."""

    def __init__(self, count: int) -> None:
        self._lock = threading.Lock()
        self._free = count
        self._waiting: deque[threading.Lock] = deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder that hands its slot over

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().release()  # the slot passes straight to the next
            else:
                self._free += 1
