"""Column pruning: a query's projections keep only the columns something above them reads.

A metric's rows are its fact table with a few columns added (`mutate`), so the query of a split or
a trend carries every column of the facts up to its aggregate. The database drops the unread ones
itself, but Ibis compiles each of them first: at 40 fact columns, compiling such a query costs
about four times what it costs with the three it reads. `pruned` rewrites the expression so that
each projection (and join) keeps only the columns read above it: by a projection, join, filter,
sort or aggregate, or carried through a filter, sort, limit, dropped-columns step or `UNION ALL`.
Any other operation (distinct, a subquery ...) is taken to read every column of its inputs. The
rows are the same; only columns nothing reads are left out.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis.expr.operations as ops
import ibis.expr.types as ir
from ibis.common.graph import Graph, Node

__all__ = ["pruned"]

Wanted = frozenset[str] | None
"""The columns of a relation something reads; None: all of them."""
_CARRYING = (ops.Filter, ops.Sort, ops.Limit, ops.DropColumns)
"""Operations whose rows carry the columns of their parent (reading a few of them)."""


def pruned(expr: ir.Table) -> ir.Table:
    """`expr` with every projection and join narrowed to the columns read above it."""
    root = expr.op()
    order, _ = Graph.from_bfs(root).toposort()
    wanted: dict[Node, Wanted] = {root: None}
    narrowed: dict[Node, tuple[str, ...]] = {}
    for node in reversed(list(order)):  # every reader of a relation comes before it
        if isinstance(node, ops.Relation):
            _read_below(node, wanted.get(node, frozenset()), wanted, narrowed)
    if not narrowed:
        return expr

    def narrow(node: Node, kwargs: dict | None) -> Node:
        if node in narrowed:
            args = kwargs or dict(zip(node.__argnames__, node.__args__, strict=True))
            values = args["values"]
            return node.__recreate__({**args, "values": {k: values[k] for k in narrowed[node]}})
        if isinstance(node, ops.Field) and kwargs and node.name not in kwargs["rel"].schema:
            return node  # read only by values a narrowed projection left out
        return node.__recreate__(kwargs) if kwargs else node

    return root.replace(narrow).to_expr()


def _read_below(
    node: ops.Relation,
    names: Wanted,
    wanted: dict[Node, Wanted],
    narrowed: dict[Node, tuple[str, ...]],
) -> None:
    """Record which columns of the relations below `node` it reads, `names` of its own read."""
    if isinstance(node, ops.Project | ops.JoinChain):
        keep = tuple(k for k in node.values if names is None or k in names)
        keep = keep or (next(iter(node.values)),)  # a projection keeps a column
        if len(keep) < len(node.values):
            narrowed[node] = keep
        _read(wanted, (node.values[k] for k in keep))
        if isinstance(node, ops.JoinChain):
            _read(wanted, (p for link in node.rest for p in link.predicates))
    elif isinstance(node, ops.JoinReference):
        _want(wanted, node.parent, names)
    elif isinstance(node, _CARRYING):
        if names is not None and isinstance(node, ops.DropColumns):
            kept = [c for c in node.parent.schema.names if c not in node.columns_to_drop]
            names = names | node.columns_to_drop | frozenset(kept[:1] if not names else ())
        _want(wanted, node.parent, names)
        _read(wanted, (c for c in node.__children__ if c is not node.parent))
    elif isinstance(node, ops.Aggregate):
        _read(wanted, (*node.groups.values(), *node.metrics.values()))
    elif isinstance(node, ops.Union) and not node.distinct:
        _want(wanted, node.left, names)
        _want(wanted, node.right, names)
    else:  # distinct, another set operation, a table ...: every column of every input
        _read(wanted, node.__children__, fields=False)


def _read(wanted: dict[Node, Wanted], values: Iterable[Node], fields: bool = True) -> None:
    """Record the columns `values` read: a field reads one column of its relation (with
    `fields`), a count of rows none, any other reference to a relation (a subquery, a distinct's
    input) all of it."""
    seen: set[Node] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if value in seen:
            continue
        seen.add(value)
        if isinstance(value, ops.Relation):
            _want(wanted, value, None)
        elif fields and isinstance(value, ops.Field):
            _want(wanted, value.rel, frozenset((value.name,)))
        elif fields and isinstance(value, ops.CountStar):  # counts rows, reads no column
            stack.extend(c for c in value.__children__ if c is not value.arg)
        else:
            stack.extend(value.__children__)


def _want(wanted: dict[Node, Wanted], relation: Node, names: Wanted) -> None:
    if relation in wanted:
        current = wanted[relation]
        names = None if current is None or names is None else current | names
    wanted[relation] = names
