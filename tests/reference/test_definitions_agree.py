"""The engine agrees with the independent pandas references of pandas_definitions.py on demo data:
survey_response_rate, sla_attainment (both first-reply variants), FCR no_repeat_contact,
repeat_contact_rate, and the `partial` flag of monthly churn rows.

Demo data: 3,000 tickets (seed 5), New York time; one calendar SLA policy for every ticket: first
reply 4 h, resolution 48 h.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import supportmetrics
from supportmetrics import demo
from supportmetrics.config import CONFIG_FILE
from supportmetrics.schema import TABLES, Kind
from tests.reference import pandas_definitions as ref
from tests.reference.pandas_experience import churn_windows, customer_churn
from tests.reference.pandas_metrics import ticket_facts

TZ = "America/New_York"
POLICY = '\n[[sla]]\nname = "all"\nfirst_response_time = "4h"\nresolution_time = "48h"\n'


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[supportmetrics.Workspace, dict[str, pd.DataFrame]]]:
    tmp: Path = tmp_path_factory.mktemp("definitions")
    ws = supportmetrics.init(tmp / "ws", timezone=TZ)
    config = ws.root / CONFIG_FILE
    config.write_text(config.read_text() + POLICY)
    demo.write(demo.generate(3000, seed=5), tmp / "data", "parquet")
    ws = supportmetrics.connect(ws.root)
    ws.ingest([tmp / "data"])
    with ws.read() as con:
        raw = {name: con.execute(f"SELECT * FROM {name}").df() for name in TABLES}
    yield ws, raw
    ws.close()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = frame.to_dict("records")
    for row in records:
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
    return records


def _same(engine: list[dict], reference: pd.DataFrame, keys: tuple[str, ...]) -> None:
    expected = _records(reference)
    assert expected
    assert [tuple(r[k] for k in keys) for r in engine] == [
        tuple(r[k] for k in keys) for r in expected
    ]
    for mine, theirs in zip(engine, expected, strict=True):
        assert (mine["numerator"], mine["denominator"]) == (
            theirs["numerator"],
            theirs["denominator"],
        ), (mine, theirs)
        assert mine["value"] == pytest.approx(theirs["value"], rel=1e-12)


@pytest.mark.parametrize("period", [None, "month"])
def test_survey_response_rate(both: Any, period: str | None) -> None:
    ws, raw = both
    reference = ref.survey_response_rate(
        raw["survey_invitations"], raw["surveys"], period=period, tz=TZ
    )
    engine = ws.metric("survey_response_rate", by=["survey"], period=period).rows
    _same(engine, reference, ("survey", "period") if period else ("survey",))
    # A response answers one invitation at most: no survey has more answered than responses.
    answered = {r["survey"]: r["numerator"] for r in engine} if period is None else {}
    for survey, count in answered.items():
        assert count <= (raw["surveys"]["survey"] == survey).sum()


@pytest.fixture(scope="module")
def facts(both: Any) -> pd.DataFrame:
    _, raw = both
    return ticket_facts(raw["tickets"], raw["messages"], raw["ticket_events"])


@pytest.mark.parametrize("met_by", ["reply_or_solve", "reply"])
@pytest.mark.parametrize("split", [{}, {"by": "target"}, {"by": "channel"}, {"period": "month"}])
def test_sla_attainment(both: Any, facts: pd.DataFrame, met_by: str, split: dict) -> None:
    ws, _ = both
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    targets = ref.sla_targets(
        facts, pd.Timedelta(hours=4), pd.Timedelta(hours=48), now, met_by=met_by
    )
    reference = ref.shares(targets, "met", "due_at", split.get("by"), split.get("period"), TZ)
    by = [split["by"]] if "by" in split else []
    engine = ws.metric(
        "sla_attainment", by=by, period=split.get("period"), variants={"first_reply_met_by": met_by}
    ).rows
    _same(engine, reference, (*by, *(["period"] if "period" in split else [])))


def test_the_variants_differ_by_the_tickets_solved_without_a_reply(facts: pd.DataFrame) -> None:
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    counts = {
        met_by: ref.sla_targets(facts, pd.Timedelta(hours=4), pd.Timedelta(hours=48), now, met_by)
        for met_by in ("reply_or_solve", "reply")
    }
    assert counts["reply_or_solve"]["met"].sum() > counts["reply"]["met"].sum()


@pytest.mark.parametrize(
    ("metric", "variants", "flag"),
    [
        ("repeat_contact_rate", {}, "repeat"),
        ("first_contact_resolution", {"definition": "no_repeat_contact"}, "no_repeat_fcr"),
    ],
)
@pytest.mark.parametrize("split", [{}, {"by": "channel"}, {"period": "month"}])
def test_repeat_contact(
    both: Any, facts: pd.DataFrame, metric: str, variants: dict, flag: str, split: dict
) -> None:
    ws, raw = both
    rows = ref.repeat_contacts(facts, raw["tickets"])
    reference = ref.shares(rows, flag, "last_solved_at", split.get("by"), split.get("period"), TZ)
    by = [split["by"]] if "by" in split else []
    engine = ws.metric(metric, by=by, period=split.get("period"), variants=variants).rows
    _same(engine, reference, (*by, *(["period"] if "period" in split else [])))


def test_monthly_churn_and_its_partial_months(both: Any) -> None:
    ws, raw = both
    stamps = [
        raw[name][column.name].dropna()
        for name, table in TABLES.items()
        for column in table.columns
        if column.kind is Kind.TIMESTAMP
    ]
    first = min(s.min() for s in stamps if len(s))
    last = max(s.max() for s in stamps if len(s))
    start = dt.date(2025, 1, 1)
    end = (last.tz_localize("UTC").tz_convert(TZ)).date()
    windows = churn_windows(start, end, period="month", tz=TZ)
    reference = customer_churn(raw["customers"], raw["subscriptions"], windows)
    engine = ws.metric("customer_churn", period="month", start=start, end=end).rows
    _same(engine, reference, ("period",))
    flags = [(r["period"], r["partial"]) for r in engine]
    assert flags == [(p, ref.is_partial(p, "month", first, last, TZ)) for p in reference["period"]]
