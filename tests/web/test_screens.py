"""Every dashboard page in a real browser (Debian's Chromium through Playwright) at desktop (1440 px)
and phone (390 px) widths, on a demo workspace configured as `supportmetrics demo` configures one:
a screenshot of each under tests/artifacts/, then what a reader must never see (raw floats, internal
paths, identifiers as headings), the active filter stated in the header, no horizontal scrolling on a
phone, and no serious or critical axe-core violation (axe-core ships inside axe-playwright-python:
no network). Editing a target in the browser changes supportmetrics.toml and the Targets page.

Skipped without /usr/bin/chromium, except in CI where it must run.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.demo import add_demo_settings
from supportmetrics.web import create_app
from supportmetrics.web.users import Users
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, Site, served

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"
WIDTHS = {"desktop": 1440, "phone": 390}
OVERFLOW_TOLERANCE = 2  # px: sub-pixel rounding of the page width

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM} in CI")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

VIEW = "from=2025-10-01&to=2025-12-31&channel=email"
"""A fixed quarter of the demo data and one filter: every page states the filter in its header."""
PAGES = {
    "overview": f"/?{VIEW}",
    "metric": f"/metrics/first_response_time?{VIEW}",
    "drill-down": f"/metrics/first_response_time/rows?{VIEW}",
    "agents": f"/agents?{VIEW}",
    "targets": f"/targets?{VIEW}",
    "sla": f"/sla?{VIEW}",
}
MORE_PAGES = {
    "catalogue": f"/metrics?{VIEW}",
    "account": "/account",
    "staffing": "/staffing?from=2025-10-01&to=2025-12-31",
}
"""Pages checked for fit and accessibility only (no screenshot asked for, no filter to state)."""
RAW_FLOAT = re.compile(r"(?<![\d.])\d+\.\d{3,}(?![\d.])")


@pytest.fixture(scope="module")
def root(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared demo workspace copied, with the demo command's settings instead of its own."""
    copy = tmp_path_factory.mktemp("screens") / "ws"
    shutil.copytree(site.root, copy, ignore=shutil.ignore_patterns(".supportmetrics*"))
    config = copy / CONFIG_FILE
    config.write_text(config.read_text().split("[targets.")[0])
    add_demo_settings(config)
    return copy


@pytest.fixture(scope="module")
def base_url(root: Path) -> Iterator[str]:
    app = create_app(supportmetrics.connect(root), users=Users.of_workspace(root), idle_seconds=0)
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[object]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def tabs(browser, base_url: str) -> Iterator[dict[str, sync_api.Page]]:  # type: ignore[no-untyped-def]
    """A logged-in admin's tab per width, opened when first asked for."""
    opened: dict[str, sync_api.Page] = {}
    contexts = []

    def tab(width: str) -> sync_api.Page:
        if width not in opened:
            context = browser.new_context(
                base_url=base_url, viewport={"width": WIDTHS[width], "height": 900}
            )
            context.set_default_timeout(120_000)  # a first overview on a busy machine
            contexts.append(context)
            page = context.new_page()
            page.problems = []  # type: ignore[attr-defined]
            page.on("pageerror", lambda exc: page.problems.append(str(exc)))
            page.on(
                "console", lambda m: page.problems.append(m.text) if m.type == "error" else None
            )
            page.goto("/login?next=/account")
            page.fill("input[name=username]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url("**/account")
            opened[width] = page
        return opened[width]

    yield tab  # type: ignore[misc]
    for context in contexts:
        context.close()


def _open(page: sync_api.Page, path: str) -> None:
    page.goto(path)
    page.wait_for_function(
        "[...document.querySelectorAll('.chart')].every(c => c.dataset.rendered === 'true')"
    )


def _serious(page: sync_api.Page) -> list[str]:
    """The serious and critical axe-core violations of the page, one line per element."""
    found = axe_playwright.Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}"
        for v in found
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


@pytest.fixture(scope="module")
def seen(tabs) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """What a page shows at a width (its screenshot saved), visited once for all the checks."""
    pages: dict[tuple[str, str], dict[str, object]] = {}

    def see(width: str, name: str) -> dict[str, object]:
        if (width, name) not in pages:
            page = tabs(width)
            page.problems.clear()
            _open(page, (PAGES | MORE_PAGES)[name])
            if name == "sla":  # the editor open, as an admin sees it while editing
                page.click("details.editor summary >> nth=0")
            page.screenshot(path=str(ARTIFACTS / f"{name}-{WIDTHS[width]}.png"), full_page=True)
            pages[width, name] = {
                "text": page.locator("body").inner_text(),
                "headings": page.locator("h1, h2, h3, h4").all_inner_texts(),
                # the active filters are stated in the line under the filter bar
                "header": " ".join(page.locator("header, .view-statement").all_inner_texts()),
                "width": page.evaluate("document.documentElement.scrollWidth"),
                "axe": _serious(page),
                "problems": list(page.problems),
            }
        return pages[width, name]

    yield see


SCREENS = [(width, name) for width in WIDTHS for name in PAGES]


@pytest.mark.parametrize(
    ("width", "name"), SCREENS + [(width, name) for width in WIDTHS for name in MORE_PAGES]
)
def test_each_page_fits_a_phone_and_passes_axe(seen, width: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page = seen(width, name)
    assert page["width"] <= WIDTHS[width] + OVERFLOW_TOLERANCE, f"{page['width']} px wide"
    assert page["axe"] == []
    assert page["problems"] == []


@pytest.mark.parametrize(("width", "name"), SCREENS)
def test_each_page_shows_no_raw_numbers_paths_or_identifiers(seen, width: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page = seen(width, name)
    assert RAW_FLOAT.findall(page["text"]) == [], "raw floats on the page"
    assert "spec/" not in page["text"]
    assert [h for h in page["headings"] if "_" in h] == [], "identifiers as headings"


@pytest.mark.parametrize(("width", "name"), SCREENS)
def test_each_page_states_the_active_filter_in_its_header(seen, width: str, name: str) -> None:  # type: ignore[no-untyped-def]
    header = seen(width, name)["header"]
    assert re.search(r"channel\W+email", header, re.IGNORECASE), header


def test_the_login_page_passes_axe(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.screenshot(path=str(ARTIFACTS / "login-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + OVERFLOW_TOLERANCE
    assert _serious(page) == []
    context.close()


def test_editing_a_target_in_the_browser_changes_the_file_and_the_page(tabs, root: Path) -> None:  # type: ignore[no-untyped-def]
    page = tabs("desktop")
    _open(page, PAGES["targets"])
    card = page.locator('section[data-metric="reopen_rate"]')
    card.locator("details.editor summary").click()
    card.locator("input[name=owner]").fill("Lee Chen (billing lead)")
    card.locator("input[name=value]").fill("6%")
    card.locator("form.edit-form button[type=submit]").click()
    page.wait_for_load_state()
    card = page.locator('section[data-metric="reopen_rate"]')
    assert card.locator(".owner").inner_text() == "Lee Chen (billing lead)"
    assert card.locator(".target-value").inner_text().startswith("6.0%")
    text = (root / CONFIG_FILE).read_text()
    assert 'owner = "Lee Chen (billing lead)"' in text and 'value = "6%"' in text

    # a bad value: the form comes back naming the field, the file stays as it was
    card.locator("details.editor summary").click()
    card.locator("input[name=value]").fill("six")
    card.locator("form.edit-form button[type=submit]").click()
    page.wait_for_load_state()
    problem = page.locator('section[data-metric="reopen_rate"] .field-error')
    assert problem.inner_text().startswith("Target value: not a number: 'six'")
    assert (root / CONFIG_FILE).read_text() == text
    page.screenshot(path=str(ARTIFACTS / "targets-refused-1440.png"), full_page=True)
    assert _serious(page) == []
