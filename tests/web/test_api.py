"""The JSON API: the same numbers as the query API, drill-down rows, clear 4xx for bad parameters."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.metrics import CATALOGUE
from supportmetrics.web.pages import HEADLINE
from tests.web.conftest import Site, assert_same

FROM, TO = "2025-07-01", "2025-09-30"


@pytest.fixture(scope="module")
def ws(site: Site) -> supportmetrics.Workspace:
    workspace = supportmetrics.connect(site.root)
    yield workspace
    workspace.close()


def test_the_catalogue_lists_every_metric(anon: TestClient, auth: dict[str, str]) -> None:
    listed = anon.get("/api/metrics", headers=auth).json()
    assert [m["id"] for m in listed] == list(CATALOGUE)
    frt = next(m for m in listed if m["id"] == "first_response_time")
    assert frt["unit"] == "seconds" and frt["better"] == "lower" and frt["drill_down"] is True
    assert {
        "text": "email: 24 h",
        "source": CATALOGUE["first_response_time"].benchmarks[0].source,
    } in frt["benchmarks"]


@pytest.mark.parametrize(
    ("metric", "params", "options"),
    [
        (
            "first_response_time",
            {"by": "channel", "stat": "median", "from": FROM, "to": TO},
            {"by": ["channel"], "stat": "median"},
        ),
        (
            "ticket_volume",
            {"period": "month", "where": "priority=high,urgent"},
            {"period": "month", "where": {"priority": ["high", "urgent"]}},
        ),
        (
            "first_contact_resolution",
            {"from": FROM, "to": TO, "compare": "previous"},
            {"compare": "previous"},
        ),
        ("resolution_time", {"clock": "business", "from": FROM, "to": TO}, {"clock": "business"}),
    ],
)
def test_a_metric_equals_the_query_api(
    anon: TestClient,
    auth: dict[str, str],
    ws: supportmetrics.Workspace,
    metric: str,
    params: dict[str, str],
    options: dict,
) -> None:
    got = anon.get(f"/api/metrics/{metric}", params=params, headers=auth)
    assert got.status_code == 200, got.text
    if "from" in params:
        options |= {"start": date.fromisoformat(FROM), "end": date.fromisoformat(TO)}
    expected = ws.metric(metric, **options).to_dict()
    assert_same(got.json(), expected)
    assert expected["rows"] and all(r["n"] > 0 for r in expected["rows"])


def test_drill_down_rows_are_exactly_the_metrics_population(
    anon: TestClient, auth: dict[str, str], ws: supportmetrics.Workspace
) -> None:
    where = {"where": "channel=email", "from": FROM, "to": TO}
    value = anon.get("/api/metrics/first_response_time", params=where, headers=auth).json()
    n = value["rows"][0]["n"]
    rows = anon.get(
        "/api/metrics/first_response_time/rows", params=where | {"limit": 5}, headers=auth
    ).json()
    assert rows["total"] == n and len(rows["rows"]) == 5
    assert rows["columns"][:3] == ["ticket_id", "filed_at", "value"]
    assert all(r["channel"] == "email" for r in rows["rows"])
    exported = anon.get("/api/metrics/first_response_time/rows.csv", params=where, headers=auth)
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(table) == n
    mean = sum(float(r["value"]) for r in table) / n
    assert mean == pytest.approx(
        ws.metric(
            "first_response_time",
            where={"channel": ["email"]},
            start=date(2025, 7, 1),
            end=date(2025, 9, 30),
        ).rows[0]["value"]
    )


def test_duration_buckets_select_rows_by_value(anon: TestClient, auth: dict[str, str]) -> None:
    params = {"from": FROM, "to": TO, "min": 3600, "max": 4 * 3600, "limit": 1000}
    rows = anon.get("/api/metrics/first_response_time/rows", params=params, headers=auth).json()
    assert rows["total"] > 0
    assert all(3600 <= r["value"] < 4 * 3600 for r in rows["rows"])


def test_drill_down_is_refused_where_it_has_no_rows(anon: TestClient, auth: dict[str, str]) -> None:
    response = anon.get("/api/metrics/backlog/rows", headers=auth)
    assert response.status_code == 400
    assert "drill-down is not available for backlog" in response.json()["detail"]


def test_the_overview_shows_the_headline_metrics_the_catalogue_has(
    anon: TestClient, auth: dict[str, str], ws: supportmetrics.Workspace
) -> None:
    groups = anon.get("/api/overview", params={"range": "all"}, headers=auth).json()
    shown = [t["metric"] for g in groups for t in g["tiles"]]
    assert shown == [m for _, ids in HEADLINE for m in ids if m in CATALOGUE]
    frt = next(t for g in groups for t in g["tiles"] if t["metric"] == "first_response_time")
    start, end = date.fromisoformat(frt["from"]), date.fromisoformat(frt["to"])
    expected = ws.metric(
        "first_response_time", stat="median", start=start, end=end, compare="previous"
    ).rows[0]
    assert frt["value"] == expected["value"] and frt["n"] == expected["n"]
    assert frt["target"] == {
        "value": 3600.0,
        "display": "1h 00m",
        "owner": "Support lead",
        "next_action": "Staff the morning queue",
        "met": expected["value"] <= 3600,
        "scope": "median",
    }
    assert frt["benchmarks"][0]["text"] == "email: 24 h"
    assert len(frt["trend"]) > 3 and frt["spark"]["$schema"].startswith("https://vega.github.io")


def test_tiles_say_which_filters_they_cannot_take(anon: TestClient, auth: dict[str, str]) -> None:
    groups = anon.get("/api/overview", params={"priority": "high"}, headers=auth).json()
    tiles = {t["metric"]: t for g in groups for t in g["tiles"]}
    assert tiles["first_response_time"]["ignored_filters"] == []
    assert tiles["handle_time"]["ignored_filters"] == ["priority"]


def test_targets_carry_owner_next_action_and_status(
    anon: TestClient, auth: dict[str, str], ws: supportmetrics.Workspace
) -> None:
    targets = anon.get("/api/targets", params={"range": "all"}, headers=auth).json()
    assert [t["metric"] for t in targets] == ["first_response_time", "reopen_rate"]
    reopen = targets[1]
    expected = ws.metric("reopen_rate").rows[0]["value"]
    assert reopen["value"] == pytest.approx(expected)
    assert reopen["target"] | {"met": None} == {
        "value": 0.05,
        "display": "5.0%",
        "owner": "Quality lead",
        "next_action": "Review reopened billing tickets weekly",
        "met": None,
        "scope": "",
    }
    assert reopen["target"]["met"] is (expected <= 0.05)


def test_agents_put_speed_next_to_quality(anon: TestClient, auth: dict[str, str]) -> None:
    page = anon.get("/api/agents", params={"range": "all"}, headers=auth).json()
    assert page["rows"] and all("first_response_mean" in r and "csat" in r for r in page["rows"])


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/api/metrics/nope", {}, 404, "unknown metric 'nope'"),
        ("/api/metrics/ticket_volume", {"by": "colour"}, 400, "unknown dimension 'colour'"),
        ("/api/metrics/ticket_volume", {"where": "colour=red"}, 400, "unknown dimension 'colour'"),
        ("/api/metrics/ticket_volume", {"where": "channel"}, 400, "where takes NAME=VALUE"),
        ("/api/metrics/ticket_volume", {"where": "tags=x"}, 400, "not tags"),
        ("/api/metrics/ticket_volume", {"from": "yesterday"}, 422, "date"),
        ("/api/metrics/ticket_volume", {"from": "2025-02-01", "to": "2025-01-01"}, 400, "before"),
        (
            "/api/metrics/ticket_volume",
            {"period": "hour", "from": "2020-01-01", "to": "2025-01-01"},
            400,
            "periods",
        ),
        ("/api/metrics/first_response_time", {"stat": "p101"}, 400, "unknown stat"),
        ("/api/metrics/ticket_volume", {"clock": "business"}, 400, "no business-hours variant"),
        ("/api/metrics/ticket_volume", {"variant": "nope=1"}, 400, "has no variant nope"),
        ("/api/overview", {"range": "2y"}, 422, "range"),
        ("/api/overview", {"from": "1066-10-14"}, 400, "between"),
        ("/api/facts/orders", {}, 422, "Input should be 'tickets' or 'calls'"),
        ("/api/metrics/ticket_volume/rows", {"limit": 0}, 422, "limit"),
        ("/api/metrics/ticket_volume/rows", {"min": 5}, 400, "min and max select durations"),
    ],
)
def test_bad_parameters_get_a_clear_4xx(
    anon: TestClient, auth: dict[str, str], path: str, params: dict, status: int, message: str
) -> None:
    response = anon.get(path, params=params, headers=auth)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_the_openapi_document_describes_the_api(anon: TestClient, auth: dict[str, str]) -> None:
    document = anon.get("/api/openapi.json", headers=auth).json()
    assert set(document["paths"]) >= {
        "/api/metrics",
        "/api/metrics/{metric_id}",
        "/api/metrics/{metric_id}/rows",
        "/api/metrics/{metric_id}/rows.csv",
        "/api/overview",
        "/api/targets",
        "/api/agents",
    }
    assert not [p for p in document["paths"] if not p.startswith("/api/")]


def test_responses_carry_security_headers(anon: TestClient) -> None:
    headers = anon.get("/login").headers
    assert "script-src 'self';" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_dimensions_of_every_fact_table(anon: TestClient, auth: dict[str, str]) -> None:
    surveys = anon.get("/api/dimensions/surveys", headers=auth)
    assert surveys.status_code == 200
    assert {"channel", "first_response_bucket", "issue_type"} <= set(surveys.json())
    # The test site has no SLA policies: a clear 4xx, not a server error.
    sla = anon.get("/api/dimensions/sla", headers=auth)
    assert sla.status_code == 400 and "SLA" in sla.text
    assert anon.get("/api/dimensions/nope", headers=auth).status_code == 422
