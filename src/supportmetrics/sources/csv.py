"""Any CSV, with a small mapping file (TOML) saying which source column feeds which canonical column.

    [tickets]                        # a canonical table
    file = "cases*.csv"              # which CSV files (a name or pattern; default: the only one)
    timezone = "Europe/Berlin"       # the CSV's local time (default: the workspace's)
    delimiter = ";"                  # default ","
    format = "%d.%m.%Y %H:%M"        # default timestamp format (strptime codes; default ISO 8601)

    [tickets.columns]
    ticket_id = "Case Number"                                    # source column
    created_at = { date = "Opened", time = "Time", format = "%d/%m/%Y %H:%M" }
    channel = { column = "Origin", values = { "Web" = "web", "Phone" = "phone" } }
    team = { value = "Support" }                                 # the same value on every row
    tags = { column = "Labels", separator = "," }
    region = "Region"                # not a canonical column: kept as a custom column

Timestamps with an offset are exact; without one they are read in the table's `timezone`. Mapped
enumerations and timestamps are checked here, with the CSV file, line, column and value of the first
bad row; other columns are checked by the ingest.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from supportmetrics.schema import TABLES, Column, Kind
from supportmetrics.sources._engine import Writer, connect
from supportmetrics.sources.base import Conversion, Source, SourceError
from supportmetrics.store import sql_literal
from supportmetrics.time_range import RANGE_TEXT, in_range_sql, offset_beyond_sql

__all__ = ["SOURCE", "convert"]

TABLE_KEYS = {"file", "timezone", "delimiter", "format", "columns"}
COLUMN_KEYS = {"column", "date", "time", "format", "values", "value", "separator"}
_OFFSET = r"'(Z|z|[+-]\d\d(:?\d\d)?)$'"


@dataclass(frozen=True)
class _Table:
    name: str
    files: list[Path]
    timezone: str
    delimiter: str
    columns: dict[str, dict[str, Any]]
    where: str
    """`mapping.toml [tickets]`, for messages."""
    default_format: str | None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fail(where: str, message: str) -> SourceError:
    return SourceError(f"{where}: {message}")


def _split_inputs(inputs: Sequence[str]) -> tuple[Path, list[Path]]:
    mappings: list[Path] = []
    csvs: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            children = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            mappings += [p for p in children if p.suffix.lower() == ".toml"]
            csvs += [p for p in children if p.name.lower().endswith((".csv", ".csv.gz", ".tsv"))]
        elif not path.exists():
            raise SourceError(f"{path}: no such file or folder")
        elif path.suffix.lower() == ".toml":
            mappings.append(path)
        else:
            csvs.append(path)
    if len(mappings) != 1:
        found = ", ".join(map(str, mappings)) or "none"
        raise SourceError(
            "the csv source needs exactly one mapping file (.toml) next to the CSV files "
            f"(found: {found}); see `supportmetrics import --list` and the README"
        )
    if not csvs:
        raise SourceError(f"no CSV files given with the mapping {mappings[0]}")
    return mappings[0], csvs


def _mapping(path: Path, csvs: list[Path], timezone: str) -> list[_Table]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(str(path), f"not a valid TOML mapping file ({exc})") from None
    if not data:
        raise _fail(str(path), "the mapping names no table: add a [tickets] section (or another)")
    tables = []
    for name, section in data.items():
        where = f"{path} [{name}]"
        if name not in TABLES:
            raise _fail(where, f"not a canonical table; use one of: {', '.join(TABLES)}")
        if not isinstance(section, dict) or not isinstance(section.get("columns"), dict):
            raise _fail(where, f"needs a [{name}.columns] section: canonical column = CSV column")
        unknown = set(section) - TABLE_KEYS
        if unknown:
            raise _fail(where, f"unknown key(s) {', '.join(sorted(unknown))}; use {TABLE_KEYS}")
        zone = section.get("timezone", timezone)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail(where, f"timezone: unknown time zone {zone!r}; use an IANA name") from None
        columns = {
            key: _column_spec(f"{path} [{name}.columns] {key}", spec)
            for key, spec in section["columns"].items()
        }
        missing = [c for c in TABLES[name].required if c not in columns]
        if missing:
            raise _fail(
                f"{path} [{name}.columns]",
                f"no {', '.join(missing)} (required): map each to a CSV column",
            )
        tables.append(
            _Table(
                name,
                _files_for(where, name, section.get("file"), csvs, len(data)),
                zone,
                section.get("delimiter", ","),
                columns,
                where,
                section.get("format"),
            )
        )
    return tables


def _column_spec(where: str, spec: object) -> dict[str, Any]:
    if isinstance(spec, str):
        return {"column": spec}
    if not isinstance(spec, dict):
        raise _fail(where, 'give a CSV column name, or a table such as { column = "Origin" }')
    unknown = set(spec) - COLUMN_KEYS
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(sorted(unknown))}; use {COLUMN_KEYS}")
    if not ({"column", "date", "value"} & set(spec)):
        raise _fail(where, "name the source: column = ..., date = ... (and time = ...) or value")
    return spec


def _files_for(
    where: str, table: str, pattern: str | None, csvs: list[Path], sections: int
) -> list[Path]:
    if pattern:
        files = [p for p in csvs if fnmatch.fnmatch(p.name, pattern)]
    elif sections == 1:
        files = csvs
    else:
        files = [p for p in csvs if p.name.lower().split(".")[0] == table]
    if not files:
        given = ", ".join(p.name for p in csvs)
        raise _fail(where, f'no CSV file for this table among {given}: set file = "..."')
    return files


def convert(inputs: Sequence[str], out_dir: Path, timezone: str) -> Conversion:
    """CSV files + a mapping file -> canonical tables (see the module docstring)."""
    mapping, csvs = _split_inputs(inputs)
    tables = _mapping(mapping, csvs, timezone)
    with connect(timezone) as con:
        writer = Writer(con, out_dir)
        for table in tables:
            _convert_table(con, writer, table)
        return writer.conversion


def _read(con: duckdb.DuckDBPyConnection, table: _Table, path: Path) -> tuple[str, list[str]]:
    read = f"read_csv({sql_literal(path)}, header = true, all_varchar = true, delim = {sql_literal(table.delimiter)})"
    try:
        header = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()]
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        raise _fail(str(path), f"not a readable CSV file ({reason})") from None
    return read, header


def _convert_table(con: duckdb.DuckDBPyConnection, writer: Writer, table: _Table) -> None:
    parts: list[str] = []
    for path in table.files:
        read, header = _read(con, table, path)
        exprs = {
            name: _expr(table, name, spec, header, path) for name, spec in table.columns.items()
        }
        select = ", ".join(f"{sql} AS {_quote(name)}" for name, sql in exprs.items())
        _check(con, table, path, read, exprs)
        parts.append(f"SELECT {select}, {len(parts)} AS _part FROM {read}")
    union = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
    key = _quote(TABLES[table.name].key)
    # a record in several files (an export given again after it changed): the last file's rows
    writer.write(
        table.name,
        f"SELECT * EXCLUDE (_part) FROM ({union}) "
        f"QUALIFY _part = max(_part) OVER (PARTITION BY {key})",
    )


def _source(spec: dict[str, Any], header: list[str], path: Path, where: str) -> str:
    for key in ("column", "date", "time"):
        if key in spec and spec[key] not in header:
            raise _fail(
                where,
                f"no column {spec[key]!r} in {path}; its columns are: {', '.join(header)}",
            )
    return _raw_text(spec)


def _expr(table: _Table, name: str, spec: dict[str, Any], header: list[str], path: Path) -> str:
    where = f"{table.where.removesuffix(']')}.columns] {name}"
    raw = _source(spec, header, path, where)
    values = spec.get("values")
    if values:
        cases = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in values.items())
        raw = f"CASE {raw} {cases} ELSE {raw} END"
    column: Column | None = TABLES[table.name].by_name.get(name)
    if column is None:
        return raw
    if column.kind is Kind.TIMESTAMP:
        fmt = spec.get("format", table.default_format)
        return _timestamp(raw, fmt, table.timezone)
    if column.kind is Kind.ENUM:
        return f"lower({raw})"
    if column.kind is Kind.TAGS:
        parts = f"string_split({raw}, {sql_literal(spec.get('separator', ';'))})"
        return f"list_filter(list_transform({parts}, lambda x: trim(x)), lambda x: x <> '')"
    return raw


def _timestamp(raw: str, fmt: str | None, zone: str) -> str:
    if fmt:
        parsed = f"try_strptime({raw}, {sql_literal(fmt)})"
        return parsed if "%z" in fmt or "%Z" in fmt else f"timezone({sql_literal(zone)}, {parsed})"
    return (
        f"CASE WHEN regexp_matches({raw}, {_OFFSET}) THEN TRY_CAST({raw} AS TIMESTAMPTZ) "
        f"ELSE timezone({sql_literal(zone)}, TRY_CAST({raw} AS TIMESTAMP)) END"
    )


def _check(
    con: duckdb.DuckDBPyConnection,
    table: _Table,
    path: Path,
    read: str,
    exprs: dict[str, str],
) -> None:
    """The first row whose mapped enum or timestamp is invalid, as a SourceError."""
    spec = TABLES[table.name].by_name
    for name, sql in exprs.items():
        column = spec.get(name)
        if column is None or column.kind not in (Kind.ENUM, Kind.TIMESTAMP):
            continue
        source = table.columns[name]
        raw = _raw_text(source)
        checks = []
        if column.kind is Kind.ENUM:
            bad = f"{sql} NOT IN ({', '.join(sql_literal(v) for v in column.values)})"
            fix = (
                f"map it with values = {{ ... }} in [{table.name}.columns] {name}; "
                f"allowed: {', '.join(column.values)}"
            )
            checks.append((bad, fix))
        else:
            fmt = source.get("format", table.default_format)
            fix = (
                f"it does not match format {fmt!r}"
                if fmt
                else 'not ISO 8601: set format = "..." (strptime codes such as %d/%m/%Y %H:%M)'
            ) + f" in [{table.name}.columns] {name}"
            checks.append((f"{raw} IS NOT NULL AND {sql} IS NULL", fix))
            checks.append(
                (
                    f"NOT {in_range_sql(sql, zoned=True)} OR {offset_beyond_sql(raw)}",
                    f"outside the supported range {RANGE_TEXT}, or a UTC offset beyond ±14:00: "
                    "correct it in the CSV, or leave it empty",
                )
            )
        for bad, fix in checks:
            _first_bad(con, path, read, name, source, raw, bad, fix)


def _first_bad(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    read: str,
    name: str,
    source: dict[str, Any],
    raw: str,
    bad: str,
    fix: str,
) -> None:
    """A SourceError naming the CSV line of the first row where `bad` holds."""
    row = con.execute(
        f"SELECT line, value FROM (SELECT row_number() OVER () + 1 AS line, {raw} AS value, "
        f"{bad} AS bad FROM {read}) WHERE bad LIMIT 1"
    ).fetchone()
    if row:
        raise _fail(
            f"{path} line {row[0]}",
            f"column {name} (from {_described(source)}): {row[1]!r} is not valid: {fix}",
        )


def _raw_text(spec: dict[str, Any]) -> str:
    """The source text of a mapped column: trimmed, empty as NULL."""
    if "value" in spec:
        return sql_literal(spec["value"])
    if "date" in spec:
        parts = [_quote(spec["date"])] + ([_quote(spec["time"])] if "time" in spec else [])
        return f"NULLIF(trim(concat_ws(' ', {', '.join(parts)})), '')"
    return f"NULLIF(trim({_quote(spec['column'])}), '')"


def _described(spec: dict[str, Any]) -> str:
    if "value" in spec:
        return f"the value {spec['value']!r}"
    if "date" in spec:
        return " + ".join(repr(spec[k]) for k in ("date", "time") if k in spec)
    return repr(spec["column"])


SOURCE = Source(
    name="csv",
    title="Any CSV, with a mapping file",
    reads="CSV files plus one mapping file (.toml): per canonical table, source column -> "
    "canonical column, value maps for enumerations, timestamp formats, date + time columns "
    "combined, the CSV's time zone",
    how_to_export="Export the report or table as CSV from your tool, then write mapping.toml "
    "(see the README, section Importing from your tools > CSV) and pass both.",
    convert=convert,
    settings=(".toml",),
)
