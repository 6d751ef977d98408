"""Facts persisted per data version: Parquet files beside the store, reused by every process.

A backend that can name the version of its data (`Backend.data_version`: the embedded DuckDB store)
gets a `FactCache`. Its folder holds one sub-folder per data version and, inside, one per settings
fingerprint (the settings facts depend on and the package's code):

    <facts folder>/<data version>/<fingerprint>/tickets.calendar.<options>.parquet
                                               /tickets.calendar.<options>.parquet.json (what it is)
                                               /bounds.json, out_of_range.json   (the scans)

A file is written under a temporary name (`.<name>.<pid>.<random>.tmp`), flushed to disk and renamed
into place, so a reader finds a whole file or none: a process killed mid-write leaves only a
temporary file, which is never read and is deleted once its process is gone. The data version
changes with every write to the store, so a stale file is never looked up; `prune` deletes the
folders of other versions. Beside each fact file, a small JSON file names the fact table, clock
and options it holds, so that an ingest can refresh it for the next version (`fact_refresh`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
from ibis.common.exceptions import IbisError

from supportmetrics.config import Config

__all__ = ["FactCache", "Unwritable", "fingerprint", "prune"]

_PACKAGE = Path(__file__).resolve().parent
_SETTINGS_IGNORED = {
    "ingest",
    "engine",
    "server",
    "statistics",
    "targets",
    "smtp",
    "webhooks",
    "delivery",
    "reports",
}
"""Config sections no fact table reads (a change to them keeps the cached facts)."""
_TEMP = ".tmp"
_WRITE_OPTIONS = {"compression": "uncompressed", "parquet_version": "v2"}
"""How fact files are written: Parquet 2 encodings (delta, byte-stream split) without block
compression. At 1M tickets the file is the size Snappy makes of version 1 pages, and both the
write and every later scan of it take less CPU."""


class Unwritable(RuntimeError):
    """The facts folder cannot take a file (permissions, disk full ...); the message says where and
    why. The facts are then kept per connection, as without the cache."""


def _digest(text: str | bytes, size: int = 8) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=size).hexdigest()


_DEPENDENCIES = ("duckdb", "ibis-framework", "holidays", "tzdata")
"""Packages whose version can change a fact (SQL semantics, holidays, time-zone rules)."""


@cache
def _code() -> str:
    """The package's source code and its dependencies' versions, hashed: any change to how facts
    are built misses the cache."""
    hashed = hashlib.blake2b(digest_size=8)
    for path in sorted(_PACKAGE.rglob("*.py")):
        hashed.update(path.relative_to(_PACKAGE).as_posix().encode())
        hashed.update(path.read_bytes())
    for name in _DEPENDENCIES:
        try:
            hashed.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            hashed.update(f"{name}=-".encode())
    return hashed.hexdigest()


def fingerprint(config: Config) -> str:
    """The settings the facts depend on (time zone, schedules and holidays, SLA policies, variants,
    ...) and the package's code, as a short hex digest."""
    settings = config.model_dump_json(exclude=_SETTINGS_IGNORED)
    return _digest(settings + _code())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _publish(temp: Path, path: Path) -> None:
    """Flush `temp` to disk and rename it to `path` in one step."""
    with temp.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(temp, path)


def _remove_dead_temporaries(folder: Path) -> None:
    """Delete temporary files whose writing process is gone."""
    for temp in folder.rglob(f".*{_TEMP}"):
        parts = temp.name.split(".")
        if len(parts) >= 4 and parts[-3].isdigit() and not _alive(int(parts[-3])):
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def prune(folder: Path, keep: str | None) -> None:
    """Delete the cached facts of every data version but `keep` (all of them when None), and the
    temporary files of processes that are gone."""
    if not folder.is_dir():
        return
    for version in folder.iterdir():
        if version.is_dir() and version.name != keep:
            shutil.rmtree(version, ignore_errors=True)
    _remove_dead_temporaries(folder)


@dataclass(frozen=True)
class FactCache:
    """The persisted facts of one data version under one settings fingerprint."""

    root: Path
    """The facts folder (`[engine] facts_folder`), shared by every data version."""
    version: str
    """The data version of the store (`Backend.data_version`)."""
    settings: str
    """The `fingerprint` of the settings and code."""

    @property
    def folder(self) -> Path:
        return self.root / self.version / self.settings

    @staticmethod
    def file_name(name: str, clock: str, options: Mapping[str, Any]) -> str:
        """The file of fact table `name` built for `options` on `clock`."""
        return f"{name}.{clock}.{_digest(json.dumps(options, sort_keys=True, default=str))}.parquet"

    def read(self, db: ibis.BaseBackend, file: str, table_name: str) -> ir.Table | None:
        """The persisted fact table in `file`, as a view named `table_name`; None when it is not
        there (or unreadable: it is then deleted and built again)."""
        path = self.folder / file
        if not path.is_file():
            return None
        try:
            return db.read_parquet(path, table_name=table_name)
        except (duckdb.Error, IbisError, OSError):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return None

    def write(
        self,
        db: ibis.BaseBackend,
        file: str,
        table_name: str,
        expr: ir.Table,
        about: Mapping[str, Any] | None = None,
    ) -> ir.Table:
        """Compute `expr` into `file` (atomically), saving `about` (what the file holds) beside
        it, and return it as a view named `table_name`; `Unwritable` if the folder cannot take
        it."""
        with self._writing(file) as temp:
            db.to_parquet(expr, temp, **_WRITE_OPTIONS)
        if about is not None:
            self.save(file, about)
        return db.read_parquet(self.folder / file, table_name=table_name)

    def described(self) -> dict[str, Any]:
        """Every fact file of this version with what it holds (the `about` saved by `write`);
        a file without it is left out."""
        if not self.folder.is_dir():
            return {}
        found = {path.name: self.load(path.name) for path in self.folder.glob("*.parquet")}
        return {file: about for file, about in sorted(found.items()) if about is not None}

    def create_folder(self) -> None:
        """Create the folder without pruning the other versions (an ingest refreshing the facts
        reads the previous version's files into this one); `Unwritable` if it cannot be made."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise Unwritable(f"the facts could not be kept in {self.root} ({exc})") from exc

    def load(self, name: str) -> Any:
        """The JSON value saved as `name` for this version, or None."""
        try:
            return json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, name: str, value: Any) -> None:
        """Save `value` as JSON under `name` (atomically); `Unwritable` if the folder cannot take
        it."""
        with self._writing(f"{name}.json") as temp:
            temp.write_text(json.dumps(value), encoding="utf-8")

    @contextlib.contextmanager
    def _writing(self, file: str) -> Iterator[Path]:
        """A temporary path to write `file` to; renamed into place when the block succeeds,
        deleted otherwise."""
        try:
            path = self._prepared() / file
            temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{_TEMP}")
            try:
                yield temp
                _publish(temp, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
        except (OSError, duckdb.IOException) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise Unwritable(
                f"the facts could not be kept in {self.root} ({reason}); each process builds "
                "them until that is fixed (or set [engine] facts_folder elsewhere, or "
                "facts_cache = false)"
            ) from exc

    def _prepared(self) -> Path:
        """The folder, created readable by its owner only (it holds the team's data, as the store
        does); on first use in this version the other versions' folders are deleted, and the
        temporary files of processes that are gone."""
        if self.folder.is_dir():
            _remove_dead_temporaries(self.folder)
        else:
            prune(self.root, keep=self.version)
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.folder
