"""The overview's tiles compute a range and its previous range in one query (each aggregate
filtered to each range): every tile holds exactly the numbers of the two ranges computed apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

import supportmetrics
from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import Query, run_query
from supportmetrics.web.pages import overview
from supportmetrics.web.params import View
from supportmetrics.web.queries import metric_query
from tests.web.conftest import Site

VALUES = ("value", "n", "ci_low", "ci_high")


def _views(first: date, last: date) -> list[View]:
    """Ranges with data in both, in neither, only in the range (the data starts inside the
    previous one, or the range is all the data), a filter and the business clock."""
    middle = first + (last - first) / 2
    return [
        View(anchor="data"),
        View(),
        View(preset=None, start=first, end=first + timedelta(days=20)),
        View(preset=None, start=first + timedelta(days=10), end=first + timedelta(days=40)),
        View(
            preset=None,
            start=middle,
            end=middle + timedelta(days=29),
            where=(("channel", ("email",)),),
        ),
        View(anchor="data", clock="business"),
        View(preset="all"),
        View(preset=None, start=last + timedelta(days=400), end=last + timedelta(days=430)),
    ]


@pytest.fixture(scope="module")
def ws(site: Site) -> supportmetrics.Workspace:
    workspace = supportmetrics.connect(site.root)
    yield workspace
    workspace.close()


def test_each_tile_holds_its_range_and_the_previous_one_as_computed_apart(ws) -> None:
    engine = ws.engine()
    first, last = engine.span()
    checked = 0
    for view in _views(first, last):
        for group in overview(engine, ws.config, view):
            for tile in group["tiles"]:
                if "error" in tile:
                    continue
                chosen = CATALOGUE[tile["metric"]]
                target = ws.config.targets.get(chosen.id)
                applied = metric_query(engine, chosen, view, compare=True, target=target)
                alone = replace(applied.query, compare=None)
                [row] = run_query(engine, alone, check_filters=False).rows or [{}]
                assert {k: tile[k] for k in VALUES} == {k: row.get(k) for k in VALUES}, tile
                assert tile["low_sample"] == bool(row.get("low_sample"))
                note = tile["compare_note"] or ""
                nothing_before = ("the range holds all the data", "no data before")
                if applied.query.compare is None or note.startswith(nothing_before):
                    assert tile["previous"] is None
                    continue
                length = (applied.end - applied.start).days + 1
                before = replace(
                    alone,
                    start=applied.start - timedelta(days=length),
                    end=applied.start - timedelta(days=1),
                )
                [earlier] = run_query(engine, before, check_filters=False).rows or [{}]
                assert tile["previous"] == earlier.get("value"), (view, tile)
                assert (tile["n"] or 0, earlier.get("n") or 0) != (None, None)
                checked += 1
    assert checked >= 40  # most tiles of most views compare two ranges


def test_the_tiles_match_the_metric_as_the_command_line_computes_it(ws) -> None:
    # ws.metric with --compare previous: the same value, previous value and change as the tile
    engine = ws.engine()
    view = View(anchor="data")
    tiles = {t["metric"]: t for g in overview(engine, ws.config, view) for t in g["tiles"]}
    start, end = engine.span()[1] - timedelta(days=89), engine.span()[1]
    csat = ws.metric("csat", start=start, end=end, compare="previous").rows[0]
    assert (tiles["csat"]["value"], tiles["csat"]["previous"]) == (csat["value"], csat["previous"])
    volume = ws.metric("ticket_volume", start=start, end=end, compare="previous").rows[0]
    assert tiles["ticket_volume"]["value"] == volume["value"] > 0
    assert tiles["ticket_volume"]["previous"] == volume["previous"] > 0
    assert tiles["ticket_volume"]["change"] == volume["value"] - volume["previous"]


def test_two_ranges_without_rows_take_one_query(ws, monkeypatch) -> None:
    # Each range without rows used to take a query of its own (three for a tile's headline)
    engine = ws.engine()
    ran = []
    arrow = engine.arrow
    monkeypatch.setattr(engine, "arrow", lambda expr: ran.append(expr) or arrow(expr))
    later = engine.span()[1] + timedelta(days=400)
    query = Query("csat", start=later, end=later + timedelta(days=29), compare="previous")
    [row] = run_query(engine, query, check_filters=False).rows
    assert len(ran) == 1
    assert (row["n"], row["value"], row["previous"], row["change"]) == (0, None, None, None)
    assert (
        row["compare_note"]
        == f"no data from {later - timedelta(days=30)} to {later - timedelta(days=1)}"
    )


def test_the_backlog_then_and_at_the_range_start_take_one_scan(ws, monkeypatch) -> None:
    engine = ws.engine()
    last = engine.span()[1]
    start, end = last - timedelta(days=59), last - timedelta(days=30)
    ran = []
    arrow = engine.arrow
    monkeypatch.setattr(engine, "arrow", lambda expr: ran.append(expr) or arrow(expr))
    query = Query("backlog", start=start, end=end, compare="previous")
    [row] = run_query(engine, query, check_filters=False).rows
    assert len(ran) == 1
    monkeypatch.undo()
    then = run_query(engine, replace(query, compare=None), check_filters=False).rows[0]
    before = replace(
        query, compare=None, start=start - timedelta(days=30), end=start - timedelta(days=1)
    )
    earlier = run_query(engine, before, check_filters=False).rows[0]
    assert (row["value"], row["aged"]) == (then["value"], then["aged"])
    assert row["previous"] == earlier["value"] > 0
    assert row["change"] == then["value"] - earlier["value"]
