"""The engine agrees with an independent pandas implementation of csat, nps, abandonment_rate,
service_level and customer_churn.

tests/reference/pandas_experience.py was written from the definitions alone. Both run on the demo
data and on a copy of it with edge cases written in: null survey scales (the store fills the
defaults), non-default scales, responses without a channel (taken from their ticket), sub-second
call timestamps around the short-abandon and service-level thresholds, subscriptions that start or
end exactly at a window boundary (winter and daylight time) and customers without a tier. Every
row must agree: keys, value, n, numerator/denominator (or the NPS counts) and the 95% interval.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import supportmetrics
from supportmetrics import demo
from tests.reference import pandas_experience as ref

TZ = "America/New_York"
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
SHARE = ("value", "n", "numerator", "denominator", "ci_low", "ci_high")
NPS = ("value", "n", "promoters", "passives", "detractors", "ci_low", "ci_high")


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _edit(table: pa.Table, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> pa.Table:
    """table with `edit` applied to it as a DataFrame, keeping the Arrow schema."""
    frame = edit(table.to_pandas())
    return pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False)


def _edge_surveys(df: pd.DataFrame) -> pd.DataFrame:
    """Null scales, csat on 0-10 and nps on 1-5 scales, channels left to the ticket."""
    df = df.copy()
    for survey, null_every, no_channel_every, rescale_every in (
        ("csat", 7, 11, 13),
        ("nps", 5, 6, 9),
    ):
        rows = df.index[df["survey"] == survey]
        i = pd.Series(range(len(rows)), index=rows)
        rescaled = rows[i % rescale_every == 0]
        score = df.loc[rescaled, "score"]
        if survey == "csat":  # 0-10 scale: 9 (top two) when satisfied before, else 8 (not)
            df.loc[rescaled, ["scale_min", "scale_max"]] = [0, 10]
            df.loc[rescaled, "score"] = (score >= 4).map({True: 9, False: 8})
        else:  # 1-5 scale: 5 -> 10 (promoter), 4 -> 7.5 (passive), 3 -> 5 (detractor)
            df.loc[rescaled, ["scale_min", "scale_max"]] = [1, 5]
            df.loc[rescaled, "score"] = score.map(lambda s: 5 if s >= 9 else 4 if s >= 7 else 3)
        nulled = rows[(i % null_every == 0) & (i % rescale_every != 0)]
        df.loc[nulled, ["scale_min", "scale_max"]] = None
        with_ticket = df.loc[rows, "ticket_id"].notna()
        df.loc[rows[(i % no_channel_every == 0) & with_ticket.to_numpy()], "channel"] = None
    return df


def _edge_calls(df: pd.DataFrame) -> pd.DataFrame:
    """Sub-second times: every third call enters the queue 0.3 s late (a 5 s abandon becomes a
    4.7 s one, a short abandon; a 21 s answer a 20.7 s one), the next one is answered and ends
    0.3 s late (a 20 s answer becomes 20.3 s)."""
    df = df.copy()
    i = pd.Series(range(len(df)), index=df.index)
    late = pd.Timedelta(milliseconds=300)
    room = ~(df["answered_at"] - df["queued_at"] < pd.Timedelta(seconds=1))  # NaT: room
    df.loc[(i % 3 == 0) & room, "queued_at"] += late
    df.loc[i % 3 == 1, ["answered_at", "ended_at"]] += late
    return df


def _edge_subscriptions(df: pd.DataFrame) -> pd.DataFrame:
    """Subscriptions starting or ending exactly at window boundaries, and a same-instant renewal."""
    df = df.copy()
    t0, t1 = _utc("2025-01-01 05:00"), _utc("2026-01-01 05:00")
    june = _utc("2025-06-01 04:00")  # local midnight, daylight saving time
    single = df["customer_id"].map(df["customer_id"].value_counts()) == 1
    long = single & (df["started_at"] < t0 - pd.Timedelta(days=1)) & df["ended_at"].isna()
    picked = df.index[long][:6]
    df.loc[picked[0], "ended_at"] = t0  # not active at t0: outside the denominator
    df.loc[picked[1], "started_at"] = t0  # active at t0
    df.loc[picked[2], "ended_at"] = t1  # not active at t1: churned in the year and in December
    df.loc[picked[3], "ended_at"] = june  # churned in May, not in June's denominator
    df.loc[picked[4], "ended_at"] = _utc("2025-06-15 12:00")
    renewal = df.loc[[picked[4]]].assign(  # renewed at the same instant: never churns
        subscription_id="SUB-EDGE-1", started_at=_utc("2025-06-15 12:00"), ended_at=pd.NaT
    )
    df.loc[picked[5], "started_at"] = t1  # starts at the end instant: not in the denominator
    return pd.concat([df, renewal], ignore_index=True)


def _edge_customers(df: pd.DataFrame) -> pd.DataFrame:
    """Some customers without a tier."""
    df = df.copy()
    df.loc[df.index % 40 == 0, "tier"] = None
    return df


EDITS = {
    "surveys": _edge_surveys,
    "calls": _edge_calls,
    "subscriptions": _edge_subscriptions,
    "customers": _edge_customers,
}


@pytest.fixture(scope="module", params=["demo", "edges"])
def both(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[supportmetrics.Workspace, dict[str, pd.DataFrame]]]:
    """(workspace, raw tables from its store) for the demo data or its edge-case copy."""
    tmp: Path = tmp_path_factory.mktemp(f"crosscheck_{request.param}")
    ws = supportmetrics.init(tmp / "ws", timezone=TZ)
    tables = demo.generate(3000, seed=5)
    if request.param == "edges":
        tables |= {name: _edit(tables[name], edit) for name, edit in EDITS.items()}
    demo.write(tables, tmp / "data", "parquet")
    ws.ingest([tmp / "data"])
    with ws.read() as con:
        raw = {
            name: con.execute(f"SELECT * FROM {name}").df()
            for name in ("tickets", "surveys", "calls", "customers", "subscriptions")
        }
    yield ws, raw
    ws.close()


SPLITS = {
    "overall": {},
    "channel": {"by": "channel"},
    "queue": {"by": "queue"},
    "tier": {"by": "tier"},
    "month": {"period": "month"},
}


def _engine_rows(ws: supportmetrics.Workspace, metric: str, split: dict, **kw: Any) -> list[dict]:
    by = [split["by"]] if "by" in split else []
    return ws.metric(metric, by=by, period=split.get("period"), **kw).rows


def _reference_rows(frame: pd.DataFrame) -> list[dict]:
    records = frame.to_dict("records")
    for row in records:
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
    return records


def _keys(split: dict) -> tuple[str, ...]:
    return (*([split["by"]] if "by" in split else []), *(["period"] if "period" in split else []))


def _assert_same(
    engine: list[dict], reference: pd.DataFrame, split: dict, fields: Sequence[str]
) -> None:
    """Same rows in the same order (by their keys), and the same `fields` in each."""
    expected = _reference_rows(reference)
    keys = _keys(split)
    assert [tuple(r[k] for k in keys) for r in engine] == [
        tuple(r[k] for k in keys) for r in expected
    ]
    assert expected
    for mine, theirs in zip(engine, expected, strict=True):
        for key in fields:
            want, got = theirs[key], mine[key]
            if isinstance(want, float) and got is not None:
                assert got == pytest.approx(want, rel=1e-9), (key, mine, theirs)
            else:
                assert got == want, (key, mine, theirs)


def _params(*names: str) -> list[Any]:
    return [pytest.param(SPLITS[name], id=name) for name in names]


@pytest.mark.parametrize("split", _params("overall", "channel", "month"))
def test_csat(both: Any, split: dict) -> None:
    ws, raw = both
    reference = ref.csat(
        raw["surveys"], raw["tickets"], by=split.get("by"), period=split.get("period"), tz=TZ
    )
    _assert_same(_engine_rows(ws, "csat", split), reference, split, SHARE)


@pytest.mark.parametrize("split", _params("overall", "channel"))
def test_nps(both: Any, split: dict) -> None:
    ws, raw = both
    reference = ref.nps(raw["surveys"], raw["tickets"], by=split.get("by"), tz=TZ)
    _assert_same(_engine_rows(ws, "nps", split), reference, split, NPS)


@pytest.mark.parametrize(
    ("metric", "split"),
    [
        pytest.param("abandonment_rate", SPLITS["overall"], id="abandonment_rate-overall"),
        pytest.param("abandonment_rate", SPLITS["queue"], id="abandonment_rate-queue"),
        pytest.param("abandonment_rate", SPLITS["month"], id="abandonment_rate-month"),
        pytest.param("service_level", SPLITS["overall"], id="service_level-overall"),
        pytest.param("service_level", SPLITS["queue"], id="service_level-queue"),
    ],
)
def test_calls(both: Any, metric: str, split: dict) -> None:
    ws, raw = both
    function = {"abandonment_rate": ref.abandonment_rate, "service_level": ref.service_level}
    reference = function[metric](
        raw["calls"], by=split.get("by"), period=split.get("period"), tz=TZ
    )
    _assert_same(_engine_rows(ws, metric, split), reference, split, SHARE)


@pytest.mark.parametrize("split", _params("overall", "tier", "month"))
def test_customer_churn(both: Any, split: dict) -> None:
    ws, raw = both
    windows = ref.churn_windows(*YEAR, period=split.get("period"), tz=TZ)
    reference = ref.customer_churn(
        raw["customers"], raw["subscriptions"], windows, by=split.get("by")
    )
    engine = _engine_rows(ws, "customer_churn", split, start=YEAR[0], end=YEAR[1])
    _assert_same(engine, reference, split, SHARE)
