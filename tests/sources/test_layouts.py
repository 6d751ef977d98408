"""How pipelines land a tool's streams: Airbyte protocol messages, record envelopes, raw tables and
object-storage folders give the same canonical rows as the API records, and streams the importer
does not read are skipped and listed (`fixtures/airbyte/`, written from the plain fixtures in the
connectors' published shapes)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from supportmetrics.sources import SourceError
from tests.sources._canonical import FIXTURES, convert

AIRBYTE = FIXTURES / "airbyte"
SKIPPED = (
    "streams skipped (this importer does not read them): article_comments (1 file), "
    "brands (1 file), ticket_fields (1 file)"
)


def _tables(conversion) -> dict[str, list[tuple]]:
    return {
        table: sorted((tuple(row.values()) for row in pq.read_table(path).to_pylist()), key=repr)
        for table, path in conversion.files.items()
    }


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    return _tables(convert("zendesk", tmp_path_factory.mktemp("plain")))


@pytest.mark.parametrize("layout", ["protocol", "envelope", "raw", "s3"])
def test_each_airbyte_layout_gives_the_api_records_rows(
    layout: str, plain: dict[str, list[tuple]], tmp_path: Path
) -> None:
    conversion = convert("zendesk", tmp_path, AIRBYTE / f"zendesk-{layout}")
    assert _tables(conversion) == plain
    assert len(plain["tickets"]) == 5 and len(plain["messages"]) == 16
    assert conversion.notes[0] == SKIPPED


def test_article_comments_are_not_ticket_comments(tmp_path: Path) -> None:
    folder = AIRBYTE / "zendesk-s3" / "article_comments"
    with pytest.raises(SourceError) as error:
        convert("zendesk", tmp_path, folder)
    assert str(error.value) == (
        "no Zendesk records to import: the files hold only streams this importer does not read "
        "(article_comments); it reads tickets, ticket_audits, ticket_comments, users, groups, "
        "organizations, satisfaction_ratings, ticket_metrics"
    )


def test_a_file_of_unknown_records_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot tell which records"):
        convert("zendesk", tmp_path, FIXTURES / "intercom" / "conversations.jsonl")


def test_intercom_conversation_parts_stream_gives_the_nested_parts_rows(tmp_path: Path) -> None:
    nested = _tables(convert("intercom", tmp_path / "nested"))
    streamed = convert("intercom", tmp_path / "streamed", AIRBYTE / "intercom-s3")
    assert _tables(streamed) == nested
    assert streamed.notes == [
        "streams skipped (this importer does not read them): company_segments (1 file)"
    ]


def test_intercom_without_parts_says_what_cannot_be_computed(tmp_path: Path) -> None:
    alone = convert("intercom", tmp_path, AIRBYTE / "intercom-s3" / "conversations")
    assert alone.notes == [
        "no conversation parts: replies, first response and resolution cannot be computed (each "
        "conversation has only its first message); give the conversation_parts stream, or "
        "conversations as GET /conversations/{id} returns them"
    ]
    assert set(alone.files) == {"tickets", "messages", "surveys"}


def test_dlt_filesystem_folders_with_compressed_jsonl(plain, tmp_path: Path) -> None:
    """dlt's filesystem destination: `<dataset>/<table>/<load_id>.<file_id>.jsonl`, gzip-compressed
    without a `.gz` name, records with `_dlt_load_id` and `_dlt_id` beside the API fields."""
    dataset = tmp_path / "zendesk_data"
    for source in (FIXTURES / "zendesk").iterdir():
        records = _records(source)
        lines = "".join(
            json.dumps({**r, "_dlt_load_id": "1714521600.1", "_dlt_id": f"d{n}"}) + "\n"
            for n, r in enumerate(records)
        )
        table = dataset / source.name.split(".")[0]
        table.mkdir(parents=True)
        (table / "1714521600.1.a1b2c3.jsonl").write_bytes(gzip.compress(lines.encode()))
    (dataset / "_dlt_loads").mkdir()
    (dataset / "_dlt_loads" / "1714521600.1.jsonl").write_bytes(
        gzip.compress(b'{"load_id": "1714521600.1", "status": 0}\n')
    )
    conversion = convert("zendesk", tmp_path / "run", dataset)
    assert _tables(conversion) == plain
    assert conversion.notes[0] == (
        "streams skipped (this importer does not read them): _dlt_loads (1 file)"
    )


def _records(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
