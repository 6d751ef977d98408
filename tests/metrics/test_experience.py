"""Survey metrics on small hand-made responses to the hand-made team's tickets.

First responses (conftest): T1 1 h (bucket 1-4h), T3 5 min and T8 30 min (0-1h), T4 agent-created
(no first response: "no reply").
"""

from __future__ import annotations

import math
import shutil
from datetime import date, datetime, timedelta

import pytest

import supportmetrics
from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS, make_workspace, values

SURVEYS = """response_id,survey,score,scale_min,scale_max,submitted_at,ticket_id,customer_id,agent_id,channel
S1,csat,5,,,2024-01-01T13:00:00Z,T1,,,
S2,csat,4,,,2024-01-02T13:00:00Z,T3,,,
S3,csat,2,,,2024-01-02T14:00:00Z,T4,,,
S4,csat,4,,,2024-01-04T11:00:00Z,T8,,,
S5,csat,9,0,10,2024-01-04T12:00:00Z,,C9,A1,phone
N1,nps,10,,,2024-01-04T10:00:00Z,,C9,,email
N2,nps,9,,,2024-01-04T10:00:00Z,,C8,,email
N3,nps,8,,,2024-01-04T10:00:00Z,,C8,,email
N4,nps,0,,,2024-01-04T10:00:00Z,,C8,,sms
N5,nps,6,,,2024-01-04T10:00:00Z,,C8,,sms
N6,nps,5,1,5,2024-01-04T10:00:00Z,,C8,,email
E1,ces,7,,,2024-01-02T10:00:00Z,T3,,,
E2,ces,5,,,2024-01-02T10:00:00Z,T4,,,
E3,ces,2,,,2024-01-02T10:00:00Z,T1,,,
Q1,esat,5,,,2024-01-03T10:00:00Z,,,A1,
Q2,esat,3,,,2024-01-03T10:00:00Z,,,A2,
Q3,esat,4,,,2024-01-03T10:00:00Z,,,A3,
P1,enps,10,,,2024-01-03T10:00:00Z,,,A1,
P2,enps,2,,,2024-01-03T10:00:00Z,,,A2,
"""

INVITATIONS = """invitation_id,survey,sent_at,ticket_id,customer_id
I1,csat,2024-01-01T12:00:00Z,T1,
I2,csat,2024-01-01T12:00:00Z,T2,
I3,csat,2024-01-02T09:00:00Z,T3,
I4,nps,2024-01-04T00:00:00Z,,C9
I5,csat,2024-01-04T12:00:00Z,T8,
"""


@pytest.fixture
def surveyed(tmp_path):
    ws = make_workspace(
        tmp_path,
        tickets=TICKETS,
        messages=MESSAGES,
        ticket_events=EVENTS,
        surveys=SURVEYS,
        survey_invitations=INVITATIONS,
    )
    yield ws
    ws.close()


def test_csat_share_of_the_top_two_points(surveyed) -> None:
    # Satisfied: S1 5, S2 4, S4 4 (of 1-5) and S5 9 (of 0-10); S3 2 is not.
    (row,) = surveyed.metric("csat").rows
    assert (row["value"], row["numerator"], row["n"]) == (80.0, 4, 5)
    assert surveyed.metric("csat").unit == "percent"
    assert row["low_sample"] is True
    assert 0 < row["ci_low"] < 80 < row["ci_high"] < 100


@pytest.mark.parametrize(("threshold", "expected"), [("5", 40.0), ("top1", 20.0), ("top3", 80.0)])
def test_csat_threshold(surveyed, threshold, expected) -> None:
    # 5: S1 and S5 (9 >= 5). top1: only S1 (S5 would need 10). top3: 3-5 and 8-10: all but S3 2.
    assert values(surveyed.metric("csat", variants={"threshold": threshold})) == [expected]


def test_csat_mean_score(surveyed) -> None:
    result = surveyed.metric(
        "csat", variants={"score": "mean"}, where={"channel": ["email", "chat", "web"]}
    )
    assert result.unit == "score"
    assert values(result) == [pytest.approx((5 + 4 + 2 + 4) / 4)]
    assert values(result, "n") == [4]


def test_csat_by_the_tickets_dimensions(surveyed) -> None:
    by_channel = surveyed.metric("csat", by=["channel"])
    assert [(r["channel"], r["value"]) for r in by_channel.rows] == [
        ("chat", 100.0),
        ("email", 50.0),
        ("phone", 100.0),
        ("web", 100.0),
    ]
    by_issue = surveyed.metric("csat", by=["issue_type"])
    assert [(r["issue_type"], r["value"]) for r in by_issue.rows] == [
        ("billing", 50.0),
        ("bug", 100.0),
        (None, 100.0),
    ]
    by_bucket = surveyed.metric("csat", by=["first_response_bucket"])
    assert [(r["first_response_bucket"], r["n"], r["value"]) for r in by_bucket.rows] == [
        ("0-1h", 2, 100.0),
        ("1-4h", 1, 100.0),
        ("no reply", 1, 0.0),
        (None, 1, 100.0),
    ]


def test_csat_with_no_responses(surveyed) -> None:
    january = {"start": date(2023, 1, 1), "end": date(2023, 1, 31)}
    (row,) = surveyed.metric("csat", **january).rows
    assert (row["value"], row["n"], row["low_sample"]) == (None, 0, True)
    assert "ci_low" not in row
    assert surveyed.metric("csat", period="month", **january).rows == []


def test_nps_counts_and_interval(surveyed) -> None:
    # Promoters N1 10, N2 9, N6 5 of 1-5 (10 on 0-10); passive N3 8; detractors N4 0, N5 6.
    result = surveyed.metric("nps")
    (row,) = result.rows
    assert result.unit == "points"
    assert (row["promoters"], row["passives"], row["detractors"], row["n"]) == (3, 1, 2, 6)
    assert row["value"] == pytest.approx(100 * (3 - 2) / 6)
    p, d = 3 / 6, 2 / 6
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 6)
    assert row["ci_low"] == pytest.approx(100 * (p - d - half))
    assert row["ci_high"] == pytest.approx(100 * (p - d + half))


def test_nps_all_detractors(surveyed) -> None:
    (row,) = surveyed.metric("nps", where={"channel": ["sms"]}).rows
    assert (row["value"], row["detractors"], row["n"]) == (-100.0, 2, 2)
    assert row["ci_low"] == -100.0


def test_ces_mean_and_share_easy(surveyed) -> None:
    assert values(surveyed.metric("ces")) == [pytest.approx(14 / 3)]
    easy = surveyed.metric("ces", variants={"score": "easy"})
    assert easy.unit == "percent"
    assert values(easy) == [pytest.approx(200 / 3)]
    assert values(surveyed.metric("ces", variants={"score": "easy", "easy": "6"})) == [
        pytest.approx(100 / 3)
    ]


def test_survey_response_rate(surveyed) -> None:
    # I1 <- S1, I3 <- S2, I4 <- N1 (same customer, no ticket); I2 no answer; I5 answered before
    # it was sent (S4 11:00, invitation 12:00) does not count.
    (row,) = surveyed.metric("survey_response_rate").rows
    assert (row["numerator"], row["denominator"]) == (3, 5)
    by_survey = surveyed.metric("survey_response_rate", by=["survey"])
    assert [(r["survey"], r["numerator"], r["n"]) for r in by_survey.rows] == [
        ("csat", 2, 4),
        ("nps", 1, 1),
    ]
    only_csat = surveyed.metric("survey_response_rate", variants={"survey": "csat"})
    assert values(only_csat) == [0.5]


def test_employee_satisfaction(surveyed) -> None:
    assert values(surveyed.metric("employee_satisfaction")) == [pytest.approx(200 / 3)]
    mean = surveyed.metric("employee_satisfaction", variants={"score": "mean"})
    assert values(mean) == [4.0]
    enps = surveyed.metric("employee_satisfaction", variants={"kind": "enps"})
    assert enps.unit == "points"
    assert values(enps) == [0.0]
    assert values(enps, "n") == [2]


def test_csat_threshold_must_be_a_score_or_top_n(surveyed) -> None:
    with pytest.raises(supportmetrics.query.QueryError, match="topN"):
        surveyed.metric("csat", variants={"threshold": "high"})


def test_scores_outside_the_scale_are_rejected_at_ingest(tmp_path) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    data = tmp_path / "surveys.csv"
    data.write_text(
        "response_id,survey,score,submitted_at\nR1,csat,6,2024-01-01T00:00:00Z\n"
        "R2,nps,11,2024-01-01T00:00:00Z\n"
    )
    with pytest.raises(supportmetrics.IngestError) as raised:
        ws.ingest([data])
    assert "score" in str(raised.value)
    assert [t.rows for t in ws.tables() if t.table == "surveys"] == [0]
    ws.close()


INVITED = """invitation_id,survey,sent_at,ticket_id,customer_id
I1,nps,2025-02-01T00:00:00Z,,C1
I2,nps,2025-05-01T00:00:00Z,,C1
I3,nps,2025-08-01T00:00:00Z,,C1
I4,esat,2025-03-01T00:00:00Z,,
"""
ANSWERS = """response_id,survey,score,submitted_at,ticket_id,customer_id,agent_id
R1,nps,10,2025-08-02T00:00:00Z,,C1,
R2,esat,5,2025-03-01T01:00:00Z,,,A1
"""


def _rates(ws: supportmetrics.Workspace, **kw) -> list[tuple]:
    rows = ws.metric("survey_response_rate", by=["survey"], **kw).rows
    return [(r["survey"], r["numerator"], r["denominator"]) for r in rows]


def test_a_response_answers_one_invitation_and_anonymous_surveys_compare_counts(
    tmp_path,
) -> None:
    # The customer's one NPS answer answers only the latest invitation sent before it (I3), not
    # I1 and I2; the eSat invitation has neither ticket nor customer: one anonymous answer in
    # the period answers it.
    ws = make_workspace(tmp_path, survey_invitations=INVITED, surveys=ANSWERS)
    assert _rates(ws) == [("esat", 1, 1), ("nps", 1, 3)]
    # A range without invitations: one empty row, as for any share.
    (empty,) = ws.metric("survey_response_rate", start=date(2024, 1, 1), end=date(2024, 1, 31)).rows
    assert (empty["value"], empty["n"], empty["numerator"]) == (None, 0, 0)
    ws.close()


def test_response_rate_named_invitation_ticket_then_customer_and_capped_counts(tmp_path) -> None:
    invited = """invitation_id,survey,sent_at,ticket_id,customer_id
C1,csat,2025-01-01T00:00:00Z,T1,
C2,csat,2025-01-05T00:00:00Z,T1,
C3,csat,2025-01-10T00:00:00Z,T1,
K1,csat,2025-01-02T00:00:00Z,,K
K2,csat,2025-01-20T00:00:00Z,,K
E1,esat,2025-01-03T00:00:00Z,,
E2,esat,2025-01-03T00:00:00Z,,
E3,esat,2025-02-03T00:00:00Z,,
"""
    answers = """response_id,survey,score,submitted_at,ticket_id,customer_id,invitation_id
A1,csat,5,2025-01-06T00:00:00Z,T1,,C1
A2,csat,4,2025-01-06T00:00:00Z,T1,,
A3,csat,4,2025-01-05T00:00:00Z,T9,K,
A4,csat,2,2025-01-01T00:00:00Z,,K,
X1,esat,4,2025-01-04T00:00:00Z,,,
X2,esat,4,2025-01-05T00:00:00Z,,,
X3,esat,4,2025-01-06T00:00:00Z,,,
X4,esat,4,2025-01-07T00:00:00Z,,,
"""
    tickets = (
        "ticket_id,created_at,channel,customer_id\nT1,2025-01-01,email,K\nT9,2025-01-01,chat,K\n"
    )
    ws = make_workspace(tmp_path, tickets=tickets, survey_invitations=invited, surveys=answers)
    # csat: A1 names C1; A2 answers C2 (the latest for T1 sent at or before it; C3 comes later);
    # A3's ticket T9 has no invitation, so its customer's latest earlier one, K1; A4 comes before
    # every invitation of K: 3 of 5 (C1, C2, K1). eSat counts within the period: overall four
    # anonymous answers for three invitations, 3 of 3 (capped); by month, four answers for two
    # January invitations, 2 of 2, and none for February's one, 0 of 1.
    assert _rates(ws) == [("csat", 3, 5), ("esat", 3, 3)]
    monthly = ws.metric("survey_response_rate", by=["survey"], period="month").rows
    assert [(r["survey"], r["period"], r["numerator"], r["n"]) for r in monthly] == [
        ("csat", "2025-01-01", 3, 5),
        ("esat", "2025-01-01", 2, 2),
        ("esat", "2025-02-01", 0, 1),
    ]
    ws.close()


def test_first_response_buckets_are_the_published_set(tmp_path) -> None:
    from supportmetrics.facts.surveys import FIRST_RESPONSE_BUCKETS

    assert FIRST_RESPONSE_BUCKETS == (
        (3600, "0-1h"),
        (4 * 3600, "1-4h"),
        (8 * 3600, "4-8h"),
        (86400, "8-24h"),
    )
    # First replies after 0 s, 59:59, 1 h, 3:59:59, 4 h, 8 h, 23:59:59 and 24 h, and none: each
    # bucket holds [lower, upper), 24 h and more is 24h+.
    waits = [0, 3599, 3600, 14399, 14400, 28800, 86399, 86400, None]
    tickets = ["ticket_id,created_at,channel"]
    messages = ["message_id,ticket_id,created_at,author_type"]
    surveys = ["response_id,survey,score,submitted_at,ticket_id"]
    for i, wait in enumerate(waits):
        tickets.append(f"T{i},2024-01-01T00:00:00Z,email")
        if wait is not None:
            at = datetime(2024, 1, 1) + timedelta(seconds=wait)
            messages.append(f"M{i},T{i},{at.isoformat()}Z,agent")
        surveys.append(f"S{i},csat,{5 if i % 2 else 1},2024-01-03T00:00:00Z,T{i}")
    ws = make_workspace(
        tmp_path,
        tickets="\n".join(tickets) + "\n",
        messages="\n".join(messages) + "\n",
        surveys="\n".join(surveys) + "\n",
    )
    rows = ws.metric("csat", by=["first_response_bucket"]).rows
    assert [(r["first_response_bucket"], r["n"]) for r in rows] == [
        ("0-1h", 2),
        ("1-4h", 2),
        ("24h+", 1),
        ("4-8h", 1),
        ("8-24h", 2),
        ("no reply", 1),
    ]
    ws.close()


def test_survey_facts_read_the_ticket_facts_when_they_are_at_hand(surveyed) -> None:
    # Without ticket facts the rated tickets' first responses are computed for them alone; with
    # ticket_core built (or kept), it is read instead: the same rows either way.
    def survey_rows(build_core_first: bool) -> list[dict]:
        shutil.rmtree(surveyed.root / ".supportmetrics", ignore_errors=True)
        ws = supportmetrics.connect(surveyed.root)
        try:
            engine = ws.engine()
            assert engine.ready_facts("ticket_core") is None
            if build_core_first:
                engine.facts("ticket_core")
                assert engine.ready_facts("ticket_core") is not None
            rows = engine.facts("surveys").to_pyarrow().to_pylist()
            assert (engine.ready_facts("ticket_core") is not None) == build_core_first
            return sorted(rows, key=lambda r: r["response_id"])
        finally:
            ws.close()

    alone, read = survey_rows(False), survey_rows(True)
    assert alone == read
    assert any(r["first_response_seconds"] is not None for r in read)
