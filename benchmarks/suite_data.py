"""Demo datasets for the suite as Parquet: one file per table, or parts for the large sizes.

The generator holds a whole dataset in memory, so sizes above `PART` tickets are generated as
parts of `PART` tickets with seeds seed, seed + 1, ... into per-table folders
(`tickets/part-00.parquet` ...). Every id of part k is prefixed `pk-` (ids, and the agent ids
in assignee events) so that parts never collide.

    python benchmarks/suite_data.py --tickets 10000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from supportmetrics.demo import generate, write

__all__ = ["PART", "dataset", "write_part"]

HERE = Path(__file__).resolve().parent
PART = 1_000_000


def _select(name: str, schema: pa.Schema, prefix: str) -> str:
    """Columns of table `name` with every id prefixed."""
    columns = []
    for field in schema:
        quoted = f'"{field.name}"'
        if field.name.endswith("_id") and pa.types.is_string(field.type):
            columns.append(f"'{prefix}' || {quoted} AS {quoted}")
        elif name == "ticket_events" and field.name in ("from_value", "to_value"):
            columns.append(
                f"CASE WHEN type = 'assignee' THEN '{prefix}' || {quoted} "
                f"ELSE {quoted} END AS {quoted}"
            )
        else:
            columns.append(quoted)
    return ", ".join(columns)


def write_part(tickets: int, seed: int, index: int, out: Path) -> None:
    """Generate part `index` (seed `seed`) and write each table to out/<table>/part-<index>.parquet."""
    tables = generate(tickets, seed)
    prefix = f"p{index}-"
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        for name, table in tables.items():
            folder = out / name
            folder.mkdir(parents=True, exist_ok=True)
            con.register("part_table", table)
            target = folder / f"part-{index:02d}.parquet"
            con.execute(
                f"COPY (SELECT {_select(name, table.schema, prefix)} FROM part_table) "
                f"TO '{target}' (FORMAT parquet)"
            )
            con.unregister("part_table")


def dataset(tickets: int, seed: int = 0, parts: int | None = None) -> Path:
    """The Parquet dataset of `tickets` tickets, generated on first use (in parts above PART,
    or in `parts` parts when given)."""
    parts = parts or (1 if tickets <= PART else -(-tickets // PART))
    suffix = "parquet" if parts == 1 else f"parquet-{parts}parts"
    folder = HERE / "data" / f"demo-{tickets}-seed{seed}-{suffix}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    started = time.perf_counter()
    if parts == 1:
        write(generate(tickets, seed), folder, "parquet")
    else:
        per_part = tickets // parts
        for index in range(parts):  # a process per part: each frees its memory when done
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--part",
                    str(index),
                    "--tickets",
                    str(per_part),
                    "--seed",
                    str(seed + index),
                    "--out",
                    str(folder),
                ],
                check=True,
            )
    marker.touch()
    print(f"generated {folder.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", type=int, help="write only this part (used by dataset())")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.part is not None:
        write_part(args.tickets, args.seed, args.part, args.out)
    else:
        print(dataset(args.tickets, args.seed))


if __name__ == "__main__":
    main()
