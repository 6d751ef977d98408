"""Result rows in the order people expect: enumerations in their declared order (priority low to
urgent), other categories by value, largest first; the table and its chart share it."""

from __future__ import annotations

from typing import Any

from supportmetrics.schema import TABLES, Kind

__all__ = ["ENUMS", "natural_order"]

ENUMS: dict[str, tuple[str, ...]] = {}
"""Each enumerated column's values in declared order (the first table declaring a name wins)."""
for _table in TABLES.values():
    for _column in _table.columns:
        if _column.kind == Kind.ENUM:
            ENUMS.setdefault(_column.name, _column.values)


def natural_order(rows: list[dict[str, Any]], dimension: str) -> list[dict[str, Any]]:
    """`rows` split by `dimension`, ordered for reading (rows without a value last)."""
    declared = ENUMS.get(dimension)
    if declared is not None:
        rank = {value: i for i, value in enumerate(declared)}
        return sorted(rows, key=lambda r: rank.get(str(r.get(dimension)), len(rank)))
    return sorted(
        rows,
        key=lambda r: (r.get(dimension) is None, r.get("value") is None, -(r.get("value") or 0)),
    )
