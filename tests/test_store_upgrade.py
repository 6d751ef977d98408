"""Stores made by earlier versions keep working; the engine keeps to its memory limit."""

from __future__ import annotations

import duckdb

import supportmetrics


def test_a_store_without_agent_availability(tmp_path) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    (tmp_path / "tickets.csv").write_text("ticket_id,created_at,channel\nT1,2024-01-01,email\n")
    ws.ingest([tmp_path / "tickets.csv"])
    ws.close()
    with duckdb.connect(str(ws.store_path)) as con:  # as an older version left it
        con.execute("DROP TABLE agent_availability")

    ws = supportmetrics.connect(tmp_path / "ws")
    summary = {t.table: t.rows for t in ws.tables()}
    assert summary["agent_availability"] == 0 and summary["tickets"] == 1
    assert ws.metric("occupancy").rows[0]["value"] is None
    assert ws.metric("ticket_volume").rows[0]["value"] == 1

    (tmp_path / "agent_availability.csv").write_text(
        "availability_id,agent_id,started_at,ended_at\nV1,A1,2024-01-01T09:00Z,2024-01-01T10:00Z\n"
    )
    ws.ingest([tmp_path / "agent_availability.csv"])
    assert {t.table: t.rows for t in ws.tables()}["agent_availability"] == 1
    ws.close()


def test_the_engine_keeps_to_its_memory_limit(tmp_path) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    config = ws.root / "supportmetrics.toml"
    config.write_text(config.read_text().replace('memory_limit = "6GB"', 'memory_limit = "512MB"'))
    ws = supportmetrics.connect(ws.root)
    db = ws.engine().db
    limit = db.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit in ("512.0 MiB", "488.2 MiB", "512.0 MB")
    spill = db.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    assert spill.endswith(".supportmetrics-tmp/engine")
    assert (ws.root / ".supportmetrics-tmp" / "engine").is_dir()  # DuckDB makes only the last level
    ws.close()


def test_a_store_without_surveys_invitation_id(tmp_path) -> None:
    ws = supportmetrics.init(tmp_path / "ws")
    (tmp_path / "survey_invitations.csv").write_text(
        "invitation_id,survey,sent_at,customer_id\nI1,nps,2024-01-01,C1\nI2,nps,2024-01-01,C2\n"
    )
    (tmp_path / "surveys.csv").write_text(
        "response_id,survey,score,submitted_at,customer_id\nR1,nps,9,2024-01-02,C1\n"
    )
    ws.ingest([tmp_path / "survey_invitations.csv", tmp_path / "surveys.csv"])
    ws.close()
    with duckdb.connect(str(ws.store_path)) as con:  # as an older version left it
        con.execute("ALTER TABLE surveys DROP COLUMN invitation_id")

    ws = supportmetrics.connect(tmp_path / "ws")
    (row,) = ws.metric("survey_response_rate").rows
    assert (row["numerator"], row["denominator"]) == (1, 2)
    assert ws.metric("nps").rows[0]["value"] == 100.0
    (tmp_path / "surveys.csv").write_text(
        "response_id,survey,score,submitted_at,invitation_id\nR2,nps,0,2024-01-03,I2\n"
    )
    ws.ingest([tmp_path / "surveys.csv"])
    (row,) = ws.metric("survey_response_rate").rows
    assert (row["numerator"], row["denominator"]) == (2, 2)
    ws.close()
