"""Column pruning: a pruned query reads only the columns it needs and gives exactly the rows of
the query as written."""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportmetrics.pruning import pruned

ROWS = pa.table(
    {
        "id": ["a", "b", "c", "d", "e", "f"],
        "team": ["x", "x", "y", "y", None, "x"],
        "seconds": [10.0, None, 30.0, 5.0, 7.0, 10.0],
        "at": [datetime(2024, 1, d) for d in (1, 1, 2, 3, 3, 4)],
        "unread": ["u1", "u2", "u3", "u4", "u5", "u6"],
    }
)
TEAMS = pa.table({"team": ["x", "y"], "lead": ["Ana", "Bo"], "unread_too": [1, 2]})


@pytest.fixture(scope="module")
def db():
    con = ibis.duckdb.connect()
    con.create_table("facts", ROWS)
    con.create_table("teams", TEAMS)
    yield con
    con.disconnect()


def _rows(db, expr: ir.Table) -> list[dict]:
    return sorted(db.to_pyarrow(expr).to_pylist(), key=repr)


def _same(db, expr: ir.Table) -> str:
    """The pruned query's SQL, after checking that it gives the rows of `expr`."""
    assert _rows(db, pruned(expr)) == _rows(db, expr)
    return db.compile(pruned(expr))


def test_a_metric_query_reads_only_its_columns(db) -> None:
    t = db.table("facts")
    rows = t.mutate(_value=t.seconds, _filed_at=t.at)
    rows = rows.filter(rows._value.notnull())
    split = rows.mutate(__d=rows.team)
    expr = split.group_by("__d").aggregate(n=split._value.count(), value=split._value.median())
    sql = _same(db, expr)
    assert "unread" not in sql and '"id"' not in sql
    assert "unread" in db.compile(expr)  # what pruning takes away


def test_a_join_keeps_its_keys_and_what_is_read(db) -> None:
    t, teams = db.table("facts"), db.table("teams")
    rows = t.mutate(_value=t.seconds).left_join(teams, "team")
    expr = rows.group_by("lead").aggregate(total=rows._value.sum())
    sql = _same(db, expr)
    assert "unread" not in sql and "unread_too" not in sql
    assert '"team"' in sql  # the join's key


def test_a_union_all_narrows_both_sides_a_distinct_union_neither(db) -> None:
    t = db.table("facts")
    first = t.mutate(kind=ibis.literal("first"))
    second = t.mutate(kind=ibis.literal("second"))
    both = first.union(second)
    assert "unread" not in _same(db, both.group_by("kind").aggregate(n=both.count()))
    distinct = first.union(first, distinct=True)
    assert "unread" in _same(db, distinct.aggregate(n=distinct.count()))


def test_what_a_filter_sort_or_window_reads_is_kept(db) -> None:
    t = db.table("facts")
    rows = t.mutate(rank=ibis.row_number().over(group_by=t.team, order_by=t.at))
    rows = rows.filter(rows.unread != "u3").order_by("id").limit(4)
    sql = _same(db, rows.select("rank", "seconds"))
    assert "unread" in sql and '"id"' in sql


def test_a_subquery_reads_all_of_its_relation(db) -> None:
    t = db.table("facts")
    others = t.mutate(extra=t.seconds * 2)
    expr = t.filter(t.team.isin(others.team)).select("id")
    _same(db, expr)


def test_a_count_of_rows_keeps_a_column(db) -> None:
    t = db.table("facts")
    rows = t.mutate(one=ibis.literal(1))
    sql = _same(db, rows.aggregate(n=rows.count()))
    assert "unread" not in sql


_STEPS = st.lists(
    st.sampled_from(["mutate", "filter", "drop", "join", "union", "order", "distinct"]),
    max_size=5,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=_STEPS, grouped=st.booleans())
def test_any_pipeline_gives_the_rows_it_gives_unpruned(db, steps: list[str], grouped: bool) -> None:
    t = db.table("facts")
    for i, step in enumerate(steps):
        if step == "mutate":
            t = t.mutate(**{f"m{i}": t.seconds.coalesce(0) + i})
        elif step == "filter":
            t = t.filter(t.id != "c")
        elif step == "drop":
            t = t.drop("unread") if "unread" in t.columns else t
        elif step == "join":
            teams = db.table("teams").rename(**{f"lead{i}": "lead", f"u{i}": "unread_too"})
            t = t.left_join(teams, "team").drop("team_right")
        elif step == "union":
            t = t.union(t)
        elif step == "order":
            t = t.order_by("id").limit(5)
        else:
            t = t.distinct()
    expr = t.group_by("team").aggregate(n=t.count(), s=t.seconds.sum()) if grouped else t
    _same(db, expr)


def test_dropping_the_only_column_read_keeps_another(db) -> None:
    # A filter on a split column the query then drops, under a count of rows: the rows between
    # keep a column, or the query would select none.
    t = db.table("facts")
    rows = t.mutate(__d=t.team)
    rows = rows.filter(rows.__d.isin(["x", "y"])).drop("__d")
    sql = _same(db, rows.aggregate(n=rows.count()))
    assert "unread" not in sql
