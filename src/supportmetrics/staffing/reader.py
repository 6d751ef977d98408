"""What planning reads from a workspace: its metrics through the query API, its engine and its
settings (a `Workspace`, or the dashboard's reader over one of its engines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from supportmetrics.config import Config
    from supportmetrics.engine import Engine
    from supportmetrics.query import Period, Result

__all__ = ["Reader"]


class Reader(Protocol):
    """A source of metric results (the `Workspace.metric` signature)."""

    config: Config

    def engine(self) -> Engine:
        """The engine the queries run on."""
        ...

    def metric(
        self,
        metric: str,
        *,
        by: Sequence[str] = (),
        period: Period | None = None,
        start: date | None = None,
        end: date | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
        stat: str = "mean",
        variants: Mapping[str, str] | None = None,
    ) -> Result:
        """One metric's result."""
        ...
