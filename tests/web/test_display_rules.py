"""The dashboard and API show values by the one set of formatting rules and say what is
surprising: changes of shares in points, intervals like their value, no comparison over all the
data, a banner and a `warnings` field for filter values that never occur, medians and low samples
on the Agents page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

RANGE = {"from": "2025-07-01", "to": "2025-09-30"}  # 92 days
EN_DASH = "\N{EN DASH}"


def _tile(page: str, metric: str) -> str:
    found = re.search(rf'<article class="tile" data-metric="{metric}">(.*?)</article>', page, re.S)
    assert found, f"no {metric} tile"
    return found.group(1)


def _tiles(admin: TestClient, auth: dict[str, str], params: dict[str, str]) -> dict[str, dict]:
    groups = admin.get("/api/overview", params=params, headers=auth).json()
    return {tile["metric"]: tile for group in groups for tile in group["tiles"]}


def test_overview_changes_in_points_relative_or_in_the_unit(
    admin: TestClient, auth: dict[str, str]
) -> None:
    tiles = _tiles(admin, auth, RANGE)
    page = admin.get("/", params=RANGE).text
    csat = tiles["csat"]  # percent: 0-100
    points = f"{csat['value'] - csat['previous']:+.1f} pts vs the previous 92 days"
    assert points in _tile(page, "csat")
    assert csat["change_display"] == points.split(" vs")[0]
    fcr = tiles["first_contact_resolution"]  # share: 0-1
    shown = f"{100 * (fcr['value'] - fcr['previous']):+.1f} pts"
    assert shown in _tile(page, "first_contact_resolution")
    volume = tiles["ticket_volume"]  # a count: relative
    relative = f"{100 * (volume['value'] - volume['previous']) / volume['previous']:+.1f}%"
    assert volume["change_display"] == relative
    volume_tile = _tile(page, "ticket_volume")
    assert f"{relative} vs the previous 92 days" in volume_tile
    assert 'class="change neutral"' in volume_tile  # no direction: neither good nor bad
    better = "good" if csat["value"] > csat["previous"] else "bad"
    assert f'class="change {better}"' in _tile(page, "csat")


def test_intervals_and_counts_are_formatted_like_their_values(admin: TestClient) -> None:
    page = admin.get("/metrics/csat", params=RANGE).text
    assert re.search(rf"95% CI \d+\.\d% {EN_DASH} \d+\.\d%", page)
    assert not re.search(r"\d\.\d{3,}", page.split("<script")[0])  # no raw floats before charts
    duration = admin.get("/metrics/first_response_time", params=RANGE | {"stat": "mean"}).text
    cells = re.findall(rf"<td>([^<]*{EN_DASH}[^<]*)</td>", duration)
    assert cells and all(re.fullmatch(rf"-?[\dhms ]+ {EN_DASH} [\dhms ]+", c) for c in cells), cells


def test_all_data_compares_nothing(admin: TestClient, auth: dict[str, str]) -> None:
    tiles = _tiles(admin, auth, {"range": "all"})
    computed = [t for t in tiles.values() if t.get("value") is not None]
    assert computed
    for tile in computed:
        assert tile.get("previous") is None and tile.get("change") is None, tile["metric"]
    assert "vs the previous" not in admin.get("/", params={"range": "all"}).text


def test_a_filter_value_that_never_occurs_gets_a_banner(admin: TestClient) -> None:
    page = admin.get("/", params={"range": "all", "channel": "fax"}).text
    banner = re.search(r'<div class="banner warning" role="status">(.*?)</div>', page, re.S)
    assert banner and "no data has channel=fax, so the result is empty" in banner.group(1)
    assert "channel takes: " in banner.group(1) and "email" in banner.group(1)
    metric = admin.get("/metrics/csat", params={"range": "all", "channel": "emial"}).text
    assert "no data has channel=emial (did you mean email?)" in metric
    assert "banner warning" not in admin.get("/", params={"range": "all", "channel": "email"}).text


def test_the_api_says_so_in_warnings(admin: TestClient, auth: dict[str, str]) -> None:
    result = admin.get(
        "/api/metrics/ticket_volume", params={"where": "channel=fax"}, headers=auth
    ).json()
    assert result["rows"][0]["value"] == 0
    assert any(w.startswith("no data has channel=fax, so the result") for w in result["warnings"])
    rows = admin.get(
        "/api/metrics/first_response_time/rows",
        params={"range": "all", "channel": "fax"},
        headers=auth,
    ).json()
    assert rows["total"] == 0 and rows["warnings"][0].startswith("no data has channel=fax")
    agents = admin.get("/api/agents", params={"range": "all", "channel": "fax"}, headers=auth)
    assert agents.json()["warnings"][0].startswith("no data has channel=fax")
    facts = admin.get("/api/facts/tickets", params={"where": "channel=fax"}, headers=auth).json()
    assert facts["total"] == 0 and facts["warnings"][0].startswith("no data has channel=fax")
    fine = admin.get("/api/agents", params={"range": "all"}, headers=auth).json()
    assert fine["warnings"] == []


def test_compare_says_why_in_the_api(admin: TestClient, auth: dict[str, str]) -> None:
    first = admin.get(
        "/api/metrics/ticket_volume",
        params={"period": "month", "compare": "previous"},
        headers=auth,
    ).json()["rows"][0]
    assert first["previous"] is None and first["compare_note"].startswith("no data ")


def test_agents_use_the_median_and_flag_low_samples(
    admin: TestClient, auth: dict[str, str]
) -> None:
    page = admin.get("/api/agents", params={"range": "30d"}, headers=auth).json()
    assert page["min_sample"] == 30
    rows = page["rows"]
    assert all("first_response_median" in r for r in rows)
    for r in rows:
        assert r["csat_low_sample"] == (0 < r["csat_n"] < 30)
    flagged = [r for r in rows if r["csat_low_sample"]]
    assert flagged, "the demo's 30 days give some agents fewer than 30 ratings"
    html = admin.get("/agents", params={"range": "30d", "anchor": "data"}).text  # as the API
    assert "median first response" in html and "mean first response" not in html
    assert html.count('<span class="warn">low sample</span>') == sum(
        r["csat_low_sample"] + r["first_response_low_sample"] for r in rows
    )
