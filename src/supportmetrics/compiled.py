"""Compile each query shape once (DuckDB): queries that differ only in their dates — a range and
the previous one, a dashboard's date picker, every tile's trend — share one SQL text.

Compiling an Ibis expression to SQL costs about as much as DuckDB takes to run a query over the
facts, so `CompiledQueries.arrow` keys compiled SQL by the expression with its date and timestamp
literals replaced by placeholders (dates no data can hold, year 1001) and its in-memory tables (a
running sum's periods) by empty stand-ins of their schema, and writes the query's own literals and
table names into that text. A shape whose placeholders do not all survive compilation verbatim is
compiled every time, as before.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, cast

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.schema as sch
import ibis.expr.types as ir
import pyarrow as pa

__all__ = ["CompiledQueries"]

_PLACEHOLDER_DAY = date(1001, 1, 1)
"""Placeholders count from here: long before the supported range (see `time_range`)."""


class CompiledQueries:
    """Compiled SQL by query shape on one DuckDB connection (see the module docstring)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self._sql: dict[_Shape, tuple[str, tuple[str, ...]] | None] = {}
        self._shapes: dict[tuple[Any, ...], _Shape] = {}
        self._texts: dict[ops.Literal, str] = {}
        self._tables: dict[tuple[int, sch.Schema], ops.InMemoryTable] = {}
        self.compiled = 0
        """How many SQL texts were compiled (tests and benchmarks read it)."""

    def arrow(self, expr: ir.Table) -> pa.Table:
        """`expr`'s rows, as `db.to_pyarrow(expr)` gives them."""
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        op = expr.op()
        found: dict[ops.Node, int] = {}  # dated literals and in-memory tables, in graph order
        hooked = False

        def shaped(node: ops.Node, _: Any, **args: Any) -> _Shape:
            """The node's shape: its type and arguments with its children's shapes, its dated
            literals and in-memory tables numbered (one walk; no node is rebuilt)."""
            nonlocal hooked
            key: tuple[Any, ...]
            if isinstance(node, ops.InMemoryTable):
                key = (ops.InMemoryTable, node.schema, found.setdefault(node, len(found)))
            elif isinstance(node, ops.Literal) and _dated(node):
                key = (ops.Literal, node.dtype, found.setdefault(node, len(found)))
            else:
                hooked = hooked or isinstance(node, _HOOKED)
                key = (type(node), *(_frozen(value) for value in args.values()))
            if key not in self._shapes:
                self._shapes[key] = _Shape()
            return self._shapes[key]

        shape = op.map(shaped)[op]
        nodes = list(found)
        if shape not in self._sql:
            self._sql[shape] = self._template(op, nodes)
        template = self._sql[shape]
        if template is None:
            self.compiled += 1
            sql = self.db.compile(expr)
        else:
            sql, marks = template
            for mark, node in zip(marks, nodes, strict=True):
                sql = sql.replace(mark, self._text(node))
        self._prepare(expr, nodes, hooked)
        table = self.db.con.sql(sql).to_arrow_table()
        return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)

    def _template(self, op: ops.Node, nodes: list[ops.Node]) -> tuple[str, tuple[str, ...]] | None:
        """The SQL of `op` with placeholders for `nodes`, and the placeholders' text (None if
        some placeholder does not survive compilation verbatim)."""
        placeholders: list[ops.Node] = []
        for node in nodes:
            if isinstance(node, ops.InMemoryTable):
                tables = sum(isinstance(p, ops.InMemoryTable) for p in placeholders)
                placeholders.append(self._stand_in(tables, node.schema))
            else:
                literals = sum(isinstance(p, ops.Literal) for p in placeholders)
                placeholders.append(_placeholder(cast(ops.Literal, node).dtype, literals))
        shape = op.replace(dict(zip(nodes, placeholders, strict=True))) if nodes else op
        self.compiled += 1
        sql = self.db.compile(shape.to_expr())
        marks = tuple(self._text(p) for p in placeholders)
        return (sql, marks) if all(mark in sql for mark in marks) else None

    def _prepare(self, expr: ir.Table, nodes: list[ops.Node], hooked: bool) -> None:
        """Register the expression's in-memory tables, as `db._run_pre_execute_hooks` does, from
        the nodes already found; the hooks themselves (four more walks over the expression) only
        for what else they handle: UDFs, geometry, record batch readers."""
        db = self.db
        if hooked or db._record_batch_readers_consumed:
            db._run_pre_execute_hooks(expr)
            return
        for node in nodes:
            if isinstance(node, ops.InMemoryTable) and node not in db._memtables:
                db._register_in_memory_tables(node.to_expr())

    def _stand_in(self, index: int, schema: sch.Schema) -> ops.InMemoryTable:
        """An empty in-memory table that stands for the `index`th one of this schema in a shape."""
        key = (index, schema)
        if key not in self._tables:
            from ibis.formats.pyarrow import PyArrowTableProxy

            empty = PyArrowTableProxy(schema.to_pyarrow().empty_table())
            name = f"sm_shape_table_{index}"
            self._tables[key] = ops.InMemoryTable(name=name, schema=schema, data=empty)
        return self._tables[key]

    def _text(self, node: ops.Node) -> str:
        """How the compiler writes `node`: a literal (e.g. `MAKE_TIMESTAMP(2024, 3, 1, 0, 0,
        0.0)`) or an in-memory table's quoted name."""
        if isinstance(node, ops.InMemoryTable):
            return f'"{node.name}"'
        literal = cast(ops.Literal, node)
        if literal not in self._texts:
            select = self.db.compile(literal.to_expr().name("x"))
            self._texts[literal] = select.removeprefix("SELECT ").removesuffix(' AS "x"')
        return self._texts[literal]


_HOOKED = (ops.ScalarUDF, ops.GeoSpatialUnOp, ops.GeoSpatialBinOp)
"""Nodes that need the backend's pre-execute hooks (see `CompiledQueries._prepare`)."""


class _Shape:
    """A node's shape (see `CompiledQueries.arrow`): one object per distinct shape, so a parent's
    key holds its children's shapes without their whole (shared) subgraphs."""

    __slots__ = ()


def _frozen(value: Any) -> Hashable:
    """An argument's shape as a hashable value (collections of shapes become tuples)."""
    if isinstance(value, _Shape):
        return value
    if isinstance(value, Mapping):
        return (Mapping, *((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return (tuple, *(_frozen(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (frozenset, frozenset(_frozen(v) for v in value))
    return cast(Hashable, value)


def _dated(node: ops.Literal) -> bool:
    return node.value is not None and (node.dtype.is_timestamp() or node.dtype.is_date())


def _placeholder(dtype: dt.DataType, index: int) -> ops.Literal:
    day = _PLACEHOLDER_DAY + timedelta(days=index)
    value = day if dtype.is_date() else datetime.combine(day, datetime.min.time())
    return ops.Literal(value, dtype)
