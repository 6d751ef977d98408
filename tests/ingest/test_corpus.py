"""Every file of the malformed-input corpus through `ingest`, `validate` and every `import` source:
exit 1, a problem naming the file (and the line where there is one), no traceback, store unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app
from tests.ingest.conftest import CORPUS, GENERATED

runner = CliRunner()

# file -> (line of the problem, or None where the file has none; its rule)
CASES: dict[str, tuple[int | None, str]] = {
    "tickets_empty.csv": (None, "empty"),
    "tickets_header_only.csv": (None, "no_rows"),
    "tickets_semicolons.csv": (1, "delimiter"),
    "tickets_tabs.csv": (1, "delimiter"),
    "tickets_bom_unknown_channel.csv": (3, "enum"),
    "tickets_latin1.csv": (2, "encoding"),
    "tickets_binary.csv": (None, "binary"),
    "tickets_extra_field.csv": (3, "malformed"),
    "tickets_unclosed_quote.csv": (3, "malformed"),
    "tickets_blank_header.csv": (1, "header"),
    "tickets_duplicate_header.csv": (1, "header"),
    "tickets_unnamed_column.csv": (1, "header"),
    "tickets_missing_required_column.csv": (1, "required_column"),
    "tickets_duplicate_ids.csv": (2, "unique"),
    "tickets_missing_id.csv": (3, "required"),
    "tickets_not_a_timestamp.csv": (3, "type"),
    "tickets_feb_30.csv": (3, "type"),
    "tickets_reversed_times.csv": (2, "order"),
    "tickets_odd_enum_case.csv": (4, "enum"),
    "tickets_unknown_priority.csv": (2, "enum"),
    "tickets_request_quality_6.csv": (2, "range"),
    "tickets_sentiment_nan.csv": (2, "type"),
    "tickets_infinity.csv": (3, "range"),
    "tickets_minus_infinity.csv": (3, "range"),
    "tickets_bc_year.csv": (3, "range"),
    "tickets_year_0001.csv": (3, "range"),
    "tickets_year_9999.csv": (3, "range"),
    "tickets_year_1969.csv": (3, "range"),
    "tickets_offset_plus_25.csv": (3, "offset"),
    "tickets_offset_minus_99.csv": (3, "offset"),
    "tickets_solved_at_9999.csv": (2, "range"),
    "tickets_custom_type_conflict.csv": (3, "type"),
    "tickets_2000_columns.csv": (1, "max_custom_columns"),
    "tickets_nul_after_64kb.csv": (3002, "nul"),
    "tickets_nul.csv.gz": (3002, "nul"),
    "tickets_truncated.csv.gz": (None, "unreadable"),
    "tickets_corrupt.csv.gz": (None, "unreadable"),
    "tickets_not_parquet.parquet": (None, "malformed"),
    "tickets_truncated.parquet": (None, "malformed"),
    "tickets_year_9999.parquet": (2, "range"),
    "messages_orphan.csv": (3, "reference"),
    "messages_unknown_author.csv": (2, "enum"),
    "messages_public_maybe.csv": (2, "type"),
    "messages_year_0001.csv": (2, "range"),
    "ticket_events_orphan.csv": (2, "reference"),
    "calls_negative_talk.csv": (2, "range"),
    "calls_answered_without_answered_at.csv": (2, "required"),
    "calls_answered_before_queued.csv": (2, "order"),
    "calls_broken_line_6.jsonl": (6, "malformed"),
    "calls_array_line.jsonl": (2, "malformed"),
    "calls_truncated.jsonl": (2, "malformed"),
    "calls_blank_lines_bad_enum.jsonl": (4, "enum"),
    "calls_offset_plus_25.jsonl": (1, "offset"),
    "calls_ended_infinity.jsonl": (1, "range"),
    "calls_nul.jsonl": (1501, "nul"),
    "tickets_escaped_nul.jsonl": (2, "nul"),
    "tickets_nul_value.parquet": (2, "nul"),
    "surveys_csat_6.csv": (2, "scale"),
    "surveys_nps_minus_1.csv": (2, "scale"),
    "surveys_inverted_scale.csv": (2, "scale"),
    "surveys_score_text.csv": (2, "type"),
    "time_entries_negative_seconds.csv": (2, "range"),
    "subscriptions_ended_before_started.csv": (2, "order"),
    "subscriptions_negative_mrr.csv": (2, "range"),
    "reviews_rating_7.csv": (2, "range"),
    "agents_left_before_hired.csv": (2, "order"),
    "customers_signup_feb_30.csv": (2, "type"),
    "self_service_unknown_type.csv": (2, "enum"),
    "orders_unknown_kind.csv": (2, "enum"),
    "demos_registered_soon.csv": (2, "type"),
}


def test_the_corpus_is_complete() -> None:
    committed = {p.name for p in CORPUS.iterdir()}
    assert committed.isdisjoint(GENERATED)
    assert committed | set(GENERATED) == set(CASES)
    assert len(CASES) >= 50


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding two tickets (T1 with the custom column seats), a message and a call."""
    root = tmp_path_factory.mktemp("corpus-ws") / "ws"
    ws = supportmetrics.init(root, timezone="America/New_York")
    data = root.parent / "base"
    data.mkdir()
    (data / "tickets.csv").write_text(
        "ticket_id,created_at,channel,seats\nT1,2024-01-01T10:00:00Z,email,3\n"
        "T2,2024-01-02T10:00:00Z,chat,\n"
    )
    (data / "messages.csv").write_text(
        "message_id,ticket_id,created_at,author_type\nM1,T1,2024-01-01T11:00:00Z,agent\n"
    )
    (data / "calls.csv").write_text(
        "call_id,queued_at,outcome\nC1,2024-01-01T10:00:00Z,abandoned\n"
    )
    ws.ingest([data])
    ws.close()
    return root


def _dump(root: Path) -> dict[str, list[tuple]]:
    """Every table of the store (the ingest log included), rows sorted."""
    with duckdb.connect(str(root / "supportmetrics.duckdb"), read_only=True) as con:
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


def _copy(corpus: Path, name: str, tmp_path: Path) -> Path:
    """The corpus file alone in a fresh folder (a run must not see or leave other files)."""
    target = tmp_path / "input" / name
    target.parent.mkdir()
    shutil.copyfile(corpus / name, target)
    return target


@pytest.mark.parametrize("command", ["ingest", "validate"])
@pytest.mark.parametrize("name", list(CASES))
def test_each_malformed_file_is_refused(store, corpus, tmp_path, name, command) -> None:
    path = _copy(corpus, name, tmp_path)
    before = _dump(store)
    result = runner.invoke(app, [command, str(path), "-w", str(store), "--format", "json"])
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    assert problems and all(p["file"] == str(path) for p in problems)
    line, rule = CASES[name]
    assert (line, rule) in [(p["line"], p["rule"]) for p in problems]
    if name == "tickets_odd_enum_case.csv":  # EMAIL, High, cHaT, URGENT are fine
        assert [(p["line"], p["value"]) for p in problems] == [(4, "E-Mail")]
    assert _dump(store) == before


SOURCES = ["zendesk", "freshdesk", "intercom", "asterisk", "twitter", "csv"]
FILE_LEVEL = [
    "tickets_empty.csv",
    "tickets_header_only.csv",
    "tickets_semicolons.csv",
    "tickets_latin1.csv",
    "tickets_binary.csv",
    "tickets_nul_after_64kb.csv",
    "tickets_truncated.csv.gz",
    "tickets_corrupt.csv.gz",
    "tickets_year_9999.csv",
    "tickets_offset_plus_25.csv",
    "tickets_truncated.parquet",
    "calls_broken_line_6.jsonl",
    "calls_nul.jsonl",
    "tickets_escaped_nul.jsonl",
]
MAPPING = """[tickets]
[tickets.columns]
ticket_id = "ticket_id"
created_at = "created_at"
channel = "channel"
"""


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", FILE_LEVEL)
def test_every_import_source_refuses_them(store, corpus, tmp_path, name, source) -> None:
    """chatwoot reads a PostgreSQL database, not files, so it has no place here."""
    path = _copy(corpus, name, tmp_path)
    args = [str(path)]
    if source == "csv":
        (path.parent / "mapping.toml").write_text(MAPPING)
        args.append(str(path.parent / "mapping.toml"))
    before = _dump(store)
    result = runner.invoke(app, ["import", source, *args, "-w", str(store)])
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 1, result.output
    assert result.stderr.strip()
    assert _dump(store) == before
