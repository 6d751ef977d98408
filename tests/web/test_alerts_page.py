"""The Alerts page and GET /api/alerts over the shared demo workspace: open and past episodes, each
linking to the metric page filtered to its segment; login and token required; text escaped."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.alerts.check import check_alerts
from supportmetrics.alerts.episodes import Episodes, Finding
from supportmetrics.alerts.settings import SpikeAlert
from tests.web.conftest import XSS_TAG, Site

ALERT = {"volume": SpikeAlert(kind="spike")}


def seed_episodes(site: Site) -> Episodes:
    """The outage of the demo (Tuesday 9 September 2025) found by a daily volume alert, resolved
    once the volume is back, and one open episode whose text carries markup (written once)."""
    found = Episodes.of_workspace(site.root)
    if not found.list():
        ws = supportmetrics.connect(site.root)
        for day in (10, 16):  # judging Tue 9 (the outage) and Mon 15 September
            check_alerts(ws.engine(), ALERT, found, datetime(2025, 9, day, 12), lambda *a: None)
        ws.close()
        found.open(
            "by_tag",
            "spike",
            Finding(f"tag={XSS_TAG}", f"Ticket volume spike (tag={XSS_TAG})", link="/metrics/x"),
            datetime(2026, 1, 5, 9),
        )
    return found


@pytest.fixture(scope="module")
def episodes(site: Site) -> Episodes:
    return seed_episodes(site)


def test_api_lists_open_and_past_episodes(anon: TestClient, auth, episodes: Episodes) -> None:
    body = anon.get("/api/alerts", headers=auth).json()
    (past,) = body["past"]
    assert (past["alert"], past["segment"], past["status"], past["period"]) == (
        "volume",
        "all",
        "resolved",
        "2025-09-09",
    )
    assert past["observed"] > past["expected"]
    assert past["link"] == "/metrics/ticket_volume?from=2025-07-15&to=2025-09-09&period=day"
    assert [e["alert"] for e in body["open"]] == ["by_tag"]
    only_open = anon.get("/api/alerts", headers=auth, params={"status": "open"}).json()
    assert only_open["past"] == [] and len(only_open["open"]) == 1


def test_api_and_page_need_a_login(anon: TestClient, episodes: Episodes) -> None:
    assert anon.get("/api/alerts").status_code == 401
    page = anon.get("/alerts", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_page_shows_episodes_with_links_and_escapes_text(
    viewer: TestClient, episodes: Episodes
) -> None:
    html = viewer.get("/alerts").text
    assert '<a href="/alerts" aria-current="page">Alerts</a>' in html
    assert 'href="/metrics/ticket_volume?from=2025-07-15&amp;to=2025-09-09&amp;period=day"' in html
    assert XSS_TAG not in html and "&lt;script&gt;" in html
    assert html.index("Open episodes") < html.index("Resolved episodes")


def test_the_linked_metric_page_opens(viewer: TestClient, episodes: Episodes) -> None:
    (past,) = Episodes.of_workspace(episodes.log.path.parent).list(status="resolved")
    assert past.link is not None
    assert viewer.get(past.link).status_code == 200
