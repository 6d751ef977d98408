"""The drill-down's CSV export neutralises formula-like text cells unless raw=true."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

import supportmetrics
from supportmetrics.web import create_app
from supportmetrics.web.users import Users
from tests.test_safe_csv import TICKETS


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    base = tmp_path_factory.mktemp("safe-csv")
    ws = supportmetrics.init(base / "ws")
    (base / "tickets.csv").write_bytes(TICKETS.encode())
    ws.ingest([base / "tickets.csv"])
    ws.close()
    users = Users.of_workspace(base / "ws")
    users.add("ana", "correct horse battery", "admin")
    token = users.create_token("ana", "tests")
    app = create_app(supportmetrics.connect(base / "ws"), users=users, idle_seconds=0)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {r["ticket_id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}


def test_drill_down_csv_neutralises_formulas(client: TestClient) -> None:
    response = client.get("/api/metrics/ticket_volume/rows.csv", params={"range": "all"})
    assert response.status_code == 200, response.text
    rows = _rows(response.text)
    assert [rows[t]["team"] for t in ("T1", "T2", "T3", "T4")] == [
        "'=cmd|' /C calc'!A0",
        "'-2+3",
        "'\tx",
        "'\rx",
    ]
    assert rows["T2"]["tags"] == "'@SUM(A1)" and rows["T3"]["tags"] == "a-b"
    assert rows["T1"]["score"] == "-5"


def test_drill_down_csv_raw_keeps_the_text(client: TestClient) -> None:
    params = {"range": "all", "raw": "true"}
    rows = _rows(client.get("/api/metrics/ticket_volume/rows.csv", params=params).text)
    assert rows["T1"]["team"] == "=cmd|' /C calc'!A0" and rows["T1"]["tags"] == "+1+1;plain"
