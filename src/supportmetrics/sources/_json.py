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
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from supportmetrics.sources.base import SourceError
from supportmetrics.store import sql_literal

__all__ = ["Loaded", "Stream", "input_files", "load_streams"]

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
    key: tuple[str, ...] = ("id",)
    """Fields identifying a record: a batch holding one several times keeps the latest."""

    def struct(self) -> str:
        return "STRUCT(" + ", ".join(f'"{k}" {t}' for k, t in self.columns.items()) + ")"

    def structure(self) -> str:
        """The JSON structure `from_json` reads a record with, as an SQL literal."""
        return sql_literal(json.dumps(dict(self.columns)))

    def columns_sql(self) -> str:
        return (
            "{"
            + ", ".join(f"{sql_literal(k)}: {sql_literal(t)}" for k, t in self.columns.items())
            + "}"
        )


def input_files(inputs: Sequence[str], title: str) -> list[Path]:
    """The JSON files named or inside the folders named (hidden files skipped), in order."""
    return [path for _, path in _input_files(inputs, title)]


def _input_files(inputs: Sequence[str], title: str) -> list[tuple[Path, Path]]:
    """(the folder named, or the file's own folder; the file) for every JSON file of `inputs`."""
    files: list[tuple[Path, Path]] = []
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
            files.extend((path, p) for p in found)
        elif path.is_file():
            files.append((path.parent, path))
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


def _gzipped(path: Path) -> bool:
    """Whether the file is gzip-compressed, by name or by its first bytes (dlt's filesystem
    destination compresses `.jsonl` files without saying so in the name)."""
    if path.name.lower().endswith(".gz"):
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def _shape(path: Path, title: str) -> str:
    """`array` or `auto` (JSON Lines or whole objects), from the first character; errors for others."""
    opener = gzip.open if _gzipped(path) else open
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


def _by_name(streams: Sequence[Stream], name: str, ignored: Sequence[str] = ()) -> Stream | None:
    """The stream a file, page key or stream name stands for: an exact name, else the longest name
    it ends with (`zendesk_ticket_comments`); None when that is a stream this source does not read
    (`article_comments` is Help Center's, not `comments`)."""
    name = name.lower()
    exact = [s for s in streams if name in s.names]
    if exact:
        return exact[0]
    if name in ignored:
        return None
    ends = [(len(n), s) for s in streams for n in s.names if _part_of(name, n)]
    skip = [len(n) for n in ignored if _part_of(name, n)]
    best = max(ends, key=lambda e: e[0]) if ends else None
    if best is None or (skip and max(skip) >= best[0]):
        return None
    return best[1]


def _part_of(name: str, stream: str) -> bool:
    """Whether a file name is a stream's name with a prefix or suffix: `zendesk_tickets`,
    `zendesk-tickets`, `tickets_2024`."""
    return any(name.endswith(sep + stream) or name.startswith(stream + sep) for sep in "_-.")


def _by_place(
    streams: Sequence[Stream], ignored: Sequence[str], stem: str, folders: Sequence[str]
) -> tuple[Stream | None, str | None]:
    """The stream a file's name (`_airbyte_raw_tickets`, `ticket_audits`) or, for generic names
    (`2024_05_01_1714521600_0.jsonl`), its folders name (nearest first); or the name of a stream
    this source does not read, to skip."""
    for name in (_stem_name(stem), *folders):
        name = _stem_name(name)
        stream = _by_name(streams, name, ignored)
        if stream is not None:
            return stream, None
        if name in ignored or any(_part_of(name, n) for n in ignored):
            return None, name
    return None, None


def _stem_name(name: str) -> str:
    """A file or folder name without Airbyte's prefixes."""
    name = name.lower()
    for prefix in ("_airbyte_raw_", "_airbyte_tmp_"):
        name = name.removeprefix(prefix)
    return name.split("_raw__stream_", 1)[-1]


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


MESSAGE_TYPES = ("RECORD", "STATE", "LOG", "TRACE", "SCHEMA", "ACTIVATE_VERSION", "CONTROL")
"""Airbyte protocol and Singer message types: a file of these is a stream of messages."""
_STREAM_NAME = "COALESCE(json->>'$.record.stream', json->>'$.stream')"
_DATA = (
    "CASE WHEN json_type(json, '$.record.data') = 'OBJECT' THEN json->'$.record.data' "
    "WHEN json_type(json, '$.record') = 'OBJECT' THEN json->'$.record' ELSE json->'$.data' END"
)
"""The record of an Airbyte protocol message (`record.data`), a Singer message (`record`) or an
Airbyte record envelope (`data`)."""


@dataclass
class _Found:
    """What a file holds: (stream, SQL reading its records) per kind, and stream names skipped."""

    parts: list[tuple[Stream, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _named(
    con: duckdb.DuckDBPyConnection,
    objects: str,
    where: str,
    data: str,
    names: list[str],
    streams: Sequence[Stream],
    ignored: Sequence[str],
    path: Path,
    title: str,
) -> _Found:
    """The records of a file of envelopes (several streams, each record under `data`)."""
    found = _Found()
    for name in names:
        stream = _by_name(streams, name, ignored)
        if stream is None:
            found.skipped.append(name)
            continue
        selected = f"FROM {objects} WHERE {where} AND {_STREAM_NAME} = {sql_literal(name)}"
        sample = con.execute(f"SELECT json_keys({data}) {selected} LIMIT 1").fetchone()
        if sample:
            _check(stream, set(sample[0] or []), path, title, f'stream "{name}" record 1')
        found.parts.append(
            (stream, f"SELECT unnest(from_json({data}, {stream.structure()})) {selected}")
        )
    return found


def _classify(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    streams: Sequence[Stream],
    title: str,
    ignored: Sequence[str],
    folders: Sequence[str],
) -> _Found:
    """Which record kinds `path` holds, each with the SQL reading its records."""
    stream: Stream | None
    compression = "gzip" if _gzipped(path) else "none"
    options = (
        f"format='{_shape(path, title)}', compression='{compression}', "
        f"maximum_object_size={MAX_OBJECT_BYTES}"
    )
    objects = f"read_json_objects({sql_literal(path)}, {options})"
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
        return f"read_json({sql_literal(path)}, columns={columns}, {options})"

    def named(where: str, data: str) -> _Found:
        names = [
            str(row[0])
            for row in con.execute(
                f"SELECT DISTINCT {_STREAM_NAME} FROM {objects} WHERE {where} ORDER BY 1"
            ).fetchall()
            if row[0] is not None
        ]
        return _named(con, objects, where, data, names, streams, ignored, path, title)

    pages = [
        (s, n)
        for s in streams
        for n in s.names
        if n in keys
        and con.execute("SELECT json_type(?::JSON, ?)", [first[1], f'$."{n}"']).fetchone()
        == ("ARRAY",)
    ]
    if pages:
        found = _Found()
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
            found.parts.append((stream, sql))
        return found
    if "_airbyte_data" in keys:
        # Airbyte raw tables and files: `_airbyte_data` an object, or JSON text in some destinations
        data = (
            "CASE WHEN json_type(json, '$._airbyte_data') = 'VARCHAR' "
            "THEN CAST(json->>'$._airbyte_data' AS JSON) ELSE json->'$._airbyte_data' END"
        )
        inner = con.execute(f"SELECT json_keys({data}) FROM {objects} LIMIT 1").fetchone()
        inner_keys = set(inner[0]) if inner and inner[0] else set()
        stream, skip = _by_place(streams, ignored, _stem(path), folders)
        if skip:
            return _Found(skipped=[skip])
        stream = stream or _by_fields(streams, inner_keys)
        if stream is None:
            raise _unknown(path, streams, title, inner_keys)
        _check(stream, inner_keys, path, title, "record 1 (_airbyte_data)")
        return _Found(
            [(stream, f"SELECT unnest(from_json({data}, {stream.structure()})) FROM {objects}")]
        )
    if "type" in keys and con.execute("SELECT ?::JSON->>'$.type'", [first[1]]).fetchone() in [
        (t,) for t in MESSAGE_TYPES
    ]:
        found = named("json->>'$.type' = 'RECORD'", _DATA)
        if not found.parts and not found.skipped:
            raise SourceError(
                f"{path}: Airbyte or Singer messages without a RECORD message; the sync "
                f"delivered no {title} records"
            )
        return found
    if {"stream", "data"} <= keys:
        return named("true", _DATA)
    stream, skip = _by_place(streams, ignored, _stem(path), folders)
    if skip:
        return _Found(skipped=[skip])
    stream = stream or _by_fields(streams, keys)
    if stream is None:
        raise _unknown(path, streams, title, keys)
    _check(stream, keys, path, title, "record 1")
    return _Found([(stream, f"SELECT * FROM {read(stream.columns_sql())}")])


def _unknown(path: Path, streams: Sequence[Stream], title: str, keys: set[str]) -> SourceError:
    names = ", ".join(s.names[0] for s in streams)
    return SourceError(
        f"this is not {_a(title)} export: cannot tell which records {path} holds. Expected a file "
        f"named after its records ({names}), an API page such as "
        f'{{"{streams[0].names[0]}": [...]}}, or records with the fields of one of them; '
        f"record 1 has: {', '.join(sorted(keys)[:15]) or 'no fields'}"
    )


@dataclass
class Loaded:
    """What `load_streams` found: kind -> the files feeding it, and the streams it skipped."""

    files: dict[str, list[str]]
    skipped: dict[str, list[str]]
    """Stream name -> the files holding it, for streams this source does not read."""

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def notes(self) -> list[str]:
        """One line naming the skipped streams (none when nothing was skipped)."""
        if not self.skipped:
            return []
        names = ", ".join(
            f"{name} ({len(files)} file{'s' if len(files) > 1 else ''})"
            for name, files in sorted(self.skipped.items())
        )
        return [f"streams skipped (this importer does not read them): {names}"]


def load_streams(
    con: duckdb.DuckDBPyConnection,
    inputs: Sequence[str],
    streams: Sequence[Stream],
    title: str,
    ignored: Sequence[str] = (),
) -> Loaded:
    """Create a view `src_<kind>` per record kind found in `inputs`, each record once (the latest
    by `updated_at` when a batch holds several versions); streams named in `ignored` (a source's
    streams that hold nothing for metrics) and streams of envelopes this source does not know are
    skipped and listed."""
    parts: dict[str, list[str]] = {}
    files: dict[str, list[str]] = {}
    skipped: dict[str, list[str]] = {}
    for root, path in _input_files(inputs, title):
        folders = [p.lower() for p in reversed(path.relative_to(root).parts[:-1])]
        folders.append(root.name.lower())
        found = _classify(con, path, streams, title, ignored, folders)
        for stream, sql in found.parts:
            parts.setdefault(stream.kind, []).append(sql)
            files.setdefault(stream.kind, []).append(str(path))
        for name in found.skipped:
            skipped.setdefault(name, []).append(str(path))
    for stream in streams:
        if stream.kind in parts:
            union = " UNION ALL BY NAME ".join(f"({sql})" for sql in parts[stream.kind])
            order = "updated_at DESC NULLS LAST" if "updated_at" in stream.columns else "1"
            key = ", ".join(f'"{k}"' for k in stream.key)
            con.execute(
                f"CREATE VIEW src_{stream.kind} AS SELECT * FROM ({union}) "
                f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) = 1"
                if stream.key
                else f"CREATE VIEW src_{stream.kind} AS {union}"
            )
    if not files and skipped:
        names = ", ".join(sorted(skipped))
        raise SourceError(
            f"no {title} records to import: the files hold only streams this importer does not "
            f"read ({names}); it reads {', '.join(s.names[0] for s in streams)}"
        )
    return Loaded(files, skipped)
