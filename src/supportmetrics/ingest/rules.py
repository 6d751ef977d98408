"""The validation rules and typed conversions, generated as SQL from the schema.

A staged table holds one text column per input column (lists stay lists), except where a typed file
(Parquet) already holds a canonical column in a type that says the same (`native`): a timestamp,
boolean or number is then staged as it is, never printed and parsed again. `present` maps each staged
column to its staged type. For each canonical column `typed_expr` gives the value as validated,
`insert_expr` the value as stored, and `violations` gives one SELECT per rule that returns the rows
breaking it. `check_columns` tells, for each row as its file is staged, whether it breaks any of
those rules (parsing each value once), so that the per-rule SELECTs only run over those rows, and
gives its id's hash, which `duplicate_hashes` and `duplicates` check the ids by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from supportmetrics.schema import SURVEY_SCALES, Column, Kind, Table
from supportmetrics.store import quote, sql_literal
from supportmetrics.time_range import RANGE_TEXT, in_range_sql, offset_beyond_sql

__all__ = [
    "CHECKS",
    "PROBLEM_COLUMNS",
    "Rule",
    "check_columns",
    "custom_expr",
    "duplicate_hashes",
    "duplicates",
    "infer_custom_type",
    "insert_expr",
    "native",
    "typed_expr",
    "violations",
]

PROBLEM_COLUMNS = "_file, _line, column_name, value, rule, message"

_TRUE = "('true', '1', 'yes', 't', 'y')"
_FALSE = "('false', '0', 'no', 'f', 'n')"
_INTEGER = r"'^[+-]?\d+(\.0*)?$'"
_NUMBER = r"'^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$'"


def _bool(raw: str) -> str:
    return (
        f"CASE WHEN lower({raw}) IN {_TRUE} THEN true WHEN lower({raw}) IN {_FALSE} THEN false END"
    )


def _integer(raw: str) -> str:
    return f"CASE WHEN regexp_matches({raw}, {_INTEGER}) THEN TRY_CAST({raw} AS DOUBLE)::BIGINT END"


def _number(raw: str) -> str:
    return f"CASE WHEN regexp_matches({raw}, {_NUMBER}) THEN TRY_CAST({raw} AS DOUBLE) END"


TEXT = "VARCHAR"
"""The staged type of a text column."""
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_NATIVE: dict[Kind, tuple[str, ...]] = {
    Kind.TIMESTAMP: ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP"),
    Kind.BOOL: ("BOOLEAN",),
    Kind.INTEGER: _INTEGERS,
    Kind.NUMBER: (*_INTEGERS, "FLOAT", "DOUBLE"),
}
"""Types of a typed file that are staged as they are: they hold exactly what the text would say
(a naive timestamp is read in the workspace time zone either way; a number's text, parsed, is the
number), so printing and parsing them again would change nothing."""


def native(column: Column, staged: str) -> bool:
    """Whether a value staged as `staged` is kept in that type for `column`."""
    allowed = _NATIVE.get(column.kind, ())
    return staged in allowed or (column.kind is Kind.NUMBER and staged.startswith("DECIMAL("))


def _zoned(raw: str, staged: str) -> str:
    """A timestamp column's instant (TIMESTAMPTZ); NULL where the text does not parse."""
    return raw if staged == "TIMESTAMP WITH TIME ZONE" else f"TRY_CAST({raw} AS TIMESTAMPTZ)"


def typed_expr(column: Column, raw: str, staged: str = TEXT) -> str:
    """SQL turning the value `raw`, staged as `staged`, into the column's stored type; NULL where it
    does not parse.

    Staged tags are already a list of text.
    Timestamps with an offset are exact; naive ones are read in the session time zone (the
    workspace's), and all are stored as UTC; outside the supported range, or with an offset beyond
    it, they are NULL.
    """
    if column.kind is not Kind.TIMESTAMP:
        return _parsed(column, raw, staged)
    if staged != TEXT:  # compared as instants; a native value has no offset text to check
        zoned = _zoned(raw, staged)
        return f"CASE WHEN {in_range_sql(zoned, zoned=True)} THEN {_utc(zoned)} END"
    parsed = _parsed(column, raw, staged)
    return f"CASE WHEN {in_range_sql(parsed)} AND NOT {offset_beyond_sql(raw)} THEN {parsed} END"


def _utc(zoned: str) -> str:
    """The UTC wall time of a finite instant: its microseconds since the epoch, which is cheaper
    than `AT TIME ZONE 'UTC'` (no calendar), and the same."""
    return f"make_timestamp(epoch_us({zoned}))"


def _parsed(column: Column, raw: str, staged: str = TEXT) -> str:
    """`typed_expr` without the timestamp range: what the value means, NULL where it does not
    parse (an infinite timestamp is the first or last representable one, so the range rejects it)."""
    kind = column.kind
    if kind is Kind.TAGS:
        return f"list_filter(list_transform({raw}, lambda x: trim(x)), lambda x: x IS NOT NULL AND x <> '')"
    if kind in (Kind.ID, Kind.TEXT):
        return raw
    if kind is Kind.TIMESTAMP:
        return f"({_zoned(raw, staged)} AT TIME ZONE 'UTC')"
    if staged != TEXT:
        if kind is Kind.BOOL:
            return raw
        if kind is Kind.INTEGER:
            return f"TRY_CAST({raw} AS BIGINT)"
        number = f"CAST({raw} AS DOUBLE)"
        return f"CASE WHEN isfinite({number}) THEN {number} END"
    if kind is Kind.ENUM:
        allowed = ", ".join(sql_literal(v) for v in column.values)
        return f"CASE WHEN lower({raw}) IN ({allowed}) THEN lower({raw}) END"
    if kind is Kind.BOOL:
        return _bool(raw)
    if kind is Kind.INTEGER:
        return _integer(raw)
    return _number(raw)


def insert_expr(column: Column, raw: str | None, staged: str = TEXT) -> str:
    """The stored value of a row that broke no rule: the typed value, else the column's default,
    else NULL. Such a row's timestamps parse and lie in the range, so they are not checked again."""
    if raw is None:
        value = "NULL"
    elif column.kind is Kind.TIMESTAMP:
        value = _utc(_zoned(raw, staged))
    else:
        value = _parsed(column, raw, staged)
    if column.default is not None:
        default = (
            str(column.default).lower() if isinstance(column.default, bool) else column.default
        )
        value = f"COALESCE({value}, {typed_expr(column, sql_literal(default))})"
    return f"CAST({value} AS {column.kind.sql_type})"


_CUSTOM_TYPES = ("BIGINT", "DOUBLE", "BOOLEAN", "VARCHAR")


def infer_custom_type(stats: dict[str, bool]) -> str:
    """The narrowest type every value of a custom column fits (from `custom_fit_sql` results)."""
    return next((t for t in _CUSTOM_TYPES if stats.get(t, t == "VARCHAR")), "VARCHAR")


def custom_fit_sql(raw: str) -> list[str]:
    """Aggregates telling whether every value of a custom text column fits each candidate type."""
    checks = {
        "BIGINT": _integer(raw),
        "DOUBLE": _number(raw),
        "BOOLEAN": _bool(raw),
    }
    return [
        f"bool_and({raw} IS NULL OR ({expr}) IS NOT NULL) AS {quote(name)}"
        for name, expr in checks.items()
    ] + [f"count({raw}) > 0 AS has_values"]


def custom_expr(raw: str, raw_type: str, sql_type: str) -> str:
    """A custom column's stored value in `sql_type`; NULL where it does not fit."""
    if raw_type.endswith("[]") or sql_type.endswith("[]"):
        return f"TRY_CAST({raw} AS {sql_type})"
    if sql_type == "BOOLEAN":
        return _bool(raw)
    if sql_type in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"):
        return f"CAST({_integer(raw)} AS {sql_type})"
    if sql_type in ("DOUBLE", "FLOAT", "REAL") or sql_type.startswith("DECIMAL"):
        return f"CAST({_number(raw)} AS {sql_type})"
    if sql_type.startswith("TIMESTAMP"):
        return f"(TRY_CAST({raw} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"
    return f"TRY_CAST({raw} AS {sql_type})"


@dataclass(frozen=True)
class Rule:
    """One check over a staged table: the rows it selects break it."""

    column: str
    rule: str
    condition: str
    message: str
    """SQL text expression for the message (a literal or a concatenation)."""
    value: str

    def select(self, staged: str) -> str:
        return (
            f"SELECT _file, _line, {sql_literal(self.column)} AS column_name, "
            f"left(CAST({self.value} AS VARCHAR), 200) AS value, {sql_literal(self.rule)} AS rule, "
            f"{self.message} AS message FROM {staged} WHERE {self.condition}"
        )


_HINTS = {
    Kind.TIMESTAMP: "not a timestamp: write ISO 8601 such as 2024-05-01T14:03:00Z, "
    "or without an offset to read it in the workspace time zone",
    Kind.BOOL: "not a boolean: use true/false, 1/0 or yes/no",
    Kind.INTEGER: "not a whole number",
    Kind.NUMBER: "not a number: use digits with an optional decimal point, like 12.5",
}


_RANGE_HINT = (
    f"outside the supported range {RANGE_TEXT}: correct the date, or leave it empty "
    "if there is none (not a placeholder such as 9999-12-31 or infinity)"
)
_OFFSET_HINT = "UTC offset beyond ±14:00: correct the offset, or write the time in UTC with Z"


def _timestamp_condition(column: Column, staged: str) -> str:
    """The rows `_timestamp_select` returns: a value that is no timestamp, out of range or with an
    offset beyond ±14:00 (`staged`: the column's staged type)."""
    raw = quote(column.name)
    if staged != TEXT:
        zoned = _zoned(raw, staged)
        return f"({raw} IS NOT NULL AND NOT COALESCE({in_range_sql(zoned, zoned=True)}, false))"
    parsed = _parsed(column, raw)
    return (
        f"({raw} IS NOT NULL AND ({parsed} IS NULL OR NOT {in_range_sql(parsed)} "
        f"OR {offset_beyond_sql(raw)}))"
    )


def _timestamp_select(column: Column, table: str, staged: str) -> str:
    """One pass over a timestamp column of the staged table `table`: a value that is no timestamp
    (`type`), one outside the supported range (`range`) or text with an offset beyond ±14:00
    (`offset`); parsed once per row."""
    raw = quote(column.name)
    within = in_range_sql("_parsed")
    beyond = offset_beyond_sql(raw) if staged == TEXT else "false"
    message = (
        f"CASE WHEN _parsed IS NULL THEN {sql_literal(_HINTS[Kind.TIMESTAMP])} "
        f"WHEN {within} THEN {sql_literal(_OFFSET_HINT)} ELSE {sql_literal(_RANGE_HINT)} END"
    )
    return (
        f"SELECT _file, _line, {sql_literal(column.name)} AS column_name, "
        f"left(CAST({raw} AS VARCHAR), 200) AS value, "
        f"CASE WHEN _parsed IS NULL THEN 'type' WHEN {within} THEN 'offset' ELSE 'range' END "
        f"AS rule, {message} AS message FROM (SELECT _file, _line, {raw}, "
        f"{_parsed(column, raw, staged)} AS _parsed FROM {table} WHERE {raw} IS NOT NULL) "
        f"WHERE _parsed IS NULL OR NOT {within} OR {beyond}"
    )


def _column_rules(table: Table, column: Column, present: Mapping[str, str]) -> list[Rule]:
    name = column.name
    raw = quote(name)
    rules: list[Rule] = []
    if name not in present:
        return rules
    typed = _parsed(column, raw, present[name])
    if column.required:
        rules.append(
            Rule(
                name,
                "required",
                f"{raw} IS NULL",
                sql_literal(f"missing value: every {table.name} row needs {name}"),
                "NULL",
            )
        )
    if column.kind is Kind.ENUM:
        hint = f"unknown value: use one of {', '.join(column.values)}"
        rules.append(
            Rule(name, "enum", f"{raw} IS NOT NULL AND {typed} IS NULL", sql_literal(hint), raw)
        )
    elif column.kind in _HINTS and column.kind is not Kind.TIMESTAMP:  # see _timestamp_select
        rules.append(
            Rule(
                name,
                "type",
                f"{raw} IS NOT NULL AND {typed} IS NULL",
                sql_literal(_HINTS[column.kind]),
                raw,
            )
        )
    if column.minimum is not None:
        rules.append(
            Rule(
                name,
                "range",
                f"{typed} < {column.minimum}",
                sql_literal(f"must be at least {column.minimum:g}"),
                raw,
            )
        )
    if column.maximum is not None:
        rules.append(
            Rule(
                name,
                "range",
                f"{typed} > {column.maximum}",
                sql_literal(f"must be at most {column.maximum:g}"),
                raw,
            )
        )
    return rules


def _typed(table: Table, name: str, present: Mapping[str, str]) -> str:
    return typed_expr(table.by_name[name], quote(name), present[name])


def _row_rules(table: Table, present: Mapping[str, str]) -> list[Rule]:
    rules: list[Rule] = []
    for order in table.orders:
        if order.earlier in present and order.later in present:
            earlier = _typed(table, order.earlier, present)
            later = _typed(table, order.later, present)
            rules.append(
                Rule(
                    order.later,
                    "order",
                    f"{later} < {earlier}",
                    sql_literal(f"{order.later} is before {order.earlier} (")
                    + f" || CAST({quote(order.earlier)} AS VARCHAR) || "
                    + sql_literal("); fix one of the two timestamps"),
                    quote(order.later),
                )
            )
    for column, when_column, when_value in table.required_when:
        if when_column in present:
            condition = f"{_typed(table, when_column, present)} = {sql_literal(when_value)}"
            missing = f"{quote(column)} IS NULL" if column in present else "true"
            rules.append(
                Rule(
                    column,
                    "required",
                    f"{condition} AND {missing}",
                    sql_literal(
                        f"missing value: {column} is required when {when_column} is {when_value}"
                    ),
                    "NULL",
                )
            )
    if table.name == "surveys":
        rules.extend(_scale_rules(table, present))
    if table.name == "reviews" and "rating" in present:
        scale = _typed(table, "scale_max", present) if "scale_max" in present else "5"
        rating = _typed(table, "rating", present)
        rules.append(
            Rule(
                "rating",
                "range",
                f"{rating} > COALESCE({scale}, 5)",
                sql_literal("rating above the scale maximum (")
                + f" || CAST(COALESCE({scale}, 5) AS VARCHAR) || "
                + sql_literal("); set scale_max if the platform uses another scale"),
                quote("rating"),
            )
        )
    return rules


def survey_scale_sql(survey: str, bound: str, given: str | None) -> str:
    """A survey row's scale bound: its own, else its survey's default, else NULL (custom)."""
    index = 0 if bound == "min" else 1
    cases = " ".join(
        f"WHEN {sql_literal(name)} THEN {scale[index]:g}" for name, scale in SURVEY_SCALES.items()
    )
    default = f"CASE lower({survey}) {cases} END"
    return f"COALESCE({given}, {default})" if given else default


def _scale_rules(table: Table, present: Mapping[str, str]) -> list[Rule]:
    if "score" not in present or "survey" not in present:
        return []

    def number(name: str) -> str | None:
        return _parsed(table.by_name[name], quote(name), present[name]) if name in present else None

    score = number("score")
    low = survey_scale_sql(quote("survey"), "min", number("scale_min"))
    high = survey_scale_sql(quote("survey"), "max", number("scale_max"))
    return [
        Rule(
            "score",
            "scale",
            f"{score} < {low} OR {score} > {high}",
            sql_literal("score outside the survey's scale ")
            + f" || CAST({low} AS VARCHAR) || '-' || CAST({high} AS VARCHAR) || "
            + sql_literal("; set scale_min/scale_max if this survey uses another scale"),
            quote("score"),
        ),
        Rule(
            "scale_max",
            "scale",
            f"{low} >= {high}",
            sql_literal("scale_max must be above scale_min"),
            f"CAST({high} AS VARCHAR)",
        ),
    ]


def _nul_rule(name: str) -> Rule:
    """No NUL character in a value: from Parquet, an escaped \\u0000 in JSON, or an importer."""
    text = f"CAST({quote(name)} AS VARCHAR)"
    return Rule(
        name,
        "nul",
        f"contains({text}, chr(0))",
        sql_literal("a NUL character in the value: remove it (it usually means a damaged export)"),
        f"replace({text}, chr(0), '\\0')",
    )


def _rules(table: Table, present: Mapping[str, str]) -> list[Rule]:
    rules = [r for c in table.columns for r in _column_rules(table, c, present)]
    rules += _row_rules(table, present)
    return rules + [_nul_rule(name) for name, staged in present.items() if _texts(staged)]


def _texts(staged: str) -> bool:
    """Whether a column staged as `staged` holds text (a NUL can only hide in text)."""
    return staged in (TEXT, f"{TEXT}[]")


def _timestamps(table: Table, present: Mapping[str, str]) -> list[Column]:
    return [c for c in table.columns if c.kind is Kind.TIMESTAMP and c.name in present]


def violations(table: Table, staged: str, present: Mapping[str, str]) -> list[str]:
    """SELECTs returning `PROBLEM_COLUMNS` for every row-level rule broken in `staged` (ids
    apart: see `duplicates`)."""
    selects = [r.select(staged) for r in _rules(table, present)]
    return selects + [
        _timestamp_select(c, staged, present[c.name]) for c in _timestamps(table, present)
    ]


CHECKS = ("_broken", "_id_hash")
"""Columns staged beside every file's rows (see `check_columns`)."""


def check_columns(table: Table, present: Mapping[str, str]) -> str:
    """The check columns of a staged row, computed as its file is read, while the row is at hand:
    `_broken`, whether it breaks a rule of `violations`, and `_id_hash`, the 64-bit hash of its id
    (NULL without one). The conditions are computed together in one projection, where the engine
    evaluates an expression they share (a parsed timestamp) once per row. Later checks read these
    narrow columns, never the staged table's text again, which at tens of millions of rows lies
    spilled to disk."""
    conditions = [r.condition for r in _rules(table, present)]
    conditions += [_timestamp_condition(c, present[c.name]) for c in _timestamps(table, present)]
    broken = " OR ".join(f"({c})" for c in conditions) or "false"
    key = quote(table.key)
    hashed = f"CASE WHEN {key} IS NOT NULL THEN hash({key}) END" if table.key in present else "NULL"
    return f"COALESCE({broken}, false) AS _broken, CAST({hashed} AS UBIGINT) AS _id_hash"


def duplicate_hashes(staged: str) -> str:
    """A SELECT of the hashes that more than one id of `staged` has: every duplicated id's, and
    rarely two ids that share a hash. Empty when every id is unique. The 64-bit hashes are sorted
    in 256 parts by their top byte and compared with their neighbour: a sort of fixed-width values
    spills to disk a part at a time, where an aggregation over every id (or one sort of them all)
    outgrows the memory limit at tens of millions of rows; it is also faster there, and as fast
    at a million. A missing id's NULL hash equals nothing, its neighbour included: filtering them
    out first would only cost a pass (twice the time over a staged view)."""
    return (
        "SELECT DISTINCT h FROM (SELECT _id_hash AS h, lag(_id_hash) OVER "
        f"(PARTITION BY _id_hash >> 56 ORDER BY _id_hash) AS before FROM {staged}) "
        "WHERE h = before"
    )


def duplicates(table: Table, staged: str, hashes: str | None = None) -> str:
    """A SELECT returning `PROBLEM_COLUMNS` for every row of `staged` whose id another row has;
    with `hashes` (a table of `duplicate_hashes`), only ids with one of those hashes are looked
    at."""
    key = quote(table.key)
    among = f" AND _id_hash IN (SELECT h FROM {hashes})" if hashes else ""
    return (
        f"SELECT s._file, s._line, {sql_literal(table.key)}, s.{key}, 'unique', "
        f"'duplicate id: it appears ' || d.n || ' times in this batch; keep one row per id' "
        f"FROM {staged} s JOIN (SELECT {key}, count(*) AS n FROM {staged} "
        f"WHERE {key} IS NOT NULL{among} GROUP BY {key} HAVING count(*) > 1) d USING ({key})"
    )
