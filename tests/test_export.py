"""write_facts writes to the path it is given, whatever characters the path holds."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from supportmetrics.export import write_facts


@pytest.mark.parametrize("name", ["it's facts.jsonl", "x' (FORMAT csv); --.jsonl"])
def test_json_lines_go_to_a_path_with_quotes(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    write_facts(pa.table({"ticket_id": ["T1", "T2"], "replies": [2, 0]}), "json", out)
    lines = out.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"ticket_id": "T1", "replies": 2},
        {"ticket_id": "T2", "replies": 0},
    ]
