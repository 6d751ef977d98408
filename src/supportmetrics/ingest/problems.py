"""What can be wrong with an input, said so a person can fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["MAX_SHOWN", "IngestError", "Problem"]

MAX_SHOWN = 20
"""How many problems an error message lists before summarising the rest."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (file, line, column, value), which rule, and how to fix it."""

    file: str
    rule: str
    message: str
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line is not None else "")
        if self.column:
            where += f", column {self.column}"
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            where += f", value {shown!r}"
        return f"{where}: {self.message} [{self.rule}]"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class IngestError(Exception):
    """The input breaks rules; nothing was written. `problems` lists the first of them."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total
        super().__init__(self.describe())

    def describe(self, limit: int = MAX_SHOWN) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        if self.total > limit:
            lines.append(f"... and {self.total - limit} more problem(s)")
        return "\n".join(lines)
