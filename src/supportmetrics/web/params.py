"""The dashboard's view state (date range, filters, clock), read from and written to the URL.

Names and values are only checked here for shape; whether a dimension exists is checked against the
fact table's dimensions (`query.dimension_names`) before any query, and values reach the backend as
values, never as SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from supportmetrics import pairs

__all__ = [
    "ANCHORS",
    "FILTERS",
    "MAX_PERIODS",
    "PRESETS",
    "PRESET_LABELS",
    "ParamError",
    "View",
    "auto_period",
    "check_periods",
    "parse_pairs",
    "parse_view",
]

FILTERS: tuple[str, ...] = ("channel", "team", "agent", "priority", "issue_type", "tier")
"""The filters the dashboard's filter bar offers (any dimension works through `where`)."""
PRESETS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
PRESET_LABELS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "365d": "Last 365 days",
    "all": "All data",
}
DEFAULT_PRESET = "90d"
ANCHORS = {"today": "today", "data": "the data's last day"}
"""What a preset range ends on: today (the dashboard's default) or the last day of data."""
EARLIEST, LATEST = date(1970, 1, 1), date(2100, 12, 31)
MAX_PERIODS = 5000
_PERIOD_DAYS = {
    "half_hour": 1 / 48,
    "hour": 1 / 24,
    "day": 1,
    "week": 7,
    "month": 30.4,
    "quarter": 91.3,
    "year": 365.25,
}
MAX_VALUES = 100


class ParamError(ValueError):
    """A request parameter with a wrong shape; the message names it and says what it takes."""


@dataclass(frozen=True)
class View:
    """Date range, filters and clock of a dashboard view."""

    preset: str | None = DEFAULT_PRESET
    start: date | None = None
    end: date | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    clock: str = "calendar"
    extra: tuple[tuple[str, str], ...] = field(default=())
    """Page-specific parameters (by, period, stat) kept in links."""
    anchor: str = "today"
    """What a preset range ends on: "today" or "data" (the last day of data)."""
    variants: tuple[tuple[str, str], ...] = ()
    """Definition variants (name, value) of the metric page and its drill-down."""

    def where_dict(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.where}

    def values(self, name: str) -> tuple[str, ...]:
        return dict(self.where).get(name, ())

    def get(self, name: str, default: str | None = None) -> str | None:
        return dict(self.extra).get(name, default)

    def range(self, span: tuple[date, date], today: date | None = None) -> tuple[date, date]:
        """The inclusive local dates this view covers, given the data's first and last day (and
        today, which a preset ends on unless the view's anchor is the data)."""
        if self.preset is None:
            return (self.start or span[0], self.end or span[1])
        days = PRESETS[self.preset]
        if days is None:
            return span
        last = today if self.anchor == "today" and today is not None else span[1]
        return (last - timedelta(days=days - 1), last)

    def with_where(self, extra: Mapping[str, str]) -> View:
        """This view narrowed to `extra` (dimension -> one value), as a drill-down link does."""
        where = dict(self.where) | {k: (v,) for k, v in extra.items()}
        return replace(self, where=tuple(sorted(where.items())))

    def with_range(self, start: date, end: date) -> View:
        return replace(self, preset=None, start=start, end=end)

    def with_extra(self, **values: str | None) -> View:
        extra = dict(self.extra) | values
        return replace(self, extra=tuple(sorted((k, v) for k, v in extra.items() if v)))

    def pairs(self) -> list[tuple[str, str]]:
        """URL parameters: named filters repeated, others as where=dim=v1,v2."""
        out: list[tuple[str, str]] = []
        if self.preset is not None:
            out.append(("range", self.preset))
        else:
            out += [(k, v.isoformat()) for k, v in (("from", self.start), ("to", self.end)) if v]
        for name, values in self.where:
            if name in FILTERS:
                out += [(name, v) for v in values]
            else:
                out.append(("where", f"{name}={','.join(values)}"))
        if self.clock != "calendar":
            out.append(("clock", self.clock))
        if self.anchor != "today" and self.preset not in (None, "all"):
            out.append(("anchor", self.anchor))
        out += [("variant", f"{name}={value}") for name, value in self.variants]
        return out + list(self.extra)

    def query_string(self) -> str:
        return urlencode(self.pairs())

    def api_query_string(self) -> str:
        """The URL parameters for the JSON API, whose preset ranges end on the data's last day
        unless told otherwise: the anchor is always stated."""
        pairs = self.pairs()
        if self.preset not in (None, "all") and self.anchor == "today":
            pairs.append(("anchor", "today"))
        return urlencode(pairs)

    def key(self) -> tuple[object, ...]:
        return (
            self.preset,
            self.start,
            self.end,
            self.where,
            self.clock,
            self.extra,
            self.anchor,
            self.variants,
        )


def parse_pairs(items: Iterable[str], option: str) -> dict[str, list[str]]:
    """`dim=v1,v2` items (the CLI's --where syntax) as dimension -> values (ParamError if malformed)."""
    try:
        return pairs.parse_pairs(items, option)
    except pairs.PairError as exc:
        raise ParamError(str(exc)) from None


def _date(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ParamError(f"{name} takes a date as YYYY-MM-DD; got {text!r}") from None
    if not EARLIEST <= value <= LATEST:
        raise ParamError(f"{name} must lie between {EARLIEST} and {LATEST}; got {text}")
    return value


def parse_view(
    params: Sequence[tuple[str, str]],
    extra_names: Sequence[str] = (),
    default_anchor: str = "today",
) -> View:
    """A View from query parameters (ParamError on a malformed one); `variant=NAME=VALUE` is read
    when "variant" is among `extra_names`."""
    single = {k: v for k, v in params}
    start, end = _date(single.get("from"), "from"), _date(single.get("to"), "to")
    if start and end and end < start:
        raise ParamError(f"to ({end}) is before from ({start})")
    preset = single.get("range") or None
    if preset is not None and preset not in PRESETS:
        raise ParamError(f"range takes one of {', '.join(PRESETS)}; got {preset!r}")
    if preset is None and not (start or end):
        preset = DEFAULT_PRESET
    elif start or end:
        preset = None
    where: dict[str, list[str]] = {}
    for name, value in params:
        if name in FILTERS and value:
            where.setdefault(name, []).append(value)
    for name, values in parse_pairs((v for k, v in params if k == "where" and v), "where").items():
        where.setdefault(name, []).extend(values)
    for name, values in where.items():
        if len(values) > MAX_VALUES:
            raise ParamError(f"filter {name} takes at most {MAX_VALUES} values")
    clock = single.get("clock") or "calendar"
    if clock not in ("calendar", "business"):
        raise ParamError(f"clock takes calendar or business; got {clock!r}")
    anchor = single.get("anchor") or default_anchor
    if anchor not in ANCHORS:
        raise ParamError(f"anchor takes today or data; got {anchor!r}")
    variants: dict[str, str] = {}
    if "variant" in extra_names:
        chosen = parse_pairs((v for k, v in params if k == "variant" and v), "variant")
        variants = {name: ",".join(values) for name, values in chosen.items()}
    extra = tuple(sorted((k, single[k]) for k in extra_names if single.get(k) and k != "variant"))
    return View(
        preset,
        start,
        end,
        tuple(sorted((k, tuple(dict.fromkeys(v))) for k, v in where.items())),
        clock,
        extra,
        anchor,
        tuple(sorted(variants.items())),
    )


def check_periods(start: date, end: date, period: str) -> None:
    """Refuse ranges that would split into more than MAX_PERIODS periods."""
    count = ((end - start).days + 1) / _PERIOD_DAYS[period]
    if count > MAX_PERIODS:
        raise ParamError(
            f"{start} to {end} by {period} is {count:,.0f} periods (at most {MAX_PERIODS:,}); "
            "pick a longer period or a shorter range"
        )


def auto_period(start: date, end: date) -> str:
    """A period giving a readable trend over the range."""
    days = (end - start).days + 1
    return "day" if days <= 45 else "week" if days <= 200 else "month"
