"""The pandas reference metrics against numbers worked out by hand.

The fixture is eleven tickets in January/February 2024 (all timestamps naive UTC). In January New York
is UTC-5, so NY local = UTC - 5 h. Weeks start Monday: Jan 1, 8, 15, 22, 29, Feb 5.

| ticket | created (UTC)  | NY week | what it covers                                                     |
|--------|----------------|---------|--------------------------------------------------------------------|
| T1     | Tue 01-02 10:00 | 01-01  | no reply yet; no status events, no solved_at: unsolved throughout   |
| T2     | Wed 01-03 12:00 | 01-01  | agent reply at 11:00 (before creation: ignored) and 12:05; solved   |
| T3     | Mon 01-08 09:00 | 01-08  | reopened twice, solved -> closed in between; stale solved_at        |
| T4     | Tue 01-09 15:00 | 01-08  | agent-created; no status events, solved_at only                    |
| T5     | Wed 01-10 10:00 | 01-08  | bot-only reply; solved; created_by null (-> customer)              |
| T6     | Thu 01-11 14:00 | 01-08  | internal note only; only a non-status event: unsolved              |
| T7     | Thu 01-11 20:00 | 01-08  | automated auto-reply only; solved, then reopened, still open       |
| T8     | Fri 01-12 08:00 | 01-08  | solved without any reply                                           |
| T9     | Mon 01-15 10:00 | 01-15  | no status events: solved_at and closed_at (3 days later)           |
| T10    | Mon 01-29 03:00 | 01-22  | = Sun 01-28 22:00 in NY: NY week 01-22 but UTC week 01-29          |
| T11    | Tue 02-06 12:00 | 02-05  | an ordinary one-touch ticket after a week (NY 01-29) with no tickets |
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.reference.pandas_metrics import (
    backlog,
    first_contact_resolution,
    first_response_time,
    period_start,
    reopen_rate,
    resolution_time,
    status_history,
    ticket_facts,
)

NY = "America/New_York"
H = 3600
DAY = 24 * H


def ts(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text) if text else pd.NaT


def frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


def timestamps(df: pd.DataFrame, *names: str) -> pd.DataFrame:
    return df.assign(**{n: pd.to_datetime(df[n]) for n in names})


TICKETS = timestamps(
    frame(
        "ticket_id created_at channel status priority team created_by solved_at closed_at",
        [
            ("T1", "2024-01-02 10:00", "email", "open", "normal", "a", "customer", None, None),
            ("T2", "2024-01-03 12:00", "chat", "solved", "high", "a", "customer", None, None),
            # solved_at is stale (the first solve): T3 has status events, so it is ignored.
            ("T3", "2024-01-08 09:00", "email", "solved", "low", "b", "customer", "2024-01-08 10:00", None),
            ("T4", "2024-01-09 15:00", "email", "solved", None, "b", "agent", "2024-01-10 15:00", None),
            ("T5", "2024-01-10 10:00", "chat", "solved", "normal", None, None, None, None),
            ("T6", "2024-01-11 14:00", "email", "open", "high", "a", "customer", None, None),
            ("T7", "2024-01-11 20:00", "email", "open", "normal", "a", "customer", None, None),
            ("T8", "2024-01-12 08:00", "web", "solved", "normal", "a", "customer", None, None),
            ("T9", "2024-01-15 10:00", "phone", "closed", "urgent", "b", "customer", "2024-01-15 11:00", "2024-01-18 11:00"),
            ("T10", "2024-01-29 03:00", "chat", "open", "normal", "a", "customer", None, None),
            ("T11", "2024-02-06 12:00", "sms", "solved", "normal", "b", "customer", None, None),
        ],
    ),
    "created_at",
    "solved_at",
    "closed_at",
)  # fmt: skip

MESSAGES = timestamps(
    frame(
        "message_id ticket_id created_at author_type public automated",
        [
            ("m1", "T1", "2024-01-02 10:00:00", "customer", True, False),
            ("m2", "T2", "2024-01-03 11:00:00", "agent", None, None),  # before creation
            (
                "m3",
                "T2",
                "2024-01-03 12:05:00",
                "agent",
                None,
                None,
            ),  # nulls -> public, not automated
            ("m4", "T3", "2024-01-08 09:00:00", "customer", True, False),
            ("m5", "T3", "2024-01-08 09:10:00", "agent", True, False),
            ("m6", "T3", "2024-01-09 08:00:00", "customer", True, False),
            ("m7", "T3", "2024-01-09 09:00:00", "agent", True, False),
            ("m8", "T4", "2024-01-09 15:00:00", "agent", True, False),  # the outbound message
            ("m9", "T4", "2024-01-09 16:00:00", "customer", True, False),
            ("m10", "T5", "2024-01-10 10:00:00", "customer", True, False),
            ("m11", "T5", "2024-01-10 10:00:30", "bot", True, False),
            ("m12", "T6", "2024-01-11 14:00:00", "customer", True, False),
            ("m13", "T6", "2024-01-11 14:30:00", "agent", False, False),  # internal note
            ("m14", "T7", "2024-01-11 20:00:00", "customer", True, False),
            ("m15", "T7", "2024-01-11 20:00:01", "agent", True, True),  # auto-reply
            ("m16", "T8", "2024-01-12 08:00:00", "customer", True, False),
            ("m17", "T9", "2024-01-15 10:00:00", "customer", True, False),
            ("m18", "T9", "2024-01-15 10:00:45", "agent", True, False),
            ("m19", "T10", "2024-01-29 03:00:00", "customer", True, False),
            ("m20", "T10", "2024-01-29 03:20:00", "agent", True, False),
            ("m21", "T11", "2024-02-06 12:00:00", "customer", True, False),
            ("m22", "T11", "2024-02-06 14:00:00", "agent", True, False),
        ],
    ),
    "created_at",
)

EVENTS = timestamps(
    frame(
        "event_id ticket_id at type from_value to_value",
        [
            ("e01", "T2", "2024-01-03 13:00", "status", "new", "solved"),
            ("e02", "T3", "2024-01-08 09:10", "status", "new", "open"),
            ("e03", "T3", "2024-01-08 10:00", "status", "open", "solved"),  # first solve
            ("e04", "T3", "2024-01-09 08:00", "status", "solved", "open"),  # reopen 1
            ("e05", "T3", "2024-01-09 12:00", "status", "open", "pending"),
            ("e06", "T3", "2024-01-10 09:00", "status", "pending", "solved"),
            ("e07", "T3", "2024-01-12 09:00", "status", "solved", "closed"),  # not a solve
            ("e08", "T3", "2024-01-15 09:00", "status", "closed", "open"),  # reopen 2
            ("e09", "T3", "2024-01-23 09:00", "status", "open", "solved"),  # last solve
            ("e10", "T3", "2024-01-08 09:05", "assignee", None, "a1"),
            ("e11", "T5", "2024-01-10 10:05", "status", "new", "solved"),
            ("e12", "T6", "2024-01-11 15:00", "priority", "normal", "high"),
            ("e13", "T7", "2024-01-11 21:00", "status", "new", "solved"),
            ("e14", "T7", "2024-01-12 10:00", "status", "solved", "open"),  # reopen
            ("e15", "T8", "2024-01-12 09:00", "status", "new", "solved"),
            ("e16", "T11", "2024-02-06 14:00", "status", "new", "open"),
            ("e17", "T11", "2024-02-06 15:00", "status", "open", "solved"),
        ],
    ),
    "at",
)


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return ticket_facts(TICKETS, MESSAGES, EVENTS)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return status_history(TICKETS, EVENTS)


def rows(df: pd.DataFrame) -> list[tuple]:
    """The frame's rows as plain tuples, NaN written as None, for exact comparison."""
    return [
        tuple(None if isinstance(v, float) and np.isnan(v) else v for v in row)
        for row in df.itertuples(index=False)
    ]


# --- ticket facts ----------------------------------------------------------------------------


def test_ticket_facts(facts: pd.DataFrame) -> None:
    columns = [
        "ticket_id",
        "first_response_seconds",
        "resolution_seconds_first",
        "resolution_seconds_full",
        "reopens",
        "agent_replies",
        "customer_messages",
        "solved",
        "one_touch",
        "final_status",
    ]
    assert rows(facts[columns]) == [
        # T1: nothing but the customer's message.
        ("T1", None, None, None, 0, 0, 1, False, False, "new"),
        # T2: 12:05 - 12:00 = 300 s (11:00 reply ignored for FRT but counted as a reply);
        # solved 13:00 = 3600 s; two agent replies -> not one touch.
        ("T2", 300, 3600, 3600, 0, 2, 0, True, False, "solved"),
        # T3: reply 09:10 = 600 s; first solve 01-08 10:00 = 3600 s; last solve 01-23 09:00 = 15 days
        # = 1,296,000 s (not the close on 01-12); solved->open and closed->open = 2 reopens.
        ("T3", 600, 3600, 15 * DAY, 2, 2, 2, True, False, "solved"),
        # T4: agent-created -> no FRT; solved_at 01-10 15:00 = 86,400 s; one reply, no reopen.
        ("T4", None, DAY, DAY, 0, 1, 1, True, True, "solved"),
        # T5: the bot is not an agent; solved 10:05 = 300 s with no agent reply.
        ("T5", None, 300, 300, 0, 0, 1, True, False, "solved"),
        # T6: an internal note is not a reply; the priority event is no status history.
        ("T6", None, None, None, 0, 0, 1, False, False, "new"),
        # T7: an auto-reply is not a reply; first solve 21:00 = 3600 s, reopened, unsolved now.
        ("T7", None, 3600, None, 1, 0, 1, False, False, "open"),
        # T8: solved 09:00 = 3600 s without a reply -> not one touch.
        ("T8", None, 3600, 3600, 0, 0, 1, True, False, "solved"),
        # T9: 45 s; solved_at 11:00 = 3600 s; closing 3 days later moves nothing.
        ("T9", 45, 3600, 3600, 0, 1, 1, True, True, "closed"),
        # T10: 03:20 - 03:00 = 1200 s; unsolved.
        ("T10", 1200, None, None, 0, 1, 1, False, False, "new"),
        # T11: 14:00 - 12:00 = 7200 s; solved 15:00 = 10,800 s.
        ("T11", 7200, 3 * H, 3 * H, 0, 1, 1, True, True, "solved"),
    ]


def test_ticket_facts_timestamps(facts: pd.DataFrame) -> None:
    by_id = facts.set_index("ticket_id")
    # The agent-created ticket keeps its first reply (at the creation instant: counted).
    assert by_id.loc["T4", "first_reply_at"] == ts("2024-01-09 15:00")
    assert by_id.loc["T2", "first_reply_at"] == ts("2024-01-03 12:05")
    assert pd.isna(by_id.loc["T7", "first_reply_at"])
    assert by_id.loc["T3", "first_solved_at"] == ts("2024-01-08 10:00")
    assert by_id.loc["T3", "last_solved_at"] == ts("2024-01-23 09:00")
    assert by_id.loc["T7", "first_solved_at"] == ts("2024-01-11 21:00")
    assert pd.isna(by_id.loc["T7", "last_solved_at"])
    assert by_id.loc["T9", "last_solved_at"] == ts("2024-01-15 11:00")
    assert by_id.loc["T5", "created_by"] == "customer"
    assert list(by_id["reopened"][by_id["reopened"]].index) == ["T3", "T7"]


def test_history_falls_back_to_solved_and_closed_at(history: pd.DataFrame) -> None:
    t9 = history[history["ticket_id"] == "T9"]
    assert rows(t9[["at", "status", "becomes_solved", "reopen"]]) == [
        (ts("2024-01-15 11:00"), "solved", True, False),
        (ts("2024-01-18 11:00"), "closed", False, False),
    ]
    # T3 has status events, so its stale solved_at adds nothing; the assignee event is not status.
    assert len(history[history["ticket_id"] == "T3"]) == 8
    assert set(history["ticket_id"]) == {"T2", "T3", "T4", "T5", "T7", "T8", "T9", "T11"}


def test_missing_optional_columns_take_their_defaults() -> None:
    tickets = timestamps(
        frame("ticket_id created_at channel", [("A", "2024-03-01 00:00", "email")]), "created_at"
    )
    messages = timestamps(
        frame(
            "message_id ticket_id created_at author_type",
            [("x", "A", "2024-03-01 00:00:07.9", "agent")],
        ),
        "created_at",
    )
    facts = ticket_facts(tickets, messages, None)
    # created_by -> customer, public -> true, automated -> false; 7.9 s floors to 7.
    assert rows(facts[["first_response_seconds", "agent_replies", "solved", "final_status"]]) == [
        (7, 1, False, "new")
    ]


def test_ties_at_the_same_instant_follow_event_id() -> None:
    tickets = timestamps(
        frame("ticket_id created_at channel", [("A", "2024-03-01 00:00", "email")]), "created_at"
    )
    events = timestamps(
        frame(
            "event_id ticket_id at type from_value to_value",
            [
                ("e2", "A", "2024-03-01 01:00", "status", "solved", "open"),
                ("e1", "A", "2024-03-01 01:00", "status", "new", "solved"),
                ("e3", "A", "2024-03-01 02:00", "status", "open", "bogus"),  # unknown: dropped
            ],
        ),
        "at",
    )
    facts = ticket_facts(tickets, MESSAGES.iloc[:0], events)
    # e1 (solve) then e2 (reopen): ever solved at 01:00, reopened once, unsolved now.
    assert rows(facts[["resolution_seconds_first", "reopens", "solved", "final_status"]]) == [
        (3600, 1, False, "open")
    ]


# --- periods ---------------------------------------------------------------------------------


def test_period_start_is_local() -> None:
    instants = pd.Series(
        pd.to_datetime(
            [
                "2024-01-29 03:00",  # Sun 01-28 22:00 EST
                "2024-03-01 03:00",  # Thu 02-29 22:00 EST
                "2024-11-03 03:59",  # Sat 11-02 23:59 EDT
                "2024-11-03 04:30",  # Sun 11-03 00:30 EDT
                "2024-11-04 04:30",  # Sun 11-03 23:30 EST (after the fall-back)
            ]
        )
    )
    assert list(period_start(instants, "day", NY)) == [
        "2024-01-28",
        "2024-02-29",
        "2024-11-02",
        "2024-11-03",
        "2024-11-03",
    ]
    assert list(period_start(instants, "week", NY)) == [
        "2024-01-22",
        "2024-02-26",
        "2024-10-28",
        "2024-10-28",
        "2024-10-28",
    ]
    assert list(period_start(instants, "month", NY)) == [
        "2024-01-01",
        "2024-02-01",
        "2024-11-01",
        "2024-11-01",
        "2024-11-01",
    ]
    assert list(period_start(instants, "week")) == [
        "2024-01-29",
        "2024-02-26",
        "2024-10-28",
        "2024-10-28",
        "2024-11-04",
    ]


# --- speed -----------------------------------------------------------------------------------

# FRT observations: T2 300, T3 600, T9 45, T10 1200, T11 7200 (n = 5).


def test_first_response_time_overall(facts: pd.DataFrame) -> None:
    # mean = 9345 / 5 = 1869; sorted 45, 300, 600, 1200, 7200 -> median 600;
    # p90 at position 0.9 * 4 = 3.6: 1200 + 0.6 * (7200 - 1200) = 4800.
    assert rows(first_response_time(facts)) == [(1869, 5)]
    assert rows(first_response_time(facts, stat="median")) == [(600, 5)]
    assert rows(first_response_time(facts, stat="p90")) == [(4800, 5)]


def test_first_response_time_by_channel(facts: pd.DataFrame) -> None:
    # chat: T2 300, T10 1200 -> 750.
    assert rows(first_response_time(facts, by="channel")) == [
        ("chat", 750, 2),
        ("email", 600, 1),
        ("phone", 45, 1),
        ("sms", 7200, 1),
    ]


def test_first_response_time_by_week_is_local(facts: pd.DataFrame) -> None:
    # T10 is in NY week 01-22 but UTC week 01-29; NY week 01-29 has no tickets: no row.
    assert rows(first_response_time(facts, period="week", tz=NY)) == [
        ("2024-01-01", 300, 1),
        ("2024-01-08", 600, 1),
        ("2024-01-15", 45, 1),
        ("2024-01-22", 1200, 1),
        ("2024-02-05", 7200, 1),
    ]
    assert rows(first_response_time(facts, period="week")) == [
        ("2024-01-01", 300, 1),
        ("2024-01-08", 600, 1),
        ("2024-01-15", 45, 1),
        ("2024-01-29", 1200, 1),
        ("2024-02-05", 7200, 1),
    ]
    assert rows(first_response_time(facts, by="team", period="month", tz=NY)) == [
        # team a: T2 300, T10 1200 (NY Jan 28); team b: T3 600, T9 45 | T11 7200.
        ("a", "2024-01-01", 750, 2),
        ("b", "2024-01-01", 322.5, 2),
        ("b", "2024-02-01", 7200, 1),
    ]


# Full resolution, solved tickets, filed under the last solve (NY):
#   T2 3600 (01-03 08:00 NY, week 01-01); T4 86400, T5 300, T8 3600 (week 01-08);
#   T9 3600 (01-15); T3 1,296,000 (01-23 04:00 NY, week 01-22); T11 10800 (02-05).
FULL = [3600, 1_296_000, DAY, 300, 3600, 3600, 10800]


def test_resolution_time_full(facts: pd.DataFrame) -> None:
    # sum 1,404,300 / 7; sorted 300, 3600, 3600, 3600, 10800, 86400, 1296000 -> median 3600;
    # p90 at 0.9 * 6 = 5.4: 86400 + 0.4 * (1296000 - 86400) = 570,240.
    assert sum(FULL) == 1_404_300
    assert rows(resolution_time(facts)) == [(pytest.approx(1_404_300 / 7), 7)]
    assert rows(resolution_time(facts, stat="median")) == [(3600, 7)]
    assert rows(resolution_time(facts, stat="p90")) == [(pytest.approx(570_240), 7)]
    assert rows(resolution_time(facts, period="week", tz=NY)) == [
        ("2024-01-01", 3600, 1),
        ("2024-01-08", (DAY + 300 + 3600) / 3, 3),  # 30,100
        ("2024-01-15", 3600, 1),
        ("2024-01-22", 1_296_000, 1),
        ("2024-02-05", 10800, 1),
    ]


def test_resolution_time_first(facts: pd.DataFrame) -> None:
    # Ever solved, to the first solve: T2 3600, T3 3600, T4 86400, T5 300, T7 3600 (reopened, open
    # now), T8 3600, T9 3600, T11 10800 -> n 8, sum 115,500, mean 14,437.5;
    # sorted 300, 3600 x5, 10800, 86400 -> median 3600; p90 at 6.3: 10800 + 0.3 * 75600 = 33,480.
    assert rows(resolution_time(facts, variant="first")) == [(14_437.5, 8)]
    assert rows(resolution_time(facts, variant="first", stat="median")) == [(3600, 8)]
    assert rows(resolution_time(facts, variant="first", stat="p90")) == [(pytest.approx(33_480), 8)]
    # Filed under the first solve: T3's first solve (01-08 05:00 NY) is in week 01-08 with
    # T4, T5, T7, T8: (3600 + 86400 + 300 + 3600 + 3600) / 5 = 19,500.
    assert rows(resolution_time(facts, variant="first", period="week", tz=NY)) == [
        ("2024-01-01", 3600, 1),
        ("2024-01-08", 19_500, 5),
        ("2024-01-15", 3600, 1),
        ("2024-02-05", 10800, 1),
    ]


# --- quality ---------------------------------------------------------------------------------


def test_first_contact_resolution(facts: pd.DataFrame) -> None:
    # Solved now: T2 no (2 replies), T3 no, T4 yes, T5 no (0 replies), T8 no (0), T9 yes, T11 yes.
    assert rows(first_contact_resolution(facts)) == [(3 / 7, 7, 3, 7)]
    assert rows(first_contact_resolution(facts, by="channel")) == [
        ("chat", 0, 2, 0, 2),
        ("email", 0.5, 2, 1, 2),
        ("phone", 1, 1, 1, 1),
        ("sms", 1, 1, 1, 1),
        ("web", 0, 1, 0, 1),
    ]
    # Filed under the last solve: T3 (01-23) lands in NY week 01-22.
    assert rows(first_contact_resolution(facts, period="week", tz=NY)) == [
        ("2024-01-01", 0, 1, 0, 1),
        ("2024-01-08", 1 / 3, 3, 1, 3),  # T4 yes, T5 no, T8 no
        ("2024-01-15", 1, 1, 1, 1),
        ("2024-01-22", 0, 1, 0, 1),
        ("2024-02-05", 1, 1, 1, 1),
    ]


def test_reopen_rate(facts: pd.DataFrame) -> None:
    # Ever solved: T2, T3, T4, T5, T7, T8, T9, T11 = 8; reopened: T3, T7 -> 2 / 8.
    assert rows(reopen_rate(facts)) == [(0.25, 8, 2, 8)]
    # Filed under the first solve (NY): week 01-08 holds T3, T4, T5, T7, T8 -> 2 / 5.
    assert rows(reopen_rate(facts, period="week", tz=NY)) == [
        ("2024-01-01", 0, 1, 0, 1),
        ("2024-01-08", 0.4, 5, 2, 5),
        ("2024-01-15", 0, 1, 0, 1),
        ("2024-02-05", 0, 1, 0, 1),
    ]


def test_a_team_value_can_be_null(facts: pd.DataFrame) -> None:
    # T5 has no team: it forms its own group (last).
    result = reopen_rate(facts, by="team")
    assert rows(result) == [("a", 1 / 3, 3, 1, 3), ("b", 0.25, 4, 1, 4), (None, 0, 1, 0, 1)]


def test_empty_overall_is_one_row() -> None:
    none = ticket_facts(TICKETS.iloc[:1], MESSAGES.iloc[:1], EVENTS.iloc[:0])  # T1 only
    assert rows(first_response_time(none)) == [(None, 0)]
    assert rows(reopen_rate(none)) == [(None, 0, 0, 0)]
    assert rows(reopen_rate(none, by="channel")) == []


# --- workload --------------------------------------------------------------------------------


def test_backlog_weekly_new_york(facts: pd.DataFrame, history: pd.DataFrame) -> None:
    # Week ends (next NY Monday 00:00 EST = 05:00 UTC):
    # 01-08 05:00: created T1, T2; T2 solved -> {T1} = 1.
    # 01-15 05:00: created T1..T8; T3 closed (01-12), T4/T5/T8 solved, T7 reopened 01-12 ->
    #              {T1, T6, T7} = 3.
    # 01-22 05:00: T3 reopened 01-15, T9 solved -> {T1, T3, T6, T7} = 4  (backlog across a reopen)
    # 01-29 05:00: T3 solved 01-23; T10 created 01-29 03:00 < 05:00 -> {T1, T6, T7, T10} = 4.
    # 02-05 05:00: no tickets that week, still a row -> 4.
    # 02-12 05:00: T11 created and solved -> 4 (= the tickets unsolved now).
    result = backlog(facts, history, "week", "2024-01-01", "2024-02-05", tz=NY)
    assert rows(result) == [
        ("2024-01-01", 1, 1),
        ("2024-01-08", 3, 3),
        ("2024-01-15", 4, 4),
        ("2024-01-22", 4, 4),
        ("2024-01-29", 4, 4),
        ("2024-02-05", 4, 4),
    ]
    assert result["value"].iloc[-1] == (~facts["solved"]).sum()


def test_backlog_weekly_utc(facts: pd.DataFrame, history: pd.DataFrame) -> None:
    # Ends at UTC midnight: T10 (01-29 03:00) is created after the end of UTC week 01-22.
    # start/end inside a week select that whole week.
    result = backlog(facts, history, "week", "2024-01-17", "2024-01-31")
    assert rows(result) == [("2024-01-15", 4, 4), ("2024-01-22", 3, 3), ("2024-01-29", 4, 4)]


def test_backlog_daily_across_a_reopen(facts: pd.DataFrame, history: pd.DataFrame) -> None:
    # Day ends (NY midnight = 05:00 UTC next day):
    # 01-08: end 01-09 05:00: T3 solved 01-08 10:00, reopened only at 01-09 08:00 -> {T1} = 1.
    # 01-09: end 01-10 05:00: T3 pending; T4 (created 01-09 15:00, solved_at 01-10 15:00) open
    #        -> {T1, T3, T4} = 3.
    # 01-10: end 01-11 05:00: T3 solved 01-10 09:00, T4 solved, T5 solved -> {T1} = 1.
    result = backlog(facts, history, "day", "2024-01-08", "2024-01-10", tz=NY)
    assert rows(result) == [("2024-01-08", 1, 1), ("2024-01-09", 3, 3), ("2024-01-10", 1, 1)]


def test_backlog_event_at_the_period_end_is_in_the_next_period() -> None:
    # Solved exactly at the end of 03-01 (UTC midnight): still in the backlog of 03-01.
    tickets = timestamps(
        frame(
            "ticket_id created_at channel solved_at",
            [("A", "2024-03-01 10:00", "email", "2024-03-02 00:00")],
        ),
        "created_at",
        "solved_at",
    )
    facts = ticket_facts(tickets, MESSAGES.iloc[:0], None)
    result = backlog(facts, status_history(tickets, None), "day", "2024-02-29", "2024-03-02")
    assert rows(result) == [("2024-02-29", 0, 0), ("2024-03-01", 1, 1), ("2024-03-02", 0, 0)]


def test_backlog_by_channel_and_month(facts: pd.DataFrame, history: pd.DataFrame) -> None:
    # Every channel gets a row, zeros included. End of January NY (02-01 05:00 UTC):
    # T1, T6, T7 email, T10 chat.
    result = backlog(facts, history, "month", "2024-01-01", "2024-01-31", tz=NY, by="channel")
    assert rows(result) == [
        ("chat", "2024-01-01", 1, 1),
        ("email", "2024-01-01", 3, 3),
        ("phone", "2024-01-01", 0, 0),
        ("sms", "2024-01-01", 0, 0),
        ("web", "2024-01-01", 0, 0),
    ]
