"""The OpenAPI document describes every JSON response, and the responses match it key for key."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from supportmetrics.metrics import CATALOGUE
from supportmetrics.web import pages
from tests.web.conftest import Site

RANGE = "from=2025-07-01&to=2025-09-30"
REQUESTS = [
    "/api/me",
    "/api/metrics",
    "/api/metrics/csat",
    f"/api/metrics/first_response_time?by=channel&period=month&{RANGE}",
    "/api/metrics/ticket_volume?compare=previous&from=2025-09-01&to=2025-09-30",
    f"/api/metrics/first_response_time/rows?{RANGE}&limit=5",
    "/api/facts/tickets?limit=3",
    "/api/facts/calls?limit=3",
    "/api/dimensions/tickets",
    "/api/overview?range=30d",
    "/api/overview?range=30d&where=queue=support",
    "/api/agents?range=90d",
    "/api/targets?range=90d",
]


@pytest.fixture(scope="module")
def document(web_app: FastAPI, site: Site) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {site.token}"}
    return TestClient(web_app).get("/api/openapi.json", headers=headers).json()


def _schema(document: dict[str, Any], url: str) -> dict[str, Any]:
    """The 200 response schema the document gives the operation serving `url`."""
    path = url.split("?")[0]
    for template, operations in document["paths"].items():
        parts, wanted = template.split("/"), path.split("/")
        if len(parts) == len(wanted) and all(
            p == w or p.startswith("{") for p, w in zip(parts, wanted, strict=True)
        ):
            return operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    raise AssertionError(f"no operation serves {url}")


def test_every_json_operation_has_a_response_schema(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        content = operations["get"]["responses"]["200"]["content"]
        if "application/json" in content:
            assert content["application/json"]["schema"], path


@pytest.mark.parametrize("url", REQUESTS)
def test_the_response_matches_its_schema(
    anon: TestClient, auth: dict[str, str], document: dict[str, Any], url: str
) -> None:
    response = anon.get(url, headers=auth)
    assert response.status_code == 200, response.text
    schema = {**_schema(document, url), "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())


def test_keys_are_exactly_those_the_endpoints_return(
    anon: TestClient, auth: dict[str, str]
) -> None:
    # The catalogue as the pages build it, unchanged by the response model.
    listed = anon.get("/api/metrics", headers=auth).json()
    assert listed == [pages.catalogue_entry(m) for m in CATALOGUE.values()]
    # No warnings: no "warnings" key (the model does not add its default).
    assert set(anon.get("/api/metrics/csat", headers=auth).json()) == {
        "metric",
        "unit",
        "better",
        "rows",
    }
    # Computed tiles carry no "error" key, and a tile that failed (SLA without policies: the test
    # site has none) carries only its own keys: the model adds no defaults.
    groups = anon.get("/api/overview?range=30d", headers=auth).json()
    tiles = {tile["metric"]: tile for group in groups for tile in group["tiles"]}
    assert [metric for metric, tile in tiles.items() if "error" in tile] == ["sla_attainment"]
    assert set(tiles["sla_attainment"]) == {
        "metric",
        "title",
        "unit",
        "better",
        "benchmarks",
        "link",
        "error",
        "target",
    }
