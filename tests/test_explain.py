"""What changed and why: hand-computed mix and rate contributions that add up to the change."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.explain import Segment, compare_range, decompose, explain
from tests.metrics.conftest import make_workspace


def by_name(rows):
    return {r["segment"]: (r["mix"], r["rate"], r["contribution"]) for r in rows}


def test_pure_mix() -> None:
    """A 10 and B 20 both periods; A's weight share 1/2 -> 3/4: 15 -> 12.5, all mix."""
    rows = decompose([Segment("A", 2, 10.0, 3, 10.0), Segment("B", 2, 20.0, 1, 20.0)])
    assert by_name(rows) == {"A": (2.5, 0.0, 2.5), "B": (-5.0, 0.0, -5.0)}
    assert sum(r["contribution"] for r in rows) == 12.5 - 15
    assert rows[0]["segment"] == "B"  # ranked by the size of the contribution


def test_pure_rate() -> None:
    """Equal weights; A 10 -> 14: 15 -> 17, all A's rate (4 x 1/2)."""
    rows = decompose([Segment("A", 1, 10.0, 1, 14.0), Segment("B", 1, 20.0, 1, 20.0)])
    assert by_name(rows) == {"A": (0.0, 2.0, 2.0), "B": (0.0, 0.0, 0.0)}


def test_mix_and_rate_add_up_exactly() -> None:
    """A: share 1/2 -> 3/4, 10 -> 14; B: 1/2 -> 1/4, 20 -> 24. 15 -> 16.5 (+1.5) =
    A mix 1/4 x 12 = 3, A rate 4 x 5/8 = 2.5, B mix -1/4 x 22 = -5.5, B rate 4 x 3/8 = 1.5."""
    rows = decompose([Segment("A", 1, 10.0, 3, 14.0), Segment("B", 1, 20.0, 1, 24.0)])
    assert by_name(rows) == {"A": (3.0, 2.5, 5.5), "B": (-5.5, 1.5, -4.0)}
    assert sum(r["mix"] + r["rate"] for r in rows) == 1.5


def test_segment_in_one_period_only_is_all_mix() -> None:
    """C appears (1/2 of the weight at 30): 10 -> 20, C mix 1/2 x 30 = 15, A mix -1/2 x 10 = -5."""
    rows = decompose([Segment("A", 2, 10.0, 2, 10.0), Segment("C", 0, None, 2, 30.0)])
    assert by_name(rows) == {"A": (-5.0, 0.0, -5.0), "C": (15.0, 0.0, 15.0)}


def test_counts_are_additive() -> None:
    rows = decompose([Segment("A", 5, 5, 8, 8), Segment("B", 4, 4, 1, 1)], additive=True)
    assert by_name(rows) == {"B": (0, -3, -3), "A": (0, 3, 3)}


def test_compare_ranges() -> None:
    assert compare_range(date(2024, 3, 1), date(2024, 3, 31), "previous") == (
        date(2024, 1, 30),
        date(2024, 2, 29),
    )
    assert compare_range(date(2024, 2, 1), date(2024, 2, 29), "year") == (
        date(2023, 2, 1),
        date(2023, 2, 28),
    )


def _call(i: int, day: int, queue: str, abandoned: bool) -> str:
    at = f"2024-01-0{day}T10:{i:02d}:00Z"
    if abandoned:
        return f"C{day}{i},{at},abandoned,,2024-01-0{day}T10:{i:02d}:30Z,{queue}\n"
    return f"C{day}{i},{at},answered,{at[:-3]}10Z,2024-01-0{day}T10:{i:02d}:50Z,{queue}\n"


# Jan 1: sales 2 calls (1 abandoned), support 2 (none) -> 1/4. Jan 2: sales 4 (3 abandoned),
# support 4 (none) -> 3/8. Shares stay 1/2: the +1/8 is sales' rate (1/2 -> 3/4, x 1/2).
CALLS = "call_id,queued_at,outcome,answered_at,ended_at,queue\n" + "".join(
    [_call(0, 1, "sales", True), _call(1, 1, "sales", False)]
    + [_call(i, 1, "support", False) for i in (2, 3)]
    + [_call(i, 2, "sales", i < 3) for i in range(4)]
    + [_call(i, 2, "support", False) for i in range(4, 8)]
)


@pytest.fixture
def center(tmp_path):
    ws = make_workspace(tmp_path, calls=CALLS)
    yield ws
    ws.close()


def test_explain_a_share_from_the_workspace(center) -> None:
    result = explain(center, "abandonment_rate", date(2024, 1, 2), date(2024, 1, 2), by=["queue"])
    assert (result["previous"], result["value"], result["change"]) == (0.25, 0.375, 0.125)
    (queue,) = result["dimensions"]
    assert by_name(queue["segments"]) == {"sales": (0.0, 0.125, 0.125), "support": (0.0, 0.0, 0.0)}
    assert queue["residual"] == 0.0
    assert result["summary"] == (
        "abandonment_rate rose from 25.0% to 37.5% (+12.5 pts); the top driver is queue sales "
        "(+12.5 pts: +12.5 pts from its own change, 0.0 pts from its share of the mix)."
    )


def test_explain_command(center) -> None:
    args = ["explain", "abandonment_rate", "--from", "2024-01-02", "--to", "2024-01-02"]
    args += ["--by", "queue", "--format", "json", "--workspace", str(center.root)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dimensions"][0]["explained"] == 0.125
    bad = CliRunner().invoke(app, [*args[:6], "--by", "colour", "-w", str(center.root)])
    assert bad.exit_code == 2 and "unknown dimension 'colour'" in bad.output
    early = ["explain", "abandonment_rate", "--from", "0001-01-02", "--to", "0001-01-03"]
    too_early = CliRunner().invoke(app, [*early, "--versus", "year", "-w", str(center.root)])
    assert too_early.exit_code == 2 and "no year period to compare with" in too_early.output
