"""Zendesk business-hours schedules and holidays -> the workspace's `[schedules.*]` settings.

A schedule (GET /api/v2/business_hours/schedules) has a Rails time zone name and weekly intervals
in minutes from Sunday 00:00 local time; its holidays (GET .../schedules/{id}/holidays) are date
ranges. Holiday records name their schedule with `schedule_id` (add it when saving each schedule's
holidays); without it they belong to the only schedule, if there is one. Schedules are settings,
not data rows: the few records are read in the engine and turned into TOML here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from supportmetrics.calendar import Schedule
from supportmetrics.sources._engine import connect
from supportmetrics.sources._json import Stream, _input_files, _stem_name, load_streams
from supportmetrics.sources.base import SourceError
from supportmetrics.sources.rails_zones import iana

__all__ = ["STREAMS", "add_to_settings", "read_schedules"]

STREAMS = (
    Stream(
        "schedules",
        "business-hours schedules",
        ("schedules",),
        {
            "id": "VARCHAR",
            "name": "VARCHAR",
            "time_zone": "VARCHAR",
            "intervals": "STRUCT(start_time BIGINT, end_time BIGINT)[]",
        },
        ("id", "name", "time_zone", "intervals"),
        frozenset({"time_zone", "intervals"}),
    ),
    Stream(
        "holidays",
        "holidays",
        ("holidays",),
        {"id": "VARCHAR", "schedule_id": "VARCHAR", "start_date": "DATE", "end_date": "DATE"},
        ("id", "start_date", "end_date"),
        frozenset({"start_date", "end_date"}),
    ),
)
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
"""Zendesk's intervals count minutes from Sunday 00:00."""


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hours(intervals: list[dict[str, int]]) -> dict[str, list[str]]:
    """Weekday -> "HH:MM-HH:MM" intervals; an interval across midnight is split at it."""
    hours: dict[str, list[str]] = {}
    for interval in sorted(intervals, key=lambda i: i["start_time"]):
        start, end = int(interval["start_time"]), int(interval["end_time"])
        while start < end:
            day, offset = divmod(start, 1440)
            stop = min(end, (day + 1) * 1440)
            hours.setdefault(DAYS[day % 7], []).append(
                f"{_hhmm(offset)}-{_hhmm(stop - day * 1440)}"
            )
            start = stop
    return hours


def _slug(name: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "zendesk"
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}_{n}", n + 1
    taken.add(candidate)
    return candidate


def read_schedules(inputs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The schedules among `inputs` (files or folders named schedules or holidays) as settings:
    name -> {timezone, hours, closed}."""
    names = {"schedules", "holidays"}
    files = [
        str(path)
        for root, path in _input_files(inputs, "Zendesk")
        if names
        & {
            _stem_name(p)
            for p in (path.name.split(".")[0], *path.relative_to(root).parts[:-1], root.name)
        }
    ]
    if not files:
        return {}
    with connect("UTC") as con:
        found = load_streams(con, files, STREAMS, "Zendesk")
        if "schedules" not in found.files:
            return {}
        schedules = con.execute(
            "SELECT id, name, time_zone, to_json(intervals)::VARCHAR FROM src_schedules ORDER BY id"
        ).fetchall()
        holidays = (
            con.execute(
                "SELECT schedule_id, start_date, end_date FROM src_holidays ORDER BY start_date"
            ).fetchall()
            if "holidays" in found.files
            else []
        )
    taken: set[str] = set()
    result: dict[str, dict[str, Any]] = {}
    for id_, name, time_zone, intervals in schedules:
        closed = sorted(
            {
                str(start + timedelta(days=n))
                for owner, start, end in holidays
                if owner == id_ or (owner is None and len(schedules) == 1)
                for n in range(((end or start) - start).days + 1)
                if isinstance(start, date)
            }
        )
        settings = {
            "timezone": iana(time_zone),
            "hours": _hours(json.loads(intervals or "[]")),
            "closed": closed,
        }
        try:
            Schedule(**settings)
        except ValueError as exc:
            raise SourceError(
                f"Zendesk schedule {id_} ({name}): {exc}; correct it in Zendesk or leave the "
                "schedules out"
            ) from None
        result[_slug(name or str(id_), taken)] = settings
    return result


def _toml(name: str, settings: dict[str, Any]) -> str:
    hours = ", ".join(f"{day} = {json.dumps(v)}" for day, v in settings["hours"].items())
    lines = [
        f"\n[schedules.{name}]  # imported from Zendesk: add teams = [...] to use it",
        f"timezone = {json.dumps(settings['timezone'])}",
        f"hours = {{ {hours} }}",
    ]
    if settings["closed"]:
        lines.append(f"closed = {json.dumps(settings['closed'])}")
    return "\n".join(lines) + "\n"


def add_to_settings(
    config_path: Path, schedules: dict[str, dict[str, Any]], existing: set[str]
) -> tuple[list[str], list[str]]:
    """Append the schedules not in the settings yet to `config_path`: (added, left as they are).

    The file is checked after writing; on a problem it is restored and the error raised."""
    from supportmetrics.config import load_config

    added = [name for name in schedules if name not in existing]
    if not added:
        return [], sorted(schedules)
    before = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        before + "".join(_toml(name, schedules[name]) for name in added), encoding="utf-8"
    )
    try:
        load_config(config_path)
    except Exception:
        config_path.write_text(before, encoding="utf-8")
        raise
    return added, sorted(set(schedules) - set(added))
