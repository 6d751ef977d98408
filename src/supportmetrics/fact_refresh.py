"""Facts refreshed after an ingest: the rows of the tickets the batch touched are recomputed, every
other row is carried over from the previous data version's file.

The refresh runs in the engine: for each fact file of the previous version (under the current
settings fingerprint), the fact table is built over the canonical tables narrowed to the touched
tickets (a semi-join), and the new file is the old one without those tickets (an anti-join) plus
the recomputed rows, written atomically as `FactCache.write` does. That is exact when every row of
the table depends only on the rows of its own ticket: the per-ticket facts (`ticket_core`,
`ticket_rows`; `tickets` too, whose repeat contacts read the customer's other tickets, so its
scope is every ticket of a touched customer), replies, backlog and flow. Every other file is
dropped and built in full by the next query that needs it (`REBUILT` says why), and so is every
file when the refresh is not sound or not worth it (`FULL`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.fact_cache import FactCache
from supportmetrics.ingest.batch import Touched
from supportmetrics.schema import TABLES
from supportmetrics.time_range import OutOfRange

__all__ = ["MAX_SHARE", "REBUILT", "SCOPES", "Refresh", "refresh"]

MAX_SHARE = 0.25
"""Above this share of the tickets recomputed, a full build on the next query is cheaper."""

SCOPES: dict[str, str] = {
    "ticket_core": "ticket",
    "ticket_rows": "ticket",
    "tickets": "customer",
    "replies": "ticket",
    "backlog": "ticket",
    "flow": "ticket",
}
"""Fact table -> the tickets its rows are recomputed for: the touched ones (`ticket`), or every
ticket of a customer a touched ticket has or had (`customer`: a ticket's repeat contact reads
the customer's next ticket, and a ticket written or moved changes which ticket is next)."""

REBUILT: dict[str, str] = {
    "calls": "calls without a ticket",
    "occupancy": "agents' time across calls",
    "handling": "calls without a ticket",
    "activity": "agents' actions across tables",
    "surveys": "responses without a ticket",
    "invitations": "invitations matched across tickets",
    "sessions": "self-service sessions",
    "usage": "self-service sessions",
    "orders": "orders without a ticket",
}
"""Fact table -> what its rows depend on beyond one ticket (those are rebuilt in full)."""


class _Unsound(Exception):
    """A fact table's rows read more than the rows of their own ticket."""


@dataclass
class Refresh:
    """What an ingest did to the persisted facts (the ingest summary's `facts`)."""

    reason: str | None = None
    """Why no file was refreshed (every one is rebuilt on the next query), else None."""
    refreshed: list[str] = field(default_factory=list)
    """The refreshed files, as `name.clock`."""
    rebuilt: dict[str, str] = field(default_factory=dict)
    """The dropped files, as `name.clock`, with why."""
    recomputed: int = 0
    """Tickets recomputed (the widest scope used)."""
    tickets: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line: what was refreshed incrementally and what is rebuilt on the next query."""
        dropped = "; ".join(f"{name}: {why}" for name, why in self.rebuilt.items())
        if self.reason is not None or not self.refreshed:
            return f"rebuilt on next query ({self.reason or dropped or 'nothing was cached'})"
        text = (
            f"refreshed incrementally: {self.recomputed:,} of {self.tickets:,} tickets "
            f"recomputed ({', '.join(self.refreshed)}) in {self.seconds:.1f} s"
        )
        return f"{text}; rebuilt on next query: {dropped}" if dropped else text

    def to_dict(self) -> dict[str, object]:
        return {
            "mode": "full" if self.reason is not None or not self.refreshed else "incremental",
            "reason": self.reason,
            "tickets_recomputed": self.recomputed,
            "tickets": self.tickets,
            "refreshed": self.refreshed,
            "rebuilt": self.rebuilt,
            "seconds": round(self.seconds, 3),
        }


def refresh(
    engine: Engine, previous: FactCache, touched: Touched, new_columns: bool = False
) -> Refresh:
    """Refresh the fact files of `previous` (the data version before the write) into
    `engine.persisted` (the new one) for the tickets in `touched`; `new_columns` when the write
    added custom columns (the facts' columns change: every file is rebuilt)."""
    started = time.perf_counter()
    current = engine.persisted
    assert current is not None and current.settings == previous.settings
    files = previous.described()
    if not files:
        return Refresh("nothing was cached")
    if new_columns:
        return Refresh("the batch added custom columns")
    db = engine.db
    tickets = engine.stored("tickets")  # not `table`: its scan is saved with the new version
    scopes = {"ticket": _memtable(db, touched.tickets, "ticket_id")}
    # a ticket's repeat contact reads its customer's next ticket: recompute every ticket of each
    # customer a touched ticket has (now, or had before the write)
    customers = _memtable(db, touched.customers, "customer_id").union(
        tickets.semi_join(scopes["ticket"], "ticket_id").select(
            customer_id=tickets.customer_id.cast("string")
        )
    )
    of_customers = tickets.semi_join(customers, "customer_id")
    of_customers = of_customers.select(ticket_id=of_customers.ticket_id.cast("string"))
    scopes["customer"] = _table(
        db, of_customers.union(scopes["ticket"], distinct=True), "customer scope"
    )
    used = {SCOPES[about["name"]] for about in files.values() if about["name"] in SCOPES}
    result = Refresh(tickets=int(db.execute(tickets.count())))
    result.recomputed = max((int(db.execute(scopes[s].count())) for s in used), default=0)
    if result.recomputed > MAX_SHARE * result.tickets:
        share = result.recomputed / max(result.tickets, 1)
        return Refresh(f"the batch touched {share:.0%} of the tickets: a full build is cheaper")
    current.create_folder()
    engines = {kind: _Scoped(engine, scope) for kind, scope in scopes.items()}
    try:
        for file, about in files.items():
            label = f"{about['name']}.{about['clock']}"
            why = _unrefreshable(about)
            if why is None:
                try:
                    _refresh_file(previous, current, file, about, engines[SCOPES[about["name"]]])
                except _Unsound as exc:
                    why = str(exc)
                else:
                    if label not in result.refreshed:
                        result.refreshed.append(label)
                    continue
            result.rebuilt[label] = why
    finally:
        for scoped in engines.values():
            scoped.close(disconnect=False)
    result.seconds = time.perf_counter() - started
    return result


def _unrefreshable(about: Mapping[str, Any]) -> str | None:
    """Why a file cannot be refreshed, or None. A business-clock duration is refreshed like the
    others when the data's time span moves: it is F(end) - F(start) on a calendar that covers
    every stored instant, and the calendars of two spans agree on the days both cover."""
    name = about["name"]
    if name not in SCOPES:
        return f"its rows read {REBUILT.get(name, 'more than their own ticket')}"
    return None


def _refresh_file(
    previous: FactCache,
    current: FactCache,
    file: str,
    about: Mapping[str, Any],
    scoped: _Scoped,
) -> None:
    """The previous version's `file` without the scope's tickets, plus their rows recomputed,
    written to the current version."""
    db, name = scoped.db, f"{scoped.prefix}_{uuid.uuid4().hex[:8]}"
    old = previous.read(db, file, f"{name}_previous")
    if old is None or "ticket_id" not in old.columns:
        raise _Unsound("the previous file is gone")
    fresh = scoped.facts(about["name"], about["options"], about["clock"])
    if set(fresh.columns) != set(old.columns):
        raise _Unsound("its columns changed")
    schema = old.schema()
    fresh = fresh.select(*(fresh[c].cast(schema[c]).name(c) for c in old.columns))
    merged = old.anti_join(scoped.scope, "ticket_id").union(fresh)
    current.write(db, file, f"{name}_refreshed", merged, dict(about))


def _memtable(db: Any, ids: Any, column: str) -> ir.Table:
    rows = ibis.memtable(ids)
    return _table(db, rows.select(rows[column].cast("string")), f"{column} scope")


def _table(db: Any, expr: ir.Table, what: str) -> ir.Table:
    """`expr` as a temporary table of `db` (a scope read by every file's build)."""
    name = f"_sm_refresh_{what.replace(' ', '_')}"
    return db.create_table(name, expr, temp=True, overwrite=True)


class _Scoped(Engine):
    """An engine whose canonical tables hold the rows of the scope's tickets only; its bounds and
    out-of-range scans are those of the whole data (`full`)."""

    def __init__(self, full: Engine, scope: ir.Table) -> None:
        super().__init__(full.db, full.config, now=full.now, backend=full.backend)
        self.full = full
        self.scope = scope
        self.prefix = f"_sm_refresh_{id(self):x}"
        self._narrowed: dict[str, ir.Table] = {}

    def table(self, name: str) -> ir.Table:
        if "ticket_id" not in TABLES[name].by_name:
            raise _Unsound(f"its rows read {name}, which is not kept per ticket")
        if name not in self._narrowed:
            rows = self.full.table(name).semi_join(self.scope, "ticket_id")
            self._narrowed[name] = self.backend.materialise(self.db, f"{self.prefix}_{name}", rows)
        return self._narrowed[name]

    def bounds(self) -> tuple[datetime, datetime]:
        return self.full.bounds()

    def out_of_range(self) -> list[OutOfRange]:
        return self.full.out_of_range()
