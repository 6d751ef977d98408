"""What a metric is: a small declaration over a fact table.

A metric names its fact table, how it aggregates (a distribution of values, a share of flags, a count,
or a backlog snapshot), the time column each row is filed under (`filed_at`), its unit, direction,
variants and published benchmarks. `build` turns the fact table into the metric's population: the
rows it aggregates, with `_value`; the query layer files each row under its `filed_at` column
(`_filed_at`, the timestamp that places a row in a period). Everything else (dimensions, periods,
filters, statistics) is generic code in `supportmetrics.query`.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any, Literal, Protocol

import ibis.expr.types as ir

__all__ = [
    "Aggregation",
    "Benchmark",
    "Beside",
    "Build",
    "Clock",
    "Extras",
    "FactSource",
    "FactsName",
    "Metric",
    "ResolvedMetric",
    "Shape",
    "Unit",
    "Variant",
    "VariantError",
    "VariantReads",
]

Aggregation = str
"""The name of an aggregation kind: one module of `supportmetrics.query.aggregations` each (share,
distribution, count, sum, backlog, churn ...), whose docstrings say what it computes."""
Unit = Literal["seconds", "share", "count", "percent", "score", "amount", "points"]
Clock = Literal["calendar", "business"]
FactsName = Literal[
    "tickets",
    "ticket_core",
    "ticket_rows",
    "replies",
    "calls",
    "handling",
    "backlog",
    "flow",
    "sla",
    "activity",
    "surveys",
    "invitations",
    "sessions",
    "usage",
    "self_service",
    "orders",
    "subscriptions",
    "demos",
    "reviews",
    "occupancy",
]


class VariantError(ValueError):
    """An unknown variant or a value it does not take."""


def _did_you_mean(text: str, names: Iterable[str]) -> str:
    """The hint naming the one of `names` closest to `text`, if one is close ("" if none)."""
    close = get_close_matches(text, list(names), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


@dataclass(frozen=True)
class Variant:
    """A named definition choice: its default and the values it takes (None: any whole number)."""

    name: str
    default: str | int | bool
    description: str
    choices: tuple[str, ...] | None = None
    parse_with: Callable[[str], str | int] | None = field(default=None, compare=False)
    """A parser for values that are neither a choice nor a plain whole number (ValueError if bad)."""

    def parse(self, text: str) -> str | int | bool:
        if self.parse_with is not None:
            try:
                return self.parse_with(text)
            except ValueError as exc:
                raise VariantError(f"variant {self.name}: {exc}") from None
        if self.choices is not None:
            if text not in self.choices:
                raise VariantError(
                    f"variant {self.name} takes {', '.join(self.choices)}; got {text!r}"
                    + _did_you_mean(text, self.choices)
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
    source: str = "support metrics articles, listed in docs/metrics.md"


Build = Callable[[ir.Table, Mapping[str, Any], Clock], ir.Table]
Extras = Callable[[ir.Table, Mapping[str, Any]], dict[str, ir.Value]]
"""Extra aggregates reported beside the value (e.g. promoters, passives and detractors of NPS)."""


class FactSource(Protocol):
    """Where fact tables come from (the engine)."""

    def facts(self, name: str) -> ir.Table: ...


Beside = Callable[[FactSource], ir.Table]
"""Counts of now reported beside each row whatever its period (agent_activity's open_assigned): a
table keyed by result dimensions (e.g. `agent`), joined on them, 0 where a row has none."""
Shape = Callable[[Mapping[str, Any]], tuple[Aggregation, Unit, Literal["lower", "higher"] | None]]
"""For a metric whose variants change what it is (csat as a share or a mean score)."""


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
    extras: Extras | None = field(default=None, repr=False, compare=False)
    shape: Shape | None = field(default=None, repr=False, compare=False)
    facts_by: tuple[str, Mapping[str, FactsName]] | None = None
    """A variant that chooses the fact table: (variant name, value -> facts)."""
    top: str | None = None
    """A column whose most frequent values among flagged rows each result row lists (`top`)."""
    filed_at: str | None = None
    """The time column of the fact table each row is filed under (None: the build sets `_filed_at`
    itself, or the metric files no rows: snapshots and cohorts)."""
    filed_at_by: tuple[str, Mapping[str, str]] | None = None
    """A variant that chooses the filed-at column: (variant name, value -> column)."""
    split_by: tuple[str, ...] = ()
    """Dimensions every result row is split by, before the query's own (agent_activity: agent)."""
    beside: Beside | None = field(default=None, repr=False, compare=False)
    """Counts of now beside each row (see `Beside`)."""

    def facts_for(self, variants: Mapping[str, Any]) -> FactsName:
        """The fact table under these variants."""
        if self.facts_by is None:
            return self.facts
        name, choices = self.facts_by
        return choices[variants[name]]

    def filed_at_for(self, variants: Mapping[str, Any]) -> str | None:
        """The filed-at column under these variants."""
        if self.filed_at_by is None:
            return self.filed_at
        name, choices = self.filed_at_by
        return choices[variants[name]]

    def shaped(
        self, variants: Mapping[str, Any]
    ) -> tuple[Aggregation, Unit, Literal["lower", "higher"] | None]:
        """Aggregation, unit and direction under these variants."""
        if self.shape is not None:
            return self.shape(variants)
        return self.aggregation, self.unit, self.better

    def resolve(self, variants: Mapping[str, Any] | None = None) -> ResolvedMetric:
        """The metric under these variants (as `resolve_variants` returns them; None: the
        defaults): the fact table, aggregation, unit, direction and filed-at column they make of
        it."""
        chosen = self.resolve_variants({}) if variants is None else variants
        aggregation, unit, better = self.shaped(chosen)
        facts, filed_at = self.facts_for(chosen), self.filed_at_for(chosen)
        return ResolvedMetric(self, chosen, facts, aggregation, unit, better, filed_at)

    def resolve_variants(self, given: Mapping[str, str]) -> dict[str, Any]:
        """Defaults overlaid with `given` (text values, parsed); unknown names are an error."""
        known = {v.name: v for v in self.variants}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            hint = "".join(_did_you_mean(name, known) for name in unknown)
            raise VariantError(
                f"{self.id} has no variant {', '.join(unknown)}{hint}; its variants are: {valid}"
            )
        resolved: dict[str, Any] = {name: v.default for name, v in known.items()}
        resolved.update({name: known[name].parse(text) for name, text in given.items()})
        return resolved


@dataclass(frozen=True)
class ResolvedMetric:
    """A metric under its variants: what every layer (query, dashboard, drill-down) reads instead
    of the metric's declared defaults."""

    metric: Metric
    variants: Mapping[str, Any]
    facts: FactsName
    aggregation: Aggregation
    unit: Unit
    better: Literal["lower", "higher"] | None
    filed_at: str | None = None
    """The fact column the query layer files each row under (see `Metric.filed_at`)."""

    @property
    def id(self) -> str:
        return self.metric.id


class VariantReads(Mapping[str, Any]):
    """Variants that remember which of them were read: what makes "every declared variant is used
    by something" (a build, a shape, extras) checkable by the catalogue validation."""

    def __init__(self, variants: Mapping[str, Any]) -> None:
        self._variants = dict(variants)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        self.read.add(name)
        return self._variants[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._variants)

    def __len__(self) -> int:
        return len(self._variants)

    def items(self) -> ItemsView[str, Any]:
        """All variants, without counting them as read (fact tables take the options they
        declare; see `supportmetrics.facts.registry`)."""
        return self._variants.items()
