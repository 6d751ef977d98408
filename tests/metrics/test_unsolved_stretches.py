"""The backlog's unsolved stretches (`unsolved_segments`): one row per stretch, as long as it lasted,
open at exactly the instants a ticket's status history says it was unsolved."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmetrics.facts.status import (
    SOLVED,
    status_segments,
    status_summary,
    unsolved_segments,
)

_ORIGIN = datetime(2024, 1, 1)
_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")


def _at(minute: int) -> datetime:
    return _ORIGIN + timedelta(minutes=minute)


def _stretches(tickets: list[tuple[str, int]], events: list[tuple[str, int, str]]) -> list[tuple]:
    con = ibis.duckdb.connect()
    ticket_table = ibis.memtable(
        pa.table(
            {"ticket_id": [t for t, _ in tickets], "created_at": [_at(c) for _, c in tickets]},
            schema=pa.schema([("ticket_id", pa.string()), ("created_at", pa.timestamp("us"))]),
        )
    )
    history = ibis.memtable(
        pa.table(
            {
                "ticket_id": [t for t, _, _ in events],
                "at": [_at(m) for _, m, _ in events],
                "event_id": [f"E{i:03d}" for i in range(len(events))],  # in the order given
                "to_value": [v for _, _, v in events],
            },
            schema=pa.schema(
                [
                    ("ticket_id", pa.string()),
                    ("at", pa.timestamp("us")),
                    ("event_id", pa.string()),
                    ("to_value", pa.string()),
                ]
            ),
        )
    )
    rows = con.to_pyarrow(unsolved_segments(history, ticket_table)).to_pylist()
    return sorted((r["ticket_id"], r["start"], r["end"]) for r in rows)


def test_a_stretch_runs_across_the_unsolved_statuses_to_the_solve() -> None:
    tickets = [("A", 0), ("B", 0), ("C", 60), ("D", 0)]
    events = [
        # A: new -> open -> pending -> solved, reopened, solved again: two stretches
        ("A", 0, "open"),
        ("A", 10, "pending"),
        ("A", 20, "solved"),
        ("A", 30, "open"),
        ("A", 40, "closed"),
        # B: never solved: open from creation on
        ("B", 5, "pending"),
        # C: a change to open before its creation: unsolved from that change
        ("C", 30, "open"),
        ("C", 90, "solved"),
        # D: solved -> closed is no reopen
        ("D", 10, "solved"),
        ("D", 20, "closed"),
    ]
    assert _stretches(tickets, events) == [
        ("A", _at(0), _at(20)),
        ("A", _at(30), _at(40)),
        ("B", _at(0), None),
        ("C", _at(30), _at(90)),
        ("D", _at(0), _at(10)),
    ]
    # E: no changes at all: unsolved from creation on
    assert _stretches([("E", 5)], []) == [("E", _at(5), None)]


def test_changes_at_one_instant_are_taken_in_event_id_order() -> None:
    # new -> open and open -> solved at 01:00 (E000 before E001): solved after it; the same two
    # changes numbered the other way round leave the ticket open (solved and reopened at 01:00:
    # two stretches that meet there, open at every moment either side)
    assert _stretches([("A", 0)], [("A", 60, "open"), ("A", 60, "solved")]) == [
        ("A", _at(0), _at(60))
    ]
    assert _stretches([("A", 0)], [("A", 60, "solved"), ("A", 60, "open")]) == [
        ("A", _at(0), _at(60)),
        ("A", _at(60), None),
    ]


def _open_at(created: int, changes: list[tuple[int, str]], instant: int) -> bool:
    """Whether the ticket counts in a snapshot at `instant` (start < instant <= end): the last
    change before it is unsolved, or, with none before it, it was created before it."""
    before = [v for m, v in sorted(changes) if m < instant]
    return before[-1] not in SOLVED if before else created < instant


_histories = st.lists(
    st.tuples(
        st.integers(0, 200),  # created
        st.dictionaries(st.integers(0, 200), st.sampled_from(_STATUSES), max_size=8),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(_histories)
def test_stretches_are_open_exactly_when_the_history_is_unsolved(histories) -> None:
    tickets = [(f"T{i}", created) for i, (created, _) in enumerate(histories)]
    events = [(f"T{i}", m, v) for i, (_, ch) in enumerate(histories) for m, v in ch.items()]
    stretches = _stretches(tickets, events)
    for i, (created, changes) in enumerate(histories):
        own = [(s, e) for t, s, e in stretches if t == f"T{i}"]
        for (_, end), (start, _) in pairwise(own):
            assert end is not None and end < start  # as long as they lasted: never touching
        for instant in range(-1, 203):
            at = _at(instant)
            counted = sum(s < at and (e is None or e >= at) for s, e in own)
            assert counted == _open_at(created, list(changes.items()), instant), (i, instant)


@pytest.mark.parametrize("to_value", ["solved", "closed"])
def test_a_ticket_solved_at_its_creation_is_never_open(to_value) -> None:
    assert _stretches([("S", 0)], [("S", 0, to_value)]) == []


def _changes(events: list[tuple[str, int, str, str]], backwards: bool = False) -> ibis.Table:
    """Status changes from `(ticket, minute, from, to)`, numbered E00000... in the order given
    (`backwards`: from the last, so that the rows' order is the reverse of the ids')."""
    numbers = range(len(events) - 1, -1, -1) if backwards else range(len(events))
    return ibis.memtable(
        pa.table(
            {
                "ticket_id": [t for t, *_ in events],
                "at": [_at(m) for _, m, _, _ in events],
                "event_id": [f"E{i:05d}" for i in numbers],
                "type": ["status"] * len(events),
                "from_value": [f for *_, f, _ in events],
                "to_value": [v for *_, v in events],
            },
            schema=pa.schema(
                [
                    ("ticket_id", pa.string()),
                    ("at", pa.timestamp("us")),
                    ("event_id", pa.string()),
                    ("type", pa.string()),
                    ("from_value", pa.string()),
                    ("to_value", pa.string()),
                ]
            ),
        )
    )


def _summary(events: list[tuple[str, int, str, str]]) -> dict[str, str]:
    """The `history_status` of each ticket from `(ticket, minute, from, to)` status changes."""
    rows = ibis.duckdb.connect().to_pyarrow(status_summary(_changes(events))).to_pylist()
    return {r["ticket_id"]: r["history_status"] for r in rows}


def test_the_status_a_history_reaches_takes_changes_at_one_instant_in_event_id_order() -> None:
    # Many tickets, so that the engine's parallel aggregation cannot keep the rows' order by luck.
    forward = [
        e
        for i in range(2000)
        for e in ((f"A{i}", 60, "new", "open"), (f"A{i}", 60, "open", "solved"))
    ]
    backward = [
        e
        for i in range(2000)
        for e in ((f"B{i}", 60, "open", "solved"), (f"B{i}", 60, "new", "open"))
    ]
    reached = _summary(forward + backward)
    assert {reached[f"A{i}"] for i in range(2000)} == {"solved"}
    assert {reached[f"B{i}"] for i in range(2000)} == {"open"}


def test_the_status_a_ticket_starts_in_takes_changes_at_one_instant_in_event_id_order() -> None:
    # Before its first change a ticket is in that change's from-status; two changes at the same
    # instant are told apart by event_id, as the status windows do. The rows come in the reverse
    # of the ids' order, so that taking the first row read would give the other status; many
    # tickets, as above.
    rows_in = [
        e
        for i in range(2000)
        for e in (
            (f"A{i}", 60, "new", "open"),  # numbered after the next one
            (f"A{i}", 60, "open", "solved"),
            (f"B{i}", 60, "pending", "solved"),
            (f"B{i}", 60, "new", "pending"),
        )
    ]
    tickets = [f"{side}{i}" for side in "AB" for i in range(2000)]
    facts = ibis.memtable(
        pa.table(
            {
                "ticket_id": tickets,
                "created_at": [_at(0)] * len(tickets),
                "last_solved_at": [_at(60)] * len(tickets),
            },
            schema=pa.schema(
                [
                    ("ticket_id", pa.string()),
                    ("created_at", pa.timestamp("us")),
                    ("last_solved_at", pa.timestamp("us")),
                ]
            ),
        )
    )
    segments = status_segments(_changes(rows_in, backwards=True), facts)
    rows = ibis.duckdb.connect().to_pyarrow(segments).to_pylist()
    assert len(rows) == len(tickets)  # each ticket: one stretch, creation to the changes
    started = {r["ticket_id"]: (r["status"], r["start"], r["end"]) for r in rows}
    assert {started[f"A{i}"] for i in range(2000)} == {("open", _at(0), _at(60))}
    assert {started[f"B{i}"] for i in range(2000)} == {("new", _at(0), _at(60))}
