"""The schema in code matches the documented data model (docs/data-model.md), column for column."""

from __future__ import annotations

import re
from pathlib import Path

from supportmetrics.schema import TABLES, Kind

SPEC = Path(__file__).resolve().parents[1] / "docs" / "data-model.md"


def _spec_columns() -> dict[str, dict[str, bool]]:
    """Table -> {column: required} as written in docs/data-model.md."""
    tables: dict[str, dict[str, bool]] = {}
    current: dict[str, bool] | None = None
    # Parentheses (which may span lines) only matter for "(req)".
    text = re.sub(
        r"\([^()]*\)", lambda m: " (req)" if "req" in m.group(0) else "", SPEC.read_text()
    )
    for line in text.splitlines():
        heading = re.match(r"## (\w+)", line)
        if heading:
            current = (
                tables.setdefault(heading.group(1), {}) if heading.group(1) in TABLES else None
            )
            continue
        if current is None or not line.strip() or line.startswith("|---"):
            continue
        cells = line.split("|")[1] if line.startswith("|") else line
        if cells.strip() == "column":
            continue
        # "a (req), b (req)", "a, b" or prose "a (req), b, c and d."
        for part in re.split(r",|\band\b", cells):
            match = re.match(r"\s*([a-z_]+)(\s*\(req\))?\s*\.?\s*$", part)
            if match:
                current[match.group(1)] = bool(match.group(2))
    return tables


def test_every_documented_table_and_column_is_declared() -> None:
    spec = _spec_columns()
    assert set(spec) == set(TABLES)
    for name, columns in spec.items():
        declared = {c.name: c.required for c in TABLES[name].columns}
        assert columns == declared, name


def test_keys_are_required_ids_and_enums_have_values() -> None:
    for table in TABLES.values():
        key = table.by_name[table.key]
        assert key.required and key.kind is Kind.ID, table.name
        assert table.by_name[table.time_column].kind is Kind.TIMESTAMP, table.name
        for ref in table.references:
            assert ref.table in TABLES and ref.target == TABLES[ref.table].key
