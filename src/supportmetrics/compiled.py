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
        self._sql: dict[ops.Node, tuple[str, tuple[str, ...]] | None] = {}
        self._texts: dict[ops.Literal, str] = {}
        self._tables: dict[tuple[int, sch.Schema], ops.InMemoryTable] = {}
        self.compiled = 0
        """How many SQL texts were compiled (tests and benchmarks read it)."""

    def arrow(self, expr: ir.Table) -> pa.Table:
        """`expr`'s rows, as `db.to_pyarrow(expr)` gives them."""
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        op = expr.op()
        literals = list(dict.fromkeys(n for n in op.find(ops.Literal) if _dated(n)))
        tables = list(dict.fromkeys(op.find(ops.InMemoryTable)))
        placeholders: list[ops.Node] = [_placeholder(n.dtype, i) for i, n in enumerate(literals)]
        placeholders += [self._stand_in(i, t.schema) for i, t in enumerate(tables)]
        found: list[ops.Node] = [*literals, *tables]
        shape = op.replace(dict(zip(found, placeholders, strict=True))) if found else op
        if shape not in self._sql:
            self._sql[shape] = self._template(shape, placeholders)
        template = self._sql[shape]
        if template is None:
            self.compiled += 1
            sql = self.db.compile(expr)
        else:
            sql, marks = template
            for mark, node in zip(marks, found, strict=True):
                sql = sql.replace(mark, self._text(node))
        self.db._run_pre_execute_hooks(expr)  # registers the expression's in-memory tables
        table = self.db.con.sql(sql).to_arrow_table()
        return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)

    def _template(
        self, shape: ops.Node, placeholders: list[ops.Node]
    ) -> tuple[str, tuple[str, ...]] | None:
        self.compiled += 1
        sql = self.db.compile(shape.to_expr())
        marks = tuple(self._text(p) for p in placeholders)
        return (sql, marks) if all(mark in sql for mark in marks) else None

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


def _dated(node: ops.Literal) -> bool:
    return node.value is not None and (node.dtype.is_timestamp() or node.dtype.is_date())


def _placeholder(dtype: dt.DataType, index: int) -> ops.Literal:
    day = _PLACEHOLDER_DAY + timedelta(days=index)
    value = day if dtype.is_date() else datetime.combine(day, datetime.min.time())
    return ops.Literal(value, dtype)
