"""Business-hours schedules: the validated configuration model."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as _holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DEFAULT_SCHEDULE_ID", "WEEKDAYS", "Schedule", "Weekday", "parse_interval", "zone"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
DEFAULT_SCHEDULE_ID = "default"

_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _office_hours() -> dict[Weekday, list[str]]:
    return {day: ["09:00-17:00"] for day in get_args(Weekday)[:5]}


def parse_interval(text: str) -> tuple[int, int]:
    """Parse ``"HH:MM-HH:MM"`` into (start, end) minutes after local midnight.

    The end may be ``"24:00"`` (the next midnight); it must be after the start.
    """
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"bad interval {text!r}: expected 'HH:MM-HH:MM', e.g. '09:00-17:00'")
    sh, sm, eh, em = (int(g) for g in match.groups())
    if sh > 23 or sm > 59:
        raise ValueError(f"bad interval {text!r}: start must be a time from 00:00 to 23:59")
    if eh > 24 or em > 59 or (eh == 24 and em != 0):
        raise ValueError(f"bad interval {text!r}: end must be a time from 00:01 to 24:00")
    start, end = sh * 60 + sm, eh * 60 + em
    if end <= start:
        raise ValueError(f"bad interval {text!r}: end must be after start")
    return start, end


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or a ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'UTC' or 'America/New_York'"
        ) from None


def _split_holidays(spec: str) -> tuple[str, str | None]:
    country, _, subdiv = spec.partition("-")
    return country, (subdiv or None)


class Schedule(BaseModel):
    """Weekly opening hours in one time zone, closed on public holidays and extra dates.

    ``hours`` maps weekday keys (``mon`` .. ``sun``) to lists of ``"HH:MM-HH:MM"`` local intervals;
    a missing day is closed. The default is Mon-Fri 09:00-17:00 with no holidays. ``timezone``
    None means the workspace time zone, passed in when the calendar table is built.
    """

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = None
    hours: dict[Weekday, list[str]] = Field(default_factory=_office_hours)
    holidays: str | None = None
    closed: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _check_weekdays(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in value:
                if key not in WEEKDAYS:
                    raise ValueError(f"unknown weekday {key!r}: use one of {', '.join(WEEKDAYS)}")
        return value

    @field_validator("hours")
    @classmethod
    def _check_intervals(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, texts in value.items():
            parsed = []
            for text in texts:
                try:
                    parsed.append((*parse_interval(text), text))
                except ValueError as exc:
                    raise ValueError(f"{day}: {exc}") from None
            parsed.sort()
            for (_, end, text), (start, _, next_text) in itertools.pairwise(parsed):
                if start < end:
                    raise ValueError(f"{day}: intervals {text!r} and {next_text!r} overlap")
        return value

    @field_validator("holidays")
    @classmethod
    def _check_holidays(cls, value: str | None) -> str | None:
        if value is None:
            return None
        country, subdiv = _split_holidays(value.strip())
        country = country.upper()
        supported = _holidays.list_supported_countries()
        if country not in supported:
            raise ValueError(
                f"unknown holidays country {country!r}: use a country code supported by the "
                "'holidays' package, e.g. 'US', 'GB', 'DE', optionally with a subdivision "
                "such as 'US-CA'"
            )
        if subdiv is not None and subdiv not in supported[country]:
            choices = ", ".join(supported[country]) or "none"
            raise ValueError(
                f"unknown subdivision {subdiv!r} of holidays country {country!r}: "
                f"expected one of {choices}"
            )
        return country if subdiv is None else f"{country}-{subdiv}"

    def zone(self, default_timezone: str) -> ZoneInfo:
        """This schedule's time zone, falling back to ``default_timezone``."""
        return zone(self.timezone or default_timezone)

    def weekly_intervals(self) -> dict[int, list[tuple[int, int]]]:
        """Open intervals per weekday (0 = Monday) as sorted (start, end) minutes."""
        return {
            WEEKDAYS.index(day): sorted(parse_interval(text) for text in texts)
            for day, texts in self.hours.items()
            if texts
        }

    def closed_dates(self, years: Iterable[int]) -> set[date]:
        """Local dates closed all day in ``years``: public holidays plus ``closed``."""
        years = sorted(set(years))
        dates = {d for d in self.closed if d.year in years}
        if self.holidays is not None and years:
            country, subdiv = _split_holidays(self.holidays)
            dates.update(_holidays.country_holidays(country, subdiv=subdiv, years=years))
        return dates
