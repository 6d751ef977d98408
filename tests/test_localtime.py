"""Local wall time from UTC through the offsets table agrees with zoneinfo, DST changes included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmetrics.localtime import local_timestamp, offsets_table, utc_midnight

ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "UTC",
]
START, END = date(2023, 1, 1), date(2025, 12, 31)
con = ibis.duckdb.connect()


def _local(zone: str, instants: list[datetime]) -> list[datetime]:
    table = ibis.memtable({"i": list(range(len(instants))), "at": instants})
    result = con.execute(local_timestamp(table, {"local": "at"}, offsets_table(zone, START, END)))
    return [ts.to_pydatetime() for ts in result.sort_values("i")["local"]]


def _expected(zone: str, instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


@settings(max_examples=25, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    seconds=st.lists(st.integers(0, (END - START).days * 86_400), min_size=1, max_size=200),
)
def test_agrees_with_zoneinfo(zone: str, seconds: list[int]) -> None:
    instants = [datetime(2023, 1, 1) + timedelta(seconds=s) for s in seconds]
    assert _local(zone, instants) == [_expected(zone, i) for i in instants]


@pytest.mark.parametrize(
    ("zone", "utc", "local"),
    [
        ("America/New_York", datetime(2024, 3, 10, 6, 59, 59), datetime(2024, 3, 10, 1, 59, 59)),
        ("America/New_York", datetime(2024, 3, 10, 7, 0, 0), datetime(2024, 3, 10, 3, 0, 0)),
        ("America/New_York", datetime(2024, 11, 3, 5, 59, 59), datetime(2024, 11, 3, 1, 59, 59)),
        ("America/New_York", datetime(2024, 11, 3, 6, 0, 0), datetime(2024, 11, 3, 1, 0, 0)),
        ("America/St_Johns", datetime(2024, 3, 10, 5, 30, 0), datetime(2024, 3, 10, 3, 0, 0)),
        ("Asia/Kolkata", datetime(2024, 6, 30, 18, 30, 0), datetime(2024, 7, 1, 0, 0, 0)),
    ],
)
def test_around_changes(zone: str, utc: datetime, local: datetime) -> None:
    assert _local(zone, [utc]) == [local]


def test_outside_the_table_is_null() -> None:
    table = ibis.memtable({"at": [datetime(2030, 1, 1)]})
    result = con.execute(local_timestamp(table, {"local": "at"}, offsets_table("UTC", START, END)))
    assert result["local"].isna().all()


@settings(max_examples=50, deadline=None)
@given(
    zone=st.sampled_from([*ZONES, "America/Santiago"]),
    seconds=st.integers(0, (END - START).days * 86_400),
)
def test_each_instant_lies_between_its_local_days_utc_midnights(zone: str, seconds: int) -> None:
    # A filter on UTC against utc_midnight selects the rows whose local date is in range
    instant = datetime(2023, 1, 1) + timedelta(seconds=seconds)
    day = _expected(zone, instant).date()
    assert utc_midnight(day, zone) <= instant < utc_midnight(day + timedelta(days=1), zone)


@pytest.mark.parametrize(
    ("zone", "day", "utc"),
    [
        ("America/New_York", date(2024, 3, 10), datetime(2024, 3, 10, 5)),  # DST later that night
        ("America/New_York", date(2024, 11, 4), datetime(2024, 11, 4, 5)),
        ("America/Santiago", date(2024, 9, 8), datetime(2024, 9, 8, 4)),  # midnight skipped
        ("Asia/Kolkata", date(2024, 7, 1), datetime(2024, 6, 30, 18, 30)),
    ],
)
def test_utc_midnight(zone: str, day: date, utc: datetime) -> None:
    assert utc_midnight(day, zone) == utc
