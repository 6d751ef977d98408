"""Dimensions and filters: the names `--by` and `--where` accept, turned into columns of fact rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from difflib import get_close_matches

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from supportmetrics.engine import Engine
from supportmetrics.facts.registry import FactTable, fact_table
from supportmetrics.localtime import utc_midnight
from supportmetrics.query.model import QueryError

__all__ = [
    "column_types",
    "dimension_names",
    "filter_rows",
    "shown_dimensions",
    "unknown_dimension",
    "unmatched_filters",
    "with_dimensions",
]

HIDDEN = ("_filed_at", "_value", "_local")


def dimension_names(engine: Engine, facts_name: str) -> list[str]:
    """Every name `by` and `where` accept for a fact table."""

    def useful(table: ir.Table, skip: str = "") -> list[str]:
        schema = table.schema()
        return [c for c in table.columns if c != skip and not schema[c].is_timestamp()]

    table = fact_table(facts_name)
    types = column_types(engine, facts_name)
    own = [c for c, t in types.items() if not c.startswith("_") and not t.is_timestamp()]
    own += table.borrowed
    has_customer = table.customer is not None
    customers = [f"customer.{c}" for c in useful(engine.table("customers"), "customer_id")]
    agent = table.agent
    agents = [f"agent.{c}" for c in useful(engine.table("agents"), "agent_id")]
    shortcuts = [*(["tier", "region"] if has_customer else []), *(["agent"] if agent else [])]
    derived = [d for d in table.derived_dimensions() if d != "tag" or "tags" in types]
    return sorted(
        {
            *own,
            *derived,
            *shortcuts,
            *(customers if has_customer else []),
            *(agents if agent else []),
        }
    )


def column_types(engine: Engine, facts_name: str) -> dict[str, dt.DataType]:
    """The type of each column a split can read off a fact table's rows: its own, and for a
    table that `borrows_all`, every column its `wider` table adds (not the fixed `borrowed`
    ones, whose wider table is costly to build)."""
    table = fact_table(facts_name)
    types = dict(engine.facts(facts_name).schema().items())
    if table.borrows_all and table.wider:
        wider = engine.facts(table.wider).schema()
        types |= {c: t for c, t in wider.items() if c not in types and not c.startswith("_")}
    return types


def shown_dimensions(engine: Engine, facts_name: str) -> list[str]:
    """The dimensions worth listing to people: `dimension_names` without ids, the raw `tags` list
    and measures (durations, counts), which `by` and `where` still accept."""
    table = fact_table(facts_name)
    schema = column_types(engine, facts_name)
    if table.borrowed and table.wider:
        wider = engine.facts(table.wider).schema()
        schema |= {name: wider[name] for name in table.borrowed if name in wider}
    return [
        name
        for name in dimension_names(engine, facts_name)
        if name != "tags"
        and not name.endswith("_id")
        and (name not in schema or schema[name].is_string() or schema[name].is_boolean())
    ]


def unknown_dimension(engine: Engine, facts_name: str, name: str) -> QueryError:
    """The error for a dimension `name` the fact table lacks: the closest names and the list."""
    close = get_close_matches(name, dimension_names(engine, facts_name), n=2)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return QueryError(
        f"unknown dimension {name!r}{hint}; the dimensions are: "
        + ", ".join(shown_dimensions(engine, facts_name))
    )


def with_dimensions(
    engine: Engine, facts_name: str, rows: ir.Table, names: Sequence[str]
) -> tuple[ir.Table, dict[str, str]]:
    """Add a column per dimension name; returns the table and name -> column."""
    columns: dict[str, str] = {}
    joined: set[str] = set()
    table = fact_table(facts_name)
    agent = table.agent if table.agent in rows.columns else None
    customer = table.customer if table.customer in rows.columns else None
    for name in names:
        column = f"__d_{len(columns)}"
        if name in rows.columns and name not in HIDDEN and not name.startswith("__"):
            value = rows[name]
            if name == "tags":
                raise QueryError("split by tag (one row per tag), not tags")
        elif name == "hour_of_day" and "_local" in rows.columns:
            value = rows._local.hour()
        elif name == "day_of_week" and "_local" in rows.columns:
            value = rows._local.day_of_week.full_name()
        elif name == "tag" and ("tags" in rows.columns or _borrows(engine, table, rows, "tags")):
            if "tags" in rows.columns:
                tags = rows.tags
            else:
                rows, tags = _borrowed(engine, rows, table, "tags")
            rows = rows.mutate(**{column: tags.unnest()})
            columns[name] = column
            continue
        elif name == "agent" and agent is not None:
            value = rows[agent]
        elif _borrows(engine, table, rows, name):
            rows, value = _borrowed(engine, rows, table, name)
        elif (name in ("tier", "region") or name.startswith("customer.")) and customer is not None:
            attribute = name.removeprefix("customer.")
            rows, value = _attribute(
                engine, rows, "customers", customer, "customer_id", attribute, joined
            )
        elif name.startswith("agent.") and agent is not None:
            rows, value = _attribute(
                engine, rows, "agents", agent, "agent_id", name.removeprefix("agent."), joined
            )
        else:
            raise unknown_dimension(engine, facts_name, name)
        rows = rows.mutate(**{column: value})
        columns[name] = column
    return rows, columns


def _attribute(
    engine: Engine,
    rows: ir.Table,
    table: str,
    key: str,
    target: str,
    attribute: str,
    joined: set[str],
) -> tuple[ir.Table, ir.Value]:
    source = engine.table(table)
    if attribute not in source.columns or attribute == target:
        valid = ", ".join(c for c in source.columns if c != target)
        raise QueryError(f"{table} has no attribute {attribute!r}; it has: {valid}")
    prefix = f"__{table}_"
    if table not in joined:
        renamed = source.rename(**{f"{prefix}{c}": c for c in source.columns})
        rows = rows.left_join(renamed, rows[key] == renamed[f"{prefix}{target}"])
        joined.add(table)
    return rows, rows[f"{prefix}{attribute}"]


def _borrows(engine: Engine, table: FactTable, rows: ir.Table, name: str) -> bool:
    """Whether `name` is a column `rows` of `table` lack and take from their `wider` rows: one of
    `borrowed`, or with `borrows_all` any column of the wider table."""
    on = table.wider_on or table.key
    if table.wider is None or on is None or on not in rows.columns:
        return False
    if not table.borrows_all:
        return name in table.borrowed
    return not name.startswith("_") and name in engine.facts(table.wider).columns


def _borrowed(
    engine: Engine, rows: ir.Table, table: FactTable, name: str
) -> tuple[ir.Table, ir.Value]:
    """`name` from the `wider` fact table of `table`, joined to `rows` by key (or `wider_on`)
    unless they already are (a filter's join serves the split), its columns under a prefix like
    the customer and agent attributes."""
    wider, key = table.wider, table.wider_on or table.key
    assert wider is not None and key is not None
    prefix = f"__{wider}_"
    if f"{prefix}{key}" not in rows.columns:
        source = engine.facts(wider)
        renamed = source.rename(**{f"{prefix}{c}": c for c in source.columns})
        rows = rows.left_join(renamed, rows[key] == renamed[f"{prefix}{key}"])
    return rows, rows[f"{prefix}{name}"]


def filter_rows(
    engine: Engine,
    facts_name: str,
    rows: ir.Table,
    where: Mapping[str, Sequence[str]],
    start: date | None,
    end: date | None,
) -> ir.Table:
    """Rows filed from `start` to `end` (inclusive local dates) matching `where`: by their
    UTC `_filed_at` against the UTC instants those days begin, or else by `_local`."""
    utc = "_filed_at" in rows.columns
    filed, zone = ("_filed_at", engine.config.timezone) if utc else ("_local", None)
    if start is not None:
        rows = rows.filter(rows[filed] >= _begins(start, zone))
    if end is not None:
        rows = rows.filter(rows[filed] < _begins(end + timedelta(days=1), zone))
    if where:
        rows, columns = with_dimensions(engine, facts_name, rows, list(where))
        for name, values in where.items():
            wanted = [str(v) for v in values]
            rows = rows.filter(_text(rows[columns[name]]).isin(wanted))
        rows = rows.drop(*columns.values())
    return rows


def _begins(day: date, timezone: str | None) -> datetime:
    """When local day `day` begins: as a UTC instant (naive) in `timezone`, or as wall time."""
    if timezone is None:
        return datetime.combine(day, datetime.min.time())
    return utc_midnight(day, timezone)


def _text(column: ir.Value) -> ir.StringValue:
    """A dimension's values as the text filters compare with (booleans as true/false)."""
    if column.type().is_boolean():
        return ibis.ifelse(column, "true", "false")
    return column.cast("string")


SHOWN_VALUES = 20
"""How many of a dimension's values a warning lists."""
SUGGESTED_FROM = 1000
"""How many of a dimension's values a warning looks through for the closest one."""


def unmatched_filters(
    engine: Engine, facts_name: str, rows: ir.Table, where: Mapping[str, Sequence[str]]
) -> list[str]:
    """A warning per filter value that no row of `rows` has (a typo, or a value that never occurs
    in the data), with the closest values; one small distinct query per filter, in the backend."""
    warnings = []
    for name, values in where.items():
        table, columns = with_dimensions(engine, facts_name, rows, [name])
        text = _text(table[columns[name]])
        wanted = [str(v) for v in values]
        present = table.filter(text.isin(wanted)).select(value=text).distinct()
        found = set(engine.arrow(present).column("value").to_pylist())
        missing = [v for v in wanted if v not in found]
        if not missing:
            continue
        domain = table.select(value=text).distinct().order_by("value").limit(SUGGESTED_FROM)
        known = [v for v in engine.arrow(domain).column("value").to_pylist() if v is not None]
        listed = ", ".join(known[:SHOWN_VALUES]) + (" ..." if len(known) > SHOWN_VALUES else "")
        empty = ", so the result is empty" if not found else ""
        for value in missing:
            close = get_close_matches(value, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(
                f"no data has {name}={value}{hint}{empty}; "
                + (f"{name} takes: {listed}" if known else f"{name} has no values")
            )
    return warnings
