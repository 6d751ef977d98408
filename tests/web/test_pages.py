"""The HTML pages: escaped data, filters kept in links, the same numbers as the API, clear errors."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from supportmetrics.metrics import CATALOGUE
from tests.web.conftest import XSS_NAME, XSS_TAG

RANGE = {"from": "2025-07-01", "to": "2025-09-30"}


def _embedded_specs(page: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


@pytest.mark.parametrize(
    "path",
    [
        "/agents?range=all",
        "/?range=all",
        "/metrics/first_response_time/rows?range=all&where=tag=" + XSS_TAG,
        "/metrics/first_response_time?range=all&by=agent.name",
    ],
)
def test_markup_from_the_data_comes_out_escaped(admin: TestClient, path: str) -> None:
    page = admin.get(path)
    assert page.status_code == 200, page.text
    assert XSS_TAG not in page.text and XSS_NAME not in page.text
    assert "<img src=x" not in page.text and "<script>window" not in page.text


def test_the_hostile_values_are_shown_as_text(admin: TestClient) -> None:
    rows = admin.get(
        "/metrics/first_response_time/rows",
        params={"range": "all", "columns": "all", "where": f"tag={XSS_TAG}"},
    )
    assert str(escape(XSS_TAG)) in rows.text
    agents = admin.get("/agents", params={"range": "all"})
    assert str(escape(XSS_NAME)) in agents.text
    split = admin.get("/metrics/first_response_time", params={"range": "all", "by": "agent.name"})
    specs = _embedded_specs(split.text)
    labels = [
        v["label"] for s in specs for v in s.get("data", {}).get("values", []) if "label" in v
    ]
    assert XSS_NAME in labels  # JSON inside the page keeps the value, escaped for HTML by tojson
    assert "\\u003cimg" in split.text


def test_every_metric_page_renders(admin: TestClient) -> None:
    for metric_id in CATALOGUE:
        page = admin.get(f"/metrics/{metric_id}", params={"range": "all"})
        assert page.status_code in (200, 400), (metric_id, page.text[:500])
        if page.status_code == 400:  # only metrics whose settings are missing
            assert "needs SLA policies" in page.text or "no SLA policies" in page.text, metric_id


def test_the_metric_page_shows_the_apis_numbers(admin: TestClient) -> None:
    params = RANGE | {"channel": ["email", "chat"], "stat": "median", "by": "priority"}
    page = admin.get("/metrics/first_response_time", params=params).text
    api = admin.get(
        "/api/metrics/first_response_time",
        params=RANGE | {"where": "channel=email,chat", "stat": "median"},
    ).json()["rows"][0]
    shown = re.search(r'id="headline-value" data-value="([^"]+)"', page).group(1)
    assert float(shown) == pytest.approx(api["value"])
    assert f'<span id="headline-n">{api["n"]}</span>' in page
    by_priority = admin.get(
        "/api/metrics/first_response_time",
        params=RANGE | {"where": "channel=email,chat", "stat": "median", "by": "priority"},
    ).json()["rows"]
    cells = [float(v) for v in re.findall(r'<td data-sort="[^"]*" data-value="([^"]+)">', page)]
    assert sorted(cells) == pytest.approx(sorted(r["value"] for r in by_priority))


def test_filters_are_kept_in_every_link(admin: TestClient) -> None:
    page = admin.get("/", params={"range": "30d", "channel": "email", "clock": "business"}).text
    assert (
        'href="/metrics/first_response_time?range=30d&amp;channel=email&amp;clock=business"' in page
    )
    assert '<option value="email" selected>' in page


def test_drill_links_narrow_the_view(admin: TestClient) -> None:
    page = admin.get("/metrics/first_response_time", params=RANGE | {"by": "channel"}).text
    links = set(re.findall(r'href="(/metrics/first_response_time/rows\?[^"]+)"', page))
    email = next(link for link in links if "&channel=email" in html.unescape(link))
    rows = admin.get(html.unescape(email))
    assert rows.status_code == 200
    total = int(re.search(r'data-total="(\d+)"', rows.text).group(1))
    api = admin.get(
        "/api/metrics/first_response_time", params=RANGE | {"where": "channel=email"}
    ).json()
    assert total == api["rows"][0]["n"]


def test_a_bad_parameter_is_a_400_page_not_a_crash(admin: TestClient) -> None:
    page = admin.get("/metrics/first_response_time", params={"by": "ticket_id"})
    assert page.status_code == 400 and "cannot break first_response_time down by" in page.text
    assert admin.get("/metrics/nope").status_code == 404
    assert admin.get("/", params={"from": "not a date"}).status_code == 400
    assert admin.get("/metrics/first_response_time/rows", params={"offset": "x"}).status_code == 400


def test_the_vendored_chart_libraries_are_served(anon: TestClient) -> None:
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "vega-interpreter.js"):
        response = anon.get(f"/static/vendor/{name}")
        assert response.status_code == 200 and len(response.content) > 5000, name
    assert "https://" not in re.sub(r"\$schema[^,]+", "", anon.get("/login").text)
