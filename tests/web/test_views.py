"""The dashboard's views as people use them: drill-down columns and names, the column picker, CSV
of the shown rows, survey drill-down, readable chart specs, the filters stated in the header and
exports, the metric page's choices in the URL, and charts as PNG and SVG."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.web.test_pages import _embedded_specs

RANGE = {"from": "2025-07-01", "to": "2025-09-30"}
TICKET_HEADERS = [
    "Ticket",
    "Created",
    "First response time",
    "Channel",
    "Team",
    "Priority",
    "Status",
    "Issue type",
    "Agent id",
    "Agent",
    "Solved",
]


def _headers(page: str) -> list[str]:
    head = re.search(r'<table class="sortable rows" id="rows-table">\s*<thead><tr>(.*?)</tr>', page)
    assert head, "no rows table"
    return [html.unescape(h) for h in re.findall(r"<th [^>]*>([^<]*)</th>", head.group(1))]


def _cells(page: str) -> list[list[str]]:
    body = re.search(r'id="rows-table">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
        for r in rows
    ]


def _spec(page: str, name: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', page, re.S)
    assert found, name
    return json.loads(found.group(1))


def _values(spec: dict) -> list[dict]:
    """The data of a chart's first layer (Altair lifts it to the top when it is the only one)."""
    return (spec.get("data") or spec["layer"][0]["data"])["values"]


def test_the_drill_down_shows_the_default_columns_with_names_and_durations(
    admin: TestClient, auth: dict[str, str]
) -> None:
    page = admin.get("/metrics/first_response_time/rows", params=RANGE).text
    assert _headers(page) == TICKET_HEADERS
    api = admin.get(
        "/api/metrics/first_response_time/rows",
        params=RANGE | {"columns": "default", "limit": 50},
        headers=auth,
    ).json()
    assert api["columns"] == [
        "ticket_id",
        "filed_at",
        "value",
        "channel",
        "team",
        "priority",
        "status",
        "issue_type",
        "assignee_id",
        "agent_name",
        "solved_at",
    ]
    cells = _cells(page)
    assert len(cells) == 50 == len(api["rows"])
    for shown, row in zip(cells, api["rows"], strict=True):
        assert shown[0] == row["ticket_id"]
        seconds = row["value"]
        if seconds < 60:
            assert shown[2] == f"{seconds:.0f}s"
        elif seconds < 3600:
            assert shown[2] == f"{int(seconds // 60)}m {int(seconds % 60):02d}s"
        elif seconds < 86400:
            assert shown[2] == f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"
        assert "." not in shown[2]
        assert shown[8] == (row["assignee_id"] or "")
        assert shown[9] == (row["agent_name"] or "")
    # the name beside the id is the agent's name in the agents table
    agents = admin.get("/api/agents", params={"range": "all"}, headers=auth).json()["rows"]
    by_id = {a["agent"]: a["name"] for a in agents}
    named = [r for r in api["rows"] if r["assignee_id"] in by_id]
    assert named and all(r["agent_name"] == by_id[r["assignee_id"]] for r in named)


def test_the_column_picker_chooses_columns_in_the_url(admin: TestClient) -> None:
    picked = admin.get(
        "/metrics/first_response_time/rows",
        params=[*RANGE.items(), ("column", "ticket_id"), ("column", "value")],
    ).text
    assert _headers(picked) == ["Ticket", "First response time"]
    every = admin.get("/metrics/first_response_time/rows", params=RANGE | {"columns": "all"}).text
    headers = _headers(every)
    assert len(headers) > 30 and headers[: len(TICKET_HEADERS)] == TICKET_HEADERS
    assert not [h for h in headers if "_" in h]
    bad = admin.get("/metrics/first_response_time/rows", params=RANGE | {"columns": "nope"})
    assert bad.status_code == 400 and "no column nope" in bad.text


def test_the_csv_export_holds_the_shown_rows_and_states_the_filters(admin: TestClient) -> None:
    params = RANGE | {"channel": "email"}
    page = admin.get("/metrics/first_response_time/rows", params=params).text
    link = html.unescape(re.search(r'id="export-csv" href="([^"]+)"', page).group(1))
    total = int(re.search(r'data-total="(\d+)"', page).group(1))
    exported = admin.get(link)
    assert exported.status_code == 200
    lines = exported.text.splitlines()
    assert lines[0] == "# First response time; 2025-07-01 to 2025-09-30; channel = email"
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    assert rows[0] == [
        "ticket_id",
        "filed_at",
        "value",
        "channel",
        "team",
        "priority",
        "status",
        "issue_type",
        "assignee_id",
        "agent_name",
        "solved_at",
    ]
    assert len(rows) - 1 == total
    shown = _cells(page)
    assert [r[0] for r in rows[1 : len(shown) + 1]] == [c[0] for c in shown]
    assert [r[9] for r in rows[1 : len(shown) + 1]] == [c[9] for c in shown]
    assert {r[3] for r in rows[1:]} == {"email"}
    every = html.unescape(re.search(r'id="export-csv-all" href="([^"]+)"', page).group(1))
    header = next(csv.reader(io.StringIO(admin.get(every).text.splitlines()[1])))
    assert len(header) > 30 and "first_response_seconds" in header


def test_survey_metrics_drill_into_their_responses(admin: TestClient, auth: dict[str, str]) -> None:
    page = admin.get("/metrics/csat/rows", params=RANGE).text
    api = admin.get("/api/metrics/csat", params=RANGE, headers=auth).json()["rows"][0]
    assert int(re.search(r'data-total="(\d+)"', page).group(1)) == api["n"] > 0
    headers = _headers(page)
    assert headers[:6] == [
        "Response",
        "Submitted",
        "Customer satisfaction (CSAT)",
        "Survey",
        "Score",
        "Comment",
    ]
    assert "Ticket" in headers and "Agent" in headers
    rows = admin.get(
        "/api/metrics/csat/rows",
        params=RANGE | {"columns": "default", "limit": 10000},
        headers=auth,
    ).json()["rows"]
    satisfied = sum(1 for r in rows if r["value"])
    assert 100 * satisfied / len(rows) == pytest.approx(api["value"])
    assert {r["survey"] for r in rows} == {"csat"}
    ticket = next(r["ticket_id"] for r in rows if r["ticket_id"])
    assert f"where=ticket_id%3D{ticket}" in page  # the ticket's own row is a link away
    nps = admin.get("/metrics/nps/rows", params=RANGE)
    assert nps.status_code == 200 and "Score" in _headers(nps.text)


def test_charts_read_well(admin: TestClient) -> None:
    page = admin.get("/metrics/first_response_time", params={"range": "all", "by": "priority"}).text
    trend = _spec(page, "trend-chart")
    line = trend["layer"][0]["encoding"]
    assert line["x"]["scale"]["type"] == "utc"
    assert 2 <= len(line["x"]["axis"]["values"]) <= 10
    assert "'%b %Y'" in line["x"]["axis"]["labelExpr"]  # range=all is monthly: month names
    y_axis = line["y"]["axis"]
    assert y_axis["title"].startswith("First response time (")
    assert y_axis["tickCount"] <= 10 and "' h'" in y_axis["labelExpr"]
    texts = [v["text"] for v in _values(trend)]
    assert all("." not in t for t in texts if t)  # tooltips humanised, not raw seconds
    bars = _spec(page, "breakdown-chart")
    labels = [v["label"] for v in bars["data"]["values"]]
    assert labels == [p for p in ("low", "normal", "high", "urgent") if p in labels]
    assert bars["encoding"]["y"]["sort"] is None and bars["encoding"]["y"]["title"] == "priority"
    table = re.search(r'id="breakdown-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert re.findall(r"<tr><td>(\w+)</td>", table) == labels  # table and chart in one order
    weekly = _spec(
        admin.get("/metrics/first_response_time", params=RANGE | {"period": "week"}).text,
        "trend-chart",
    )["layer"][0]["encoding"]["x"]["axis"]
    first = datetime.utcfromtimestamp(weekly["values"][0] / 1000).date()
    assert "utcFormat(datum.value, '%b %d')" in weekly["labelExpr"]
    assert first == date(2025, 6, 30) and first.weekday() == 0  # ticks on week starts
    csat = _spec(admin.get("/metrics/reopen_rate", params=RANGE).text, "trend-chart")
    axis = csat["layer"][0]["encoding"]["y"]["axis"]
    assert axis["format"] == "~%" or "'%'" in axis.get("labelExpr", "")
    agents = _embedded_specs(admin.get("/agents", params={"range": "all"}).text)[0]
    assert [layer["mark"]["type"] for layer in agents["layer"]] == ["circle", "text"]
    assert agents["layer"][1]["encoding"]["text"]["field"] == "agent"


def test_the_default_split_has_more_than_one_value(admin: TestClient) -> None:
    page = admin.get("/metrics/first_response_time", params=RANGE).text
    assert '<option value="channel" selected>' in page
    email = admin.get("/metrics/first_response_time", params=RANGE | {"channel": "email"}).text
    by = re.search(r'<option value="([^"]+)" selected>', email.split('name="by"')[1]).group(1)
    assert by != "channel"
    values = [v["label"] for v in _values(_spec(email, "breakdown-chart"))]
    assert len(set(values)) > 1


def test_the_header_states_the_range_and_filters(admin: TestClient) -> None:
    page = admin.get("/metrics/first_response_time", params={"range": "30d", "channel": "email"})
    statement = re.search(r'id="view-statement">(.*?)</p>', page.text, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", statement)
    today = datetime.now(ZoneInfo("America/New_York")).date()
    assert "Last 30 days up to today: " in text and f"to {today}" in text
    assert "channel = email" in text and "Data until" in text and "last loaded" in text
    data_end = admin.get(
        "/metrics/first_response_time", params={"range": "30d", "anchor": "data"}
    ).text
    until = re.search(r'id="data-until">([^<]+)<', data_end).group(1)
    assert f"to {until}" in re.sub(r"<[^>]+>", "", data_end.split('id="view-statement"')[1])
    assert "up to the data&#39;s last day" in data_end


def test_variant_period_stat_and_clock_in_the_url_change_the_numbers(
    admin: TestClient, auth: dict[str, str]
) -> None:
    def headline(path: str, params: dict | list) -> float:
        page = admin.get(path, params=params)
        assert page.status_code == 200, page.text[:400]
        return float(re.search(r'id="headline-value" data-value="([^"]+)"', page.text).group(1))

    def api(metric: str, params: dict) -> dict:
        return admin.get(f"/api/metrics/{metric}", params=RANGE | params, headers=auth).json()

    share = headline("/metrics/csat", RANGE)
    mean = headline("/metrics/csat", RANGE | {"variant": "score=mean"})
    assert share == pytest.approx(api("csat", {})["rows"][0]["value"])
    assert mean == pytest.approx(api("csat", {"variant": "score=mean"})["rows"][0]["value"])
    assert 1 <= mean <= 5 < share
    page = admin.get("/metrics/csat", params=RANGE | {"variant": "score=mean"}).text
    assert '<option value="score=mean" selected>' in page
    assert "variant=score%3Dmean" in page  # drill and export links keep the variant
    business = headline("/metrics/first_response_time", RANGE | {"clock": "business"})
    expected = api("first_response_time", {"clock": "business", "stat": "median"})
    assert business == pytest.approx(expected["rows"][0]["value"])
    p90 = headline("/metrics/first_response_time", RANGE | {"stat": "p90"})
    assert p90 == pytest.approx(api("first_response_time", {"stat": "p90"})["rows"][0]["value"])
    day = {"from": "2025-09-01", "to": "2025-09-02"}
    hourly = admin.get("/metrics/ticket_volume", params=day | {"period": "hour"}).text
    points = _values(_spec(hourly, "trend-chart"))
    by_hour = admin.get(
        "/api/metrics/ticket_volume", params=day | {"period": "hour"}, headers=auth
    ).json()["rows"]
    assert [p["label"] for p in points] == [r["period"] for r in by_hour]
    assert [p["y"] for p in points] == [r["value"] for r in by_hour] and len(points) > 2
    halves = admin.get(
        "/api/metrics/ticket_volume", params=day | {"period": "half_hour"}, headers=auth
    ).json()["rows"]
    added: dict[str, int] = {}  # two half hours make their hour
    for row in halves:
        added[row["period"][:13]] = added.get(row["period"][:13], 0) + row["value"]
    assert added == {r["period"][:13]: r["value"] for r in by_hour}
    assert any(r["period"].endswith(":30") for r in halves)
    half_hourly = admin.get("/metrics/ticket_volume", params=day | {"period": "half_hour"}).text
    assert '<option value="half_hour" selected>half hour</option>' in half_hourly
    assert [p["label"] for p in _values(_spec(half_hourly, "trend-chart"))] == [
        r["period"] for r in halves
    ]


def test_charts_export_as_png_and_svg_and_tables_as_csv(admin: TestClient) -> None:
    params = RANGE | {"by": "priority"}
    page = admin.get("/metrics/first_response_time", params=params).text
    png_link = html.unescape(
        re.search(
            r'href="(/metrics/first_response_time/chart\.png\?chart=trend[^"]*)"', page
        ).group(1)
    )
    png = admin.get(png_link)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = admin.get(
        "/metrics/first_response_time/chart.svg", params=params | {"chart": "breakdown"}
    )
    root = ET.fromstring(svg.content)
    assert root.tag.endswith("svg") and "normal" in svg.text
    table = admin.get(
        "/metrics/first_response_time/table.csv", params=params | {"table": "breakdown"}
    )
    lines = table.text.splitlines()
    assert lines[0] == "# First response time; 2025-07-01 to 2025-09-30; unit seconds"
    assert lines[1] == "priority,value,n,ci_low,ci_high,low_sample"
    assert [line.split(",")[0] for line in lines[2:]] == [
        v["label"] for v in _values(_spec(page, "breakdown-chart"))
    ]
    assert (
        admin.get("/metrics/first_response_time/chart.png", params={"chart": "nope"}).status_code
        == 422
    )
    agents = admin.get("/agents/table.csv", params={"range": "all"}).text.splitlines()
    assert agents[0].startswith("# Agents; ") and agents[1].startswith("agent,name,replies")


def test_the_overview_and_targets_tables_export_the_tiles_numbers(
    admin: TestClient, auth: dict[str, str]
) -> None:
    # Every table on a page has its CSV: the overview's tiles and the targets, raw numbers as
    # the API gives them for the same view
    params = {"from": "2025-07-01", "to": "2025-09-30"}
    for path, api, title in [
        ("/overview.csv", "/api/overview", "Overview"),
        ("/targets/table.csv", "/api/targets", "Targets"),
    ]:
        lines = admin.get(path, params=params).text.splitlines()
        assert lines[0] == f"# {title}; 2025-07-01 to 2025-09-30"
        rows = list(csv.DictReader(lines[1:]))
        found = admin.get(api, params=params, headers=auth).json()
        tiles = [t for g in found for t in g["tiles"]] if title == "Overview" else found
        assert [r["metric"] for r in rows] == [t["metric"] for t in tiles]
        for row, tile in zip(rows, tiles, strict=True):
            for key in ("value", "n"):
                number = float(row[key]) if row[key] else None
                assert number == tile.get(key), (tile["metric"], key)
    assert len(rows) > 0  # the test workspace has targets


def test_the_api_keeps_ranges_on_the_datas_end_unless_told_today(
    admin: TestClient, auth: dict[str, str]
) -> None:
    def first_tile(params: dict) -> dict:
        groups = admin.get("/api/overview", params=params, headers=auth).json()
        return groups[0]["tiles"][0]

    today = datetime.now(ZoneInfo("America/New_York")).date()
    data_end = first_tile({"range": "30d"})
    assert data_end["to"] < today.isoformat()
    ending_today = first_tile({"range": "30d", "anchor": "today"})
    assert ending_today["to"] == today.isoformat() and ending_today["days"] == 30
    bad = admin.get("/api/overview", params={"range": "30d", "anchor": "yesterday"}, headers=auth)
    assert bad.status_code == 422
