"""Writing fact rows as CSV, JSON Lines or Parquet, to a file or standard output, and the rule that
keeps CSV cells from running as spreadsheet formulas."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from supportmetrics.store import sql_literal

__all__ = ["FORMULA_START", "neutralise_formulas", "neutralised_sql", "safe_rows", "write_facts"]

FORMULA_START = r"^[=+\-@\t\r]"
"""Text a spreadsheet may read as a formula (OWASP's CSV injection list)."""


def _for_text(table: pa.Table) -> pa.Table:
    """Lists as `;`-joined text and timestamps marked UTC, so text formats say what they hold."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_list(field.type):
            column = pc.binary_join(column, ";")
        elif pa.types.is_timestamp(field.type) and field.type.tz is None:
            column = column.cast(pa.timestamp(field.type.unit, tz="UTC"))
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """`table` with every text cell that starts like a formula (`= + - @`, tab, CR) prefixed with a
    single quote, so a spreadsheet shows it as text; numbers and other types are left alone.
    Every CSV written for people goes through this unless raw output is asked for."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_dictionary(field.type) and pa.types.is_string(field.type.value_type):
            column = column.cast(field.type.value_type)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA_START)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def neutralised_sql(expr: str) -> str:
    """SQL for the text `expr` with `neutralise_formulas`' rule applied (for CSV the engine writes)."""
    return (
        f"CASE WHEN regexp_matches({expr}, '{FORMULA_START}') THEN '''' || {expr} ELSE {expr} END"
    )


def safe_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Result rows (dicts with the same keys) with `neutralise_formulas` applied to text values."""
    if not rows:
        return rows
    return neutralise_formulas(pa.Table.from_pylist(rows)).to_pylist()


def _json_lines(table: pa.Table, path: Path) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("facts", _for_text(table))
    con.execute(f"COPY facts TO {sql_literal(path)} (FORMAT json)")
    con.close()


def write_facts(table: pa.Table, fmt: str, out: Path | None, *, raw: bool = False) -> None:
    """Write `table` as csv, json (JSON Lines: one object per row) or parquet to `out` or stdout;
    CSV text cells that look like formulas are neutralised unless `raw`."""
    if fmt == "parquet":
        if out is None:
            raise ValueError("parquet needs a file")
        pq.write_table(table, out)
    elif fmt == "csv":
        sink = out if out is not None else sys.stdout.buffer
        text = _for_text(table)
        pa_csv.write_csv(text if raw else neutralise_formulas(text), sink)
    elif out is not None:
        _json_lines(table, out)
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "facts.jsonl"
            _json_lines(table, path)
            sys.stdout.buffer.write(path.read_bytes())
    if out is None:
        sys.stdout.flush()
