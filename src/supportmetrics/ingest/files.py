"""Finding input files, telling which table each one feeds, and reading them as raw text columns.

Every file is checked before the engine reads it (empty, binary, encoding, header, delimiter), and the
engine's own parse errors are turned into a `Problem` that names the file and line.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from supportmetrics.ingest.problems import IngestError, Problem
from supportmetrics.ingest.rules import check_columns, native
from supportmetrics.resources import is_resource_error
from supportmetrics.schema import TABLES, Column
from supportmetrics.store import quote, sql_literal

__all__ = [
    "REJECTS_MARK",
    "SourceFile",
    "find_sources",
    "normalise_header",
    "reread_problem",
    "stage_file",
    "staged_bytes",
]

FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".json": "jsonl",
}
REJECTS_MARK = ".rejects"
"""Quarantine files are named `<input name>.rejects.csv` (or `.rejects-2.csv` ...); folder scans
skip them."""
_REJECTS_STEM = re.compile(re.escape(REJECTS_MARK) + r"(-\d+)?$")

ROW_NUMBER = "file_row_number"
"""The column `read_parquet` adds with each row's position in the file."""
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_JSON_LINE_BYTES = 64 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
SCAN_BYTES = 1024 * 1024
"""The NUL scan reads a text file in chunks of this size."""


@dataclass(frozen=True)
class SourceFile:
    """One input file and the canonical table it feeds."""

    path: Path
    table: str
    fmt: str

    @property
    def label(self) -> str:
        return str(self.path)


def _split_suffix(path: Path) -> tuple[str, str | None]:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return name[: -len(suffix)], FORMATS[suffix]
    return name, None


def _table_for(stem: str) -> str | None:
    if stem in TABLES:
        return stem
    matches = [t for t in TABLES if re.match(re.escape(t) + r"[-_.]", stem)]
    return max(matches, key=len) if matches else None


def find_sources(paths: list[Path], table: str | None = None) -> list[SourceFile]:
    """Resolve files and folders to source files, each with its table and format."""
    if table is not None and table not in TABLES:
        raise IngestError(
            [Problem("--table", "unknown_table", f"no table {table!r}; use one of: {_tables()}")]
        )
    found: list[SourceFile] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem(str(path), "missing", "no such file or folder"))
        elif path.is_dir():
            _scan_folder(path, table, found, problems)
        else:
            _add_file(path, table, found, problems, explicit=True)
    if not found and not problems:
        problems.append(
            Problem(
                ", ".join(map(str, paths)),
                "no_files",
                "no data files found: name them after their table "
                "(tickets.csv, messages.parquet, calls.jsonl ...)",
            )
        )
    if problems:
        raise IngestError(problems)
    return found


def _tables() -> str:
    return ", ".join(TABLES)


def _scan_folder(
    folder: Path, table: str | None, found: list[SourceFile], problems: list[Problem]
) -> None:
    folder_table = table or (folder.name.lower() if folder.name.lower() in TABLES else None)
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if folder_table is None and child.name.lower() in TABLES:
                _scan_folder(child, child.name.lower(), found, problems)
            continue
        _add_file(child, folder_table, found, problems, explicit=False)


def _add_file(
    path: Path,
    table: str | None,
    found: list[SourceFile],
    problems: list[Problem],
    *,
    explicit: bool,
) -> None:
    stem, fmt = _split_suffix(path)
    if fmt is None:
        if explicit:
            problems.append(
                Problem(
                    str(path),
                    "unknown_format",
                    "unknown file type: use .csv, .csv.gz, .parquet, .jsonl or .json (JSON Lines)",
                )
            )
        return
    if _REJECTS_STEM.search(stem) and not explicit:
        return
    target = table or _table_for(stem)
    if target is None:
        problems.append(
            Problem(
                str(path),
                "unknown_table",
                f"cannot tell which table this file is for: name it after one ({_tables()}) "
                "or pass --table",
            )
        )
        return
    found.append(SourceFile(path, target, fmt))


def normalise_header(name: str) -> str:
    """A column name as stored: lowercase, runs of other characters as one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def _head(source: SourceFile) -> bytes:
    opener = gzip.open if source.path.name.lower().endswith(".gz") else open
    try:
        with opener(source.path, "rb") as handle:
            return handle.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(
            [Problem(source.label, "unreadable", f"cannot read the file: {exc}")]
        ) from None


def _check_text(source: SourceFile, head: bytes) -> str:
    """The decoded start of a text file, or a Problem for empty, binary or non-UTF-8 input."""
    if not head:
        raise IngestError(
            [Problem(source.label, "empty", "the file is empty: export it again with a header row")]
        )
    nul = head.find(b"\x00")
    if nul >= 0:
        raise IngestError(
            [
                Problem(
                    source.label,
                    "binary",
                    f"binary data, not a text {source.fmt.upper()} file (NUL byte at offset {nul}); "
                    "check that this is the right file",
                )
            ]
        )
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        return decoder.decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise IngestError(
            [
                Problem(
                    source.label,
                    "encoding",
                    f"not UTF-8 text (byte 0x{head[exc.start]:02x} at offset {exc.start}); "
                    "re-save the file as UTF-8",
                    line=line,
                )
            ]
        ) from None


def _check_no_nul(source: SourceFile) -> None:
    """A Problem naming the line of the first NUL byte anywhere in a text file (gzip unpacked).

    Streamed in chunks searched at C speed (`bytes.find`), so neither the file nor its rows are
    handled in Python one by one (`_check_text` refuses a NUL in the first 64 KB as binary data).
    """
    opener = gzip.open if source.path.name.lower().endswith(".gz") else open
    line, offset = 1, 0
    try:
        with opener(source.path, "rb") as handle:
            while chunk := handle.read(SCAN_BYTES):
                at = chunk.find(b"\x00")
                if at >= 0:
                    raise IngestError(
                        [
                            Problem(
                                source.label,
                                "nul",
                                f"a NUL byte (offset {offset + at}) in a text file: remove it, or "
                                "export the file again (a NUL usually means a damaged export)",
                                line=line + chunk.count(b"\n", 0, at),
                            )
                        ]
                    )
                line += chunk.count(b"\n")
                offset += len(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(
            [Problem(source.label, "unreadable", f"cannot read the file: {exc}")]
        ) from None


def _csv_header(source: SourceFile, text: str) -> list[str]:
    first = text.splitlines()[0] if text.splitlines() else ""
    header = next(csv.reader(io.StringIO(first)), [])
    if not any(cell.strip() for cell in header):
        raise IngestError(
            [
                Problem(
                    source.label, "header", "the first line is empty: it must name the columns", 1
                )
            ]
        )
    names = [normalise_header(cell) for cell in header]
    required = TABLES[source.table].required
    if len(header) == 1 and required and names[0] not in required:
        for delimiter, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delimiter in header[0]:
                raise IngestError(
                    [
                        Problem(
                            source.label,
                            "delimiter",
                            f"the header is separated by {label}, not commas: re-save the file "
                            "as comma-separated CSV",
                            line=1,
                            value=header[0],
                        )
                    ]
                )
    return names


def _header_problems(source: SourceFile, names: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            problems.append(
                Problem(source.label, "header", f"column {position} has no name", line=1)
            )
        elif name in seen:
            problems.append(
                Problem(source.label, "header", f"column {name!r} appears twice", 1, name)
            )
        seen.add(name)
    missing = [c for c in TABLES[source.table].required if c not in seen]
    if missing:
        problems.append(
            Problem(
                source.label,
                "required_column",
                f"missing required column(s) {', '.join(missing)} for table {source.table}; "
                f"found: {', '.join(n for n in names if n) or 'none'}",
                line=1,
            )
        )
    return problems


_CSV_ERROR_LINE = re.compile(r"CSV Error on Line: (\d+)")


def _engine_problem(source: SourceFile, exc: duckdb.Error) -> Problem:
    if is_resource_error(exc):  # the machine ran out of memory or disk: not the file's fault
        raise exc
    text = str(exc)
    match = _CSV_ERROR_LINE.search(text)
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Original Line")), None)
    after = [line for line in lines[start + 1 :] if line.strip()] if start is not None else []
    reason = after[0] if after else (lines[0] if lines else text)
    if "unterminated quote" in text:
        reason = 'a quoted value is never closed: check for a missing " (write a quote inside a value as "")'
    elif "Expected Number of Columns" in reason:
        reason = f"{reason.strip()}: every row needs as many fields as the header"
    elif "Maximum line size" in reason or "max_line_size" in text or "maximum_object_size" in text:
        limit = MAX_JSON_LINE_BYTES if source.fmt == "jsonl" else MAX_LINE_BYTES
        reason = f"a row is longer than {limit // 2**20} MiB: check for an unclosed quote"
    elif "Invalid unicode" in reason:
        reason = "not UTF-8 text: re-save the file as UTF-8"
    elif source.fmt == "parquet":
        reason = f"not a readable Parquet file ({lines[0] if lines else text})"
    elif source.fmt == "jsonl":
        reason = f"not valid JSON Lines: one JSON object per line ({lines[0] if lines else text})"
    return Problem(source.label, "malformed", reason, line=int(match.group(1)) if match else None)


def _csv_relation(source: SourceFile, names: list[str]) -> str:
    columns = "{" + ", ".join(f"'{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    read = (
        f"read_csv({sql_literal(source.path)}, columns={columns}, header=true, auto_detect=false, "
        f"delim=',', quote='\"', escape='\"', strict_mode=true, max_line_size={MAX_LINE_BYTES})"
    )
    selected = ", ".join(
        _as_text(quote(str(i)), "VARCHAR", n) + f" AS {quote(n)}" for i, n in enumerate(names)
    )
    return f"SELECT {selected} FROM {read}"


def stage_file(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    index: int,
    target: str,
    *,
    as_view: bool = False,
) -> tuple[int, list[str]]:
    """Stage `source` as `target`: `_file`, `_line`, one text column per input column and the
    check columns (`check_columns`). With `as_view` (for a Parquet file, which reads fast and in
    any order), `target` is a view that reads the file again whenever it is queried, instead of a
    copy of its rows.

    A CSV file's rows are copied in the file's order, which numbers them (`rowid`, the position
    in the copy), so that the copy and its checks run in parallel; a `row_number()` window would
    run them on one core. Tags and other lists are staged as lists of text. Returns the row count
    and the statements that drop what was staged.
    """
    if source.fmt == "csv":
        names = _csv_header(source, _check_text(source, _head(source)))
        header_problems = _header_problems(source, names)
        if header_problems:
            raise IngestError(header_problems)
        _check_no_nul(source)
        relation = _csv_relation(source, names)
    elif source.fmt == "jsonl":
        _check_text(source, _head(source))
        _check_no_nul(source)
        relation = _json_relation(con, source)
    else:
        relation = _parquet_relation(con, source)
    kind = "VIEW" if as_view else "TABLE"
    try:
        staged = {row[0]: row[1] for row in con.execute(f"DESCRIBE {relation}").fetchall()}
        staged.pop("_line", None)
        checks = check_columns(TABLES[source.table], staged)
        selected = f"SELECT {index} AS _file, *, {checks} FROM ({relation})"
        if source.fmt == "csv":  # the header is line 1
            drops = _copy_numbered(con, selected, target, first_line=2)
        else:
            con.execute(f"CREATE TEMP {kind} {quote(target)} AS {selected}")
            drops = [f"DROP {kind} {quote(target)}"]
    except duckdb.Error as exc:
        raise IngestError([_engine_problem(source, exc)]) from None
    count = con.execute(f"SELECT count(*) FROM {quote(target)}").fetchone()[0]  # type: ignore[index]
    if count == 0:
        raise IngestError(
            [Problem(source.label, "no_rows", "the file has no data rows, only a header")]
        )
    return count, drops


def _copy_numbered(
    con: duckdb.DuckDBPyConnection, selected: str, target: str, first_line: int
) -> list[str]:
    """Copy the rows of `selected` in their order and stage them as the view `target`, whose
    `_line` is each row's place in the copy counted from `first_line`; the statements that drop
    both."""
    rows = quote(f"{target}_rows")
    con.execute(f"CREATE TEMP TABLE {rows} AS {selected}")
    first, last, count = con.execute(
        f"SELECT min(rowid), max(rowid), count(*) FROM {rows}"
    ).fetchone()  # type: ignore[misc]
    # positions, counted from where the table's storage begins (not 0 inside a transaction)
    assert count == 0 or last - first + 1 == count, "rowids are positions"
    con.execute(
        f"CREATE TEMP VIEW {quote(target)} AS SELECT _file, "
        f"CAST(rowid - {first or 0} + {first_line} AS BIGINT) AS _line, * EXCLUDE (_file) "
        f"FROM {rows}"
    )
    return [f"DROP VIEW {quote(target)}", f"DROP TABLE {rows}"]


STAGED_PER_PARQUET_BYTE = 4
"""Bytes a staged row takes in memory per byte of its Parquet data uncompressed (measured on the
demo data: 2.8 to 4.1, text columns being dictionary-encoded in the file and not in memory)."""


def staged_bytes(con: duckdb.DuckDBPyConnection, sources: list[SourceFile]) -> int:
    """About the memory the Parquet `sources` take when staged, from their files' metadata (0 for
    a file whose metadata cannot be read: staging it reports why)."""
    total = 0
    for source in sources:
        if source.fmt != "parquet":
            continue
        with contextlib.suppress(duckdb.Error):
            row = con.execute(
                "SELECT sum(total_uncompressed_size) FROM parquet_metadata(?)", [str(source.path)]
            ).fetchone()
            total += int(row[0] or 0) if row else 0
    return total * STAGED_PER_PARQUET_BYTE


def reread_problem(sources: list[SourceFile], exc: duckdb.Error) -> Problem | None:
    """The problem of a file staged as a view (`sources`) that failed when read again: the one
    the engine's error names, else all of them when it is an input or read error; None for an
    error that is not the files' (it is raised as it is)."""
    named = [s for s in sources if str(s.path) in str(exc)]
    if not named and not isinstance(exc, (duckdb.InvalidInputException, duckdb.IOException)):
        return None
    problem = _engine_problem((named or sources)[0], exc)
    if named or len(sources) == 1:
        return problem
    return dataclasses.replace(problem, file=", ".join(s.label for s in sources))


def _numbered(relation: str, first_line: int) -> str:
    """`relation` with `_line` first: the line (or row) of each row, counted from `first_line`."""
    return (
        f"SELECT CAST(row_number() OVER () + {first_line - 1} AS BIGINT) AS _line, * "
        f"FROM ({relation})"
    )


def _describe(con: duckdb.DuckDBPyConnection, source: SourceFile, read: str) -> list[tuple]:
    try:
        return con.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()
    except duckdb.Error as exc:
        raise IngestError([_engine_problem(source, exc)]) from None


def _as_text(expr: str, duck_type: str, name: str) -> str:
    """Staged form of a column: trimmed text, NULL for empty; tags and lists as lists of text."""
    if duck_type.endswith("[]"):
        return f"CAST({expr} AS VARCHAR[])"
    text = f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"
    return f"string_split({text}, ';')" if name == "tags" else text


def _staged(expr: str, duck_type: str, column: Column | None, name: str) -> str:
    """A typed file's column as staged: as it is where it is a canonical `column` in a type that
    says what its text would (`native`), else as text."""
    if column is not None and native(column, duck_type):
        return expr
    return _as_text(expr, duck_type, name)


def _parquet_relation(con: duckdb.DuckDBPyConnection, source: SourceFile) -> str:
    """The staged columns of a Parquet file with `_line`, its row counted from 1: a canonical
    column whose type says what its text would (`native`) as it is, others as text; the reader's own
    row number, which keeps the read parallel (a window over the rows would not), unless the file
    has a column of that name."""
    read = f"read_parquet({sql_literal(source.path)})"
    described = _describe(con, source, read)
    names = [normalise_header(row[0]) for row in described]
    _raise_header(source, names)
    columns = TABLES[source.table].by_name
    selected = ", ".join(
        f"{_staged(quote(row[0]), row[1], columns.get(name), name)} AS {quote(name)}"
        for row, name in zip(described, names, strict=True)
    )
    if any(row[0].lower() == ROW_NUMBER for row in described):
        return _numbered(f"SELECT {selected} FROM {read}", first_line=1)
    numbered = f"read_parquet({sql_literal(source.path)}, {ROW_NUMBER}=true)"
    return f"SELECT CAST({ROW_NUMBER} + 1 AS BIGINT) AS _line, {selected} FROM {numbered}"


def _json_lines(source: SourceFile) -> str:
    """Every line of a JSON Lines file with its number, blank ones included (they count)."""
    read = (
        f"read_csv({sql_literal(source.path)}, columns={{'text': 'VARCHAR'}}, header=false, "
        "auto_detect=false, delim=chr(0), quote='', escape='', new_line='\\r\\n', "
        f"strict_mode=false, max_line_size={MAX_JSON_LINE_BYTES})"
    )  # no NUL is left in the file (checked before), so each line is one field; \n also ends one
    return (
        f"SELECT CAST(row_number() OVER () AS BIGINT) AS _line, text, "
        f"trim(text, ' ' || chr(9) || chr(13)) = '' AS blank FROM {read}"
    )


def _check_json_lines(con: duckdb.DuckDBPyConnection, source: SourceFile, lines: str) -> None:
    """A Problem naming the first line that is not blank and not one JSON object."""
    try:
        row = con.execute(
            f"SELECT _line, text, json_valid(text) FROM ({lines}) "
            "WHERE NOT blank AND "
            "COALESCE(CASE WHEN json_valid(text) THEN json_type(text) END, '') <> 'OBJECT' "
            "ORDER BY _line LIMIT 1"
        ).fetchone()
    except duckdb.Error as exc:
        raise IngestError([_engine_problem(source, exc)]) from None
    if row:
        what = "an object" if row[2] else "valid JSON"
        raise IngestError(
            [
                Problem(
                    source.label,
                    "malformed",
                    f"not {what}: JSON Lines holds one JSON object per line",
                    line=row[0],
                    value=row[1][:200],
                )
            ]
        )


def _json_relation(con: duckdb.DuckDBPyConnection, source: SourceFile) -> str:
    lines = _json_lines(source)
    _check_json_lines(con, source, lines)
    read = f"(SELECT _line, CAST(text AS JSON) AS json FROM ({lines}) WHERE NOT blank)"
    try:
        keys = [
            row[0]
            for row in con.execute(
                f"SELECT k FROM (SELECT DISTINCT unnest(json_keys(json)) AS k FROM {read}) "
                "ORDER BY k"
            ).fetchall()
        ]
    except duckdb.Error as exc:
        raise IngestError([_engine_problem(source, exc)]) from None
    names = [normalise_header(k) for k in keys]
    _raise_header(source, names)
    parts = []
    for key, name in zip(keys, names, strict=True):
        path = sql_literal("$." + '"' + key.replace('"', '\\"') + '"')
        if name == "tags":
            parts.append(
                f"CASE WHEN json_type(json, {path}) = 'ARRAY' "
                f"THEN from_json(json_extract(json, {path}), '[\"VARCHAR\"]') "
                f"ELSE string_split(json_extract_string(json, {path}), ';') END AS tags"
            )
        else:
            parts.append(f"NULLIF(TRIM(json_extract_string(json, {path})), '') AS {quote(name)}")
    return f"SELECT _line, {', '.join(parts) or 'NULL AS _empty'} FROM {read}"


def _raise_header(source: SourceFile, names: list[str]) -> None:
    problems = _header_problems(source, names)
    if problems:
        raise IngestError(problems)
