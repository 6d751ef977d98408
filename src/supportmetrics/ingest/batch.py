"""One ingest: each table staged, validated and written in turn, all in one transaction.

The store is attached first (waiting a bounded time for its lock) and a transaction begun. Then, a
table at a time and referenced tables first, the table's files are staged in an in-memory engine,
every row rule, custom-column type and reference is checked, and the valid rows replace the stored
rows with the same ids before the next table is staged: the staged rows are one table's, never the
whole batch's. A problem rolls everything back (or, with quarantine, takes only the rows that
broke a rule): all of the batch or none of it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from supportmetrics.compaction import Compaction, compact_attached, worthwhile
from supportmetrics.ingest.files import SourceFile, reread_problem, stage_file, staged_bytes
from supportmetrics.ingest.problems import MAX_SHOWN, IngestError, Problem
from supportmetrics.ingest.quarantine import Quarantine, write_rejects
from supportmetrics.ingest.rules import (
    CHECKS,
    PROBLEM_COLUMNS,
    custom_expr,
    custom_fit_sql,
    duplicate_hashes,
    duplicates,
    infer_custom_type,
    insert_expr,
    survey_scale_sql,
    violations,
)
from supportmetrics.resources import MemorySetting, explained
from supportmetrics.schema import TABLES
from supportmetrics.store import (
    INGESTS_TABLE,
    attached,
    create_store,
    quote,
    sql_literal,
    stored_columns,
)

__all__ = ["IngestReport", "OnError", "TableLoad", "Touched", "run_batch"]

OnError = Literal["fail", "quarantine"]
STORE = "store"


@dataclass
class TableLoad:
    """What one ingest did to one table."""

    table: str
    files: list[str]
    rows_read: int = 0
    rows_rejected: int = 0
    new_columns: dict[str, str] = field(default_factory=dict)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected


@dataclass(frozen=True)
class Touched:
    """The entities a write touched, as the facts refresh needs them: the `ticket_id` of every
    row written or replaced in a table with that column, and the `customer_id` of every ticket
    written or replaced (the old values too: a row moved to another ticket touches both)."""

    tickets: pa.Table
    customers: pa.Table


@dataclass
class IngestReport:
    """The outcome of an ingest or a dry run."""

    tables: dict[str, TableLoad]
    seconds: float
    written: bool
    problems: list[Problem] = field(default_factory=list)
    total_problems: int = 0
    rejects_files: list[Path] = field(default_factory=list)
    rejects_kept: list[Path] = field(default_factory=list)
    store_bytes: tuple[int, int] | None = None
    compacted: Compaction | None = None
    notes: list[str] = field(default_factory=list)
    facts: str | None = None
    """How the facts are refreshed after this write (None for a dry run)."""
    facts_refresh: dict[str, object] | None = None
    """The same in detail: mode, tickets recomputed, fact tables refreshed and rebuilt, time."""
    touched: Touched | None = None
    """The tickets and customers the write touched (when asked to record them)."""

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables.values())

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables.values())

    @property
    def rows_rejected(self) -> int:
        return sum(t.rows_rejected for t in self.tables.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "written": self.written,
            "seconds": round(self.seconds, 3),
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rows_per_second": round(self.rows_per_second),
            "tables": {
                name: {
                    "files": load.files,
                    "rows_read": load.rows_read,
                    "rows_loaded": load.rows_loaded,
                    "rows_rejected": load.rows_rejected,
                    "new_columns": load.new_columns,
                }
                for name, load in self.tables.items()
            },
            "problems": [p.to_dict() for p in self.problems],
            "total_problems": self.total_problems,
            "rejects_files": [str(p) for p in self.rejects_files],
            "rejects_kept": [str(p) for p in self.rejects_kept],
            "store_bytes": dict(zip(("before", "after"), self.store_bytes, strict=True))
            if self.store_bytes
            else None,
            "compacted": self.compacted.to_dict() if self.compacted else None,
            "notes": self.notes,
            "facts": self.facts,
            "facts_refresh": self.facts_refresh,
        }


Step = Callable[[str], None]


def _raw(table: str) -> str:
    return quote(f"raw_{table}")


def _valid(table: str) -> str:
    """Rows of a staged table that broke no rule so far."""
    return (
        f"(SELECT * FROM {_raw(table)} r WHERE NOT EXISTS (SELECT 1 FROM problems p "
        f"WHERE p.tbl = '{table}' AND p._file = r._file AND p._line = r._line))"
    )


def run_batch(
    sources: list[SourceFile],
    store_path: Path,
    *,
    timezone: str,
    memory_limit: str,
    temp_dir: Path,
    busy_timeout: float,
    on_error: OnError = "fail",
    write: bool = True,
    max_custom_columns: int | None = None,
    step: Step = lambda _: None,
    record_touched: bool = False,
) -> IngestReport:
    """Validate `sources` and, when `write`, load them into the store at `store_path` atomically;
    with `record_touched`, the report says which tickets and customers the write touched.

    Running out of disk, memory or permission raises a `ResourceError` (the store unchanged).
    """
    doing = "loading the files into the store" if write else "checking the files"
    with explained(store_path.parent, MemorySetting("ingest", memory_limit), doing):
        return _run(
            sources,
            store_path,
            timezone=timezone,
            memory_limit=memory_limit,
            temp_dir=temp_dir,
            busy_timeout=busy_timeout,
            on_error=on_error,
            write=write,
            max_custom_columns=max_custom_columns,
            step=step,
            record_touched=record_touched,
        )


def _run(
    sources: list[SourceFile],
    store_path: Path,
    *,
    timezone: str,
    memory_limit: str,
    temp_dir: Path,
    busy_timeout: float,
    on_error: OnError,
    write: bool,
    max_custom_columns: int | None,
    step: Step,
    record_touched: bool,
) -> IngestReport:
    started = time.perf_counter()
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(temp_dir)})
    try:
        con.execute(f"SET TimeZone = '{timezone}'")
        con.execute("SET enable_progress_bar = false")  # Rich shows progress
        con.execute(
            "CREATE TEMP TABLE problems (tbl VARCHAR, _file INTEGER, _line BIGINT, "
            "column_name VARCHAR, value VARCHAR, rule VARCHAR, message VARCHAR)"
        )
        if record_touched:
            con.execute(f"CREATE TEMP TABLE {_TOUCHED} (entity VARCHAR, id VARCHAR)")
        catalog = STORE if write or store_path.exists() else None
        store = attached(con, store_path, STORE, busy_timeout, read_only=not write)
        with store if catalog else contextlib.nullcontext():
            size_before = store_path.stat().st_size if catalog else None
            if write:
                create_store(con, f"{STORE}.")
                con.execute("BEGIN TRANSACTION")
            batch = _Batch(con, sources, catalog, write, on_error, max_custom_columns, step)
            try:
                for name, members in _by_table(sources).items():
                    batch.load(name, members, record_touched)
                report = _report(con, sources, batch.loads, started)
                if report.total_problems and on_error == "fail":
                    raise IngestError(report.problems, report.total_problems)
                if write:
                    step("committing")
                    _log_ingest(con, sources, batch.loads)
                    con.execute("COMMIT")
            except BaseException:
                if write:  # a failed COMMIT has already ended the transaction
                    with contextlib.suppress(duckdb.Error):
                        con.execute("ROLLBACK")
                batch.quarantine.remove()  # those rows were not loaded
                raise
            report.rejects_files, report.rejects_kept = (
                batch.quarantine.written,
                batch.quarantine.kept,
            )
            if write:
                report.written = True
                if record_touched:
                    report.touched = _touched(con)
                _settle(con, store_path, report, step)
                report.store_bytes = (size_before or 0, store_path.stat().st_size)
            report.seconds = time.perf_counter() - started
            return report
    finally:
        con.close()


_REFERENCED: dict[str, list[str]] = {}
"""Table -> its columns that other tables' references name."""
for _table in TABLES.values():
    for _ref in _table.references:
        _REFERENCED.setdefault(_ref.table, []).append(_ref.target)


def _by_table(sources: list[SourceFile]) -> dict[str, list[int]]:
    """The indexes of the sources of each table, tables in schema order: a table comes after the
    tables it references, so their rows are checked (and written) first."""
    members = {name: [i for i, s in enumerate(sources) if s.table == name] for name in TABLES}
    return {name: indexes for name, indexes in members.items() if indexes}


class _Batch:
    """The tables of one ingest, loaded one at a time: each is staged, checked and, when written,
    inserted inside the one transaction before the next is staged, so that the staged rows are
    those of one table, never the whole batch's."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        sources: list[SourceFile],
        catalog: str | None,
        write: bool,
        on_error: OnError,
        max_custom_columns: int | None,
        step: Step,
    ) -> None:
        self.con, self.sources, self.catalog, self.write = con, sources, catalog, write
        self.on_error, self.max_custom_columns, self.step = on_error, max_custom_columns, step
        self.loads: dict[str, TableLoad] = {}
        self.quarantine = Quarantine([], [])
        self.keys: dict[str, str] = {}
        """Referenced table -> the temporary table of its valid keys, for a table not written."""
        limit = _memory_bytes(con)
        self.view_above = limit // 2 if limit is not None else float("inf")
        """Staged bytes above which a table's Parquet files are staged as views."""

    def load(self, name: str, members: list[int], record_touched: bool) -> None:
        """Stage, check and (when writing and nothing has failed) write the table `name`.

        A table whose Parquet files would take more than half the memory staged is staged as
        views that read the files again at each step: the files must then not change meanwhile.
        """
        con = self.con
        parquet = [self.sources[i] for i in members if self.sources[i].fmt == "parquet"]
        as_view = bool(parquet) and staged_bytes(con, parquet) > self.view_above
        stamps = {source.path: _stamp(source) for source in parquet} if as_view else {}
        load, file_columns, staged = _stage(con, self.sources, name, members, self.step, as_view)
        self.loads[name] = load
        try:
            self._check_and_write(name, load, file_columns, record_touched)
        except duckdb.Error as exc:  # a file staged as a view changed, or does not read again
            problems = _changed(parquet, stamps)
            if not problems and as_view and (problem := reread_problem(parquet, exc)):
                problems = [problem]
            if not problems:
                raise
            raise IngestError(problems) from None
        if changed := _changed(parquet, stamps):
            raise IngestError(changed)
        for statement in staged:
            con.execute(statement)

    def _check_and_write(
        self, name: str, load: TableLoad, file_columns: dict[int, set[str]], record_touched: bool
    ) -> None:
        con = self.con
        present = _present(con, name)
        self.step(f"checking {name}")
        _check_rows(con, name, present)
        self.step(f"checking {name} against the store")  # custom-column types, references
        custom = _custom_types(con, name, present, self.catalog, load)
        if self.max_custom_columns is not None:
            _check_custom_cap(
                con, load, self.catalog, self.sources, file_columns, self.max_custom_columns
            )
        _check_references(con, name, present, self.catalog, self.keys)
        load.rows_rejected = _rejected(con, name)
        if load.rows_rejected and self.on_error == "quarantine" and self.write:
            done = write_rejects(con, self.sources, "problems", {name: _raw(name)}, {name: present})
            self.quarantine.written += done.written
            self.quarantine.kept += done.kept
        failed = self.on_error == "fail" and _rejected(con, None)
        if self.write and not failed:
            self.step(f"writing {name}")
            _write_table(con, name, present, custom, load, record_touched)
        elif name in _REFERENCED:
            self.keys[name] = _keep_keys(con, name, _REFERENCED[name])


_CHANGED = (
    "the file changed (or was removed) while it was being loaded, so its rows may have been "
    "checked and written from different versions: nothing was stored; load it again once it is "
    "no longer being written"
)


def _changed(
    sources: list[SourceFile], stamps: dict[Path, tuple[int, int] | None]
) -> list[Problem]:
    """A problem for each of `sources` whose stamp is no longer the one in `stamps`."""
    return [
        Problem(s.label, "changed", _CHANGED)
        for s in sources
        if s.path in stamps and _stamp(s) != stamps[s.path]
    ]


def _stamp(source: SourceFile) -> tuple[int, int] | None:
    """The size and modification time of a file, which change when it is written (None once it
    is gone)."""
    try:
        stat = source.path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


_MEMORY_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def _memory_bytes(con: duckdb.DuckDBPyConnection) -> int | None:
    """The connection's memory limit in bytes (None when it is not one the engine reports)."""
    text = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    number, _, unit = str(text).partition(" ")
    try:
        return int(float(number) * _MEMORY_UNITS[unit])
    except (KeyError, ValueError):
        return None


def _keep_keys(con: duckdb.DuckDBPyConnection, name: str, columns: list[str]) -> str:
    """Keep the referenced columns of a table's valid rows, which later tables' references are
    checked against when the rows are not in the store; the temporary table's name."""
    keys = quote(f"keys_{name}")
    selected = ", ".join(quote(c) for c in columns)
    con.execute(f"CREATE TEMP TABLE {keys} AS SELECT DISTINCT {selected} FROM {_valid(name)}")
    return keys


def _rejected(con: duckdb.DuckDBPyConnection, table: str | None) -> int:
    """The rows of `table` (None: of any table) that broke a rule so far."""
    where = f"WHERE tbl = {sql_literal(table)}" if table else ""
    found = con.execute(f"SELECT count(DISTINCT (tbl, _file, _line)) FROM problems {where}")
    return found.fetchone()[0]  # type: ignore[index]


def _settle(
    con: duckdb.DuckDBPyConnection, store_path: Path, report: IngestReport, step: Step
) -> None:
    """After the commit: fold the write-ahead log into the store file, and compact it when that
    is worthwhile. Both only tidy up; a failure becomes a note, as the rows are safely stored."""
    try:
        con.execute(f"CHECKPOINT {STORE}")
        if worthwhile(con, STORE, store_path):
            step("compacting")
            report.compacted = compact_attached(con, STORE, store_path)
    except (duckdb.Error, OSError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        report.notes.append(
            f"the rows are stored, but tidying the store file afterwards failed ({detail}); "
            "it is finished by the next ingest or `supportmetrics compact`"
        )


def _check_custom_cap(
    con: duckdb.DuckDBPyConnection,
    load: TableLoad,
    catalog: str | None,
    sources: list[SourceFile],
    file_columns: dict[int, set[str]],
    cap: int,
) -> None:
    """Fail when the batch would take a table past `[ingest] max_custom_columns`."""
    if not load.new_columns:
        return
    name = load.table
    canonical = TABLES[name].by_name
    stored = stored_columns(con, catalog, name) if catalog else {}
    existing = sum(1 for c in stored if c not in canonical)
    total = existing + len(load.new_columns)
    if total <= cap:
        return
    problems = []
    for index, columns in file_columns.items():
        brings = sorted(columns & load.new_columns.keys())
        if not brings:
            continue
        shown = ", ".join(brings[:5]) + (", ..." if len(brings) > 5 else "")
        problems.append(
            Problem(
                sources[index].label,
                "max_custom_columns",
                f"brings {len(brings)} new custom column(s) to {name} ({shown}): the table "
                f"would have {total} custom columns ({existing} stored, "
                f"{len(load.new_columns)} new), over [ingest] max_custom_columns = {cap}. "
                "Leave the extra columns out of the file, drop unused ones with "
                f"`supportmetrics columns drop {name}.NAME`, or raise max_custom_columns "
                "in supportmetrics.toml",
                line=1,
            )
        )
    raise IngestError(problems)


def _stage(
    con: duckdb.DuckDBPyConnection,
    sources: list[SourceFile],
    name: str,
    members: list[int],
    step: Step,
    as_view: bool,
) -> tuple[TableLoad, dict[int, set[str]], list[str]]:
    """Stage the files `members` of table `name` as its raw rows (its Parquet files as views with
    `as_view`): the load, each file's columns and the statements that drop what was staged."""
    load = TableLoad(name, [])
    parts: list[str] = []
    drops: list[str] = []
    file_columns: dict[int, set[str]] = {}
    part_types: dict[str, dict[str, str]] = {}
    for index in members:
        source = sources[index]
        step(f"reading {source.path.name}")
        part = f"part_{index}"
        view = as_view and source.fmt == "parquet"
        count, dropped = stage_file(con, source, index, part, as_view=view)
        drops += dropped
        described = con.execute(f"DESCRIBE {quote(part)}").fetchall()
        part_types[part] = {row[0]: row[1] for row in described}
        file_columns[index] = set(part_types[part])
        load.files.append(source.label)
        load.rows_read += count
        parts.append(part)
    union = " UNION ALL BY NAME ".join(
        f"SELECT {_combinable(part_types, parts, p)} FROM {quote(p)}" for p in parts
    )
    try:  # a view over the staged files: their rows are not copied once more
        con.execute(f"CREATE TEMP VIEW {_raw(name)} AS {union}")
    except duckdb.Error as exc:
        raise IngestError(
            [Problem(", ".join(load.files), "malformed", f"files do not combine: {exc}")]
        ) from None
    return load, file_columns, [f"DROP VIEW {_raw(name)}", *drops]


def _combinable(part_types: dict[str, dict[str, str]], parts: list[str], part: str) -> str:
    """The columns of `part` to combine with the table's other `parts`: a column that the files
    stage in different types (a typed file's timestamp, another's text) as text in each, so every
    value goes through the same checks."""
    columns = []
    for column in part_types[part]:
        types = {part_types[p][column] for p in parts if column in part_types[p]}
        mixed = len(types) > 1 and not any(t.endswith("[]") for t in types)
        columns.append(
            f"CAST({quote(column)} AS VARCHAR) AS {quote(column)}" if mixed else quote(column)
        )
    return ", ".join(columns)


def _check_rows(con: duckdb.DuckDBPyConnection, name: str, present: dict[str, str]) -> None:
    """Record the row-level problems of a staged table. Its check columns tell whether any row
    breaks a rule; only when one does are those rows copied, and each rule run over them. The ids
    are checked alike: their hashes first, and only when two rows share a hash, the ids
    themselves."""
    table, raw = TABLES[name], _raw(name)
    if con.execute(f"SELECT bool_or(_broken) FROM {raw}").fetchone()[0]:  # type: ignore[index]
        found = quote(f"suspects_{name}")
        con.execute(f"CREATE TEMP TABLE {found} AS SELECT * FROM {raw} WHERE _broken")
        for select in violations(table, found, present):
            con.execute(f"INSERT INTO problems SELECT '{name}', * FROM ({select})")
        con.execute(f"DROP TABLE {found}")
    hashes = quote(f"hashes_{name}")
    con.execute(f"CREATE TEMP TABLE {hashes} AS {duplicate_hashes(raw)}")
    if _any_rows(con, hashes):
        con.execute(
            f"INSERT INTO problems SELECT '{name}', * FROM ({duplicates(table, raw, hashes)})"
        )
    con.execute(f"DROP TABLE {hashes}")


def _any_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `table` has a row (without counting them)."""
    return con.execute(f"SELECT EXISTS (FROM {table})").fetchone()[0]  # type: ignore[index]


def _present(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE {_raw(table)}").fetchall()
    return {row[0]: row[1] for row in rows if row[0] not in ("_file", "_line", *CHECKS)}


def _custom_types(
    con: duckdb.DuckDBPyConnection,
    table: str,
    present: dict[str, str],
    catalog: str | None,
    load: TableLoad,
) -> dict[str, str]:
    """Custom column -> stored type: the store's where it exists, else inferred from the values.

    Values that do not fit an existing column's type are recorded as problems.
    """
    canonical = TABLES[table].by_name
    stored = stored_columns(con, catalog, table) if catalog else {}
    types: dict[str, str] = {}
    for name, raw_type in present.items():
        if name in canonical:
            continue
        raw = quote(name)
        if name in stored:
            types[name] = stored[name]
            typed = custom_expr(raw, raw_type, stored[name])
            con.execute(
                f"INSERT INTO problems SELECT '{table}', _file, _line, {sql_literal(name)}, "
                f"left(CAST({raw} AS VARCHAR), 200), 'type', "
                f"{sql_literal(f'does not fit the stored type {stored[name]} of custom column {name}')} "
                f"FROM {_raw(table)} WHERE {raw} IS NOT NULL AND {typed} IS NULL"
            )
        elif raw_type.endswith("[]"):
            types[name] = raw_type
            load.new_columns[name] = raw_type
        else:
            row = con.execute(
                f"SELECT {', '.join(custom_fit_sql(raw))} FROM {_raw(table)}"
            ).fetchone()
            assert row is not None
            fits = {"BIGINT": row[0], "DOUBLE": row[1], "BOOLEAN": row[2]} if row[3] else {}
            types[name] = infer_custom_type(fits)
            load.new_columns[name] = types[name]
    return types


def _check_references(
    con: duckdb.DuckDBPyConnection,
    name: str,
    present: dict[str, str],
    catalog: str | None,
    keys: dict[str, str],
) -> None:
    """Record the rows of `name` whose reference matches no row of the batch's valid rows (in
    `keys`, or written into the store already) nor of the store."""
    for ref in TABLES[name].references:
        if ref.column not in present:  # an optional reference the files leave out
            continue
        known = []
        if ref.table in keys:
            known.append(f"SELECT {quote(ref.target)} AS k FROM {keys[ref.table]}")
        if catalog:
            known.append(f"SELECT {quote(ref.target)} AS k FROM {STORE}.{quote(ref.table)}")
        union = " UNION ALL ".join(known) or "SELECT NULL::VARCHAR AS k WHERE false"
        col = quote(ref.column)
        message = (
            f"{ref.table} has no {ref.target} with this value, neither among this batch's "
            f"valid rows nor in the store: load that {ref.table} row too, or fix {ref.column}"
        )
        con.execute(
            f"INSERT INTO problems SELECT '{name}', r._file, r._line, {sql_literal(ref.column)}, "
            f"r.{col}, 'reference', {sql_literal(message)} FROM {_raw(name)} r "
            f"WHERE r.{col} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM ({union}) known WHERE known.k = r.{col})"
        )


def _report(
    con: duckdb.DuckDBPyConnection,
    sources: list[SourceFile],
    loads: dict[str, TableLoad],
    started: float,
) -> IngestReport:
    total = con.execute("SELECT count(*) FROM problems").fetchone()[0]  # type: ignore[index]
    rows = con.execute(
        f"SELECT {PROBLEM_COLUMNS} FROM problems ORDER BY _file, _line, column_name, rule "
        f"LIMIT {MAX_SHOWN * 5}"
    ).fetchall()
    problems = [
        Problem(sources[f].label, rule, message, line, column, value)
        for f, line, column, value, rule, message in rows
    ]
    for table, count in con.execute(
        "SELECT tbl, count(DISTINCT (_file, _line)) FROM problems GROUP BY tbl"
    ).fetchall():
        loads[table].rows_rejected = count
    return IngestReport(loads, time.perf_counter() - started, False, problems, total)


def _log_ingest(
    con: duckdb.DuckDBPyConnection, sources: list[SourceFile], loads: dict[str, TableLoad]
) -> None:
    """Record the ingest in the store's log (inside its transaction)."""
    detail = {name: load.rows_loaded for name, load in loads.items()}
    con.execute(
        f"INSERT INTO {STORE}.{INGESTS_TABLE} SELECT "
        f"COALESCE((SELECT max(ingest_id) FROM {STORE}.{INGESTS_TABLE}), 0) + 1, "
        "now() AT TIME ZONE 'UTC', ?, ?, ?, ?",
        [
            [s.label for s in sources],
            sum(load.rows_loaded for load in loads.values()),
            sum(load.rows_rejected for load in loads.values()),
            json.dumps(detail),
        ],
    )


def _write_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    present: dict[str, str],
    custom: dict[str, str],
    load: TableLoad,
    record_touched: bool,
) -> None:
    table = TABLES[name]
    target = f"{STORE}.{quote(name)}"
    for column, sql_type in load.new_columns.items():
        con.execute(f"ALTER TABLE {target} ADD COLUMN {quote(column)} {sql_type}")
    exprs = {
        c.name: insert_expr(c, quote(c.name), present[c.name])
        if c.name in present
        else insert_expr(c, None)
        for c in table.columns
    }
    if name == "surveys":
        for bound in ("min", "max"):
            column = f"scale_{bound}"
            exprs[column] = survey_scale_sql(
                quote("survey"), bound, exprs[column] if column in present else None
            )
    for column, sql_type in custom.items():
        exprs[column] = custom_expr(quote(column), present[column], sql_type)
    valid = _valid(name)
    key = quote(table.key)
    has_rows = con.execute(f"SELECT count(*) > 0 FROM {target}").fetchone()[0]  # type: ignore[index]
    if record_touched:
        _record_touched(con, name, exprs, target if has_rows else None)
    if has_rows:
        con.execute(f"DELETE FROM {target} WHERE {key} IN (SELECT {key} FROM {valid})")
    columns = ", ".join(quote(c) for c in exprs)
    values = ", ".join(exprs.values())
    con.execute(f"INSERT INTO {target} ({columns}) SELECT {values} FROM {valid}")


_TOUCHED = "touched_entities"
_TOUCHING = {"ticket_id": "ticket", "customer_id": "customer"}
"""Column -> the entity whose facts a written row can change (customers: through the tickets
table only, where a ticket's customer decides its repeat contacts)."""


def _record_touched(
    con: duckdb.DuckDBPyConnection, name: str, exprs: dict[str, str], target: str | None
) -> None:
    """Record the tickets (and, for tickets, customers) of the batch's rows of `name` and of the
    stored rows they replace (`target`: the stored table, None while it is empty)."""
    table = TABLES[name]
    valid, key = _valid(name), quote(table.key)
    for column, entity in _TOUCHING.items():
        if column not in table.by_name or (entity == "customer" and name != "tickets"):
            continue
        written = f"SELECT {exprs[column]} AS id FROM {valid}"
        if target is not None:
            written += (
                f" UNION ALL SELECT {quote(column)} FROM {target} "
                f"WHERE {key} IN (SELECT {key} FROM {valid})"
            )
        con.execute(
            f"INSERT INTO {_TOUCHED} SELECT DISTINCT '{entity}', id FROM ({written}) "
            "WHERE id IS NOT NULL"
        )


def _touched(con: duckdb.DuckDBPyConnection) -> Touched:
    def ids(entity: str, column: str) -> pa.Table:
        return con.sql(
            f"SELECT DISTINCT id AS {column} FROM {_TOUCHED} WHERE entity = '{entity}'"
        ).to_arrow_table()

    return Touched(ids("ticket", "ticket_id"), ids("customer", "customer_id"))
