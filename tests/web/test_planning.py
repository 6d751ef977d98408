"""Planning over HTTP: staffing, forecast and explain give what the command line gives, and the
Staffing page shows the forecast, the heat map and the what-if inputs."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import numpy as np
import pytest

import supportmetrics
from supportmetrics.explain import explain
from supportmetrics.staffing import Targets, calculate, from_history
from supportmetrics.web.planning_pages import by_weekday_hour

pytestmark = pytest.mark.slow


def test_staffing_calculator(anon, auth) -> None:
    params = {"volume": 100, "interval": 1800, "aht": 180, "service_level": 0.8}
    params |= {"answer_within": 20, "max_occupancy": 0.85, "shrinkage": 0.3}
    body = anon.get("/api/staffing", params=params, headers=auth).json()
    assert (body["agents"], body["scheduled"]) == (14, 20)
    assert body["service_level"] == pytest.approx(0.8884, abs=1e-4)
    bad = anon.get("/api/staffing", params={"volume": 10}, headers=auth)
    assert bad.status_code == 400 and "needs aht" in bad.json()["detail"]
    assert anon.get("/api/staffing", params=params).status_code == 401


def test_staffing_calculator_with_erlang_a(anon, auth) -> None:
    params = {"volume": 100, "interval": 1800, "aht": 180, "model": "erlang_a", "patience": 90}
    body = anon.get("/api/staffing", params=params, headers=auth).json()
    expected = calculate(100, 1800, 180, Targets(model="erlang_a", patience=90))
    assert body == json.loads(json.dumps(expected))
    del params["patience"]
    bad = anon.get("/api/staffing", params=params, headers=auth)
    assert bad.status_code == 400 and "needs patience" in bad.json()["detail"]


def test_staffing_from_the_data_matches_the_workspace(anon, auth, site) -> None:
    params = {"from": "2025-03-03", "to": "2025-03-09", "aht": 240}
    body = anon.get("/api/staffing", params=params, headers=auth).json()
    ws = supportmetrics.connect(site.root)
    try:
        expected = from_history(ws, date(2025, 3, 3), date(2025, 3, 9), Targets(), 240.0)
    finally:
        ws.close()
    assert body["rows"] == json.loads(json.dumps(expected))
    assert body["rows"], "the demo has calls that week"


def test_staffing_per_half_hour_matches_the_workspace(anon, auth, site) -> None:
    params = {"from": "2025-03-03", "to": "2025-03-09", "aht": 240, "interval": "30m"}
    body = anon.get("/api/staffing", params=params, headers=auth).json()
    ws = supportmetrics.connect(site.root)
    try:
        expected = from_history(
            ws, date(2025, 3, 3), date(2025, 3, 9), Targets(), 240.0, interval="30m"
        )
    finally:
        ws.close()
    assert body["interval_seconds"] == 1800
    assert body["rows"] == json.loads(json.dumps(expected))
    assert body["rows"][0]["period"][14:] in ("00", "30")
    assert all(r["available_agents"] is not None for r in body["rows"])
    bad = anon.get("/api/staffing", params={**params, "interval": "900"}, headers=auth)
    assert bad.status_code == 400 and "30m or 1h" in bad.json()["detail"]


def test_explain_matches_the_workspace(anon, auth, site) -> None:
    params = {"from": "2025-06-01", "to": "2025-06-30", "by": "channel"}
    body = anon.get("/api/explain/ticket_volume", params=params, headers=auth).json()
    ws = supportmetrics.connect(site.root)
    try:
        expected = explain(ws, "ticket_volume", date(2025, 6, 1), date(2025, 6, 30), by=["channel"])
    finally:
        ws.close()
    assert body["summary"] == expected["summary"]
    assert body["dimensions"][0]["explained"] == body["change"]
    missing = anon.get("/api/explain/nope", params=params, headers=auth)
    assert missing.status_code == 404


def test_forecast_api(anon, auth) -> None:
    body = anon.get("/api/forecast", params={"interval": "day", "horizon": 7}, headers=auth).json()
    assert len(body["rows"]) == 7
    assert all(r["lower"] <= r["forecast"] <= r["upper"] for r in body["rows"])
    assert body["backtest"][0]["folds"] == 4


def test_staffing_page(admin) -> None:
    page = admin.get("/staffing", params={"service_level": "0.9", "aht": "200"})
    assert page.status_code == 200
    assert 'id="forecast-chart"' in page.text and 'id="staffing-heat-map"' in page.text
    # the demo has agent availability: needed against available, as a map and a table
    assert 'id="staffing-gap-map"' in page.text and 'id="staffing-gaps"' in page.text
    table = page.text.split('id="staffing-gaps"')[1].split("</table>")[0]
    assert table.count("<tr>") == 8 and re.search(r"<td>[+\u2212]\d+\.\d</td>", table)
    assert 'name="aht" type="number" step="1" min="1" value="200"' in page.text
    assert 'value="0.9"' in page.text
    assert 'href="/staffing?' in page.text
    bad = admin.get("/staffing", params={"aht": "soon"})
    assert bad.status_code == 400
    assert admin.get("/staffing", params={"model": "erlang_b"}).status_code == 400


def test_staffing_page_what_if_erlang_a(admin) -> None:
    """The page staffs with Erlang A when asked, at the patience given or, without one, at the
    patience estimated from the demo's calls (shown in the input)."""
    given = admin.get("/staffing", params={"aht": "300", "model": "erlang_a", "patience": "30"})
    estimated = admin.get("/staffing", params={"aht": "300", "model": "erlang_a"})
    assert given.status_code == estimated.status_code == 200
    assert '<option value="erlang_a" selected>' in given.text
    assert "Erlang A: callers hang up after their patience" in given.text
    assert re.search(r'name="patience"[^>]*value="30"', given.text)
    assert re.search(r'name="patience"[^>]*value="[1-9]\d*"', estimated.text)  # the estimate
    erlang_c = admin.get("/staffing", params={"aht": "300"})
    assert '<option value="erlang_c" selected>' in erlang_c.text
    assert re.search(r'name="patience"[^>]*value=""', erlang_c.text)


def test_why_did_this_change_panel_on_the_metric_page(admin) -> None:
    params = {"range": "30d", "by": "channel", "anchor": "data"}
    page = admin.get("/metrics/ticket_volume", params=params)
    assert page.status_code == 200
    headline = re.search(r'id="headline-value" data-value="(\d+)"', page.text).group(1)
    # the page links to the panel (computed on request, not with every page view)
    assert 'class="summary"' not in page.text
    link = re.search(r'id="why-link" href="([^"]+)" data-panel="([^"]+)"', page.text)
    assert link, "no link to the panel"
    page_link, panel_link = (html.unescape(g) for g in link.groups())
    assert page_link == "/metrics/ticket_volume/why?range=30d&anchor=data&by=channel"
    assert panel_link == "/metrics/ticket_volume/why/panel?range=30d&anchor=data&by=channel"
    whole, panel = admin.get(page_link), admin.get(panel_link)
    assert whole.status_code == panel.status_code == 200
    assert "Why did this change?" in whole.text and 'id="filters"' in whole.text
    assert "<html" not in panel.text and panel.text.lstrip().startswith("<section")
    summary = re.search(r'class="summary">([^<]*)<', panel.text).group(1)
    assert summary in whole.text
    # the summary's new value is the page's headline, and the top driver is a channel
    assert re.fullmatch(
        rf"ticket_volume (rose|fell) from \d+ to {headline} \([+-]\d+\); the top driver is "
        r"channel \w+ \([+-]\d+\)\.",
        summary,
    ), summary


def test_means_by_weekday_and_hour() -> None:
    # Monday 09:00 and the next Monday 09:30 share a cell; Sunday 23:00 is the last one
    periods = ["2024-01-01T09:00", "2024-01-08T09:30", "2024-01-07T23:00"]
    grid = by_weekday_hour(periods, [1.0, 3.0, 5.0])
    assert grid.shape == (7, 24)
    assert (grid[0, 9], grid[6, 23]) == (2.0, 5.0)
    assert np.isnan(grid).sum() == 7 * 24 - 2


def test_why_panel_needs_a_login_and_a_known_metric(anon, admin) -> None:
    assert anon.get("/metrics/ticket_volume/why/panel", follow_redirects=False).status_code == 303
    assert admin.get("/metrics/nope/why/panel").status_code == 404
    # the panel reads the link's range: long before the data, nothing changed
    params = {"from": "2001-01-01", "to": "2001-01-31"}
    empty = admin.get("/metrics/ticket_volume/why/panel", params=params)
    assert empty.status_code == 200 and "ticket_volume held from 0 to 0 (0)." in empty.text
