"""The dashboard in a real browser: Debian's Chromium driven by Playwright against uvicorn on a free
loopback port. Log in, read the overview, change filters, open a metric, drill down, export CSV; the
numbers on the page equal the JSON API's and the CLI's. Screenshots go to tests/artifacts/.

Skipped without /usr/bin/chromium, except in CI where it must run.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app as cli
from supportmetrics.web import create_app
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, XSS_TAG, Site, served

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


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator[sync_api.Page]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(
            base_url=base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        tab = context.new_page()
        tab.problems = []  # type: ignore[attr-defined]
        tab.on("pageerror", lambda exc: tab.problems.append(str(exc)))
        tab.on(
            "console",
            lambda message: tab.problems.append(message.text) if message.type == "error" else None,
        )
        tab.on("dialog", lambda dialog: tab.problems.append(f"dialog: {dialog.message}"))
        yield tab
        browser.close()


def _charts_drawn(page: sync_api.Page) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('.chart')].every(c => c.dataset.rendered === 'true')",
        timeout=15000,
    )


def _shot(page: sync_api.Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _log_in(page: sync_api.Page) -> None:
    page.goto("/login")
    if "/login" in page.url:
        page.fill("input[name=username]", ADMIN)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url("**/")


def _choose(page: sync_api.Page, name: str, typed: str, value: str) -> None:
    """Type into a filter's combobox and pick `value` from its list."""
    box = page.locator(f"#combo-{name}")
    box.fill(typed)
    page.locator(f'#combo-{name}-list [role=option][data-value="{value}"]').click()
    assert page.locator(f'.combo[data-combo={name}] .chip[data-value="{value}"]').count() == 1


def _cli_value(site: Site, *args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "-w", str(site.root), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"][0]


def test_the_dashboard_end_to_end(page: sync_api.Page, site: Site) -> None:
    page.goto("/")
    assert "/login" in page.url
    _shot(page, "login")
    page.fill("input[name=username]", ADMIN)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/")
    _charts_drawn(page)
    _shot(page, "overview")

    # change filters: email only, the last 30 days of data; the URL keeps them
    page.select_option("select[name=range]", "30d")
    page.select_option("select[name=anchor]", "data")
    _choose(page, "channel", "ema", "email")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?range=30d&anchor=data&channel=email")
    _charts_drawn(page)
    _shot(page, "overview-filtered")
    tile = page.locator('article[data-metric="first_response_time"] .value')
    shown = float(tile.get_attribute("data-value"))
    api = page.request.get("/api/overview?range=30d&channel=email").json()
    frt = next(t for g in api for t in g["tiles"] if t["metric"] == "first_response_time")
    assert shown == pytest.approx(frt["value"])
    cli_row = _cli_value(
        site,
        "metric", "first_response_time", "--stat", "median", "--where", "channel=email",
        "--from", frt["from"], "--to", frt["to"],
    )  # fmt: skip
    assert shown == pytest.approx(cli_row["value"]) and frt["n"] == cli_row["n"]

    # open the metric: the filters come along
    page.click('article[data-metric="first_response_time"] h3 a')
    page.wait_for_url("**/metrics/first_response_time?range=30d&channel=email&anchor=data")
    page.select_option("select[name=by]", "priority")
    page.select_option("select[name=period]", "day")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/metrics/first_response_time?*by=priority*")
    _charts_drawn(page)
    _shot(page, "metric")
    headline = float(page.locator("#headline-value").get_attribute("data-value"))
    assert headline == pytest.approx(shown)
    split = page.request.get(
        f"/api/metrics/first_response_time?from={frt['from']}&to={frt['to']}"
        "&where=channel=email&stat=median&by=priority"
    ).json()["rows"]
    cells = page.locator("#breakdown-table tbody td[data-value]")
    on_page = sorted(float(v) for v in cells.evaluate_all("cs => cs.map(c => c.dataset.value)"))
    assert on_page == pytest.approx(sorted(r["value"] for r in split))

    # sort the breakdown by n, then drill into its first row
    page.click("#breakdown-table thead th:nth-child(3)")
    counts = page.locator("#breakdown-table tbody tr td:nth-child(3)").all_inner_texts()
    assert [int(c) for c in counts] == sorted(int(c) for c in counts)
    first = page.locator("#breakdown-table tbody tr").first
    expected_n = int(first.locator("td:nth-child(3)").inner_text())
    first.locator("a", has_text="rows").click()
    page.wait_for_url("**/metrics/first_response_time/rows?*")
    _shot(page, "drill-down")
    total = int(page.locator("#rows-total").get_attribute("data-total"))
    assert total == expected_n

    with page.expect_download() as download:
        page.click("#export-csv")
    with open(download.value.path(), newline="") as handle:
        assert handle.readline().startswith("# First response time; ")  # what the file holds
        exported = list(csv.DictReader(handle))
    assert len(exported) == total
    assert {r["channel"] for r in exported} == {"email"}

    # a point of the trend chart drills into its period
    page.go_back()
    _charts_drawn(page)
    point = page.locator(".chart[data-spec=trend-chart] g.mark-symbol path").nth(2)
    point.click()
    page.wait_for_url("**/metrics/first_response_time/rows?*")
    assert "from=" in page.url and "to=" in page.url

    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/agents?range=all", "/targets?range=all", "/account"])
def test_the_other_pages_render(page: sync_api.Page, path: str) -> None:
    _log_in(page)
    page.goto(path)
    _charts_drawn(page)
    _shot(page, path.strip("/").split("?")[0])
    assert page.locator("main h1").count() == 1
    assert page.problems == []  # type: ignore[attr-defined]


def test_markup_in_the_data_never_runs(page: sync_api.Page) -> None:
    _log_in(page)
    page.goto("/agents?range=all")
    page.goto(f"/metrics/first_response_time/rows?range=all&columns=all&where=tag={XSS_TAG}")
    assert page.locator("#rows-table").inner_text().count(XSS_TAG) == 1
    page.goto("/metrics/first_response_time?range=all&by=agent.name")
    _charts_drawn(page)
    assert page.evaluate("window.__xss") is None
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_api_docs_render_from_the_package_under_the_csp(page: sync_api.Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    _log_in(page)
    page.goto("/api/docs")
    page.wait_for_selector(".opblock-tag", timeout=15000)  # operations listed: the UI ran
    assert page.locator(".opblock").count() >= 8
    origin = page.url.split("/api/docs")[0]
    assert [url for url in requested if not url.startswith(origin)] == []  # nothing external
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_filter_combobox_searches_chooses_and_applies(page: sync_api.Page) -> None:
    _log_in(page)
    page.goto("/agents?range=all")
    names = page.locator("select#filter-agent option").all_inner_texts()
    wanted = next(n for n in names if "<" not in n)
    typed = wanted.split()[-1][:4].lower()  # part of the surname, in lower case
    box = page.locator("#combo-agent")
    box.fill(typed)
    listed = page.locator("#combo-agent-list [role=option]").all_inner_texts()
    assert wanted in listed and all(typed in n.lower() for n in listed)
    assert len(listed) < len(names)  # the search narrowed the list
    page.locator("#combo-agent-list [role=option]", has_text=wanted).first.click()
    _choose(page, "priority", "urg", "urgent")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/agents?range=all&agent=*&priority=urgent")
    agent_id = page.locator("select#filter-agent").evaluate("s => s.selectedOptions[0].value")
    assert f"agent={agent_id}" in page.url
    statement = page.locator("#view-statement").inner_text()
    assert f"agent = {agent_id}" in statement and "priority = urgent" in statement
    assert "Data until" in statement
    # a chip removes its value; Apply drops it from the URL
    page.locator('.combo[data-combo=priority] .chip[data-value="urgent"]').click()
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**/agents?range=all&agent={agent_id}")
    _shot(page, "filters-combobox")
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_metric_pages_choices_go_into_the_url_with_one_apply(page: sync_api.Page) -> None:
    _log_in(page)
    page.goto("/metrics/csat?from=2025-07-01&to=2025-09-30")
    _charts_drawn(page)
    page.select_option("select[name=variant][data-default='score=share']", "score=mean")
    page.select_option("select[name=period]", "week")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/metrics/csat?*variant=score%3Dmean*")
    assert "threshold" not in page.url and "period=week" in page.url  # defaults stay out
    _charts_drawn(page)
    mean = float(page.locator("#headline-value").get_attribute("data-value"))
    api = page.request.get(
        "/api/metrics/csat?from=2025-07-01&to=2025-09-30&variant=score=mean"
    ).json()["rows"][0]
    assert mean == pytest.approx(api["value"]) and 1 <= mean <= 5
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_why_panel_loads_in_place_when_asked(page: sync_api.Page) -> None:
    _log_in(page)
    page.goto("/metrics/ticket_volume?range=30d&anchor=data&by=channel")
    assert page.locator("#why-panel .summary").count() == 0  # not computed with the page
    page.click("#why-link")
    page.wait_for_selector("#why-panel[data-loaded=true] .summary")
    assert "/why" not in page.url  # loaded in place, not followed
    summary = page.locator("#why-panel .summary").inner_text()
    headline = page.locator("#headline-value").get_attribute("data-value")
    assert f" to {headline} " in summary and "channel" in summary
    header = page.locator("#why-panel table.sortable th").first
    header.click()  # the panel's table sorts like the page's own
    assert header.get_attribute("aria-sort") == "ascending"
    _shot(page, "why-panel")
    assert page.problems == []  # type: ignore[attr-defined]
