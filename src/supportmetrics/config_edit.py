"""Changing `supportmetrics.toml` from the dashboard: targets and SLA policies.

Every change is validated by the same models that read the file (`Config`), so a value the file
would refuse is refused before anything is written. The file is rewritten with tomlkit, which keeps
the other keys, their comments and their order; the previous file is kept next to it as
`supportmetrics.toml.bak`, and the new one is written to a temporary file, flushed to disk and renamed
over the old one, so a reader sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from supportmetrics.config import SLA_TARGETS, Config, ConfigError

__all__ = [
    "BACKUP_SUFFIX",
    "SLA_LISTS",
    "TARGET_FIELDS",
    "EditError",
    "remove_sla_policy",
    "remove_target",
    "set_sla_policy",
    "set_target",
]

BACKUP_SUFFIX = ".bak"
TARGET_FIELDS = ("value", "owner", "next_action", "stat", "clock", "where", "variants")
SLA_LISTS = ("priority", "channel", "team", "tier")
_LOCK = threading.Lock()  # one read-modify-write of a settings file at a time in this process


class EditError(ValueError):
    """A change the settings would refuse: `problems` maps each form field to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {why}" for field, why in problems.items()))
        self.problems = problems


def set_target(path: Path, metric_id: str, fields: Mapping[str, Any], *, new: bool) -> Config:
    """Add (`new`) or replace the target of `metric_id`; empty fields are left out."""

    def change(doc: TOMLDocument) -> None:
        targets = doc.get("targets")
        if targets is None:
            targets = tomlkit.table(is_super_table=True)
            doc["targets"] = targets
        if new and metric_id in targets:
            raise EditError({"metric": f"{metric_id} has a target already; edit that one"})
        if not new and metric_id not in targets:
            raise EditError({"metric": f"{metric_id} has no target to edit"})
        if new:
            targets[metric_id] = _filled(tomlkit.table(), fields, TARGET_FIELDS)
        else:
            _filled(targets[metric_id], fields, TARGET_FIELDS)

    return _edit(path, change, f"targets.{metric_id}.", "metric")


def remove_target(path: Path, metric_id: str) -> Config:
    """Remove the target of `metric_id`."""

    def change(doc: TOMLDocument) -> None:
        targets = doc.get("targets")
        if targets is None or metric_id not in targets:
            raise EditError({"metric": f"{metric_id} has no target"})
        del targets[metric_id]
        if not targets:
            del doc["targets"]

    return _edit(path, change, f"targets.{metric_id}.", "metric")


def set_sla_policy(path: Path, index: int | None, fields: Mapping[str, Any]) -> Config:
    """Replace the policy at `index` (0-based, in the file's order), or append one (None)."""
    keys = ("name", *SLA_LISTS, "clock", *SLA_TARGETS)

    def change(doc: TOMLDocument) -> None:
        policies = _policies(doc, index)
        if index is None:
            policies.append(_filled(tomlkit.table(), fields, keys))
        else:
            _filled(policies[index], fields, keys)

    position = len(_read(path)[1].get("sla", ())) if index is None else index
    return _edit(path, change, f"sla.{position}.", "form")


def remove_sla_policy(path: Path, index: int) -> Config:
    """Remove the policy at `index` (0-based)."""

    def change(doc: TOMLDocument) -> None:
        policies = _policies(doc, index)
        del policies[index]
        if not len(policies):
            del doc["sla"]

    return _edit(path, change, f"sla.{index}.", "form")


def _policies(doc: TOMLDocument, index: int | None) -> AoT:
    policies = doc.get("sla")
    if policies is None:
        policies = tomlkit.aot()
        doc["sla"] = policies
    if not isinstance(policies, AoT):
        raise EditError({"sla": "sla is not a list of [[sla]] tables in the file; fix it by hand"})
    if index is not None and not 0 <= index < len(policies):
        raise EditError({"policy": f"there is no policy number {index + 1}; reload the page"})
    return policies


def _filled(table: Table, fields: Mapping[str, Any], keys: Sequence[str]) -> Table:
    """`table` holding `fields` (key by key, so comments beside kept keys stay); empty ones go."""
    for key in keys:
        value = fields.get(key)
        if value in (None, "", [], {}):
            if key in table:
                del table[key]
        elif isinstance(value, Mapping):
            inline = tomlkit.inline_table()
            inline.update(value)
            table[key] = inline
        else:
            table[key] = value
    return table


def _read(path: Path) -> tuple[str, TOMLDocument]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        return text, tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix it by hand first") from None


def _edit(path: Path, change: Any, prefix: str, whole: str) -> Config:
    """Apply `change` to the parsed file, validate the result, back up the old file and write the
    new one atomically; the validated settings are returned (problems with the edited table as a
    whole are filed under `whole`)."""
    with _LOCK:
        old, doc = _read(path)
        change(doc)
        try:
            config = Config.model_validate(doc.unwrap())
        except ValidationError as exc:
            raise EditError(_problems(exc, prefix, whole)) from None
        if path.exists():
            _write(path.with_name(path.name + BACKUP_SUFFIX), old)
        _write(path, tomlkit.dumps(doc))
        return config


def _problems(exc: ValidationError, prefix: str, whole: str) -> dict[str, str]:
    """Each validation error under the edited table, by its field name (the prefix removed)."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        named = re.match(r"^([\w.]+): (.*)$", message, re.DOTALL)
        if not key and named:  # a whole-file rule naming the key in its message
            key, message = named.groups()
        if f"{key}." == prefix:  # a rule over the whole edited table
            key = ""
        key = key.removeprefix(prefix)
        field = key.split(".")[0] or whole
        problems.setdefault(field, message)
    return problems


def _write(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, fsync it, and rename it over `path`."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)
