"""Report periods: labels, dates, due times (send time local to the report's zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from supportmetrics.reports import latest_due, parse_period


@pytest.mark.parametrize(
    ("label", "cadence", "start", "end"),
    [
        ("2026-11-29", "daily", date(2026, 11, 29), date(2026, 11, 29)),
        ("2026-W47", "weekly", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-W01", "weekly", date(2025, 12, 29), date(2026, 1, 4)),  # ISO week 1 starts in 2025
        ("2024-02", "monthly", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", "monthly", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_labels_name_their_dates(label: str, cadence: str, start: date, end: date) -> None:
    period = parse_period(label, cadence)  # type: ignore[arg-type]
    assert (period.start, period.end, period.label) == (start, end, label)


def test_shifts_cross_years() -> None:
    assert parse_period("2026-01", "monthly").shift(-1).label == "2025-12"
    assert parse_period("2026-W01", "weekly").shift(-1).label == "2025-W52"
    assert parse_period("2026-03-01", "daily").shift(-1).label == "2026-02-28"
    assert parse_period("2026-11", "monthly").shift(-11).label == "2025-12"


@pytest.mark.parametrize(
    ("label", "cadence", "message"),
    [
        ("2026-W47", "daily", "looks like 2026-11-29"),
        ("2026-11", "weekly", "looks like 2026-W47"),
        ("2026-W54", "weekly", "looks like 2026-W47"),
        ("2026-13", "monthly", "looks like 2026-11"),
    ],
)
def test_a_wrong_label_shows_the_form(label: str, cadence: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_period(label, cadence)  # type: ignore[arg-type]


def test_due_at_is_local_send_time_the_day_after() -> None:
    week = parse_period("2026-W47", "weekly")
    assert week.due_at("08:00", "America/New_York").astimezone(UTC) == datetime(
        2026, 11, 23, 13, 0, tzinfo=UTC
    )
    # Berlin in summer is UTC+2
    assert parse_period("2026-07", "monthly").due_at("07:30", "Europe/Berlin").astimezone(
        UTC
    ) == datetime(2026, 8, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cadence", "now", "expected"),
    [
        # 12:59 UTC is 07:59 in New York: Sunday's issue is not due before 08:00
        ("daily", datetime(2026, 11, 30, 12, 59, tzinfo=UTC), "2026-11-28"),
        ("daily", datetime(2026, 11, 30, 13, 0, tzinfo=UTC), "2026-11-29"),
        ("weekly", datetime(2026, 11, 30, 12, 59, tzinfo=UTC), "2026-W47"),
        ("weekly", datetime(2026, 11, 30, 13, 0, tzinfo=UTC), "2026-W48"),
        ("monthly", datetime(2026, 12, 1, 12, 0, tzinfo=UTC), "2026-10"),
        ("monthly", datetime(2026, 12, 1, 13, 0, tzinfo=UTC), "2026-11"),
    ],
)
def test_latest_due(cadence: str, now: datetime, expected: str) -> None:
    assert latest_due(cadence, "08:00", "America/New_York", now).label == expected  # type: ignore[arg-type]
