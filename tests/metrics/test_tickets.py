"""Speed, quality and workload metrics on the hand-made team (see conftest.py for the tickets)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.facts.registry import FACT_TABLES
from supportmetrics.query import QueryError
from tests.metrics.conftest import make_workspace, values


def test_first_response_time_default(team) -> None:
    # Counted: T1 09:00->10:00 = 3600, T3 08:00->08:05 = 300 (the 07:50 reply is before creation),
    # T8 09:00->09:30 = 1800. Not counted: T2/T6 (no reply; a note is not a reply), T4
    # (agent-created), T5 (bot), T7 (automated).
    result = team.metric("first_response_time")
    (row,) = result.rows
    assert (row["value"], row["n"]) == (1900, 3)
    assert row["low_sample"] is True
    assert result.unit == "seconds" and result.better == "lower"
    assert values(team.metric("first_response_time", stat="median")) == [1800]
    # p90 of 300, 1800, 3600 by linear interpolation: 1800 + 0.8 * 1800
    assert values(team.metric("first_response_time", stat="p90")) == [pytest.approx(3240)]


def test_first_response_time_variants(team) -> None:
    # T4 timed to its second agent reply: 09:00 -> 11:00
    second = team.metric("first_response_time", variants={"agent_created": "second_reply"})
    assert values(second) == [pytest.approx((3600 + 300 + 1800 + 7200) / 4)]
    # Bots counted: T5 10:00 -> 10:01
    bots = team.metric("first_response_time", variants={"count_bots": "true"})
    assert values(bots) == [pytest.approx((3600 + 300 + 1800 + 60) / 4)]
    # Clock from the first customer message: T1 09:00 (same), T3 08:00 (same), T8 09:00 (same)
    first_message = team.metric(
        "first_response_time", variants={"clock_start": "first_customer_message"}
    )
    assert values(first_message) == [1900]


def test_first_response_time_by_channel_and_business_hours(team) -> None:
    by_channel = team.metric("first_response_time", by=["channel"])
    assert [(r["channel"], r["value"], r["n"]) for r in by_channel.rows] == [
        ("chat", 300, 1),
        ("email", 3600, 1),
        ("web", 1800, 1),
    ]
    # Mon-Fri 09:00-17:00 UTC: T3 replied at 08:05 before opening -> 0
    business = team.metric("first_response_time", clock="business")
    assert values(business) == [pytest.approx((3600 + 0 + 1800) / 3)]


def test_resolution_time(team) -> None:
    # Solved: T1 3 h, T3 4 h (last solve; first solve 30 min), T4 3 h, T5 5 min, T7 1 h, T8 1 h
    full = team.metric("resolution_time")
    assert values(full) == [pytest.approx((10800 + 14400 + 10800 + 300 + 3600 + 3600) / 6)]
    first = team.metric("resolution_time", variants={"solve": "first"})
    assert values(first) == [pytest.approx((10800 + 1800 + 10800 + 300 + 3600 + 3600) / 6)]


def test_waiting_times(team) -> None:
    # T1: new 09:00-09:30, open 09:30-12:00 -> requester wait 3 h. T3: new 08:00-08:30, open
    # 09:00-10:00 and 11:00-12:00 -> 2.5 h; time solved/closed between reopens is nobody's wait.
    waits = team.metric("requester_wait_time", by=["ticket_id"])
    by_ticket = {r["ticket_id"]: r["value"] for r in waits.rows}
    assert by_ticket["T1"] == 10800 and by_ticket["T3"] == 9000
    assert values(team.metric("agent_wait_time")) == [0]
    # Nothing waited on a third party: zero on each of the six solved tickets.
    on_hold = team.metric("on_hold_time").rows[0]
    assert (on_hold["value"], on_hold["n"]) == (0, 6)


def test_average_response_time(team) -> None:
    # Replies answering a customer message: T1 10:00 (09:00) 3600, T3 08:05 (08:00) 300,
    # T4 11:00 (10:00) 3600, T8 09:30 (09:00) 1800. T1 12:00 and T3 07:50, T4 09:00 answer nothing.
    assert values(team.metric("average_response_time")) == [pytest.approx(9300 / 4)]


def test_quality_shares(team) -> None:
    fcr = team.metric("first_contact_resolution")
    (row,) = fcr.rows
    # Solved now: T1 T3 T4 T5 T7 T8; one touch (one agent reply, never reopened): only T8
    assert (row["numerator"], row["denominator"], row["n"]) == (1, 6, 6)
    assert row["value"] == pytest.approx(1 / 6)
    assert 0 < row["ci_low"] < 1 / 6 < row["ci_high"] < 1
    reopen = team.metric("reopen_rate").rows[0]
    assert (reopen["numerator"], reopen["denominator"]) == (1, 6)
    rate = team.metric("resolution_rate").rows[0]
    assert (rate["numerator"], rate["denominator"]) == (6, 8)
    # Agent replies on the solved tickets: 2, 2, 2, 0, 0, 1
    assert values(team.metric("interactions_per_ticket")) == [pytest.approx(7 / 6)]


def test_first_contact_resolution_builds_repeat_contacts_only_for_its_definition_that_reads_them(
    team, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_built(*args: object) -> None:
        raise AssertionError("the tickets facts (repeat contacts, waiting times) were built")

    monkeypatch.setitem(FACT_TABLES, "tickets", replace(FACT_TABLES["tickets"], build=not_built))
    one_touch = team.metric("first_contact_resolution").rows[0]
    assert (one_touch["numerator"], one_touch["denominator"]) == (1, 6)  # as in test_quality_shares
    single = team.metric("first_contact_resolution", variants={"definition": "single_agent"})
    assert single.rows[0]["denominator"] == 6
    with pytest.raises(AssertionError, match="tickets facts"):
        team.metric("first_contact_resolution", variants={"definition": "no_repeat_contact"})


def test_repeat_contact(team) -> None:
    # C1 opened T4 (billing) on Tue after T1 (billing) was solved Mon 12:00: a repeat within 7 days.
    repeat = team.metric("repeat_contact_rate").rows[0]
    assert (repeat["numerator"], repeat["denominator"]) == (1, 6)
    avoidance = team.metric("next_issue_avoidance").rows[0]
    assert (avoidance["numerator"], avoidance["denominator"]) == (5, 6)
    within_zero = team.metric("repeat_contact_rate", variants={"repeat_days": "0"}).rows[0]
    assert within_zero["numerator"] == 0
    fcr = team.metric("first_contact_resolution", variants={"definition": "no_repeat_contact"})
    # Never reopened and no repeat: T5 T7 T8 (T1 has a repeat, T3 reopened, T4 none -> counts)
    assert (fcr.rows[0]["numerator"], fcr.rows[0]["denominator"]) == (4, 6)


def test_volume_by_day_and_empty_period(team) -> None:
    result = team.metric("ticket_volume", period="day")
    assert [(r["period"], r["value"]) for r in result.rows] == [
        ("2024-01-01", 2),
        ("2024-01-02", 2),
        ("2024-01-03", 3),
        ("2024-01-04", 1),
    ]
    february = {"start": date(2024, 2, 1), "end": date(2024, 2, 29)}
    assert team.metric("ticket_volume", **february).rows == [{"value": 0, "n": 0}]
    assert team.metric("first_response_time", **february).rows == [
        {"value": None, "n": 0, "low_sample": True}
    ]
    assert team.metric("ticket_volume", period="day", **february).rows == []


def test_backlog_is_a_snapshot_at_each_period_end(team) -> None:
    result = team.metric("backlog", period="day", end=date(2024, 1, 5))
    assert [(r["period"], r["value"], r["aged"]) for r in result.rows] == [
        ("2024-01-01", 1, 0),  # T2 (T1 solved at noon)
        ("2024-01-02", 1, 1),  # T2, now 38 h old (T3 and T4 solved by noon)
        ("2024-01-03", 2, 1),  # T2 and T6 (13 h old)
        ("2024-01-04", 2, 2),  # T2 and T6 (37 h old)
        ("2024-01-05", 2, 2),  # nothing changed: carried forward
    ]
    by_team = team.metric("backlog", by=["team"], end=date(2024, 1, 3))
    assert [(r["team"], r["value"]) for r in by_team.rows] == [("billing", 2), ("tech", 0)]


@pytest.mark.parametrize("by", [[], ["team"]])
def test_backlog_without_periods_is_the_running_sums_last_day(team, by) -> None:
    # Counted directly at the range's end, it agrees with the day-by-day running sums
    series = team.metric("backlog", by=by, period="day", end=date(2024, 1, 6)).rows
    for day in (date(2024, 1, d) for d in range(1, 7)):
        snapshot = team.metric("backlog", by=by, start=day, end=day).rows
        expected = [r for r in series if r["period"] == day.isoformat()]
        got = [(*(r[d] for d in by), r["value"], r["n"], r["aged"]) for r in snapshot]
        assert got == [(*(r[d] for d in by), r["value"], r["n"], r["aged"]) for r in expected]
    assert team.metric("backlog", end=date(2023, 12, 31)).rows == []  # before the data begins


@pytest.mark.parametrize("by", [[], ["team"]])
def test_backlog_without_a_range_is_the_running_sums_last_period(team, by) -> None:
    # After all the data: T2 and T6 are still open and both older than 24 h (T8 closes last)
    expected = {(): (2, 2)} if not by else {("billing",): (2, 2), ("tech",): (0, 0)}
    snapshot = team.metric("backlog", by=by).rows
    assert {tuple(r[d] for d in by): (r["value"], r["aged"]) for r in snapshot} == expected
    series = team.metric("backlog", by=by, period="day").rows
    last = {tuple(r[d] for d in by): r for r in series}  # each group's last day
    assert [{k: r[k] for k in (*by, "value", "n", "aged")} for r in snapshot] == [
        {k: r[k] for k in (*by, "value", "n", "aged")} for r in last.values()
    ]


def test_backlog_after_the_data_counts_every_open_ticket_as_aged(tmp_path) -> None:
    # N1 opens an hour before the data's last instant (O1 solved): the daily series runs on until
    # N1 turns 24 h old, so its last day counts it aged, and so does the snapshot after the data
    tickets = (
        "ticket_id,created_at,channel,status,solved_at\n"
        "O1,2024-01-01T09:00:00Z,email,solved,2024-01-03T10:00:00Z\n"
        "N1,2024-01-03T09:00:00Z,email,open,\n"
    )
    ws = make_workspace(tmp_path, tickets=tickets)
    try:
        [snapshot] = ws.metric("backlog").rows
        assert (snapshot["value"], snapshot["n"], snapshot["aged"]) == (1, 1, 1)
        series = ws.metric("backlog", period="day").rows
        assert [(r["period"], r["value"], r["aged"]) for r in series] == [
            ("2024-01-01", 1, 0),
            ("2024-01-02", 1, 1),  # O1, 39 h old
            ("2024-01-03", 1, 0),  # O1 solved; N1 15 h old
            ("2024-01-04", 1, 1),  # N1 turns 24 h old at 09:00
        ]
    finally:
        ws.close()


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_backlog_of_a_range_ending_before_the_data_does(team, period) -> None:
    # The changes after the range's last period are left out of its query: each period shown
    # holds what the series over all the data holds for it, and each day the direct count
    whole = team.metric("backlog", period=period, start=date(2024, 1, 1)).rows
    for end in (date(2024, 1, d) for d in range(2, 5)):  # the data ends on the 4th
        part = team.metric("backlog", period=period, start=date(2024, 1, 2), end=end).rows
        shown = {r["period"] for r in part}
        assert part and [r for r in whole if r["period"] in shown] == part
        if period == "day":
            snapshot = team.metric("backlog", start=end, end=end).rows
            assert [(r["value"], r["aged"]) for r in snapshot] == [
                (part[-1]["value"], part[-1]["aged"])
            ]
    days = team.metric("backlog", period="day", start=date(2024, 1, 2), end=date(2024, 1, 3))
    assert [(r["value"], r["aged"]) for r in days.rows] == [(1, 1), (2, 1)]  # as above


def test_hourly_backlog_has_every_hour_of_the_range(team) -> None:
    # Each hour of Tuesday 2 January ends with a snapshot; the last is the day's
    hours = team.metric("backlog", period="hour", start=date(2024, 1, 2), end=date(2024, 1, 2))
    assert [r["period"] for r in hours.rows] == [f"2024-01-02T{h:02d}:00" for h in range(24)]
    assert (hours.rows[-1]["value"], hours.rows[-1]["aged"]) == (1, 1)  # T2, 38 h old
    assert hours.rows[0]["value"] == 1  # T2 carried from Monday


def test_backlog_running_sums_per_group_and_period(team) -> None:
    # Every group has a row for every day, from its changes before --from on: tech's tickets are
    # each solved the day they open (0), billing carries T2 and, from Wednesday, T6.
    days = {"period": "day", "start": date(2024, 1, 2), "end": date(2024, 1, 4)}
    by_team = team.metric("backlog", by=["team"], **days)
    assert [(r["team"], r["period"], r["value"]) for r in by_team.rows] == [
        ("billing", "2024-01-02", 1),
        ("billing", "2024-01-03", 2),
        ("billing", "2024-01-04", 2),
        ("tech", "2024-01-02", 0),
        ("tech", "2024-01-03", 0),
        ("tech", "2024-01-04", 0),
    ]
    # No ticket has an assignee: one group whose agent is null, the same as unsplit
    by_agent = team.metric("backlog", by=["agent"], **days)
    assert [(r["agent"], r["value"], r["aged"]) for r in by_agent.rows] == [
        (None, 1, 1),
        (None, 2, 1),
        (None, 2, 2),
    ]


def test_backlog_flow(team) -> None:
    result = team.metric("backlog_flow", period="day")
    day2 = next(r for r in result.rows if r["period"] == "2024-01-02")
    # Tue: created T3 T4; reopened T3 twice; solved T3 three times (closed is no new solve), T4
    assert (day2["created"], day2["reopened"], day2["outflow"]) == (2, 2, 4)
    assert day2["value"] == 0


@pytest.mark.parametrize("metric", ["first_response_time", "ticket_volume", "reopen_rate"])
@pytest.mark.parametrize("by", [[], ["channel"]])
def test_compare_previous_range_agrees_with_each_range_alone(team, metric, by) -> None:
    # Both ranges come from one grouped query; each alone gives the same rows
    for start, days in [(date(2024, 1, 2), 1), (date(2024, 1, 3), 0), (date(2024, 1, 1), 2)]:
        end = start + timedelta(days=days)
        compared = team.metric(metric, by=by, start=start, end=end, compare="previous").rows
        alone = team.metric(metric, by=by, start=start, end=end).rows
        earlier = start - timedelta(days=days + 1), start - timedelta(days=1)
        before = {
            tuple(r[d] for d in by): r["value"]
            for r in team.metric(metric, by=by, start=earlier[0], end=earlier[1]).rows
        }
        assert [{k: r[k] for k in alone[0]} for r in compared] == alone
        # (a previous range wholly before the data has no value, and says so)
        assert [r["previous"] for r in compared] == [
            None
            if (r.get("compare_note") or "").startswith("no data before")
            else before.get(tuple(r[d] for d in by))
            for r in compared
        ]


def test_compare_previous(team) -> None:
    result = team.metric("ticket_volume", period="day", compare="previous")
    day3 = next(r for r in result.rows if r["period"] == "2024-01-03")
    assert (day3["previous"], day3["change"], day3["change_pct"]) == (2, 1, 50.0)
    first = result.rows[0]
    assert first["previous"] is None and first["change"] is None


def test_filters_and_errors(team) -> None:
    chat = team.metric("ticket_volume", where={"channel": ["chat", "web"]})
    assert values(chat) == [4]
    with pytest.raises(QueryError, match=r"unknown metric 'frt'.*first_response_time"):
        team.metric("frt")
    with pytest.raises(QueryError, match=r"unknown dimension 'chanel'.*channel"):
        team.metric("ticket_volume", by=["chanel"])
    with pytest.raises(QueryError, match="has no variant speed"):
        team.metric("ticket_volume", variants={"speed": "x"})
    with pytest.raises(QueryError, match="no business-hours variant"):
        team.metric("reopen_rate", clock="business")
    with pytest.raises(QueryError, match="unknown stat"):
        team.metric("first_response_time", stat="p900")


def test_agent_activity(team) -> None:
    # A1: replies M2 M3, note M11 (M12 is automated); A2: replies M4 M6 M7 M9; A3: reply M14.
    rows = {r["agent"]: r for r in team.metric("agent_activity").rows}
    assert set(rows) == {"A1", "A2", "A3"}
    assert (rows["A1"]["replies"], rows["A1"]["notes"], rows["A1"]["activity_kinds"]) == (2, 1, 2)
    assert (rows["A2"]["value"], rows["A2"]["activity_kinds"]) == (4, 1)
    assert rows["A3"]["replies"] == 1 and rows["A3"]["open_assigned"] == 0


def test_agent_activity_compares_each_agent_with_their_own_previous_range(team) -> None:
    # Wed-Thu: A1 a note (0 replies), A3 one reply; Mon-Tue before: A1 2 replies, A2 4
    result = team.metric(
        "agent_activity", start=date(2024, 1, 3), end=date(2024, 1, 4), compare="previous"
    )
    rows = {r["agent"]: (r["value"], r["previous"], r["change"]) for r in result.rows}
    assert rows == {"A1": (0, 2, -2), "A3": (1, None, None)}
    by_day = team.metric("agent_activity", period="day", compare="previous")
    # A2 replied on Tuesday only, A1 on Monday: neither has a Monday/Tuesday row of their own
    previous = {(r["agent"], r["period"]): r["previous"] for r in by_day.rows}
    assert previous[("A2", "2024-01-02")] is None and previous[("A1", "2024-01-03")] is None


def test_team_variant_defaults_from_settings(team) -> None:
    path = team.root / CONFIG_FILE
    path.write_text(
        path.read_text()
        + '\n[variants.first_contact_resolution]\ndefinition = "no_repeat_contact"\n'
    )
    ws = supportmetrics.connect(team.root)
    assert ws.metric("first_contact_resolution").rows[0]["numerator"] == 4
    one_touch = ws.metric("first_contact_resolution", variants={"definition": "one_touch"})
    assert one_touch.rows[0]["numerator"] == 1  # the query's own variant wins
    ws.close()
    path.write_text(path.read_text() + "\n[variants.reopen_rate]\nspeed = 1\n")
    broken = supportmetrics.connect(team.root)
    with pytest.raises(QueryError, match=r"check \[variants\.reopen_rate\]"):
        broken.metric("reopen_rate")
    broken.close()


REPEATS = """ticket_id,created_at,channel,status,customer_id,issue_type,solved_at
A,2024-03-01T09:00:00Z,email,solved,CA,billing,2024-03-02T09:00:00Z
B,2024-03-01T12:00:00Z,email,open,CA,billing,
P,2024-03-01T00:00:00Z,email,solved,CP,billing,2024-03-02T00:00:00Z
Q,2024-03-09T00:00:00Z,email,open,CP,billing,
R,2024-03-01T00:00:00Z,email,solved,CR,billing,2024-03-02T00:00:00Z
S,2024-03-09T00:00:01Z,email,open,CR,billing,
"""


def test_repeat_window_runs_from_creation_to_n_days_after_the_last_solve(tmp_path) -> None:
    # A: B came while A was still open -> repeat. P: Q exactly 7 days after P's solve -> repeat.
    # R: S one second later -> not. Solved tickets A, P, R: 2 of 3 repeat; FCR no_repeat_contact
    # keeps only R: 1 of 3.
    ws = make_workspace(tmp_path, tickets=REPEATS)
    repeat = ws.metric("repeat_contact_rate").rows[0]
    assert (repeat["numerator"], repeat["denominator"]) == (2, 3)
    fcr = ws.metric("first_contact_resolution", variants={"definition": "no_repeat_contact"})
    assert (fcr.rows[0]["numerator"], fcr.rows[0]["denominator"]) == (1, 3)
    avoided = ws.metric("next_issue_avoidance").rows[0]
    assert (avoided["numerator"], avoided["denominator"]) == (1, 3)
    ws.close()


def test_repeat_window_is_described_as_computed() -> None:
    window = "from the ticket's creation to N days after its last solve"
    for name in ("first_contact_resolution", "repeat_contact_rate", "next_issue_avoidance"):
        chosen = supportmetrics.metrics.metric(name)
        assert window in chosen.definition, name
        repeat_days = next(v for v in chosen.variants if v.name == "repeat_days")
        assert window in repeat_days.description, name
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert window in " ".join(readme.split())


def test_agent_activity_gives_the_median_first_response_and_its_count(tmp_path) -> None:
    # A1's tickets wait 10 min, 20 min and 3 h for a first reply: median 20 min, mean 70 min.
    tickets = (
        "ticket_id,created_at,channel,assignee_id\n"
        "T1,2024-01-01T09:00:00Z,email,A1\n"
        "T2,2024-01-01T10:00:00Z,email,A1\n"
        "T3,2024-01-01T11:00:00Z,email,A1\n"
    )
    messages = (
        "message_id,ticket_id,created_at,author_type,author_id,public,automated\n"
        "M1,T1,2024-01-01T09:10:00Z,agent,A1,true,false\n"
        "M2,T2,2024-01-01T10:20:00Z,agent,A1,true,false\n"
        "M3,T3,2024-01-01T14:00:00Z,agent,A1,true,false\n"
    )
    ws = make_workspace(tmp_path, tickets=tickets, messages=messages)
    [row] = ws.metric("agent_activity").rows
    ws.close()
    assert (row["first_response_median"], row["first_response_mean"]) == (1200, 4200)
    assert row["first_response_n"] == 3
