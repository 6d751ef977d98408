"""Facts refreshed incrementally after an ingest equal a full rebuild exactly, and a refresh killed
half-way never leaves a file a query would read as complete.

Each test starts from one demo store (200 tickets, 50 customers) whose ticket, reply, backlog,
flow and call facts are cached, ingests a batch built from the demo rows, then compares every
refreshed file with the file a full build writes for the same data (whole tables, sorted).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import supportmetrics
from supportmetrics import fact_refresh
from supportmetrics.demo import TIME_ZONE, generate, write
from supportmetrics.fact_refresh import Refresh

BUILT = [
    ("tickets", "calendar"),
    ("tickets", "business"),
    ("ticket_core", "calendar"),
    ("ticket_core", "business"),
    ("ticket_rows", "calendar"),
    ("replies", "calendar"),
    ("backlog", "calendar"),
    ("flow", "calendar"),
    ("calls", "calendar"),
]
REFRESHED = sorted(
    f"{name}.{clock}"
    for name, clock in BUILT
    if name in fact_refresh.SCOPES and (name, clock) != ("ticket_core", "business")
)
"""The files refreshed: ticket_core's business clock reads its calendar file (which holds both)."""


def _build(ws: supportmetrics.Workspace) -> None:
    engine = ws.engine()
    for name, clock in BUILT:
        engine.facts(name, clock=clock)  # type: ignore[arg-type]
    ws.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace with its facts cached, and the demo tables as Parquet in `data`."""
    root = tmp_path_factory.mktemp("refresh")
    write(generate(200, 1), root / "data", fmt="parquet")
    ws = supportmetrics.init(root / "ws", timezone=TIME_ZONE)
    ws.ingest([root / "data"])
    _build(ws)
    return root


@pytest.fixture
def ws(base: Path, tmp_path: Path) -> supportmetrics.Workspace:
    """A copy of the base workspace, its cached facts moved to the copy's data version (the
    same data in another file)."""
    shutil.copytree(base / "ws", tmp_path / "ws")
    ws = supportmetrics.connect(tmp_path / "ws")
    [old] = list(ws.facts_folder.iterdir())
    version = ws.engine().persisted.version  # type: ignore[union-attr]
    ws.close()
    old.rename(ws.facts_folder / version)
    return ws


def _folder(ws: supportmetrics.Workspace) -> Path:
    [version] = list(ws.facts_folder.iterdir())
    [settings_folder] = list(version.iterdir())
    return settings_folder


def _facts(ws: supportmetrics.Workspace) -> dict[str, pa.Table]:
    """Every cached fact file, sorted by all its columns."""
    return {
        path.name: duckdb.sql(f"SELECT * FROM read_parquet('{path}') ORDER BY ALL").to_arrow_table()
        for path in sorted(_folder(ws).glob("*.parquet"))
    }


def _table(ws: supportmetrics.Workspace, name: str) -> pa.Table:
    [path] = _folder(ws).glob(f"{name}.calendar.*.parquet")
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table()


def _ingest_and_compare(
    ws: supportmetrics.Workspace, batch: Path
) -> tuple[dict[str, object], dict[str, pa.Table]]:
    """Ingest `batch`, check every refreshed file equals a full rebuild; the refresh's details and
    the refreshed files."""
    report = ws.ingest([batch])
    details = report.facts_refresh
    assert details is not None and details["mode"] == "incremental", report.facts
    assert report.facts is not None and report.facts.startswith("refreshed incrementally: ")
    refreshed = _facts(ws)
    assert sorted({".".join(f.split(".")[:2]) for f in refreshed}) == REFRESHED
    assert not {k for k in details["rebuilt"] if k in REFRESHED}  # type: ignore[attr-defined]
    shutil.rmtree(ws.facts_folder)
    _build(ws)
    rebuilt = _facts(ws)
    for file, table in refreshed.items():
        assert table.schema == rebuilt[file].schema, file
        assert table.equals(rebuilt[file]), (file, _differences(table, rebuilt[file]))
    return details, refreshed


def _of_customers(base: Path, *tickets: str) -> int:
    """How many demo tickets the customers of `tickets` have."""
    table = f"'{base}/data/tickets.parquet'"
    [(count,)] = duckdb.sql(
        f"SELECT count(*) FROM {table} WHERE customer_id IN (SELECT customer_id FROM {table} "
        f"WHERE ticket_id IN {tickets})"
    ).fetchall()
    return int(count)


def _differences(refreshed: pa.Table, rebuilt: pa.Table) -> list[tuple[object, ...]]:
    """The first rows only one of the tables has (a failure's explanation)."""
    with duckdb.connect() as con:
        con.register("a", refreshed)
        con.register("b", rebuilt)
        return con.sql(
            "(SELECT 'refreshed', * FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)) UNION ALL "
            "(SELECT 'rebuilt', * FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)) LIMIT 4"
        ).fetchall()


def _batch(tmp_path: Path, base: Path, **selects: str) -> Path:
    """A batch folder with one Parquet file per table: `table=SQL over the demo table "t"`."""
    folder = tmp_path / "batch"
    folder.mkdir(exist_ok=True)
    with duckdb.connect() as con:
        for name, select in selects.items():
            con.execute(f"CREATE OR REPLACE VIEW t AS SELECT * FROM '{base}/data/{name}.parquet'")
            if con.execute(f"SELECT count(*) FROM ({select})").fetchall() != [(0,)]:
                con.execute(f"COPY ({select}) TO '{folder}/{name}.parquet' (FORMAT parquet)")
    return folder


def test_a_correction_batch_refreshes_the_touched_tickets(ws, base: Path, tmp_path: Path) -> None:
    before = _table(ws, "ticket_core")
    batch = _batch(
        tmp_path,
        base,
        tickets="SELECT * REPLACE ('urgent' AS priority) FROM t WHERE ticket_id IN "
        "('T0000003', 'T0000004')",
        messages="SELECT * REPLACE (created_at + INTERVAL 30 MINUTE AS created_at) FROM t "
        "WHERE ticket_id = 'T0000005'",
    )
    details, refreshed = _ingest_and_compare(ws, batch)
    # 3 tickets touched; `tickets` recomputes every ticket of their customers
    assert details["tickets_recomputed"] == _of_customers(base, "T0000003", "T0000004", "T0000005")
    assert details["tickets"] == 200
    assert details["rebuilt"] == {"calls.calendar": "its rows read calls without a ticket"}
    after = {r["ticket_id"]: r for r in _table(ws, "ticket_core").to_pylist()}
    old = {r["ticket_id"]: r for r in before.to_pylist()}
    assert after["T0000003"]["priority"] == "urgent" != old["T0000003"]["priority"]
    assert {k for k in old if old[k] != after[k]} >= {"T0000003", "T0000004"}
    assert refreshed


def test_a_batch_of_new_tickets(ws, base: Path, tmp_path: Path) -> None:
    new = "SELECT * REPLACE ('N' || ticket_id AS ticket_id{}) FROM t WHERE ticket_id <= 'T0000004'"
    batch = _batch(
        tmp_path,
        base,
        tickets=new.format(""),
        messages=new.format(", 'N' || message_id AS message_id"),
        ticket_events=new.format(", 'N' || event_id AS event_id"),
    )
    details, _ = _ingest_and_compare(ws, batch)
    core = _table(ws, "ticket_core")
    assert core.num_rows == 204 and details["tickets"] == 204
    assert pa.compute.sum(pa.compute.starts_with(core["ticket_id"], "NT")).as_py() == 4


def test_a_batch_of_messages_for_old_tickets(ws, base: Path, tmp_path: Path) -> None:
    batch = _batch(
        tmp_path,
        base,
        messages="SELECT * REPLACE ('X' || message_id AS message_id, created_at + INTERVAL 1 DAY "
        "AS created_at, 'customer' AS author_type, NULL AS author_id) FROM t "
        "WHERE author_type = 'agent' AND ticket_id IN ('T0000001', 'T0000002')",
    )
    before = {r["ticket_id"]: r for r in _table(ws, "ticket_core").to_pylist()}
    details, _ = _ingest_and_compare(ws, batch)
    assert details["tickets_recomputed"] == _of_customers(base, "T0000001", "T0000002")
    after = {r["ticket_id"]: r for r in _table(ws, "ticket_core").to_pylist()}
    added = duckdb.sql(
        f"SELECT ticket_id, count(*) FROM '{batch}/messages.parquet' GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [t for t, _ in added] == ["T0000001", "T0000002"]
    for ticket, count in added:
        assert after[ticket]["customer_messages"] == before[ticket]["customer_messages"] + count
    assert {t for t in before if before[t] != after[t]} == {"T0000001", "T0000002"}


def test_moving_a_customers_later_tickets_ends_a_repeat_contact_it_did_not_touch(
    ws, base: Path, tmp_path: Path
) -> None:
    # A: a repeat contact (the customer came back with the same issue within 7 days); the batch
    # moves the customer's later tickets of that issue to another customer, so A is no longer
    # one, though no row of A is in the batch.
    with duckdb.connect() as con:
        con.register("facts", _table(ws, "tickets"))
        [a] = con.sql(
            "SELECT ticket_id, customer_id, issue_type, created_at FROM facts WHERE repeat_contact "
            "ORDER BY ticket_id LIMIT 1"
        ).fetchall()
    batch = _batch(
        tmp_path,
        base,
        tickets=f"SELECT * REPLACE ('CU000050' AS customer_id) FROM t WHERE customer_id = "
        f"'{a[1]}' AND issue_type = '{a[2]}' AND created_at > '{a[3].isoformat()}'::TIMESTAMPTZ",
    )
    _ingest_and_compare(ws, batch)
    after = {r["ticket_id"]: r for r in _table(ws, "tickets").to_pylist()}
    assert after[a[0]]["repeat_contact"] is False


def test_a_batch_touching_many_tickets_leaves_the_facts_to_a_full_build(
    ws, base: Path, tmp_path: Path
) -> None:
    batch = _batch(
        tmp_path,
        base,
        tickets="SELECT * REPLACE ('low' AS priority) FROM t WHERE ticket_id <= 'T0000060'",
    )
    report = ws.ingest([batch])
    assert report.facts is not None
    assert report.facts.startswith("rebuilt on next query (the batch touched ")
    assert report.facts.endswith("% of the tickets: a full build is cheaper)")
    assert report.to_dict()["facts_refresh"]["mode"] == "full"  # type: ignore[index]
    assert not ws.facts_folder.exists() or not list(ws.facts_folder.iterdir())


@pytest.mark.parametrize("days", [400, -3000])
def test_a_batch_that_moves_the_time_span_refreshes_the_business_clock_too(
    ws, base: Path, tmp_path: Path, days: int
) -> None:
    # A ticket a year after the data's last instant (or before its first) moves the business
    # calendar's span; the durations of the tickets it does not touch stay what they were.
    batch = _batch(
        tmp_path,
        base,
        tickets=f"SELECT * REPLACE ('N1' AS ticket_id, created_at + INTERVAL ({days}) DAY AS "
        "created_at, NULL AS solved_at, NULL AS closed_at, 'open' AS status) FROM t "
        "WHERE ticket_id = 'T0000001'",
    )
    before = ws.engine().bounds()
    details, refreshed = _ingest_and_compare(ws, batch)
    assert ws.engine().bounds() != before
    assert details["rebuilt"] == {"calls.calendar": "its rows read calls without a ticket"}
    [core] = [f for f in refreshed if f.startswith("ticket_core.calendar.")]
    assert "first_response_business_seconds" in refreshed[core].column_names


ACTIONS = ("priority", "customer", "later_reply", "new_message", "solve_event")


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(st.integers(1, 200), st.sampled_from(ACTIONS)), min_size=1, max_size=6),
    st.integers(1, 50),
)
def test_random_small_batches_refresh_to_a_full_rebuild(
    base: Path, tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[int, str]], to: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("batch")
    shutil.copytree(base / "ws", tmp_path / "ws")
    ws = supportmetrics.connect(tmp_path / "ws")
    [old] = list(ws.facts_folder.iterdir())
    old.rename(ws.facts_folder / ws.engine().persisted.version)  # type: ignore[union-attr]
    ws.close()
    ids = {
        action: ", ".join(f"'T{i:07d}'" for i, done in changes if done == action) or "''"
        for action in ACTIONS
    }
    batch = _batch(
        tmp_path,
        base,
        tickets=f"SELECT * REPLACE (CASE WHEN ticket_id IN ({ids['priority']}) THEN 'high' "
        f"ELSE priority END AS priority, CASE WHEN ticket_id IN ({ids['customer']}) THEN "
        f"'CU{to:06d}' ELSE customer_id END AS customer_id) FROM t WHERE ticket_id IN "
        f"({ids['priority']}, {ids['customer']})",
        messages=f"SELECT * REPLACE (created_at + INTERVAL 2 HOUR AS created_at) FROM t WHERE "
        f"ticket_id IN ({ids['later_reply']}) AND author_type = 'agent' UNION ALL "
        f"SELECT * REPLACE ('Z' || message_id AS message_id, created_at + INTERVAL 3 DAY AS "
        f"created_at) FROM t WHERE ticket_id IN ({ids['new_message']})",
        ticket_events=f'SELECT * REPLACE (\'Z\' || event_id AS event_id, "at" + INTERVAL 1 DAY AS "at", '
        f"'solved' AS to_value) FROM t WHERE ticket_id IN ({ids['solve_event']}) AND "
        "type = 'status'",
    )
    assume(any(batch.iterdir()))  # changes that select no row (a reply to a ticket with none)
    _ingest_and_compare(ws, batch)


@pytest.fixture
def stalled_ingest(ws, base: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """An ingest process stopped while it writes the refreshed `ticket_rows` file (after those of
    `ticket_core`, before those of `tickets`), then killed: the temporary file it was writing,
    and the workspace."""
    batch = _batch(
        tmp_path,
        base,
        messages="SELECT * REPLACE (created_at + INTERVAL 3 HOUR AS created_at) FROM t "
        "WHERE ticket_id IN ('T0000020', 'T0000021') AND author_type = 'agent'",
    )
    script = textwrap.dedent(
        """
        import sys, time
        import supportmetrics
        from supportmetrics import fact_cache

        publish = fact_cache._publish

        def stall(temp, path):
            if path.name.startswith("ticket_rows.") and path.suffix == ".parquet":
                print(temp, flush=True)
                time.sleep(600)
            return publish(temp, path)

        fact_cache._publish = stall
        supportmetrics.connect(sys.argv[1]).ingest([sys.argv[2]])
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(ws.root), str(batch)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        temp = Path(process.stdout.readline().strip())
        assert temp.is_file() and temp.stat().st_size > 0
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    yield temp, ws.root


def _answers(ws: supportmetrics.Workspace) -> list[object]:
    return [
        ws.metric(metric, by=["channel"]).rows
        for metric in ("first_response_time", "interactions_per_ticket", "repeat_contact_rate")
    ]


def test_a_refresh_killed_half_way_leaves_only_whole_files(stalled_ingest) -> None:
    temp, root = stalled_ingest
    ws = supportmetrics.connect(root)
    version = ws.engine().persisted.version  # type: ignore[union-attr]
    ws.close()
    assert temp.parent.parent.name == version  # the batch is stored: its version was refreshed
    whole = sorted(p.name.split(".")[0] for p in temp.parent.iterdir() if p.suffix == ".parquet")
    # the files refreshed before are in place, ticket_rows only as a temporary file
    assert whole == ["backlog", "flow", "replies", "ticket_core"]
    uncached = supportmetrics.connect(root)
    uncached.config = uncached.config.model_copy(
        update={"engine": uncached.config.engine.model_copy(update={"facts_cache": False})}
    )
    want = _answers(uncached)
    uncached.close()
    assert _answers(ws) == want
    ws.close()
    assert not temp.exists()  # its process is gone: deleted by the next writer


def test_the_summary_says_what_was_refreshed_and_what_is_rebuilt() -> None:
    done = Refresh(
        refreshed=["tickets.calendar", "sla.calendar"],
        rebuilt={"calls.calendar": "its rows read calls without a ticket"},
        recomputed=1204,
        tickets=1_000_000,
        seconds=1.84,
    )
    assert done.summary() == (
        "refreshed incrementally: 1,204 of 1,000,000 tickets recomputed (tickets.calendar, "
        "sla.calendar) in 1.8 s; rebuilt on next query: calls.calendar: its rows read calls "
        "without a ticket"
    )
    assert Refresh(
        rebuilt={"calls.calendar": "its rows read calls without a ticket"}
    ).summary() == ("rebuilt on next query (calls.calendar: its rows read calls without a ticket)")
    assert Refresh("the batch added custom columns").summary() == (
        "rebuilt on next query (the batch added custom columns)"
    )


def test_a_batch_adding_custom_columns_leaves_the_facts_to_a_full_build(
    ws, base: Path, tmp_path: Path
) -> None:
    batch = _batch(
        tmp_path,
        base,
        tickets="SELECT *, 'vip' AS x_segment FROM t WHERE ticket_id = 'T0000001'",
    )
    report = ws.ingest([batch])
    assert report.facts == "rebuilt on next query (the batch added custom columns)"
    assert not list(ws.facts_folder.iterdir())
    assert "x_segment" in ws.facts("tickets").column_names


def test_facts_cached_under_other_settings_are_not_refreshed(
    ws, base: Path, tmp_path: Path
) -> None:
    config = ws.root / "supportmetrics.toml"
    text = config.read_text()
    config.write_text(text.replace('"America/New_York"', '"America/Chicago"'))
    ws = supportmetrics.connect(ws.root)
    batch = _batch(
        tmp_path,
        base,
        tickets="SELECT * REPLACE ('urgent' AS priority) FROM t WHERE ticket_id = 'T0000001'",
    )
    report = ws.ingest([batch])
    assert report.facts is not None and report.facts.startswith("rebuilt on next query")
    assert report.facts_refresh is None
    assert not list(ws.facts_folder.iterdir())
