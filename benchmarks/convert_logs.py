"""Benchmark: convert a large generated twcs.csv and Asterisk queue_log with their sources.

    python benchmarks/convert_logs.py --tweets 2800000 --calls 3000000 --runs 1

Generates the files once with the engine (reused from benchmarks/data/): twcs.csv in the dataset's
shape (six-tweet threads, ~170-byte texts with commas and quotes: 2.8M tweets is ~550 MB, the size
of the real file), and a queue_log of answered, abandoned and timed-out calls with agent logins and
pauses. Each conversion runs in its own process under the engine's memory limit (--memory-limit,
the workspace's `[ingest] memory_limit` in the import command); reports wall time and peak memory
(max RSS).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from _report import machine, save

HERE = Path(__file__).resolve().parent

# Converts one source in a child process and prints its peak RSS in KiB.
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)
CONVERT = (
    "import sys; from pathlib import Path\n"
    "from supportmetrics.sources import twitter, asterisk\n"
    "from supportmetrics.sources._engine import limits\n"
    "module = {'twitter': twitter, 'asterisk': asterisk}[sys.argv[1]]\n"
    "with limits(sys.argv[4]):\n"
    "    conversion = module.SOURCE.convert([sys.argv[2]], Path(sys.argv[3]), 'UTC')\n"
    "print(conversion.notes[0])\n"
)


def twcs(tweets: int) -> Path:
    """A twcs.csv of `tweets` tweets in threads of six, generated on first use."""
    path = HERE / "data" / f"twcs-{tweets}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.sql(
            f"""
            COPY (
                SELECT i AS tweet_id,
                       CASE WHEN i % 6 IN (0, 2, 4) THEN CAST(i // 6 AS VARCHAR)
                            ELSE 'Brand' || (i // 6 % 100) END AS author_id,
                       CASE WHEN i % 6 IN (0, 2, 4) THEN 'True' ELSE 'False' END AS inbound,
                       strftime(TIMESTAMPTZ '2017-10-01 00:00:00+00' + to_seconds(i * 7),
                                '%a %b %d %H:%M:%S +0000 %Y') AS created_at,
                       '@someone my order ' || i || ', the one "shipped" last week, never came; '
                           || repeat('please help ', 8) AS text,
                       CASE WHEN i % 6 < 5 THEN CAST(i + 1 AS VARCHAR) END AS response_tweet_id,
                       CASE WHEN i % 6 > 0 THEN (i - 1) || '.0' END AS in_response_to_tweet_id
                FROM range({tweets}) t(i)
            ) TO '{path}' (HEADER, DELIMITER ',')
            """
        )
    return path


def queue_log(calls: int) -> Path:
    """A queue_log of `calls` calls (4-5 lines each) and agent sessions, generated on first use."""
    path = HERE / "data" / f"queue_log-{calls}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.sql(
            f"""
            COPY (
                WITH c AS (SELECT i, 1500000000 + i * 3 AS t, i % 10 AS kind FROM range({calls}) r(i))
                SELECT line FROM (
                    SELECT t AS ts, 0 AS k, t || '|' || i || '.1|q' || (i % 5) || '|NONE|ENTERQUEUE||555' || i || '|1' AS line FROM c
                    UNION ALL
                    SELECT t + 15, 1, (t + 15) || '|' || i || '.1|q' || (i % 5) || '|Agent/' || (i % 200) || '|CONNECT|15|' || i || '.2|3'
                    FROM c WHERE kind < 8
                    UNION ALL
                    SELECT t + 200, 2, (t + 200) || '|' || i || '.1|q' || (i % 5) || '|Agent/' || (i % 200) || '|COMPLETEAGENT|15|185|1'
                    FROM c WHERE kind < 8
                    UNION ALL
                    SELECT t + 40, 2, (t + 40) || '|' || i || '.1|q' || (i % 5) || '|NONE|' || CASE kind WHEN 8 THEN 'ABANDON|1|1|40' ELSE 'EXITWITHTIMEOUT|1|1|40' END
                    FROM c WHERE kind >= 8
                    UNION ALL
                    SELECT t + 100, 3, (t + 100) || '|NONE|NONE|Agent/' || (i % 200) || '|' || CASE WHEN i % 400 < 200 THEN 'PAUSE|' ELSE 'UNPAUSE|' END
                    FROM c WHERE i % 50 = 0
                ) ORDER BY ts, k
            ) TO '{path}' (HEADER false, QUOTE '', DELIMITER '\t')
            """
        )
    return path


def run_once(source: str, data: Path, out: Path, memory: str) -> dict[str, float | str]:
    """One conversion in a fresh process: wall seconds, peak RSS and the first note."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            sys.executable,
            "-c",
            CONVERT,
            source,
            str(data),
            str(out),
            memory,
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{source} conversion failed:\n{done.stdout}\n{done.stderr}")
    return {
        "wall_seconds": wall,
        "peak_rss_mb": int(done.stderr.strip().splitlines()[-1]) / 1024,
        "note": done.stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=2_800_000)
    parser.add_argument("--calls", type=int, default=3_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--memory-limit", default="2GB", help="the engine's memory limit")
    args = parser.parse_args()

    results = {}
    for source, data in (("twitter", twcs(args.tweets)), ("asterisk", queue_log(args.calls))):
        out = HERE / "data" / f"converted-{source}"
        runs = [run_once(source, data, out, args.memory_limit) for _ in range(args.runs)]
        wall = [float(r["wall_seconds"]) for r in runs]
        results[source] = {
            "input_mb": round(data.stat().st_size / 2**20, 1),
            "wall_seconds_median": round(statistics.median(wall), 2),
            "peak_rss_mb_max": round(max(float(r["peak_rss_mb"]) for r in runs)),
            "output": runs[0]["note"],
        }
    save(
        {
            "benchmark": "convert_logs",
            "memory_limit": args.memory_limit,
            **results,
            "machine": machine(),
        },
        f"convert-logs-{args.tweets}-{args.calls}-{args.memory_limit}",
    )


if __name__ == "__main__":
    main()
