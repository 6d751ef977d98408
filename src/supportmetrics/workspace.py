"""A workspace: a folder with `supportmetrics.toml` (optional) and the store it names."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
from ibis.common.exceptions import IbisError

from supportmetrics.backends import Target, backend_named, open_backend
from supportmetrics.backends.duckdb import READ_TIMEOUT
from supportmetrics.columns import CustomColumn, custom_columns, drop_custom_columns
from supportmetrics.compaction import Compaction, compact_attached
from supportmetrics.config import CONFIG_FILE, DEFAULT_TOML, Config, load_config, validate_config
from supportmetrics.engine import Engine
from supportmetrics.fact_cache import FactCache, Unwritable, fingerprint, prune
from supportmetrics.fact_refresh import Refresh, refresh
from supportmetrics.ingest import IngestReport, OnError, find_sources, run_batch
from supportmetrics.ingest.batch import Step
from supportmetrics.query import Period, Query, Result, facts_rows, facts_warnings, run_query
from supportmetrics.resources import MemorySetting, ResourceError, explained
from supportmetrics.schema import TABLES
from supportmetrics.store import attached, create_store, retry_while_locked
from supportmetrics.time_range import in_range

__all__ = ["ENV_VAR", "TableSummary", "Workspace", "WorkspaceError", "connect", "init"]

ENV_VAR = "SUPPORTMETRICS_WORKSPACE"
TEMP_FOLDER = ".supportmetrics-tmp"
STORE = "store"


class WorkspaceError(RuntimeError):
    """The folder is not a usable workspace; the message says how to make it one."""


@dataclass(frozen=True)
class TableSummary:
    """How many rows a stored table holds and the time they span (UTC)."""

    table: str
    rows: int
    first: datetime | None
    last: datetime | None
    custom_columns: tuple[str, ...]
    out_of_range: dict[str, int] = field(default_factory=dict)
    """Timestamp column -> rows whose value lies outside the supported range (metrics skip them)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "table": self.table,
            "rows": self.rows,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "custom_columns": list(self.custom_columns),
            "out_of_range": self.out_of_range,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


class Workspace:
    """The settings and store of one folder; every command and API call works through one."""

    def __init__(self, root: Path, config: Config, session: object | None = None) -> None:
        self.root = root
        self.config = config
        self.session = session
        """An Ibis backend or engine session passed in from Python, used instead of connecting
        from the settings (and left open by `close`)."""
        self._engine: Engine | None = None
        self.facts_in_memory = False
        """Whether the engine copies the cached facts into memory (see `Engine`); the dashboard
        server sets it from `[server] facts_in_memory`."""

    @property
    def store_path(self) -> Path:
        return self.root / self.config.store.path

    @property
    def facts_folder(self) -> Path:
        """Where the facts persisted per data version are kept (`[engine] facts_folder`)."""
        return self.root / self.config.engine.facts_folder

    @classmethod
    def init(cls, root: Path, timezone: str | None = None) -> Workspace:
        """Create (or complete) a workspace in `root`: settings file and an empty store."""
        if timezone:
            validate_config({"timezone": timezone}, "--timezone")
        config_path = root / CONFIG_FILE
        with explained(
            root, MemorySetting("ingest", Config().ingest.memory_limit), "creating the workspace"
        ):
            root.mkdir(parents=True, exist_ok=True)
            if not config_path.exists():
                text = DEFAULT_TOML
                if timezone:
                    text = text.replace('timezone = "UTC"', f'timezone = "{timezone}"')
                config_path.write_text(text, encoding="utf-8")
            workspace = cls(root, load_config(config_path))
            workspace._create_store()
        return workspace

    @classmethod
    def open(cls, root: Path | None = None, session: object | None = None) -> Workspace:
        """The workspace in `root` (default: $SUPPORTMETRICS_WORKSPACE, else the current folder);
        its engine runs on `session` when one is given (see `Workspace.session`)."""
        root = Path(root or os.environ.get(ENV_VAR) or ".")
        config = load_config(root / CONFIG_FILE)
        workspace = cls(root, config, session)
        if not workspace.store_path.exists() and not (root / CONFIG_FILE).exists():
            raise WorkspaceError(
                f"{root.resolve()} is not a supportmetrics workspace: run "
                f"`supportmetrics init {root}` first, or pass --workspace DIR"
            )
        return workspace

    def _create_store(self) -> None:
        def create() -> None:
            new = not self.store_path.exists()
            with duckdb.connect(str(self.store_path)) as con:
                if new:  # the data is the team's: readable by its owner only
                    self.store_path.chmod(0o600)
                create_store(con)

        retry_while_locked(create, self.store_path, self.config.ingest.busy_timeout)

    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        table: str | None = None,
        on_error: OnError = "fail",
        wait: float | None = None,
        step: Step | None = None,
    ) -> IngestReport:
        """Validate and load files into the store: all of them or, on a problem, none."""
        return self._batch(paths, table, on_error, wait, step, write=True)

    def validate(
        self, paths: Sequence[Path | str], *, table: str | None = None, step: Step | None = None
    ) -> IngestReport:
        """Check files as `ingest` would, without writing anything."""
        return self._batch(paths, table, "quarantine", None, step, write=False)

    def _batch(
        self,
        paths: Sequence[Path | str],
        table: str | None,
        on_error: OnError,
        wait: float | None,
        step: Step | None,
        *,
        write: bool,
    ) -> IngestReport:
        if self.config.store.url:
            raise WorkspaceError(
                f"this workspace reads its tables from {self.config.store.url.split('@')[-1]}; "
                "ingest loads the embedded store only: load the canonical tables there with your "
                "own pipeline, or ingest into a workspace without [store] url"
            )
        if write and self.config.store.engine == "spark":
            raise WorkspaceError(
                "this workspace computes on Spark from [store.spark]; ingest loads the embedded "
                "store only: land the canonical tables in your lake with your own pipeline, or "
                "ingest into a workspace without [store.spark] and run `supportmetrics export-lake`"
            )
        sources = find_sources([Path(p) for p in paths], table)
        self.close()  # the store is about to change: facts built before are stale, and DuckDB
        # lets one process hold a file either read-only or writable, not both
        if write and not self.store_path.exists():
            self._create_store()
        previous = self._cached() if write else None
        report = run_batch(
            sources,
            self.store_path,
            timezone=self.config.timezone,
            memory_limit=self.config.ingest.memory_limit,
            temp_dir=self.root / TEMP_FOLDER,
            busy_timeout=self.config.ingest.busy_timeout if wait is None else wait,
            on_error=on_error,
            write=write,
            max_custom_columns=self.config.ingest.max_custom_columns,
            step=step or (lambda _: None),
            record_touched=previous is not None,
        )
        if report.written:
            report.facts, report.facts_refresh = self._refreshed_facts(previous, report, step)
        return report

    def _cached(self) -> FactCache | None:
        """The persisted facts of the store's current data version under the current settings,
        when there are any an ingest could refresh."""
        if not self._persists() or not self.facts_folder.is_dir():
            return None
        target = Target(self.config, self.store_path, self.root / TEMP_FOLDER)
        with self.read():
            version = backend_named("duckdb").data_version(target)
        cached = (
            FactCache(self.facts_folder, version, fingerprint(self.config)) if version else None
        )
        return cached if cached is not None and cached.described() else None

    def _refreshed_facts(
        self, previous: FactCache | None, report: IngestReport, step: Step | None
    ) -> tuple[str, dict[str, object] | None]:
        """After an ingest: refresh the facts of `previous` (the data version before it) for the
        tickets the batch touched where that is sound (see `supportmetrics.fact_refresh`), then
        delete the facts of every other version; the summary line and its details."""
        if previous is None or report.touched is None:
            return self._stale_facts(), None
        (step or (lambda _: None))("refreshing the facts")
        new_columns = any(load.new_columns for load in report.tables.values())
        try:
            with self.reading("refreshing the facts"):
                engine = self.engine()
                if engine.persisted is None:
                    done = Refresh("the store is being written")
                else:
                    done = refresh(engine, previous, report.touched, new_columns)
        except (Unwritable, ResourceError, IbisError, duckdb.Error, OSError) as exc:
            done = Refresh(f"the refresh failed: {str(exc).strip().splitlines()[0]}")
        finally:
            self.close()
        self._stale_facts()
        return done.summary(), done.to_dict()

    def _stale_facts(self) -> str:
        """After a write to the store: delete the persisted facts of earlier data (holding the
        store read-only, so no process is using another version), and say how the facts are
        refreshed."""
        if self.facts_folder.is_dir():
            target = Target(self.config, self.store_path, self.root / TEMP_FOLDER)
            with self.read():
                prune(self.facts_folder, keep=backend_named("duckdb").data_version(target))
        if self.config.engine.facts_cache:
            return "rebuilt on next query (then kept for every later one until the next ingest)"
        return "built by each process that queries ([engine] facts_cache = false)"

    @contextlib.contextmanager
    def _writer(self, wait: float | None, doing: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """An engine connection with the store attached writable as `store`, holding its lock
        (waiting up to `wait` seconds, default `[ingest] busy_timeout`, for another writer)."""
        self.close()  # the store is about to change, and one process holds it one way only
        settings = self.config.ingest
        with explained(self.root, MemorySetting("ingest", settings.memory_limit), doing):
            con = duckdb.connect(
                config={
                    "memory_limit": settings.memory_limit,
                    "temp_directory": str(self.root / TEMP_FOLDER),
                }
            )
            try:
                timeout = settings.busy_timeout if wait is None else wait
                with attached(con, self.store_path, STORE, timeout):
                    yield con
            finally:
                con.close()

    def compact(self, *, wait: float | None = None) -> Compaction:
        """Rewrite the store into a fresh file to give back the space it no longer uses.

        Needs free disk space for a copy of the live data; the store is unchanged on failure.
        """
        with self._writer(wait, "compacting the store") as con:
            compaction = compact_attached(con, STORE, self.store_path)
        self._stale_facts()
        return compaction

    def custom_columns(self) -> list[CustomColumn]:
        """Every custom column of every table, with its type and number of values."""
        with self.reading("reading the store"), self.read() as con:
            catalog = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
            return custom_columns(con, catalog)

    def drop_columns(self, names: Sequence[str], *, wait: float | None = None) -> list[str]:
        """Drop custom columns named `TABLE.NAME` (patterns such as `tickets.x_*` allowed), all
        or none; returns the dropped columns as `table.column`."""
        with self._writer(wait, "dropping columns") as con:
            dropped = drop_custom_columns(con, STORE, list(names))
        self._stale_facts()
        return dropped

    def read(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the store (waits while a writer holds it)."""
        return retry_while_locked(
            lambda: duckdb.connect(str(self.store_path), read_only=True),
            self.store_path,
            READ_TIMEOUT,
        )

    def engine(self) -> Engine:
        """The metric engine over this workspace's store (opened once, read-only)."""
        if self._engine is None:
            target = Target(self.config, self.store_path, self.root / TEMP_FOLDER, self.root)
            db, backend = open_backend(target, self.session)
            version = backend.data_version(target) if self._persists() else None
            persisted = (
                FactCache(self.facts_folder, version, fingerprint(self.config))
                if version is not None
                else None
            )
            self._engine = Engine(
                db,
                self.config,
                backend=backend,
                persisted=persisted,
                facts_in_memory=self.facts_in_memory,
            )
        return self._engine

    def _persists(self) -> bool:
        """Whether facts are persisted: `[engine] facts_cache`, on the workspace's own store
        (not on a session passed in from Python)."""
        return self.config.engine.facts_cache and self.session is None

    def close(self) -> None:
        """Release the store (the engine's connection and its cached facts)."""
        if self._engine is not None:
            self._engine.close(disconnect=self.session is None)
            self._engine = None

    def metric(
        self,
        metric: str,
        *,
        by: Sequence[str] = (),
        period: Period | None = None,
        start: date | None = None,
        end: date | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
        stat: str = "mean",
        clock: Literal["calendar", "business"] = "calendar",
        variants: Mapping[str, str] | None = None,
        compare: Literal["previous"] | None = None,
    ) -> Result:
        """Compute one metric: the same options as `supportmetrics metric` (see Query)."""
        query = Query(
            metric,
            tuple(by),
            period,
            start,
            end,
            dict(where or {}),
            stat,
            clock,
            dict(variants or {}),
            compare,
        )
        with self.reading(f"computing {metric}"):
            return run_query(self.engine(), query)

    def facts(self, name: str, where: Mapping[str, Sequence[str]] | None = None) -> pa.Table:
        """The per-ticket or per-call facts (`tickets` or `calls`), optionally filtered."""
        with self.reading(f"building the {name} facts"):
            return facts_rows(self.engine(), name, where)

    def facts_warnings(self, name: str, where: Mapping[str, Sequence[str]]) -> list[str]:
        """A warning per filter value in `where` that no `name` fact row has."""
        with self.reading(f"checking the {name} filters"):
            return facts_warnings(self.engine(), name, where)

    def reading(self, doing: str) -> contextlib.AbstractContextManager[None]:
        """Resource failures of the metric engine, as `ResourceError`s naming `[engine]`."""
        return explained(self.root, MemorySetting("engine", self.config.engine.memory_limit), doing)

    def tables(self) -> list[TableSummary]:
        """Row count, time span (of the values in the supported range), custom columns and rows
        out of range of every canonical table."""
        with self.reading("reading the store"):
            return self._tables()

    def _tables(self) -> list[TableSummary]:
        engine = self.engine()
        db = engine.db
        summaries = []
        for name, spec in TABLES.items():
            table = engine.stored(name)
            time = table[spec.time_column]
            valid = in_range(time) & time.notnull()
            row = db.to_pyarrow(
                table.aggregate(
                    rows=table.count(), first=time.min(where=valid), last=time.max(where=valid)
                )
            ).to_pylist()[0]
            custom = tuple(c for c in table.columns if c not in spec.by_name)
            bad = {o.column: o.rows for o in engine.out_of_range() if o.table == name}
            summaries.append(
                TableSummary(name, row["rows"], row["first"], row["last"], custom, bad)
            )
        return summaries


def init(root: Path | str, timezone: str | None = None) -> Workspace:
    """Create a workspace in `root` (see `Workspace.init`)."""
    return Workspace.init(Path(root), timezone)


def connect(root: Path | str | None = None, *, session: object | None = None) -> Workspace:
    """Open the workspace in `root`, its engine on `session` if given (see `Workspace.open`)."""
    return Workspace.open(Path(root) if root is not None else None, session)
