"""The Alerts page in Debian's Chromium (Playwright, as test_browser.py): the open and past episodes
show, a segment link opens the metric page filtered to it; screenshot in tests/artifacts/alerts.png.

Skipped without /usr/bin/chromium, except in CI where it must run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import supportmetrics
from supportmetrics.web import create_app
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, Site, served
from tests.web.test_alerts_page import seed_episodes

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM} in CI")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base_url(site: Site) -> Iterator[str]:
    app = create_app(supportmetrics.connect(site.root), users=site.users, idle_seconds=0)
    with served(app) as url:
        yield url


def test_alerts_page_in_a_browser(base_url: str, site: Site) -> None:
    episodes = seed_episodes(site)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(base_url=base_url, viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto("/alerts")
        page.fill("input[name=username]", ADMIN)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url("**/alerts")
        assert page.locator("tr.episode.open").count() == len(episodes.list(status="open"))
        assert page.locator("tr.episode.resolved").count() == len(episodes.list(status="resolved"))
        page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
        page.locator("tr.episode.resolved a").first.click()
        page.wait_for_url("**/metrics/ticket_volume?**")
        assert "from=2025-07-15" in page.url and "period=day" in page.url
        browser.close()
    assert problems == []
