"""The engine agrees with an independent pandas implementation on a demo dataset.

tests/reference/pandas_metrics.py was written from the spec alone; here both compute first response
time, resolution time, first contact resolution (one touch), reopen rate and backlog on the same
demo data, overall, by channel and by week (New York weeks), and every row must agree.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import supportmetrics
from supportmetrics import demo
from tests.reference import pandas_metrics as ref

TZ = "America/New_York"


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crosscheck")
    ws = supportmetrics.init(tmp / "ws", timezone=TZ)
    demo.write(demo.generate(3000, seed=5), tmp / "data", "parquet")
    ws.ingest([tmp / "data"])
    with ws.read() as con:
        tables = {
            name: con.execute(f"SELECT * FROM {name}").df()
            for name in ("tickets", "messages", "ticket_events")
        }
    facts = ref.ticket_facts(tables["tickets"], tables["messages"], tables["ticket_events"])
    history = ref.status_history(tables["tickets"], tables["ticket_events"])
    yield ws, facts, history
    ws.close()


SPLITS = [
    pytest.param({}, id="overall"),
    pytest.param({"by": "channel"}, id="by_channel"),
    pytest.param({"period": "week"}, id="weekly"),
]


def _engine_rows(ws, metric: str, split: dict, **kw) -> list[dict]:
    by = [split["by"]] if "by" in split else []
    return ws.metric(metric, by=by, period=split.get("period"), **kw).rows


def _reference_rows(frame: pd.DataFrame) -> list[dict]:
    records = frame.to_dict("records")
    for row in records:
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
    return records


def _assert_same(engine: list[dict], reference: list[dict], keys: tuple[str, ...]) -> None:
    assert len(engine) == len(reference) > 0
    for mine, theirs in zip(engine, reference, strict=True):
        for key in keys:
            want, got = theirs[key], mine[key]
            if isinstance(want, float) and got is not None:
                assert got == pytest.approx(want, rel=1e-9), (key, mine, theirs)
            else:
                assert got == want, (key, mine, theirs)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("stat", ["mean", "median", "p90"])
def test_first_response_time(both, split, stat) -> None:
    ws, facts, _ = both
    reference = ref.first_response_time(
        facts, by=split.get("by"), period=split.get("period"), stat=stat, tz=TZ
    )
    engine = _engine_rows(ws, "first_response_time", split, stat=stat)
    keys = (*([split["by"]] if "by" in split else []), *(["period"] if "period" in split else []))
    _assert_same(engine, _reference_rows(reference), (*keys, "value", "n"))


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("variant", ["full", "first"])
def test_resolution_time(both, split, variant) -> None:
    ws, facts, _ = both
    reference = ref.resolution_time(
        facts, variant=variant, by=split.get("by"), period=split.get("period"), tz=TZ
    )
    engine = _engine_rows(ws, "resolution_time", split, variants={"solve": variant})
    keys = (*([split["by"]] if "by" in split else []), *(["period"] if "period" in split else []))
    _assert_same(engine, _reference_rows(reference), (*keys, "value", "n"))


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(
    ("metric", "function"),
    [("first_contact_resolution", ref.first_contact_resolution), ("reopen_rate", ref.reopen_rate)],
)
def test_shares(both, split, metric, function) -> None:
    ws, facts, _ = both
    reference = function(facts, by=split.get("by"), period=split.get("period"), tz=TZ)
    engine = _engine_rows(ws, metric, split)
    keys = (*([split["by"]] if "by" in split else []), *(["period"] if "period" in split else []))
    _assert_same(
        engine, _reference_rows(reference), (*keys, "value", "numerator", "denominator", "n")
    )


@pytest.mark.parametrize("by", [None, "channel"])
def test_weekly_backlog(both, by) -> None:
    ws, facts, history = both
    first, last = demo.START.date(), demo.END.date()
    reference = ref.backlog(facts, history, "week", first, last, tz=TZ, by=by)
    engine = ws.metric("backlog", by=[by] if by else [], period="week", start=first, end=last).rows
    keys = ((by,) if by else ()) + ("period", "value")
    got = {tuple(r[k] for k in keys[:-1]): r["value"] for r in engine}
    want = {tuple(r[k] for k in keys[:-1]): r["value"] for r in _reference_rows(reference)}
    # The reference lists every channel in every week (zeros included); the engine starts a
    # channel's series at its first ticket. Every engine row must match, and every reference row
    # the engine lacks must be zero.
    assert got and all(got[k] == want[k] for k in got), {k: (got[k], want.get(k)) for k in got}
    assert all(v == 0 for k, v in want.items() if k not in got)
