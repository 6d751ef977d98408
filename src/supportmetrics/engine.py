"""The engine: a backend holding the canonical tables, the workspace settings, and the facts built
from them (materialised once per definition variant and reused by every query; persisted per data
version for every later process when the engine has a `FactCache`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.common.exceptions import TableNotFound

from supportmetrics.backends import Backend, backend_of
from supportmetrics.calendar import calendar_table, minutes_table
from supportmetrics.compiled import CompiledQueries
from supportmetrics.config import Config
from supportmetrics.fact_cache import FactCache, Unwritable
from supportmetrics.facts.registry import FACT_TABLES, FactTable, fact_options, fact_table
from supportmetrics.facts.tickets import TicketOptions
from supportmetrics.localtime import offsets_table
from supportmetrics.memory_copies import MemoryCopies
from supportmetrics.metrics.base import Clock
from supportmetrics.pruning import pruned
from supportmetrics.schema import TABLES, Kind
from supportmetrics.time_range import OutOfRange, in_range, out_of_range

__all__ = ["FACTS", "Engine"]

FACTS: tuple[str, ...] = tuple(FACT_TABLES)
"""The fact tables metrics aggregate (see `supportmetrics.facts.registry`)."""

_IBIS_TYPES = {
    Kind.ID: "string",
    Kind.TIMESTAMP: "timestamp",
    Kind.ENUM: "string",
    Kind.TEXT: "string",
    Kind.BOOL: "boolean",
    Kind.INTEGER: "int64",
    Kind.NUMBER: "float64",
    Kind.TAGS: "array<string>",
}
_TIMESTAMPS = {
    "tickets": ("created_at", "solved_at", "closed_at"),
    "messages": ("created_at",),
    "ticket_events": ("at",),
    "calls": ("queued_at", "ended_at"),
    "time_entries": ("started_at",),
    "surveys": ("submitted_at",),
    "survey_invitations": ("sent_at",),
    "self_service": ("at",),
    "subscriptions": ("started_at", "ended_at"),
    "orders": ("ordered_at",),
    "demos": ("held_at", "registered_at"),
    "reviews": ("posted_at",),
    "agent_availability": ("started_at", "ended_at"),
}


class Engine:
    """Computes facts on `db` (any Ibis backend with the canonical tables) under `config`."""

    def __init__(
        self,
        db: ibis.BaseBackend,
        config: Config,
        now: datetime | None = None,
        backend: Backend | None = None,
        persisted: FactCache | None = None,
        facts_in_memory: bool = False,
    ) -> None:
        self.db = db
        self.backend = backend or backend_of(db)
        """Its materialisation policy stores the facts and the intermediate steps."""
        self.config = config
        self.persisted = persisted
        """Where the facts of this data version are kept for every process (None: per
        connection only)."""
        self.facts_in_memory = facts_in_memory
        """Whether facts read from `persisted` are copied into the connection's memory (a server
        that reads them for many queries) rather than read from their files each time; on DuckDB
        in the background once `copy_facts` is called, the files answering until then."""
        self._now = now or datetime.now(UTC).replace(tzinfo=None)
        self._reads_now = False
        """Whether the fact table being built has read `now` (directly or through another)."""
        self._volatile: set[tuple[Any, ...]] = set()
        """The fact tables that depend on `now`: never persisted."""
        self._cache: dict[tuple[Any, ...], ir.Table] = {}
        self._names = itertools.count()
        """Numbers the fact tables' names (a build may build others first)."""
        self._unwritable: list[str] = []
        """Why the facts cache could not take a file (then the facts stay per connection)."""
        self._bounds: tuple[datetime, datetime] | None = None
        self._calendar: pa.Table | None = None
        self._steps: dict[Any, ir.Table] = {}
        """Materialised intermediate steps by their expression's node."""
        self._out_of_range: list[OutOfRange] | None = None
        self._prefix = f"_sm_{uuid4().hex[:8]}"
        """Names this engine's materialised tables apart from another's on a shared session."""
        duckdb = self.backend.name == "duckdb"
        self.queries = CompiledQueries(db, persisted) if duckdb else None
        """Compiled SQL by query shape (DuckDB; other backends compile every query)."""
        self.copies = MemoryCopies(db, self._prefix) if duckdb and facts_in_memory else None
        """The fact files being copied into memory (DuckDB with `facts_in_memory`)."""

    @property
    def now(self) -> datetime:
        """The instant open tickets are judged at (SLA breaches); naive UTC. A fact table whose
        build reads it is not persisted (it would be stale a moment later)."""
        self._reads_now = True
        return self._now

    def arrow(self, expr: ir.Table) -> pa.Table:
        """The rows of `expr`, its projections narrowed to the columns it reads (see
        `supportmetrics.pruning`), each query shape compiled once (see `supportmetrics.compiled`)."""
        expr = pruned(expr)
        if self.queries is None:
            return self.db.to_pyarrow(expr)
        return self.queries.arrow(expr)

    def copy_facts(self) -> None:
        """Start copying the fact files read so far into memory, in the background (with
        `facts_in_memory` on DuckDB); each fact table switches to its copy when it is done."""
        if self.copies is not None:
            self.copies.start()

    def close(self, disconnect: bool = True) -> None:
        """Stop copying facts into memory, release the cached tables the backend's policy made,
        then (if `disconnect`) the connection, which drops its temporary tables."""
        if self.copies is not None:
            self.copies.close()
        for table in (*self._cache.values(), *self._steps.values()):
            if isinstance(table, ir.CachedTable):
                table.release()
        if disconnect:
            self.db.disconnect()

    def table(self, name: str) -> ir.Table:
        """The canonical table `name` as metrics read it: without the rows whose timestamps lie
        outside the supported range (see `out_of_range`)."""
        table = self.stored(name)
        bad = [o.column for o in self.out_of_range() if o.table == name]
        return table.filter(*(in_range(table[c]) for c in bad)) if bad else table

    def stored(self, name: str) -> ir.Table:
        """The canonical table `name` as stored; empty (with its columns) in a store made before
        the table existed, and with nulls for the canonical columns a store made before them
        lacks."""
        spec = TABLES[name]
        try:
            stored = self.db.table(name)
        except TableNotFound:
            schema = ibis.schema({c.name: _IBIS_TYPES[c.kind] for c in spec.columns})
            return ibis.memtable(schema.to_pyarrow().empty_table())
        missing = {
            c.name: ibis.null(_IBIS_TYPES[c.kind]) for c in spec.columns if c.name not in stored
        }
        return stored.mutate(**missing) if missing else stored

    def out_of_range(self) -> list[OutOfRange]:
        """Stored timestamp columns holding values outside the supported range (written by a
        version that accepted them), counted once; `table` leaves their rows out."""
        if self._out_of_range is None:
            saved = self.persisted.load("out_of_range") if self.persisted is not None else None
            if saved is not None:
                self._out_of_range = [
                    OutOfRange(o["table"], o["column"], o["rows"], tuple(o["examples"]))
                    for o in saved
                ]
                return self._out_of_range
            stored = {}
            for name in TABLES:
                try:
                    stored[name] = self.db.table(name)
                except TableNotFound:
                    continue
            keys = {name: spec.key for name, spec in TABLES.items()}
            self._out_of_range = out_of_range(self.db, stored, keys)
            self._persist("out_of_range", [asdict(o) for o in self._out_of_range])
        return self._out_of_range

    def warnings(self) -> list[str]:
        """What every result should mention: the stored rows metrics leave out, and why."""
        return [str(found) for found in self.out_of_range()] + self._unwritable[:1]

    def span(self) -> tuple[date, date]:
        """First and last UTC date of any timestamp the facts use (today when the store is empty)."""
        first, last = self.bounds()
        return first.date(), last.date()

    def bounds(self) -> tuple[datetime, datetime]:
        """The earliest and latest timestamp (naive UTC) the facts use (now when the store is
        empty)."""
        if self._bounds is None:
            saved = self.persisted.load("bounds") if self.persisted is not None else None
            if saved is not None:
                first, last = (datetime.fromisoformat(v) for v in saved)
                self._bounds = (first, last)
                return self._bounds
            found = []
            for table, columns in _TIMESTAMPS.items():
                t = self.table(table)
                aggs = {}
                for c in columns:
                    aggs[f"min_{c}"] = t[c].min()
                    aggs[f"max_{c}"] = t[c].max()
                row = self.db.to_pyarrow(t.aggregate(**aggs)).to_pylist()[0]
                found += [v.replace(tzinfo=None) for v in row.values() if v is not None]
            now = datetime.now()
            self._bounds = (min(found, default=now), max(found, default=now))
            if found:  # an empty store's bounds are the moving present
                self._persist("bounds", [v.isoformat() for v in self._bounds])
        return self._bounds

    def _memtable(self, key: str, build: Any) -> ir.Table:
        if (key,) not in self._cache:
            first, last = self.span()
            self._cache[(key,)] = ibis.memtable(build(first, last))
        return self._cache[(key,)]

    def offsets(self) -> ir.Table:
        """UTC offsets of the workspace time zone over the data (see supportmetrics.localtime)."""
        return self._memtable(
            "offsets",
            lambda first, last: offsets_table(
                self.config.timezone, first - timedelta(days=400), last + timedelta(days=400)
            ),
        )

    def calendar_arrow(self) -> pa.Table:
        """The business-hours calendar of every schedule, over the data and up to now."""
        if self._calendar is None:
            first, last = self.span()
            self._calendar = calendar_table(
                self.config.business_schedules(),
                first - timedelta(days=7),
                max(last, self._now.date()) + timedelta(days=60),
                self.config.timezone,
            )
        return self._calendar

    def calendar(self) -> ir.Table:
        """`calendar_arrow` as a table the backend can join."""
        return self._memtable("calendar", lambda first, last: self.calendar_arrow())

    def minutes(self) -> ir.Table:
        """Every business minute of the calendar (due times in business hours)."""
        return self._memtable("minutes", lambda first, last: minutes_table(self.calendar_arrow()))

    def facts(
        self, name: str, variants: Mapping[str, Any] | None = None, clock: Clock = "calendar"
    ) -> ir.Table:
        """The fact table `name` for these variants and clock, materialised on first use: read
        from the `FactCache` when this data version's file is there, else built (and persisted
        there unless the build depends on `now`); a table that is a `view` under these settings
        is kept as its expression."""
        table = fact_table(name)
        if table.build is None:
            return self.table(name)
        options = fact_options(table, variants or {})
        key = (name, options, clock)
        if self.copies is not None:
            self._cache.update(self.copies.ready())
        if key in self._volatile:
            self._reads_now = True
        if key not in self._cache:
            self._cache[key] = self._build(key, table, options, clock)
        return self._cache[key]

    def ready_facts(
        self, name: str, variants: Mapping[str, Any] | None = None, clock: Clock = "calendar"
    ) -> ir.Table | None:
        """The fact table `name` when this engine has it or this data version's file is kept,
        else None (never built here: for a build that can read it instead of computing less)."""
        options = fact_options(fact_table(name), variants or {})
        file = FactCache.file_name(name, clock, asdict(options))
        kept = self.persisted is not None and (self.persisted.folder / file).is_file()
        return (
            self.facts(name, variants, clock)
            if kept or (name, options, clock) in self._cache
            else None
        )

    def _build(
        self, key: tuple[Any, ...], table: FactTable, options: TicketOptions, clock: Clock
    ) -> ir.Table:
        table_name = f"{self._prefix}_facts_{next(self._names)}"
        file = FactCache.file_name(table.name, clock, asdict(options))
        view = table.view is not None and table.view(self.config, clock)
        if self.persisted is not None and not view:
            found = self.persisted.read(self.db, file, table_name)
            if found is not None:
                return self._kept(key, file, table_name, found)
        assert table.build is not None
        outer, self._reads_now = self._reads_now, False
        try:
            expr = table.build(self, options, clock)
        finally:
            reads_now = self._reads_now
            self._reads_now = outer or reads_now
        if reads_now:
            self._volatile.add(key)
        if view:
            return expr
        if self.persisted is not None and not reads_now:
            try:
                about = {"name": table.name, "clock": clock, "options": asdict(options)}
                saved = self.persisted.write(self.db, file, table_name, expr, about)
                return self._kept(key, file, table_name, saved)
            except Unwritable as exc:
                self._unwritable.append(str(exc))
        return self.backend.materialise(self.db, table_name, expr)

    def _kept(self, key: tuple[Any, ...], file: str, name: str, saved: ir.Table) -> ir.Table:
        """Facts read from their file, to be copied into memory if `facts_in_memory` (on DuckDB
        in the background: the file's view until the copy is done)."""
        if not self.facts_in_memory:
            return saved
        if self.copies is None or self.persisted is None:
            return self.backend.materialise(self.db, f"{name}_in_memory", saved)
        self.copies.add(key, self.persisted.folder / file, f"{name}_in_memory")
        return saved

    def _persist(self, name: str, value: Any) -> None:
        """Keep a scan's result for this data version, if the engine has a facts cache."""
        if self.persisted is not None:
            try:
                self.persisted.save(name, value)
            except Unwritable as exc:
                self._unwritable.append(str(exc))

    def _materialize(self, expr: ir.Table) -> ir.Table:
        """`expr` stored by the backend's policy for the connection's lifetime, once: the calendar
        and business-clock ticket facts share their steps up to the durations."""
        key = expr.op()
        if key not in self._steps:
            name = f"{self._prefix}_step_{len(self._steps)}"
            self._steps[key] = self.backend.materialise(self.db, name, expr)
        return self._steps[key]
