"""Editing targets and SLA policies from the dashboard: admins only, CSRF-checked, validated, written
to supportmetrics.toml and served at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.web import create_app
from supportmetrics.web.users import Users
from tests.web.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    VIEWER,
    VIEWER_PASSWORD,
    Site,
    csrf_of,
    login,
)


@pytest.fixture(scope="module")
def root(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shared demo workspace, so these edits change no other test's settings."""
    copy = tmp_path_factory.mktemp("edit") / "ws"
    shutil.copytree(site.root, copy, ignore=shutil.ignore_patterns(".supportmetrics*"))
    return copy


@pytest.fixture(scope="module")
def app_of(root: Path):  # type: ignore[no-untyped-def]
    app = create_app(supportmetrics.connect(root), users=Users.of_workspace(root), idle_seconds=0)
    with TestClient(app) as client:  # runs the app's start-up and shut-down
        yield client.app


def _client(app, username: str, password: str) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    login(client, username, password)
    return client


@pytest.fixture(scope="module")
def admin(app_of) -> TestClient:  # type: ignore[no-untyped-def]
    return _client(app_of, ADMIN, ADMIN_PASSWORD)


def _post(client: TestClient, path: str, data: dict[str, str]) -> object:
    csrf = csrf_of(client.get("/targets?range=all").text)
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


FRT = {
    "metric": "first_response_time",
    "new": "0",
    "value": "2h",
    "stat": "median",
    "clock": "calendar",
    "owner": "Dana (support lead)",
    "next_action": "Hire two agents for the evening shift",
    "where": "channel=email",
    "variants": "",
}


def test_an_admin_edits_a_target_and_the_page_shows_it_at_once(
    admin: TestClient, root: Path
) -> None:
    before = (root / CONFIG_FILE).read_text()
    admin.get("/targets?range=all")  # cached with the old settings
    response = _post(admin, "/targets?range=all", FRT)
    assert response.status_code == 303 and response.headers["location"] == "/targets?range=all"
    text = (root / CONFIG_FILE).read_text()
    assert 'owner = "Dana (support lead)"' in text and 'value = "2h"' in text
    assert 'where = {channel = ["email"]}' in text
    assert text.startswith(before.split("[targets.first_response_time]")[0])  # the rest as it was
    assert (root / f"{CONFIG_FILE}.bak").read_text() == before

    page = admin.get("/targets?range=all").text
    card = page.split('data-metric="first_response_time"')[1].split("</section>")[0]
    assert "Dana (support lead)" in card and "Hire two agents for the evening shift" in card
    assert "(channel=email, median)" in card and ">2h" in card  # 2h, as display.py writes it
    api = admin.get("/api/targets?range=all").json()
    target = next(t for t in api if t["metric"] == "first_response_time")["target"]
    assert target["value"] == 7200 and target["owner"] == "Dana (support lead)"


def test_an_admin_adds_and_removes_a_target(admin: TestClient, root: Path) -> None:
    data = FRT | {"metric": "csat", "new": "1", "value": "80%", "stat": "", "where": ""}
    assert _post(admin, "/targets", data).status_code == 303
    assert "[targets.csat]" in (root / CONFIG_FILE).read_text()
    assert 'data-metric="csat"' in admin.get("/targets?range=all").text
    assert _post(admin, "/targets/csat/remove", {}).status_code == 303
    assert "[targets.csat]" not in (root / CONFIG_FILE).read_text()
    assert 'data-metric="csat"' not in admin.get("/targets?range=all").text


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (FRT | {"value": "soon"}, "Target value: not a duration: &#39;soon&#39;"),
        (FRT | {"owner": " "}, "Owner: Field required"),
        (FRT | {"where": "channel"}, "Scope (filters): write name=value pairs"),
        (
            FRT | {"where": "chanel=email"},
            "Scope (filters): first_response_time cannot be filtered by &#39;chanel&#39;; "
            "did you mean channel?",
        ),
        (FRT | {"metric": "reopen_rate", "new": "1"}, "Metric: reopen_rate has a target already"),
    ],
)
def test_a_refused_edit_names_the_field_and_leaves_the_file(
    admin: TestClient, root: Path, data: dict[str, str], says: str
) -> None:
    before = (root / CONFIG_FILE).read_text()
    response = _post(admin, "/targets?range=all", data)
    assert response.status_code == 400
    assert says in response.text and "supportmetrics.toml is unchanged" in response.text
    assert f"See {says.split(':')[0]} below." in response.text  # the summary names the field
    assert (root / CONFIG_FILE).read_text() == before


def test_a_viewer_gets_403_and_no_forms(app_of, root: Path) -> None:  # type: ignore[no-untyped-def]
    viewer = _client(app_of, VIEWER, VIEWER_PASSWORD)
    before = (root / CONFIG_FILE).read_text()
    page = viewer.get("/targets?range=all").text
    assert "edit-form" not in page
    csrf = csrf_of(page)
    for path, data in [
        ("/targets", FRT | {"owner": "Mallory"}),
        ("/targets/reopen_rate/remove", {}),
        ("/sla", {"name": "x", "first_response_time": "1h"}),
        ("/sla/1/remove", {}),
    ]:
        response = viewer.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert response.status_code == 403, path
        assert "only admins change targets and SLA policies" in response.text
    assert (root / CONFIG_FILE).read_text() == before


def test_an_edit_without_the_csrf_token_is_refused(admin: TestClient, root: Path) -> None:
    before = (root / CONFIG_FILE).read_text()
    response = admin.post("/targets", data=FRT | {"owner": "Mallory"}, follow_redirects=False)
    assert response.status_code == 403 and "CSRF" in response.text
    assert (root / CONFIG_FILE).read_text() == before


def test_sla_policies_edited_on_the_page_drive_sla_attainment(
    admin: TestClient, root: Path
) -> None:
    assert "No SLA policies yet" in admin.get("/sla?range=all").text
    tile = admin.get("/api/metrics/sla_attainment?range=all")
    assert tile.status_code == 400 and "needs SLA policies" in tile.text

    policy = {"name": "everything", "first_response_time": "1h", "resolution_time": "1d"}
    assert _post(admin, "/sla?range=all", policy).status_code == 303
    assert "[[sla]]" in (root / CONFIG_FILE).read_text()
    generous = admin.get("/api/metrics/sla_attainment?range=all").json()["rows"][0]
    page = admin.get("/sla?range=all").text
    assert 'data-policy="everything"' in page and "every ticket" in page

    # a stricter target lowers attainment: the SLA facts are rebuilt with the new policy
    strict = policy | {"policy": "1", "first_response_time": "5m", "resolution_time": "1h"}
    assert _post(admin, "/sla?range=all", strict).status_code == 303
    stricter = admin.get("/api/metrics/sla_attainment?range=all").json()["rows"][0]
    assert stricter["n"] == generous["n"] and stricter["value"] < generous["value"]

    refused = _post(admin, "/sla?range=all", policy | {"policy": "1", "resolution_time": "later"})
    assert refused.status_code == 400 and "Resolved within: not a duration" in refused.text

    assert _post(admin, "/sla/1/remove", {}).status_code == 303
    assert "[[sla]]" not in (root / CONFIG_FILE).read_text()
    assert "No SLA policies yet" in admin.get("/sla?range=all").text


def test_a_change_by_hand_is_served_from_the_next_request(admin: TestClient, root: Path) -> None:
    path = root / CONFIG_FILE
    before = path.read_text()
    assert 'data-metric="reopen_rate"' in admin.get("/targets?range=all").text
    path.write_text(before.replace("Review reopened billing tickets weekly", "Root-cause reviews"))
    page = admin.get("/targets?range=all").text
    assert "Root-cause reviews" in page and "Review reopened billing tickets weekly" not in page

    # a file that breaks a rule is not used: the settings before it stay
    path.write_text(before.replace('value = "5%"', 'value = "lots"'))
    page = admin.get("/targets?range=all")
    assert page.status_code == 200 and "Root-cause reviews" in page.text
    path.write_text(before)
    assert "Review reopened billing tickets weekly" in admin.get("/targets?range=all").text
