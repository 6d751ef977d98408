"""write(): one CSV, Parquet or JSON Lines file per table, named after it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from supportmetrics.store import sql_literal

__all__ = ["FORMATS", "write"]

FORMATS = ("csv", "parquet", "jsonl")
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def _select(schema: pa.Schema, fmt: str) -> str:
    """The column list for COPY: timestamps as ISO 8601 UTC ('Z'), tags ';'-joined in CSV."""
    columns = []
    for field in schema:
        name = '"' + field.name.replace('"', '""') + '"'
        if pa.types.is_timestamp(field.type):
            columns.append(f"strftime(timezone('UTC', {name}), '{_ISO}') AS {name}")
        elif pa.types.is_list(field.type) and fmt == "csv":
            columns.append(f"array_to_string({name}, ';') AS {name}")
        else:
            columns.append(name)
    return ", ".join(columns)


def write(tables: dict[str, pa.Table], out_dir: Path, fmt: str = "csv") -> dict[str, Path]:
    """Write each table to out_dir/<table>.<fmt> and return the paths by table name.

    csv: UTF-8, header row, comma-separated, timestamps like 2025-01-06T14:03:00Z, booleans
    true/false, tags ';'-separated, nulls as empty fields. jsonl: one object per line, tags as an
    array. parquet: the Arrow types as they are (UTC timestamps, tags as list<string>).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; the formats are: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.{fmt}" for name in tables}
    if fmt == "parquet":
        for name, table in tables.items():
            pq.write_table(table, paths[name])
        return paths
    options = "HEADER true, DELIMITER ','" if fmt == "csv" else "FORMAT json"
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        for name, table in tables.items():
            con.register("demo_table", table)
            target = sql_literal(paths[name])
            con.execute(
                f"COPY (SELECT {_select(table.schema, fmt)} FROM demo_table) "
                f"TO {target} ({options})"
            )
            con.unregister("demo_table")
    return paths
