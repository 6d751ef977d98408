"""Reading a tool's API records from JSON files, whatever shape they were saved in.

Accepted, per file (optionally gzipped): a JSON array of records; JSON Lines, one record per line; API
list or incremental-export pages (`{"tickets": [...], "next_page": ...}`, one page per file or per
line, several record kinds per page when sideloaded); Airbyte raw records (`_airbyte_data`) and Singer
messages (`{"type": "RECORD", "stream": ...}`). Which records a file holds is told by the page key or
stream name, else by the file name (`ticket_audits.jsonl`), else by the fields of its first record.

Each record kind becomes a view `src_<kind>` over its files, read by the engine with a fixed column
list (fields not listed are ignored, missing ones are NULL), so files of any size stream.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from supportmetrics.sources.base import SourceError
from supportmetrics.store import sql_literal

__all__ = ["Stream", "input_files", "load_streams"]

SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
MAX_OBJECT_BYTES = 64 * 1024 * 1024
"""The largest record or page the reader accepts."""


@dataclass(frozen=True)
class Stream:
    """One kind of record a tool exports, and how to recognise and read it."""

    kind: str
    """Name of the records, e.g. `ticket_audits`; the view is `src_<kind>`."""
    label: str
    """As the user knows them, e.g. "tickets"."""
    names: tuple[str, ...]
    """File stems, page keys and stream names that hold these records."""
    columns: Mapping[str, str]
    """Field -> DuckDB type the engine reads it as."""
    required: tuple[str, ...]
    """Fields every record has: a file without them is not this export."""
    signature: frozenset[str] = field(default_factory=frozenset)
    """Fields that identify a bare record of this kind (empty: only by name)."""

    def struct(self) -> str:
        return "STRUCT(" + ", ".join(f'"{k}" {t}' for k, t in self.columns.items()) + ")"

    def columns_sql(self) -> str:
        return (
            "{"
            + ", ".join(f"{sql_literal(k)}: {sql_literal(t)}" for k, t in self.columns.items())
            + "}"
        )


def input_files(inputs: Sequence[str], title: str) -> list[Path]:
    """The JSON files named or inside the folders named (hidden files skipped), in order."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.name.lower().endswith(SUFFIXES)
            )
            if not found:
                raise SourceError(
                    f"{path}: no JSON files in this folder; a {title} export is .json or .jsonl "
                    "files (optionally .gz)"
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return files


def _a(title: str) -> str:
    """The title with its article: a Zendesk, an Intercom."""
    return ("an " if title[:1].lower() in "aeiou" else "a ") + title


def _stem(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem.lower()


def _shape(path: Path, title: str) -> str:
    """`array` or `auto` (JSON Lines or whole objects), from the first character; errors for others."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(4096)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{path}: cannot read the file ({exc})") from None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise SourceError(f"{path}: the file is empty; export the {title} data again")
    if text[:1] == b"[":
        return "array"
    if text[:1] == b"{":
        return "auto"
    found = text[:40].decode("utf-8", "replace")
    raise SourceError(
        f"this is not {_a(title)} export: expected JSON records ([...] or one {{...}} per line); "
        f"{path} starts with {found!r}"
    )


def _by_name(streams: Sequence[Stream], name: str) -> Stream | None:
    name = name.lower()
    exact = [s for s in streams if name in s.names]
    if exact:
        return exact[0]
    ends = [s for s in streams for n in s.names if name.endswith(n) or name.startswith(n + "_")]
    return max(ends, key=lambda s: max(len(n) for n in s.names)) if ends else None


def _by_fields(streams: Sequence[Stream], keys: set[str]) -> Stream | None:
    fits = [s for s in streams if s.signature and s.signature <= keys]
    return max(fits, key=lambda s: len(s.signature)) if fits else None


def _check(stream: Stream, keys: set[str], path: Path, title: str, record: str) -> None:
    missing = [k for k in stream.required if k not in keys]
    if missing:
        raise SourceError(
            f"this is not {_a(title)} {stream.label} export: expected each record to have "
            f"{', '.join(stream.required)}; {path} {record} has no {', '.join(missing)} "
            f"(its fields: {', '.join(sorted(keys)[:15]) or 'none'})"
        )


def _classify(
    con: duckdb.DuckDBPyConnection, path: Path, streams: Sequence[Stream], title: str
) -> list[tuple[Stream, str]]:
    """Which record kinds `path` holds, each with the SQL reading its records."""
    stream: Stream | None
    fmt = _shape(path, title)
    objects = f"read_json_objects({sql_literal(path)}, format='{fmt}', maximum_object_size={MAX_OBJECT_BYTES})"
    try:
        first = con.execute(f"SELECT json_keys(json), json FROM {objects} LIMIT 1").fetchone()
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0].split("Error: ", 1)[-1]
        raise SourceError(
            f"this is not {_a(title)} export: {path} is not valid JSON or JSON Lines ({reason})"
        ) from None
    if first is None:
        raise SourceError(f"{path}: no records in the file; export the {title} data again")
    keys = set(first[0])

    def read(columns: str) -> str:
        return f"read_json({sql_literal(path)}, columns={columns}, format='{fmt}', maximum_object_size={MAX_OBJECT_BYTES})"

    pages = [
        (s, n)
        for s in streams
        for n in s.names
        if n in keys
        and con.execute("SELECT json_type(?::JSON, ?)", [first[1], f'$."{n}"']).fetchone()
        == ("ARRAY",)
    ]
    if pages:
        found = []
        for stream, name in pages:
            sql = (
                f'SELECT unnest(r) FROM (SELECT unnest(p."{name}") AS r FROM '
                f"{read('{' + sql_literal(name) + ': ' + sql_literal(stream.struct() + '[]') + '}')} p)"
            )
            sample = con.execute(
                f"SELECT json_keys(j) FROM (SELECT unnest(json_extract(json, '$.\"{name}\"[*]')) "
                f"AS j FROM {objects} LIMIT 1) LIMIT 1"
            ).fetchone()
            if sample:
                _check(stream, set(sample[0]), path, title, f'"{name}" record 1')
            found.append((stream, sql))
        return found
    if "_airbyte_data" in keys:
        inner = con.execute(
            f"SELECT json_keys(json->'$._airbyte_data') FROM {objects} LIMIT 1"
        ).fetchone()
        inner_keys = set(inner[0]) if inner and inner[0] else set()
        stream = _by_name(streams, _stem(path).removeprefix("_airbyte_raw_")) or _by_fields(
            streams, inner_keys
        )
        if stream is None:
            raise _unknown(path, streams, title, inner_keys)
        _check(stream, inner_keys, path, title, "record 1 (_airbyte_data)")
        columns = "{'_airbyte_data': " + sql_literal(stream.struct()) + "}"
        return [(stream, f"SELECT unnest(_airbyte_data) FROM {read(columns)}")]
    if {"type", "stream"} <= keys:
        found = []
        names = con.execute(
            f"SELECT DISTINCT json->>'$.stream' FROM {objects} WHERE json->>'$.type' = 'RECORD'"
        ).fetchall()
        for (name,) in names:
            stream = _by_name(streams, str(name))
            if stream is None:
                continue
            columns = "{'type': 'VARCHAR', 'stream': 'VARCHAR', 'record': " + sql_literal(
                stream.struct()
            )
            found.append(
                (
                    stream,
                    f"SELECT unnest(record) FROM {read(columns + '}')} "
                    f"WHERE type = 'RECORD' AND stream = {sql_literal(name)}",
                )
            )
        if not found:
            raise _unknown(path, streams, title, keys)
        return found
    stream = _by_name(streams, _stem(path)) or _by_fields(streams, keys)
    if stream is None:
        raise _unknown(path, streams, title, keys)
    _check(stream, keys, path, title, "record 1")
    return [(stream, f"SELECT * FROM {read(stream.columns_sql())}")]


def _unknown(path: Path, streams: Sequence[Stream], title: str, keys: set[str]) -> SourceError:
    names = ", ".join(s.names[0] for s in streams)
    return SourceError(
        f"this is not {_a(title)} export: cannot tell which records {path} holds. Expected a file "
        f"named after its records ({names}), an API page such as "
        f'{{"{streams[0].names[0]}": [...]}}, or records with the fields of one of them; '
        f"record 1 has: {', '.join(sorted(keys)[:15]) or 'no fields'}"
    )


def load_streams(
    con: duckdb.DuckDBPyConnection, inputs: Sequence[str], streams: Sequence[Stream], title: str
) -> dict[str, list[str]]:
    """Create a view `src_<kind>` per record kind found in `inputs`; kind -> the files feeding it."""
    parts: dict[str, list[str]] = {}
    files: dict[str, list[str]] = {}
    for path in input_files(inputs, title):
        for stream, sql in _classify(con, path, streams, title):
            parts.setdefault(stream.kind, []).append(sql)
            files.setdefault(stream.kind, []).append(str(path))
    for stream in streams:
        if stream.kind in parts:
            union = " UNION ALL BY NAME ".join(f"({sql})" for sql in parts[stream.kind])
            con.execute(f"CREATE VIEW src_{stream.kind} AS {union}")
    return files
