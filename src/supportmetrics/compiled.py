"""Compile each query shape once (DuckDB): queries that differ only in their dates — a range and
the previous one, a dashboard's date picker, every tile's trend — share one SQL text.

Compiling an Ibis expression to SQL costs about as much as DuckDB takes to run a query over the
facts, so `CompiledQueries.arrow` keys compiled SQL by the expression with its date and timestamp
literals replaced by placeholders (dates no data can hold, year 1001) and its in-memory tables (a
running sum's periods) by empty stand-ins of their schema, and writes the query's own literals and
table names into that text. A shape whose placeholders do not all survive compilation verbatim is
compiled every time, as before.

Stored tables (the facts, named per engine) stand in a shape as tables of the same schema named by
their place in the query, so a shape reads the same in every process. With a `FactCache`, the SQL
texts are also kept beside the facts (`compiled.json`, keyed by a digest of the shape that is the same
in every process), so a fresh process (a CLI command, a restarted dashboard) compiles only the shapes
no process compiled before for this data version, settings and code.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Hashable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.schema as sch
import ibis.expr.types as ir
import pyarrow as pa
from ibis.common.grounds import Concrete

if TYPE_CHECKING:
    from supportmetrics.fact_cache import FactCache

__all__ = ["CompiledQueries"]

_PLACEHOLDER_DAY = date(1001, 1, 1)
"""Placeholders count from here: long before the supported range (see `time_range`)."""
_SAVED = "compiled"
"""The name of the compiled SQL texts kept beside the facts (`FactCache.save`)."""
Template = tuple[str, tuple[str, ...]]
"""A compiled SQL text and the placeholders' texts in it."""


class CompiledQueries:
    """Compiled SQL by query shape on one DuckDB connection (see the module docstring)."""

    def __init__(self, db: Any, persisted: FactCache | None = None) -> None:
        self.db = db
        self.persisted = persisted
        """Where compiled texts are kept for other processes (None: this connection only)."""
        self._sql: dict[_Shape, Template | None] = {}
        self._shapes: dict[tuple[Any, ...], _Shape] = {}
        self._saved: dict[str, Template] | None = None
        """The texts kept by every process, by shape digest (read on first use)."""
        self._texts: dict[ops.Literal, str] = {}
        self._tables: dict[tuple[int, sch.Schema], ops.InMemoryTable] = {}
        self.compiled = 0
        """How many SQL texts were compiled (tests and benchmarks read it)."""

    def arrow(self, expr: ir.Table) -> pa.Table:
        """`expr`'s rows, as `db.to_pyarrow(expr)` gives them."""
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        op = expr.op()
        found: dict[ops.Node, int] = {}  # dated literals and tables, in graph order
        hooked = False

        def shaped(node: ops.Node, _: Any, **args: Any) -> _Shape:
            """The node's shape: its type and arguments with its children's shapes, its dated
            literals and tables numbered (one walk; no node is rebuilt)."""
            nonlocal hooked
            key: tuple[Any, ...]
            if isinstance(node, ops.InMemoryTable):
                key = (ops.InMemoryTable, node.schema, found.setdefault(node, len(found)))
            elif isinstance(node, ops.DatabaseTable):
                where = (node.namespace, node.schema)
                key = (ops.DatabaseTable, *where, found.setdefault(node, len(found)))
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
            self._sql[shape] = self._kept_or_compiled(op, nodes)
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

    def _kept_or_compiled(self, op: ops.Node, nodes: list[ops.Node]) -> Template | None:
        """The SQL of `op` with placeholders for `nodes` and the placeholders' text, as another
        process kept it, else compiled now (and kept); None if some placeholder does not survive
        compilation verbatim."""
        placeholders: list[ops.Node] = []
        for index, node in enumerate(nodes):
            if isinstance(node, ops.InMemoryTable):
                tables = sum(isinstance(p, ops.InMemoryTable) for p in placeholders)
                placeholders.append(self._stand_in(tables, node.schema))
            elif isinstance(node, ops.DatabaseTable):
                placeholders.append(
                    ops.DatabaseTable(
                        name=f"sm_shape_stored_{index}",
                        schema=node.schema,
                        source=node.source,
                        namespace=node.namespace,
                    )
                )
            else:
                literals = sum(isinstance(p, ops.Literal) for p in placeholders)
                placeholders.append(_placeholder(cast(ops.Literal, node).dtype, literals))
        standing = dict(zip(nodes, placeholders, strict=True))
        digest = _digest(op, standing) if self.persisted is not None else None
        saved = self._saved_texts() if digest is not None else {}
        if digest in saved:  # no need to build the shape (rebuilding the graph is costly)
            return saved[digest]
        shape = op.replace(standing) if nodes else op
        template = self._template(shape, placeholders)
        if digest is not None and template is not None and self.persisted is not None:
            saved[digest] = template
            from supportmetrics.fact_cache import Unwritable

            with contextlib.suppress(Unwritable):  # then kept for this connection only
                self.persisted.save(_SAVED, {**(self.persisted.load(_SAVED) or {}), **saved})
        return template

    def _saved_texts(self) -> dict[str, Template]:
        """The kept texts (a damaged file or entry counts as not kept)."""
        if self._saved is None:
            loaded = self.persisted.load(_SAVED) if self.persisted is not None else None
            self._saved = {
                digest: (entry[0], tuple(entry[1]))
                for digest, entry in (loaded.items() if isinstance(loaded, dict) else ())
                if isinstance(entry, list)
                and len(entry) == 2
                and isinstance(entry[0], str)
                and isinstance(entry[1], list)
                and all(isinstance(mark, str) for mark in entry[1])
            }
        return self._saved

    def _template(self, shape: ops.Node, placeholders: list[ops.Node]) -> Template | None:
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
        0.0)`) or a table's quoted name."""
        if isinstance(node, ops.PhysicalTable):
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


class _Unstable(Exception):
    """A shape holds a value that does not read the same in every process."""


_PLAIN = (str, int, float, bool, type(None), date, datetime, timedelta, Decimal, Enum)


def _digest(op: ops.Node, standing: Mapping[ops.Node, ops.Node] | None = None) -> str | None:
    """A digest of the shape of `op` (`op` with each node of `standing` replaced by the node it
    maps to, read without rebuilding the graph) that is the same in every process (a node's hash
    is not: strings hash differently per process), or None when the shape holds a value that has
    no such reading."""
    seen: dict[int, str] = {}
    replaced = standing or {}

    def read(value: Any) -> str:
        if isinstance(value, Concrete):
            if isinstance(value, ops.Node):
                value = replaced.get(value, value)
            if id(value) not in seen:
                args: tuple[Any, ...] = value.__args__
                if isinstance(value, ops.DatabaseTable):  # the backend: its type only
                    args = (value.name, value.schema, type(value.source).__name__, value.namespace)
                elif isinstance(value, ops.InMemoryTable):  # an empty stand-in: no data
                    args = (value.name, value.schema)
                kind = type(value)
                inner = ",".join(read(a) for a in args)
                text = f"{kind.__module__}.{kind.__qualname__}({inner})"
                seen[id(value)] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            return seen[id(value)]
        if isinstance(value, tuple | list):
            return "(" + ",".join(read(v) for v in value) + ")"
        if isinstance(value, frozenset):  # e.g. the columns a projection drops
            return "{" + ",".join(sorted(read(v) for v in value)) + "}"
        if isinstance(value, Mapping):
            return "{" + ",".join(f"{read(k)}:{read(v)}" for k, v in value.items()) + "}"
        if isinstance(value, _PLAIN):
            return f"{type(value).__name__}:{value!r}"
        raise _Unstable(type(value).__name__)

    try:
        return read(op)
    except _Unstable:
        return None


def _dated(node: ops.Literal) -> bool:
    return node.value is not None and (node.dtype.is_timestamp() or node.dtype.is_date())


def _placeholder(dtype: dt.DataType, index: int) -> ops.Literal:
    day = _PLACEHOLDER_DAY + timedelta(days=index)
    value = day if dtype.is_date() else datetime.combine(day, datetime.min.time())
    return ops.Literal(value, dtype)
