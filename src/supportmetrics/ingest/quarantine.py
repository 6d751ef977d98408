"""Quarantine: each input's rejected rows, with their reasons, in a CSV file beside it (text that
a spreadsheet would run as a formula gets a leading quote, as in every CSV written for people).

`tickets.v2.csv` gives `tickets.v2.rejects.csv`; `tickets.csv.gz`, `tickets.parquet` and
`tickets.jsonl` give `tickets.rejects.csv`. A file that already has that name (from an earlier run, or
taken by another input of this run) is left alone and the rows go to `tickets.rejects-2.csv`
(`-3` ...), which the report names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from supportmetrics.export import neutralised_sql
from supportmetrics.ingest.files import FORMATS, REJECTS_MARK, SourceFile
from supportmetrics.store import quote, sql_literal

__all__ = ["Quarantine", "rejects_base", "write_rejects"]


@dataclass
class Quarantine:
    """The rejects files one run wrote, and the files already there that it left alone."""

    written: list[Path]
    kept: list[Path]

    def remove(self) -> None:
        """Delete the files this run wrote (its rows were not loaded after all)."""
        for path in self.written:
            path.unlink(missing_ok=True)


def rejects_base(path: Path) -> str:
    """The input's name without its format suffix, plus `.rejects`: `tickets.v2.rejects`."""
    name = path.name
    suffix = max((s for s in FORMATS if name.lower().endswith(s)), key=len, default="")
    return name[: len(name) - len(suffix)] + REJECTS_MARK


def _claim(folder: Path, base: str, kept: list[Path]) -> Path:
    """Create the first free `<base>.csv`, `<base>-2.csv` ... exclusively; note the taken ones."""
    number = 1
    while True:
        target = folder / f"{base}{'' if number == 1 else f'-{number}'}.csv"
        try:
            target.open("x").close()
            return target
        except FileExistsError:
            kept.append(target)
            number += 1


def _text(column: str, sql_type: str) -> str:
    """The staged column as the text the rejects file shows (lists `;`-joined)."""
    if sql_type.endswith("[]"):
        return f"array_to_string(r.{column}, ';')"
    return f"CAST(r.{column} AS VARCHAR)"


def write_rejects(
    con: duckdb.DuckDBPyConnection,
    sources: list[SourceFile],
    problems: str,
    raw: dict[str, str],
    columns: dict[str, dict[str, str]],
) -> Quarantine:
    """Write the rejected rows of each input of the tables in `raw` (`problems` holds the reasons,
    `raw` the staged table of each table, `columns` its staged columns) beside the input; never
    overwrite a file."""
    done = Quarantine([], [])
    rejected = {row[0] for row in con.execute(f"SELECT DISTINCT _file FROM {problems}").fetchall()}
    try:
        for index, source in enumerate(sources):
            if index not in rejected or source.table not in raw:
                continue
            kept: list[Path] = []
            target = _claim(source.path.parent, rejects_base(source.path), kept)
            done.written.append(target)
            done.kept.extend(p for p in kept if p not in done.written)
            selected = ", ".join(
                f"{neutralised_sql(_text(quote(c), t))} AS {quote(c)}"
                for c, t in columns[source.table].items()
            )
            con.execute(
                f"COPY (SELECT r._line AS line, p.errors, {selected} "
                f"FROM {raw[source.table]} r JOIN (SELECT _file, _line, string_agg("
                f"column_name || ': ' || message, ' | ' ORDER BY column_name) AS errors "
                f"FROM {problems} WHERE _file = {index} GROUP BY ALL) p USING (_file, _line) "
                f"WHERE r._file = {index} ORDER BY r._line) TO {sql_literal(target)} "
                "(HEADER, DELIMITER ',')"
            )
    except BaseException:
        done.remove()
        raise
    return done
