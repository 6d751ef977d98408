"""The Reports page, one issue's page, its files and the JSON API, over a copy of the web demo
workspace with a weekly report whose issue was mailed through a real SMTP server; and a screenshot
of both pages in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.display import human
from supportmetrics.reports import Issues, parse_period
from supportmetrics.reports.due import send_issue
from supportmetrics.web import create_app
from tests.delivery.servers import smtp_server
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, XSS_NAME, Site, login

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WEEK = "2025-W46"


@dataclass(frozen=True)
class Reports:
    root: Path
    client: TestClient
    token: str


@pytest.fixture(scope="module")
def reports(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    root = tmp_path_factory.mktemp("reports-web") / "ws"
    shutil.copytree(site.root, root)
    with smtp_server() as box:
        settings = f"""
[smtp]
host = "127.0.0.1"
port = {box.port}
security = "none"
from_address = "metrics@example.com"

[reports.weekly-team]
cadence = "weekly"
metrics = ["ticket_volume", "first_response_time", "reopen_rate"]
by = ["agent.name"]
recipients = ["lead@example.com"]
"""
        (root / CONFIG_FILE).write_text((root / CONFIG_FILE).read_text() + settings)
        ws = supportmetrics.connect(root)
        try:
            outcome = send_issue(ws, "weekly-team", parse_period(WEEK, "weekly"), Issues(root))
        finally:
            ws.close()
        assert outcome.action == "sent" and len(box.messages) == 1
    app = create_app(supportmetrics.connect(root), users=site.users, idle_seconds=0)
    client = TestClient(app)
    login(client, ADMIN, ADMIN_PASSWORD)
    yield Reports(root, client, site.token)


def test_the_reports_page_lists_reports_and_the_archive(reports: Reports) -> None:
    page = reports.client.get("/reports")
    assert page.status_code == 200
    assert 'href="/reports" aria-current="page"' in page.text
    assert 'data-report="weekly-team"' in page.text
    assert f'href="/reports/weekly-team/{WEEK}"' in page.text


def test_an_issue_page_shows_the_numbers_of_the_api(reports: Reports) -> None:
    page = reports.client.get(f"/reports/weekly-team/{WEEK}")
    assert page.status_code == 200
    api = reports.client.get(
        "/api/metrics/ticket_volume?from=2025-11-10&to=2025-11-16",
        headers={"Authorization": f"Bearer {reports.token}"},
    ).json()
    volume = api["rows"][0]["value"]
    assert f">{human(volume, 'count')}<" in page.text
    assert "data:image/png;base64," in page.text
    assert XSS_NAME not in page.text and "&lt;img src=x" in page.text
    assert "lead@example.com" in page.text  # the delivery attempt
    pdf = reports.client.get(f"/reports/weekly-team/{WEEK}/files/weekly-team-{WEEK}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    csv = reports.client.get(f"/reports/weekly-team/{WEEK}/files/weekly-team-{WEEK}-metrics.csv")
    assert csv.text.splitlines()[1].startswith(f"ticket_volume,Ticket volume,count,,{volume},")


@pytest.mark.parametrize(
    "path",
    [
        "/reports/weekly-team/2025-W47",
        "/reports/nope/2025-W46",
        f"/reports/weekly-team/{WEEK}/files/issue.json",
        f"/reports/weekly-team/{WEEK}/files/..%2F..%2Fsupportmetrics-users.sqlite",
        f"/reports/weekly-team/{WEEK}/files/email.html",
    ],
)
def test_unknown_issues_and_files_are_404(reports: Reports, path: str) -> None:
    assert reports.client.get(path).status_code == 404


def test_the_json_api(reports: Reports) -> None:
    headers = {"Authorization": f"Bearer {reports.token}"}
    listing = reports.client.get("/api/reports", headers=headers).json()
    assert listing["reports"][0]["name"] == "weekly-team"
    assert listing["reports"][0]["breakdowns"] == ["agent.name"]
    assert [(i["period"], i["state"]) for i in listing["issues"]] == [(WEEK, "sent")]
    issue = reports.client.get(f"/api/reports/weekly-team/{WEEK}", headers=headers).json()
    assert issue["payload"]["from"] == "2025-11-10" and issue["payload"]["to"] == "2025-11-16"
    assert issue["files"] == [
        f"weekly-team-{WEEK}-by_agent_name.csv",
        f"weekly-team-{WEEK}-metrics.csv",
        f"weekly-team-{WEEK}.pdf",
    ]
    assert [(d["recipient"], d["status"]) for d in issue["deliveries"]] == [
        ("lead@example.com", "sent")
    ]
    assert TestClient(reports.client.app).get("/api/reports").status_code == 401
    missing = reports.client.get("/api/reports/weekly-team/2020-W01", headers=headers)
    assert missing.status_code == 404


def test_screenshots_of_the_reports_pages(reports: Reports) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM} in CI")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(reports.client.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(
                base_url=f"http://127.0.0.1:{port}", viewport={"width": 1280, "height": 900}
            )
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto("/reports")  # to the login form, and back here after it
            page.fill("input[name=username]", ADMIN)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url("**/reports")
            page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)
            page.click(f'a[href="/reports/weekly-team/{WEEK}"]')
            page.wait_for_url(f"**/reports/weekly-team/{WEEK}")
            images = page.locator(".report-issue img")
            assert images.count() == 3
            assert all(
                page.evaluate("(i) => i.naturalWidth > 0", images.nth(k).element_handle())
                for k in range(3)
            )
            page.screenshot(path=str(ARTIFACTS / "report-issue.png"), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert problems == []
