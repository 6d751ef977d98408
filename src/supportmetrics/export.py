"""Writing fact rows as CSV, JSON Lines or Parquet, to a file or standard output."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

__all__ = ["write_facts"]


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


def _json_lines(table: pa.Table, path: Path) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("facts", _for_text(table))
    con.execute(f"COPY facts TO '{path}' (FORMAT json)")
    con.close()


def write_facts(table: pa.Table, fmt: str, out: Path | None) -> None:
    """Write `table` as csv, json (JSON Lines: one object per row) or parquet to `out` or stdout."""
    if fmt == "parquet":
        if out is None:
            raise ValueError("parquet needs a file")
        pq.write_table(table, out)
    elif fmt == "csv":
        sink = out if out is not None else sys.stdout.buffer
        pa_csv.write_csv(_for_text(table), sink)
    elif out is not None:
        _json_lines(table, out)
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "facts.jsonl"
            _json_lines(table, path)
            sys.stdout.buffer.write(path.read_bytes())
    if out is None:
        sys.stdout.flush()
