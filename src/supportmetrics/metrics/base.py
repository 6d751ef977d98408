"""What a metric is: a small declaration over a fact table.

A metric names its fact table, how it aggregates (a distribution of values, a share of flags, a count,
or a backlog snapshot), the date each row is filed under, its unit, direction, variants and published
benchmarks. `build` turns the fact table into the metric's population: the rows it aggregates, with
`_filed_at` (the timestamp that places a row in a period) and `_value`. Everything else (dimensions,
periods, filters, statistics) is generic code in `supportmetrics.query`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis.expr.types as ir

__all__ = [
    "Aggregation",
    "Benchmark",
    "Build",
    "Clock",
    "Metric",
    "Unit",
    "Variant",
    "VariantError",
]

Aggregation = Literal["distribution", "share", "count", "backlog", "flow", "activity"]
Unit = Literal["seconds", "share", "count", "percent", "score", "amount"]
Clock = Literal["calendar", "business"]
FactsName = Literal["tickets", "replies", "calls", "handling", "backlog", "flow", "sla", "activity"]


class VariantError(ValueError):
    """An unknown variant or a value it does not take."""


@dataclass(frozen=True)
class Variant:
    """A named definition choice: its default and the values it takes (None: any whole number)."""

    name: str
    default: str | int | bool
    description: str
    choices: tuple[str, ...] | None = None

    def parse(self, text: str) -> str | int | bool:
        if self.choices is not None:
            if text not in self.choices:
                raise VariantError(
                    f"variant {self.name} takes {', '.join(self.choices)}; got {text!r}"
                )
            return text
        if isinstance(self.default, bool):
            if text.lower() not in ("true", "false"):
                raise VariantError(f"variant {self.name} takes true or false; got {text!r}")
            return text.lower() == "true"
        try:
            number = int(text)
        except ValueError:
            raise VariantError(f"variant {self.name} takes a whole number; got {text!r}") from None
        if number < 0:
            raise VariantError(f"variant {self.name} takes a number >= 0; got {text!r}")
        return number


@dataclass(frozen=True)
class Benchmark:
    """A published reference value or band, with where it comes from."""

    text: str
    source: str = "support metrics articles in spec/metrics.md"


Build = Callable[[ir.Table, Mapping[str, Any], Clock], ir.Table]


@dataclass(frozen=True)
class Metric:
    """One catalogue entry (see the module docstring)."""

    id: str
    family: str
    title: str
    definition: str
    facts: FactsName
    aggregation: Aggregation
    unit: Unit
    better: Literal["lower", "higher"] | None
    filed_under: str
    build: Build = field(repr=False, compare=False)
    variants: tuple[Variant, ...] = ()
    benchmarks: tuple[Benchmark, ...] = ()
    has_clock: bool = False
    """Whether the metric has a business-hours twin (`--clock business`)."""

    def resolve_variants(self, given: Mapping[str, str]) -> dict[str, Any]:
        """Defaults overlaid with `given` (text values, parsed); unknown names are an error."""
        known = {v.name: v for v in self.variants}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise VariantError(
                f"{self.id} has no variant {', '.join(unknown)}; its variants are: {valid}"
            )
        resolved: dict[str, Any] = {name: v.default for name, v in known.items()}
        resolved.update({name: known[name].parse(text) for name, text in given.items()})
        return resolved
