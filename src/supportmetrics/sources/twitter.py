"""The "Customer Support on Twitter" dataset (`twcs.csv`) -> social `tickets` and their `messages`.

Columns: tweet_id, author_id, inbound (True for customers, False for company handles), created_at
(`Tue Oct 10 15:16:08 +0000 2017`), text, response_tweet_id (comma-separated) and
in_response_to_tweet_id (written as a float, `3.0`). A thread is a tweet that answers nothing plus
everything that answers it, recursively (a recursive query in the engine): one ticket per thread,
with the root's author as the customer and the first company to tweet in it as the `brand`
dimension. A thread a company starts is an agent-created (outbound) ticket. Company tweets are agent
messages authored by the company handle (the dataset names no individual agents). Tweets whose
thread start is missing from the file are left out and counted.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import duckdb

from supportmetrics.sources._engine import connect, write_table
from supportmetrics.sources.base import Conversion, Source, SourceError
from supportmetrics.store import sql_literal

__all__ = ["COLUMNS", "SOURCE", "convert"]

COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"


def _header(path: Path) -> list[str]:
    """The file's column names; SourceError unless they are twcs.csv's."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the file as UTF-8 CSV: {exc}") from None
    names = [name.strip() for name in header]
    if sorted(names) != sorted(COLUMNS):
        raise SourceError(
            f"{path}: this is not a twcs.csv: expected columns {', '.join(COLUMNS)}; "
            f"found {', '.join(names) or 'no header'}. Give the twcs.csv file of the "
            "Customer Support on Twitter dataset."
        )
    return names


def _id(expr: str) -> str:
    """An id column as BIGINT: the file writes in_response_to_tweet_id as a float (`3.0`)."""
    return f"TRY_CAST(regexp_replace(trim({expr}), '\\.0+$', '') AS BIGINT)"


def _stage(con: duckdb.DuckDBPyConnection, paths: Sequence[Path], names: list[str]) -> None:
    """Table `tw`: every tweet without its text (each tweet once); `bad`: rows whose fields do
    not parse."""
    columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
    files = "[" + ", ".join(sql_literal(p) for p in paths) + "]"
    con.execute(
        f"""
        CREATE TEMP TABLE parsed AS
        SELECT {_id("tweet_id")} AS tweet_id, trim(author_id) AS author,
               CASE lower(trim(inbound)) WHEN 'true' THEN true WHEN 'false' THEN false END
                   AS inbound,
               TRY_STRPTIME(trim(created_at), {sql_literal(TIME_FORMAT)}) AS ts,
               {_id("in_response_to_tweet_id")} AS parent,
               nullif(trim(in_response_to_tweet_id), '') IS NOT NULL AS answers,
               tweet_id AS raw_id, created_at AS raw_at
        FROM read_csv({files}, columns={columns}, header=true, auto_detect=false, delim=',',
                      quote='"', escape='"', strict_mode=false, max_line_size=8388608)
        """
    )
    ok = "tweet_id IS NOT NULL AND author IS NOT NULL AND inbound IS NOT NULL AND ts IS NOT NULL"
    con.execute(
        f"CREATE TEMP TABLE tw AS SELECT tweet_id, author, inbound, ts, parent FROM parsed "
        f"WHERE {ok} AND (parent IS NOT NULL OR NOT answers) "
        "QUALIFY row_number() OVER (PARTITION BY tweet_id) = 1"
    )
    con.execute(
        f"CREATE TEMP TABLE bad AS SELECT raw_id, raw_at FROM parsed "
        f"WHERE NOT coalesce({ok} AND (parent IS NOT NULL OR NOT answers), false)"
    )
    con.execute("DROP TABLE parsed")


THREADS = """
CREATE TEMP TABLE thread AS
WITH RECURSIVE walk(tweet_id, root) AS (
    SELECT tweet_id, tweet_id FROM tw WHERE parent IS NULL
    UNION ALL
    SELECT tw.tweet_id, walk.root FROM tw JOIN walk ON tw.parent = walk.tweet_id
)
SELECT walk.root, tw.* FROM walk JOIN tw USING (tweet_id)
"""

TICKETS = """
SELECT CAST(root AS VARCHAR) AS ticket_id,
       arg_min(ts, tweet_id) FILTER (tweet_id = root) AS created_at,
       'social' AS channel,
       coalesce(min(author) FILTER (tweet_id = root AND inbound),
                arg_min(author, (ts, tweet_id)) FILTER (inbound)) AS customer_id,
       CASE WHEN bool_or(tweet_id = root AND NOT inbound) THEN 'agent' ELSE 'customer' END
           AS created_by,
       arg_min(author, (ts, tweet_id)) FILTER (NOT inbound) AS brand
FROM thread GROUP BY root
"""

MESSAGES = """
SELECT CAST(tweet_id AS VARCHAR) AS message_id, CAST(root AS VARCHAR) AS ticket_id,
       ts AS created_at, CASE WHEN inbound THEN 'customer' ELSE 'agent' END AS author_type,
       author AS author_id, true AS public, false AS automated
FROM thread
"""


def convert(inputs: Sequence[str], out_dir: Path, timezone: str) -> Conversion:
    """Convert twcs.csv (or several files of its shape) to social tickets (one per thread) and
    their messages."""
    paths = [Path(p) for p in inputs]
    for path in paths:
        if not path.is_file():
            raise SourceError(f"{path}: no such file; give the dataset's twcs.csv")
    headers = [_header(path) for path in paths]
    for path, header in zip(paths, headers, strict=True):
        if header != headers[0]:
            raise SourceError(
                f"{path}: its columns are in another order than in {paths[0]} "
                f"({', '.join(header)}); give files with the same header"
            )
    files: dict[str, Path] = {}
    with connect(timezone) as con:
        _stage(con, paths, headers[0])
        con.execute(THREADS)
        for table, sql in (("tickets", TICKETS), ("messages", MESSAGES)):
            written = write_table(con, sql, out_dir, table)
            if written:
                files[table] = written
        counts = con.execute(
            "SELECT (SELECT count(DISTINCT root) FROM thread), (SELECT count(*) FROM thread), "
            "(SELECT count(*) FROM tw) - (SELECT count(*) FROM thread)"
        ).fetchone()
        bad = con.execute(
            "SELECT count(*), any_value(raw_id), any_value(raw_at) FROM bad"
        ).fetchone()
    assert counts is not None and bad is not None
    notes = [f"tickets: {counts[0]} thread(s); messages: {counts[1]} tweet(s)"]
    if counts[2]:
        notes.append(
            f"left out {counts[2]} tweet(s) whose thread starts with a tweet missing from the file"
        )
    if bad[0]:
        notes.append(
            f"skipped {bad[0]} row(s) with an unreadable tweet_id, author_id, inbound (True/False), "
            f"in_response_to_tweet_id or created_at (like 'Tue Oct 10 15:16:08 +0000 2017'), "
            f"e.g. tweet_id {bad[1]!r} created_at {bad[2]!r}"
        )
    return Conversion(files, notes)


SOURCE = Source(
    name="twitter",
    title="Customer Support on Twitter (twcs.csv)",
    reads="the twcs.csv file of the public Customer Support on Twitter dataset (or several files "
    "with its columns: a thread's tweets may be in different files)",
    how_to_export="Download the dataset from Kaggle (thoughtvector/customer-support-on-twitter) "
    "and unzip twcs.csv.",
    convert=convert,
)
