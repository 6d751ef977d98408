"""Business hours: schedules, the calendar table and business seconds through DuckDB via Ibis.

Every business-seconds figure is computed by the Ibis engine and, where it helps, checked against a
plain-Python reference written independently below (it walks local days and converts wall times to
UTC with forward conversions only).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import holidays
import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import supportmetrics.calendar as calendar_module
from supportmetrics.calendar import (
    Schedule,
    business_instant,
    calendar_bounds,
    calendar_table,
    default_schedules,
    with_business_seconds,
)

H = 3600
UTC = dt.UTC
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = dict.fromkeys(WEEKDAY_KEYS)
ZONES = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)
PROPERTY = settings(max_examples=60, deadline=None)
STRUCTURAL = settings(max_examples=30, deadline=None)  # each example is one DuckDB query


@pytest.fixture(scope="module")
def con() -> ibis.BaseBackend:
    return ibis.duckdb.connect()


def every_day(*intervals: str) -> dict[str, list[str]]:
    return {day: list(intervals) for day in EVERY_DAY}


def weekdays(*intervals: str) -> dict[str, list[str]]:
    return {day: list(intervals) for day in WEEKDAY_KEYS[:5]}


# --- independent reference -------------------------------------------------------------------


def _wall_to_utc(wall: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Earliest instant whose wall-clock reading in ``tz`` is at or after ``wall``."""
    guess = wall.replace(tzinfo=UTC)
    offsets = {(guess + dt.timedelta(hours=h)).astimezone(tz).utcoffset() for h in (-16, 0, 16)}
    candidates = [guess - o for o in offsets]
    exact = [u for u in candidates if u.astimezone(tz).replace(tzinfo=None) == wall]
    if exact:
        return min(exact)
    lo, hi = int(min(candidates).timestamp()), int(max(candidates).timestamp())
    while lo < hi:  # a skipped wall time: find the instant the clock jumps past it
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid + 1
    return dt.datetime.fromtimestamp(lo, UTC)


def reference_intervals(
    schedule: Schedule, default_timezone: str, first: dt.date, last: dt.date
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Open UTC intervals of the local days ``first`` .. ``last``."""
    tz = ZoneInfo(schedule.timezone or default_timezone)
    closed = set(schedule.closed)
    if schedule.holidays:
        country, _, subdiv = schedule.holidays.partition("-")
        years = range(first.year, last.year + 1)
        closed |= set(holidays.country_holidays(country, subdiv=subdiv or None, years=years))
    out = []
    day = first
    while day <= last:
        if day not in closed:
            for text in schedule.hours.get(WEEKDAY_KEYS[day.weekday()], []):
                bounds = []
                for part in text.split("-"):
                    hh, mm = part.strip().split(":")
                    midnight = dt.datetime(day.year, day.month, day.day)
                    bounds.append(midnight + dt.timedelta(hours=int(hh), minutes=int(mm)))
                out.append((_wall_to_utc(bounds[0], tz), _wall_to_utc(bounds[1], tz)))
        day += dt.timedelta(days=1)
    return out


def reference_between(
    intervals: Sequence[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> int:
    if end < start:
        return -reference_between(intervals, end, start)
    a, b = start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
    return sum(max(0, int((min(e, b) - max(s, a)).total_seconds())) for s, e in intervals)


def business_seconds_reference(
    schedule: Schedule, start: dt.datetime, end: dt.datetime, default_timezone: str
) -> int:
    """Business seconds from ``start`` to ``end`` (naive UTC), negative if end is earlier."""
    lo, hi = min(start, end).date(), max(start, end).date()
    margin = dt.timedelta(days=2)
    intervals = reference_intervals(schedule, default_timezone, lo - margin, hi + margin)
    return reference_between(intervals, start, end)


# --- running the engine ----------------------------------------------------------------------


def engine(
    con: ibis.BaseBackend,
    schedules: Mapping[str, Schedule],
    pairs: Sequence[tuple[dt.datetime | None, dt.datetime | None]],
    default_timezone: str = "UTC",
    schedule_ids: Sequence[str | None] | None = None,
    calendar_range: tuple[dt.date, dt.date] | None = None,
) -> list[int | None]:
    """Business seconds for each (start, end), all in one query."""
    if calendar_range is None:
        dates = [t.date() for pair in pairs for t in pair if t is not None]
        calendar_range = (min(dates), max(dates))
    cal = calendar_table(schedules, *calendar_range, default_timezone)
    columns = {
        "i": pa.array(range(len(pairs)), pa.int64()),
        "a": pa.array([p[0] for p in pairs], pa.timestamp("us")),
        "b": pa.array([p[1] for p in pairs], pa.timestamp("us")),
    }
    kwargs: dict = {}
    if schedule_ids is not None:
        columns["schedule_id"] = pa.array(schedule_ids, pa.string())
        kwargs["schedule_column"] = "schedule_id"
    else:
        kwargs["schedule"] = next(iter(schedules))
    expr = with_business_seconds(
        ibis.memtable(pa.table(columns)), {"s": ("a", "b")}, ibis.memtable(cal), **kwargs
    )
    return con.to_pyarrow(expr.order_by("i"))["s"].to_pylist()


def one(con, schedule: Schedule, start, end, default_timezone: str = "UTC") -> int | None:
    return engine(con, {"x": schedule}, [(start, end)], default_timezone)[0]


def local(tz: str, *args: int) -> dt.datetime:
    """A local wall time in ``tz`` as naive UTC (first occurrence if repeated)."""
    return dt.datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


# --- golden cases (DESIGN.md) ----------------------------------------------------------------


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_golden_christmas_weekend(con, tz):
    schedule = Schedule(hours={**weekdays("09:00-17:00"), "sat": ["10:00-15:00"]}, timezone=tz)
    start, end = local(tz, 2010, 12, 24, 15), local(tz, 2010, 12, 27, 11)
    assert one(con, schedule, start, end) == 9 * H
    assert business_seconds_reference(schedule, start, end, "UTC") == 9 * H


def test_golden_christmas_weekend_with_us_holidays(con):
    # Christmas 2010 is a Saturday, observed on Friday 24 Dec: both days closed, only Mon 2 h.
    schedule = Schedule(hours={**weekdays("09:00-17:00"), "sat": ["10:00-15:00"]}, holidays="US")
    assert one(con, schedule, dt.datetime(2010, 12, 24, 15), dt.datetime(2010, 12, 27, 11)) == 2 * H


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Tokyo", "Australia/Sydney"])
def test_golden_overnight_gap(con, tz):
    schedule = Schedule(hours=every_day("08:00-20:00"))
    start, end = local(tz, 2024, 1, 8, 20, 50), local(tz, 2024, 1, 9, 8, 10)
    assert one(con, schedule, start, end, default_timezone=tz) == 10 * 60


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_golden_thanksgiving(con, tz):
    schedule = Schedule(hours=weekdays("09:00-17:00"), holidays="US")
    assert holidays.US(years=2016).get(dt.date(2016, 11, 25)) is None  # Friday stays open
    start, end = local(tz, 2016, 11, 21, 14), local(tz, 2016, 12, 1, 11)
    assert one(con, schedule, start, end, default_timezone=tz) == 53 * H
    assert business_seconds_reference(schedule, start, end, tz) == 53 * H


# --- hypothesis: against the reference and structurally --------------------------------------

QUARTER_HOURS = st.integers(0, 96).map(lambda q: q * 15)
# Interval bounds in minutes, often in the small hours where clocks change.
BOUNDS = st.one_of(st.integers(0, 16).map(lambda q: q * 15), QUARTER_HOURS)


@st.composite
def day_intervals(draw) -> list[str]:
    bounds = sorted(draw(st.sets(BOUNDS, max_size=6)))
    bounds = bounds[: len(bounds) // 2 * 2]
    return [f"{_hhmm(s)}-{_hhmm(e)}" for s, e in zip(bounds[::2], bounds[1::2], strict=True)]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def schedules(draw) -> Schedule:
    hours = {day: draw(day_intervals()) for day in WEEKDAY_KEYS if draw(st.booleans())}
    closed = draw(st.lists(st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), max_size=5))
    return Schedule(
        timezone=draw(st.sampled_from(ZONES)),
        hours=hours,
        holidays=draw(st.sampled_from([None, "US", "US-CA", "DE-BY", "JP", "AU-NSW"])),
        closed=closed,
    )


# Windows around the 2024 daylight-saving changes of ZONES, and around a new year.
WINDOWS = (
    (dt.date(2024, 2, 25), dt.date(2024, 4, 15)),
    (dt.date(2024, 9, 25), dt.date(2024, 11, 15)),
    (dt.date(2023, 12, 10), dt.date(2024, 1, 20)),
)


@st.composite
def instants(draw, window: tuple[dt.date, dt.date]) -> dt.datetime:
    day = draw(st.dates(*window))
    second = draw(st.one_of(st.integers(0, 86_399), QUARTER_HOURS.map(lambda m: m * 60 % 86_400)))
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=second)


@st.composite
def spans(draw, window: tuple[dt.date, dt.date]) -> tuple[dt.datetime, dt.datetime]:
    start = draw(instants(window))
    length = draw(st.one_of(st.integers(0, 3 * 86_400), st.integers(0, 30 * 86_400)))
    return start, start + dt.timedelta(seconds=length)


def in_a_window(strategy, **kwargs):
    """Lists of ``strategy(window)`` drawn from one window, so the calendar stays short."""
    return st.sampled_from(WINDOWS).flatmap(lambda w: st.lists(strategy(w), **kwargs))


@PROPERTY
@given(
    team_schedules=st.lists(schedules(), min_size=1, max_size=3),
    rows=in_a_window(lambda w: st.tuples(st.integers(0, 2), spans(w)), min_size=1, max_size=30),
)
def test_matches_reference_and_never_exceeds_calendar_time(con, team_schedules, rows):
    named = {f"team{i}": s for i, s in enumerate(team_schedules)}
    ids = [f"team{i % len(team_schedules)}" for i, _ in rows]
    pairs = [pair for _, pair in rows]
    got = engine(con, named, pairs, schedule_ids=ids)
    first = min(a for a, _ in pairs).date() - dt.timedelta(days=2)
    last = max(b for _, b in pairs).date() + dt.timedelta(days=2)
    intervals = {k: reference_intervals(s, "UTC", first, last) for k, s in named.items()}
    for sid, (a, b), value in zip(ids, pairs, got, strict=True):
        assert value == reference_between(intervals[sid], a, b), (sid, a, b)
        assert 0 <= value <= (b - a).total_seconds()


@STRUCTURAL
@given(
    schedule=schedules(),
    triples=in_a_window(
        lambda w: st.lists(instants(w), min_size=3, max_size=3), min_size=1, max_size=20
    ),
)
def test_additive_and_antisymmetric(con, schedule, triples):
    triples = [sorted(t) for t in triples]
    pairs = [(a, b) for a, b, _ in triples] + [(b, c) for _, b, c in triples]
    pairs += [(a, c) for a, _, c in triples] + [(b, a) for a, b, _ in triples]
    got = engine(con, {"s": schedule}, pairs)
    n = len(triples)
    ab, bc, ac, ba = got[:n], got[n : 2 * n], got[2 * n : 3 * n], got[3 * n :]
    for i in range(n):
        assert ac[i] == ab[i] + bc[i]
        assert ba[i] == -ab[i]


ALWAYS_OPEN = {tz: Schedule(timezone=tz, hours=every_day("00:00-24:00")) for tz in ZONES}


@STRUCTURAL
@given(pairs=in_a_window(spans, min_size=1, max_size=10))
def test_always_open_equals_calendar_time_in_every_zone(con, pairs):
    rows = [(tz, pair) for tz in ZONES for pair in pairs]
    got = engine(con, ALWAYS_OPEN, [p for _, p in rows], schedule_ids=[tz for tz, _ in rows])
    assert got == [int((b - a).total_seconds()) for _, (a, b) in rows]


def _transition_days(tz: str, year: int = 2024) -> list[dt.date]:
    zone = ZoneInfo(tz)
    day, out = dt.date(year, 1, 1), []
    while day.year == year:
        noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        if noon.utcoffset() != (noon + dt.timedelta(days=1)).utcoffset():
            out.append(day + dt.timedelta(days=1))  # transitions happen in the small hours
        day += dt.timedelta(days=1)
    return out


DST_DAYS = [(tz, d) for tz in ZONES for d in _transition_days(tz)]


@PROPERTY
@given(
    case=st.sampled_from(DST_DAYS),
    bounds=st.lists(BOUNDS, min_size=2, max_size=6, unique=True),
)
def test_dst_transition_days(con, case, bounds):
    """On clock-change days: as the reference says, and as long as the wall clock says once
    every interval starts after the small-hours jump."""
    tz, day = case
    bounds = sorted(bounds)[: len(bounds) // 2 * 2]
    hours = [f"{_hhmm(s)}-{_hhmm(e)}" for s, e in zip(bounds[::2], bounds[1::2], strict=True)]
    schedule = Schedule(timezone=tz, hours=every_day(*hours))
    start = local(tz, day.year, day.month, day.day)
    end = local(tz, *(day + dt.timedelta(days=1)).timetuple()[:3])
    noon_before = start - dt.timedelta(hours=12)
    pairs = [(start, end), (noon_before, end + dt.timedelta(hours=12))]
    got = engine(con, {"s": schedule}, pairs)
    assert got == [business_seconds_reference(schedule, a, b, "UTC") for a, b in pairs]
    if min(bounds, default=24 * 60) >= 4 * 60:
        assert got[0] == sum(e - s for s, e in zip(bounds[::2], bounds[1::2], strict=True)) * 60


@st.composite
def closed_days(draw) -> tuple[Schedule, dt.date]:
    """A schedule and one of its closed local days: a holiday, a `closed` date or a weekend."""
    tz = draw(st.sampled_from(ZONES))
    hours = {day: draw(day_intervals()) for day in WEEKDAY_KEYS[:5]}
    hours = {day: iv or ["00:00-24:00"] for day, iv in hours.items()}
    kind = draw(st.sampled_from(["holiday", "closed", "weekend"]))
    if kind == "holiday":
        day = draw(st.sampled_from(sorted(holidays.US(years=2024))))
        return Schedule(timezone=tz, hours=hours, holidays="US"), day
    if kind == "closed":
        day = draw(st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
        return Schedule(timezone=tz, hours=every_day("00:00-24:00"), closed=[day]), day
    day = draw(
        st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)).filter(lambda d: d.weekday() > 4)
    )
    return Schedule(timezone=tz, hours=hours), day


@STRUCTURAL
@given(
    cases=st.lists(closed_days(), min_size=1, max_size=3),
    cuts=st.lists(st.integers(0, 86_400), min_size=2, max_size=6),
)
def test_zero_across_closed_days(con, cases, cuts):
    named, ids, pairs = {}, [], []
    for i, (schedule, day) in enumerate(cases):
        named[f"s{i}"] = schedule
        tz = ZoneInfo(schedule.timezone)
        midnight = _wall_to_utc(dt.datetime(day.year, day.month, day.day), tz)
        next_day = day + dt.timedelta(days=1)
        next_midnight = _wall_to_utc(dt.datetime(next_day.year, next_day.month, next_day.day), tz)
        length = int((next_midnight - midnight).total_seconds())
        points = [midnight + dt.timedelta(seconds=min(c, length)) for c in cuts]
        points = [p.replace(tzinfo=None) for p in [*points, midnight, next_midnight]]
        pairs += [(a, b) for a in points for b in points]
        ids += [f"s{i}"] * len(points) ** 2
    assert set(engine(con, named, pairs, schedule_ids=ids)) == {0}


# --- daylight saving time --------------------------------------------------------------------

NY = "America/New_York"


@pytest.mark.parametrize(
    ("hours", "day", "expected"),
    [
        ("09:00-17:00", dt.date(2024, 3, 10), 8 * H),  # spring forward: 02:00 -> 03:00
        ("09:00-17:00", dt.date(2024, 11, 3), 8 * H),  # fall back: 02:00 -> 01:00
        ("00:00-24:00", dt.date(2024, 3, 10), 23 * H),
        ("00:00-24:00", dt.date(2024, 11, 3), 25 * H),
        ("01:00-03:00", dt.date(2024, 3, 10), 1 * H),
        ("01:00-03:00", dt.date(2024, 11, 3), 3 * H),  # 01:00 EDT .. 03:00 EST
        ("02:30-03:30", dt.date(2024, 3, 10), 30 * 60),  # 02:30 does not exist: opens at 03:00
        ("02:00-03:00", dt.date(2024, 3, 10), 0),  # wholly skipped
        ("01:30-02:00", dt.date(2024, 11, 3), 90 * 60),  # from the first 01:30 (EDT)
    ],
)
def test_dst_days(con, hours, day, expected):
    schedule = Schedule(timezone=NY, hours=every_day(hours))
    start = local(NY, day.year, day.month, day.day)
    end = local(NY, day.year, day.month, day.day + 1)  # the whole local day
    got = engine(con, {"ny": schedule}, [(start, end)])
    assert got == [expected]
    assert business_seconds_reference(schedule, start, end, "UTC") == expected


def test_dst_week_of_office_hours_is_five_days(con):
    schedule = Schedule(timezone=NY)
    for monday in (dt.date(2024, 3, 4), dt.date(2024, 3, 11), dt.date(2024, 10, 28)):
        start = local(NY, monday.year, monday.month, monday.day)
        end = start + dt.timedelta(days=7)
        assert one(con, schedule, start, end) == 5 * 8 * H


# --- split shifts, UTC midnight, 24:00 -------------------------------------------------------


def test_split_shift(con):
    schedule = Schedule(hours={"tue": ["09:00-12:00", "13:00-17:00"]})
    tue = dt.datetime(2024, 1, 9)
    cases = [
        (tue, tue + dt.timedelta(days=1), 7 * H),
        (tue.replace(hour=11), tue.replace(hour=14), 2 * H),
        (tue.replace(hour=12, minute=15), tue.replace(hour=12, minute=45), 0),
        (tue.replace(hour=12, minute=30), tue.replace(hour=13, minute=30), 30 * 60),
    ]
    got = engine(con, {"s": schedule}, [(a, b) for a, b, _ in cases])
    assert got == [c[2] for c in cases]
    cal = calendar_table({"s": schedule}, tue.date(), tue.date(), "UTC").to_pylist()
    row = next(r for r in cal if r["day"] == tue.date())
    assert (row["open_0"], row["len_0"], row["open_1"], row["len_1"]) == (
        9 * H,
        3 * H,
        13 * H,
        4 * H,
    )


def test_local_day_straddling_utc_midnight_tokyo(con):
    # 08:00-10:00 JST is 23:00-01:00 UTC: the open interval is cut at UTC midnight.
    schedule = Schedule(timezone="Asia/Tokyo", hours={"mon": ["08:00-10:00"]})
    cal = calendar_table({"t": schedule}, dt.date(2024, 1, 7), dt.date(2024, 1, 8), "UTC")
    rows = {r["day"]: r for r in cal.to_pylist()}
    sunday, monday = rows[dt.date(2024, 1, 7)], rows[dt.date(2024, 1, 8)]
    assert (sunday["open_0"], sunday["len_0"]) == (23 * H, H)
    assert (monday["open_0"], monday["len_0"]) == (0, H)
    assert monday["cum_before"] == sunday["cum_before"] + H
    pairs = [
        (dt.datetime(2024, 1, 7, 23, 30), dt.datetime(2024, 1, 8, 0, 30)),
        (dt.datetime(2024, 1, 7, 12), dt.datetime(2024, 1, 8, 12)),
    ]
    assert engine(con, {"t": schedule}, pairs) == [H, 2 * H]


def test_local_day_straddling_utc_midnight_los_angeles(con):
    # Evenings 15:00-24:00 (22:00/23:00-07:00/08:00 UTC) plus mornings 00:00-02:00, PST and PDT.
    schedule = Schedule(
        timezone="America/Los_Angeles",
        hours={
            "mon": ["15:00-24:00"],
            "tue": ["00:00-02:00", "15:00-24:00"],
            "wed": ["00:00-02:00"],
        },
    )
    for month in (1, 7):  # 2024-01-08 and 2024-07-08 are Mondays
        mon = local("America/Los_Angeles", 2024, month, 8)
        pairs = [
            (mon, mon + dt.timedelta(days=3)),
            (mon + dt.timedelta(hours=23), mon + dt.timedelta(hours=25)),
        ]
        assert engine(con, {"la": schedule}, pairs) == [22 * H, 2 * H]


def test_end_of_day_24_00(con):
    schedule = Schedule(hours={"mon": ["22:00-24:00"], "tue": ["00:00-01:00"]})
    mon = dt.datetime(2024, 1, 8)
    pairs = [
        (mon, mon + dt.timedelta(days=2)),
        (mon.replace(hour=23), mon.replace(hour=23) + dt.timedelta(hours=1)),
    ]
    assert engine(con, {"s": schedule}, pairs) == [3 * H, H]
    cal = calendar_table({"s": schedule}, mon.date(), mon.date(), "UTC")
    assert cal.column_names[-2:] == ["open_0", "len_0"]  # touching pieces need no second slot


def test_always_open_in_los_angeles_needs_one_slot():
    schedule = Schedule(
        timezone="America/Los_Angeles", hours=every_day("00:00-12:00", "12:00-24:00")
    )
    cal = calendar_table({"s": schedule}, dt.date(2024, 1, 1), dt.date(2024, 12, 31), "UTC")
    assert [c for c in cal.column_names if c.startswith("len_")] == ["len_0"]
    assert set(cal["len_0"].to_pylist()) == {86_400}


@pytest.mark.parametrize(
    ("tz", "hours"),
    [
        ("Pacific/Kiritimati", "00:00-04:00"),  # UTC+14: 10:00-14:00 UTC of the day before
        ("Pacific/Pago_Pago", "20:00-24:00"),  # UTC-11: 07:00-11:00 UTC of the day after
    ],
)
def test_first_and_last_rows_carry_neighbouring_local_days(tz, hours):
    cal = calendar_table(
        {"s": Schedule(timezone=tz, hours=every_day(hours))},
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 5),
        "UTC",
    )
    assert cal["len_0"].to_pylist() == [4 * H] * 7
    assert cal["cum_before"].to_pylist() == [i * 4 * H for i in range(7)]


# --- schedules per team, nulls, range --------------------------------------------------------


def test_schedule_per_team(con):
    schedules = {
        "default": Schedule(),
        "tokyo": Schedule(timezone="Asia/Tokyo", hours=every_day("09:00-18:00")),
    }
    fri = dt.datetime(2024, 1, 5)
    a, b = fri, fri + dt.timedelta(days=3)  # Fri 00:00 UTC .. Mon 00:00 UTC
    got = engine(
        con,
        schedules,
        [(a, b), (a, b), (a, b), (a, b)],
        default_timezone="America/New_York",
        schedule_ids=["default", "tokyo", None, "nope"],
    )
    # default: Fri 09-17 EST; tokyo: Fri, Sat, Sun 09-18 JST and Mon 09:00 JST is Mon 00:00 UTC.
    assert got == [8 * H, 3 * 9 * H, None, None]


def test_schedule_literal_and_expression(con):
    schedules = {"default": Schedule(), "night": Schedule(hours=weekdays("00:00-09:00"))}
    cal = ibis.memtable(calendar_table(schedules, dt.date(2024, 1, 1), dt.date(2024, 1, 31), "UTC"))
    t = ibis.memtable(
        pa.table(
            {
                "i": [0, 1],
                "vip": [True, False],
                "a": [dt.datetime(2024, 1, 8)] * 2,
                "b": [dt.datetime(2024, 1, 9)] * 2,
            }
        )
    )
    pairs = {"s": ("a", "b")}
    by_expr = with_business_seconds(t, pairs, cal, schedule=ibis.ifelse(t.vip, "night", "default"))
    assert con.to_pyarrow(by_expr.order_by("i"))["s"].to_pylist() == [9 * H, 8 * H]
    literal = with_business_seconds(t, pairs, cal, schedule="night")
    assert con.to_pyarrow(literal.order_by("i"))["s"].to_pylist() == [9 * H, 9 * H]
    default = with_business_seconds(t, pairs, cal)
    assert con.to_pyarrow(default.order_by("i"))["s"].to_pylist() == [8 * H, 8 * H]
    assert by_expr.columns == ("i", "vip", "a", "b", "s")


def test_several_pairs_in_one_query_and_nulls(con):
    cal = calendar_table(default_schedules(), dt.date(2024, 1, 1), dt.date(2024, 1, 31), "UTC")
    mon = dt.datetime(2024, 1, 8, 10)
    tickets = pa.table(
        {
            "id": [1, 2, 3],
            "schedule_id": ["default", "default", "default"],
            "created_at": pa.array([mon, mon, None], pa.timestamp("us")),
            "first_reply_at": pa.array(
                [mon + dt.timedelta(hours=1), None, mon], pa.timestamp("us")
            ),
            "solved_at": pa.array([mon + dt.timedelta(days=1), None, None], pa.timestamp("us")),
        }
    )
    expr = with_business_seconds(
        ibis.memtable(tickets),
        {
            "frt_business": ("created_at", "first_reply_at"),
            "resolution_business": ("created_at", "solved_at"),
        },
        calendar=ibis.memtable(cal),
        schedule_column="schedule_id",
    )
    rows = con.to_pyarrow(expr.order_by("id")).to_pylist()
    assert [(r["frt_business"], r["resolution_business"]) for r in rows] == [
        (H, 8 * H),
        (None, None),
        (None, None),
    ]
    assert expr.schema()["frt_business"] == ibis.dtype("int64")
    sql = ibis.to_sql(expr, dialect="duckdb").upper()
    assert " OVER " not in sql and "ASOF" not in sql
    assert sql.count("LEFT OUTER JOIN") == 3  # one per distinct timestamp column


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "pyspark"])
def test_compiles_to_plain_equi_joins(dialect):
    cal = calendar_table(default_schedules(), dt.date(2024, 1, 1), dt.date(2024, 1, 2), "UTC")
    t = ibis.table({"schedule_id": "string", "a": "timestamp", "b": "timestamp"}, name="t")
    expr = with_business_seconds(t, {"s": ("a", "b")}, cal, schedule_column="schedule_id")
    sql = ibis.to_sql(expr, dialect=dialect).upper()
    assert sql.count("LEFT OUTER JOIN") == 2
    assert " OVER " not in sql and "ASOF" not in sql and "BETWEEN" not in sql


def test_business_instant(con):
    cal = calendar_table(default_schedules(), dt.date(2024, 1, 1), dt.date(2024, 1, 31), "UTC")
    t = ibis.memtable(
        pa.table({"ts": pa.array([dt.datetime(2024, 1, 8, 10), None], pa.timestamp("us"))})
    )
    out = business_instant(t, "ts", cal)  # a pyarrow calendar is accepted too
    assert out.columns == ("ts", "F_ts")
    values = con.to_pyarrow(out)["F_ts"].to_pylist()
    # Origin is 2023-12-31 00:00 UTC: Mon 1 Jan .. Fri 5 Jan, then Mon 8 Jan 09:00-10:00.
    assert sorted(values, key=lambda v: v is None) == [5 * 8 * H + H, None]
    named = business_instant(t, "ts", cal, name="f")
    assert named.columns == ("ts", "f")


def test_timestamps_outside_the_calendar_are_null(con):
    inside = dt.datetime(2024, 1, 10, 12)
    pairs = [
        (inside, dt.datetime(2024, 1, 31, 23, 59, 59)),  # 30 Jan .. 1 Feb is covered
        (inside, dt.datetime(2024, 2, 1, 23, 59, 59)),
        (inside, dt.datetime(2024, 2, 2)),  # outside
        (dt.datetime(2024, 1, 1), inside),  # 1 Jan = start - 1 day is covered
        (dt.datetime(2023, 12, 31, 23), inside),  # outside
    ]
    got = engine(
        con,
        {"s": Schedule()},
        pairs,
        calendar_range=(dt.date(2024, 1, 2), dt.date(2024, 1, 31)),
    )
    assert [v is None for v in got] == [False, False, True, False, True]


def test_calendar_bounds(con):
    t = ibis.memtable(
        pa.table(
            {
                "a": pa.array([dt.datetime(2024, 3, 1, 5), None], pa.timestamp("us")),
                "b": pa.array([None, dt.datetime(2024, 4, 2, 23)], pa.timestamp("us")),
            }
        )
    )
    assert calendar_bounds(t, ["a", "b"]) == (dt.date(2024, 3, 1), dt.date(2024, 4, 2))
    assert calendar_bounds(t.filter(t.a.isnull() & t.b.isnull()), ["a"]) is None


def test_negative_when_end_before_start(con):
    a, b = dt.datetime(2024, 1, 8, 9), dt.datetime(2024, 1, 8, 12)
    assert engine(con, {"s": Schedule()}, [(b, a)]) == [-3 * H]


# --- the calendar table ----------------------------------------------------------------------


def test_calendar_table_shape():
    schedules = {"b": Schedule(hours={"mon": ["09:00-12:00", "13:00-17:00"]}), "a": Schedule()}
    cal = calendar_table(schedules, dt.date(2024, 1, 1), dt.date(2024, 1, 10), "America/New_York")
    assert cal.schema == pa.schema(
        [
            ("schedule_id", pa.string()),
            ("day", pa.date32()),
            ("epoch_day", pa.int64()),
            ("cum_before", pa.int64()),
            ("open_0", pa.int64()),
            ("len_0", pa.int64()),
            ("open_1", pa.int64()),
            ("len_1", pa.int64()),
        ]
    )
    assert cal.num_rows == 2 * 12  # 31 Dec .. 11 Jan per schedule
    rows = cal.to_pylist()
    assert [r["schedule_id"] for r in rows] == ["a"] * 12 + ["b"] * 12
    assert rows[0]["day"] == dt.date(2023, 12, 31) and rows[-1]["day"] == dt.date(2024, 1, 11)
    for r in rows:
        assert r["epoch_day"] == (r["day"] - dt.date(1970, 1, 1)).days
    for sid in "ab":
        mine = [r for r in rows if r["schedule_id"] == sid]
        assert mine[0]["cum_before"] == 0
        for prev, row in itertools.pairwise(mine):
            assert row["cum_before"] == prev["cum_before"] + prev["len_0"] + prev["len_1"]


def test_calendar_table_arguments():
    with pytest.raises(ValueError, match="at least one schedule"):
        calendar_table({}, dt.date(2024, 1, 1), dt.date(2024, 1, 2), "UTC")
    with pytest.raises(ValueError, match="before start"):
        calendar_table(default_schedules(), dt.date(2024, 1, 2), dt.date(2024, 1, 1), "UTC")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        calendar_table(default_schedules(), dt.date(2024, 1, 1), dt.date(2024, 1, 2), "Mars/Base")


def test_not_a_calendar_table():
    t = ibis.memtable(pa.table({"a": [dt.datetime(2024, 1, 1)]}))
    with pytest.raises(ValueError, match="not a calendar table"):
        with_business_seconds(t, {"s": ("a", "a")}, pa.table({"x": [1]}))


# --- the Schedule model ----------------------------------------------------------------------


def test_schedule_defaults():
    schedule = Schedule()
    assert schedule.hours == weekdays("09:00-17:00")
    assert schedule.timezone is None and schedule.holidays is None and schedule.closed == []
    assert default_schedules() == {"default": Schedule()}


def test_schedule_from_toml_like_data():
    schedule = Schedule.model_validate(
        {
            "holidays": "us",
            "closed": ["2024-12-24"],
            "hours": {"mon": ["09:00-17:00"], "tue": ["09:00-12:00", "13:00-17:00"], "sun": []},
        }
    )
    assert schedule.holidays == "US"
    assert schedule.closed == [dt.date(2024, 12, 24)]
    assert schedule.weekly_intervals() == {0: [(540, 1020)], 1: [(540, 720), (780, 1020)]}
    assert Schedule(holidays="de-BY").holidays == "DE-BY"
    assert Schedule(hours={"fri": ["18:00-24:00"]}).weekly_intervals() == {4: [(1080, 1440)]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hours": {"monday": ["09:00-17:00"]}}, "unknown weekday 'monday'"),
        ({"hours": {"mon": ["9-17"]}}, "mon: bad interval '9-17': expected 'HH:MM-HH:MM'"),
        ({"hours": {"mon": ["09:00-25:00"]}}, "end must be a time from 00:01 to 24:00"),
        ({"hours": {"mon": ["24:00-24:00"]}}, "start must be a time from 00:00 to 23:59"),
        ({"hours": {"mon": ["09:60-10:00"]}}, "start must be a time"),
        ({"hours": {"mon": ["17:00-09:00"]}}, "end must be after start"),
        ({"hours": {"mon": ["09:00-09:00"]}}, "end must be after start"),
        (
            {"hours": {"tue": ["13:00-17:00", "09:00-13:30"]}},
            "tue: intervals '09:00-13:30' and '13:00-17:00' overlap",
        ),
        ({"timezone": "America/NewYork"}, "unknown time zone 'America/NewYork'"),
        ({"holidays": "XX"}, "unknown holidays country 'XX'"),
        ({"holidays": "US-ZZ"}, "unknown subdivision 'ZZ' of holidays country 'US'"),
        ({"timzone": "UTC"}, "Extra inputs are not permitted"),
        ({"closed": ["2024-02-30"]}, "closed"),
    ],
)
def test_schedule_validation_errors(data, message):
    with pytest.raises(ValidationError, match=message):
        Schedule.model_validate(data)


def test_touching_intervals_are_allowed(con):
    schedule = Schedule(hours={"mon": ["09:00-12:00", "12:00-17:00"]})
    assert one(con, schedule, dt.datetime(2024, 1, 8), dt.datetime(2024, 1, 9)) == 8 * H


def test_public_api():
    assert set(calendar_module.__all__) == {
        "DEFAULT_SCHEDULE_ID",
        "WEEKDAYS",
        "Schedule",
        "Weekday",
        "business_instant",
        "calendar_bounds",
        "minutes_table",
        "schedule_of_team",
        "with_business_due",
        "calendar_table",
        "default_schedules",
        "local_to_utc",
        "parse_interval",
        "with_business_seconds",
    }


@pytest.mark.parametrize(
    ("start", "budget", "due"),
    [
        # New York winter (UTC-5); Mon 09-17, Tue 09-12 and 13-17, Fri 09-17.
        (dt.datetime(2024, 1, 1, 13, 0), H, dt.datetime(2024, 1, 1, 15, 0)),  # before opening
        (dt.datetime(2024, 1, 1, 21, 30), 2 * H, dt.datetime(2024, 1, 2, 15, 30)),  # overnight
        (dt.datetime(2024, 1, 2, 16, 30), 4 * H, dt.datetime(2024, 1, 2, 21, 30)),  # lunch break
        (dt.datetime(2024, 1, 2, 22, 30), 90, dt.datetime(2024, 1, 5, 14, 1, 30)),  # skips Wed-Thu
    ],
)
def test_business_due_times(con, start, budget, due):
    schedules = {
        "default": Schedule(
            hours={
                "mon": ["09:00-17:00"],
                "tue": ["09:00-12:00", "13:00-17:00"],
                "fri": ["09:00-17:00"],
            }
        )
    }
    cal = calendar_table(schedules, dt.date(2023, 12, 1), dt.date(2024, 2, 1), "America/New_York")
    rows = ibis.memtable({"start": [start], "budget": [budget], "s": ["default"]})
    result = con.to_pyarrow(
        calendar_module.with_business_due(
            rows,
            {"due": ("start", "budget")},
            ibis.memtable(cal),
            ibis.memtable(calendar_module.minutes_table(cal)),
            schedule_column="s",
        )
    )
    assert result.column("due").to_pylist() == [due]
