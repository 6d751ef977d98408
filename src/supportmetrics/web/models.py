"""Response models of the JSON API, so its OpenAPI document describes every response.

They describe the JSON the endpoints have always returned and change nothing in it: the API serialises
with `exclude_unset`, so a key an endpoint leaves out stays out, and models that carry open-ended
content (result rows, chart specs, a tile's extra keys) accept more keys than they name.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from supportmetrics.query import Row

__all__ = [
    "AgentsPage",
    "Benchmark",
    "CatalogueEntry",
    "DateRange",
    "FactsPage",
    "MetricResult",
    "RowsPage",
    "Target",
    "Tile",
    "TileGroup",
    "TrendPoint",
    "UserInfo",
    "VariantInfo",
]

Number = int | float
"""Counts stay integers and measures floats, as computed."""


class _Open(BaseModel):
    """Names the keys always present; passes any others through unchanged."""

    model_config = ConfigDict(extra="allow")


class UserInfo(BaseModel):
    username: str
    role: str = Field(description="admin or viewer")


class VariantInfo(BaseModel):
    name: str
    default: bool | int | str
    description: str
    choices: list[str] | None = Field(description="The values it takes; null: a number or text")


class Benchmark(BaseModel):
    text: str
    source: str


class CatalogueEntry(BaseModel):
    id: str
    family: str
    title: str
    definition: str
    facts: str = Field(description="The fact table it is computed over")
    aggregation: str
    unit: str
    better: str | None = Field(description="lower, higher or null")
    filed_under: str
    has_clock: bool = Field(description="Whether it runs in calendar or business time")
    drill_down: bool = Field(description="Whether /api/metrics/{id}/rows lists its rows")
    variants: list[VariantInfo]
    benchmarks: list[Benchmark]


class MetricResult(BaseModel):
    metric: str
    unit: str
    better: str | None
    rows: list[Row] = Field(
        description="One object per period and dimension value: the dimensions, period, value, "
        "n and the metric's statistics (ci_low, ci_high, low_sample, numerator ...)"
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Only when there is something to say: stored rows left out and why, filter "
        "values that never occur in the data",
    )


class RowsPage(BaseModel):
    metric: str
    from_: str = Field(alias="from", description="First local date of the range")
    to: str = Field(description="Last local date of the range")
    ignored_filters: list[str] = Field(description="Filters the metric's facts cannot apply")
    warnings: list[str] = Field(
        default_factory=list, description="Filter values that never occur in the data"
    )
    total: int
    offset: int
    columns: list[str]
    rows: list[Row]


class FactsPage(BaseModel):
    facts: str
    warnings: list[str] = Field(
        default_factory=list, description="Filter values that never occur in the data"
    )
    total: int
    offset: int
    columns: list[str]
    rows: list[Row]


class TrendPoint(BaseModel):
    period: str
    value: Number | None
    n: int | None


class Target(BaseModel):
    value: Number
    display: str
    owner: str
    next_action: str
    met: bool | None
    scope: str


class Tile(_Open):
    """A headline metric over the range; a tile that could not be computed has `error` instead of
    the value and its trend."""

    metric: str
    title: str
    unit: str
    better: str | None
    benchmarks: list[Benchmark]
    link: str
    target: Target | None
    value: Number | None = None
    display: str | None = None
    previous: Number | None = None
    change: Number | None = None
    change_pct: Number | None = None
    change_display: str | None = Field(
        default=None, description="The change as shown: +5.6 pts, +8.8%, -12m 30s"
    )
    change_class: str | None = Field(
        default=None, description="good, bad or neutral, by the metric's direction"
    )
    compare_note: str | None = Field(
        default=None, description="Why there is no previous value, or that it is partial"
    )
    n: int | None = None
    low_sample: bool | None = None
    ci_display: str | None = Field(default=None, description="The 95% interval as shown")
    trend: list[TrendPoint] | None = None
    error: str | None = None


class TileGroup(BaseModel):
    title: str
    tiles: list[Tile]


class DateRange(BaseModel):
    from_: str = Field(alias="from")
    to: str


class AgentsPage(BaseModel):
    range: DateRange
    ignored_filters: list[str]
    min_sample: int = Field(description="Fewer observations than this are a low sample")
    warnings: list[str] = Field(
        default_factory=list, description="Filter values that never occur in the data"
    )
    rows: list[Row] = Field(description="One object per agent: replies, solved, FRT, CSAT ...")
    chart: dict[str, Any] = Field(description="A Vega-Lite spec of speed against quality")
