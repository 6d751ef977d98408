"""`NAME=VALUE[,VALUE]` items: the syntax of filters and definition variants, on the command line
(`--where`, `--variant`) and in the JSON API (`where`, `variant`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PairError", "parse_pairs"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,99}$")


class PairError(ValueError):
    """An item that is not `NAME=VALUE[,VALUE]`; the message names the option and the item."""


def parse_pairs(items: Iterable[str], option: str) -> dict[str, list[str]]:
    """`name=v1,v2` items as name -> values, in order; a name given twice keeps all its values.

    Names and values are stripped of surrounding blanks; a name is a letter or `_` followed by
    letters, digits, `_` or `.`. Raises `PairError` naming `option` for any other item.
    """
    parsed: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            raise PairError(f"{option} takes NAME=VALUE[,VALUE]; got {item!r}")
        parsed.setdefault(name, []).extend(v.strip() for v in values.split(","))
    return parsed
