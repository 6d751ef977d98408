"""What a report issue says: each metric over the period against the previous one and its target,
its recent trend, and its breakdowns; computed through the query API only."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from supportmetrics.display import human, human_change
from supportmetrics.reports.periods import ReportPeriod
from supportmetrics.reports.settings import ReportSettings

if TYPE_CHECKING:
    from supportmetrics.workspace import Workspace

__all__ = ["Breakdown", "MetricLine", "ReportContent", "compute"]

TREND_PERIODS = {"daily": 14, "weekly": 8, "monthly": 12}
"""Periods shown in each metric's trend chart, the reported one last."""


@dataclass(frozen=True)
class MetricLine:
    """One metric over the period: value, change against the previous period, target status."""

    metric: str
    title: str
    unit: str
    better: str | None
    value: float | None = None
    previous: float | None = None
    change: float | None = None
    n: int | None = None
    low_sample: bool = False
    stat: str | None = None
    target: float | None = None
    met: bool | None = None
    owner: str | None = None
    next_action: str | None = None
    trend: tuple[tuple[str, float | None], ...] = ()
    error: str | None = None

    @property
    def display(self) -> str:
        """The value as people read it."""
        return human(self.value, self.unit)

    @property
    def change_display(self) -> str:
        """The change in the metric's unit (shares in percentage points)."""
        return human_change(self.change, self.unit)

    @property
    def target_display(self) -> str:
        """The target as people read it ("" without one)."""
        return human(self.target, self.unit) if self.target is not None else ""

    def row(self) -> dict[str, Any]:
        """The line as a table row (CSV and JSON)."""
        return {
            "metric": self.metric,
            "title": self.title,
            "unit": self.unit,
            "stat": self.stat,
            "value": self.value,
            "previous": self.previous,
            "change": self.change,
            "n": self.n,
            "low_sample": self.low_sample,
            "target": self.target,
            "met": self.met,
            "owner": self.owner,
            "next_action": self.next_action,
            "error": self.error,
        }


@dataclass(frozen=True)
class Breakdown:
    """Metrics per segment of one dimension: rows of segment -> metric -> (value, n, low sample)."""

    dimension: str
    metrics: tuple[MetricLine, ...]
    rows: tuple[dict[str, Any], ...]

    def table(self) -> list[dict[str, Any]]:
        """One row per segment with each metric's value and n (CSV)."""
        out = []
        for row in self.rows:
            flat: dict[str, Any] = {self.dimension: row["segment"]}
            for line in self.metrics:
                cell = row["cells"].get(line.metric) or {}
                flat[line.metric] = cell.get("value")
                flat[f"{line.metric}_n"] = cell.get("n")
                flat[f"{line.metric}_low_sample"] = cell.get("low_sample")
            out.append(flat)
        return out


@dataclass(frozen=True)
class ReportContent:
    """Everything one issue shows, before it is rendered."""

    name: str
    title: str
    period: ReportPeriod
    previous: ReportPeriod
    where: dict[str, list[str]]
    min_sample: int
    lines: tuple[MetricLine, ...]
    breakdowns: tuple[Breakdown, ...] = field(default=())

    @property
    def missed(self) -> tuple[MetricLine, ...]:
        """The metrics that missed their target, with owner and next action."""
        return tuple(line for line in self.lines if line.met is False)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table of the issue by name: `metrics`, then `by_<dimension>`."""
        tables = {"metrics": [line.row() for line in self.lines]}
        for breakdown in self.breakdowns:
            tables["by_" + breakdown.dimension.replace(".", "_")] = breakdown.table()
        return tables

    def payload(self) -> dict[str, Any]:
        """The issue's numbers as JSON (webhooks, the API)."""
        return {
            "report": self.name,
            "title": self.title,
            "period": self.period.label,
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "where": self.where,
            "tables": self.tables(),
        }


def _is_duration(unit: str, aggregation: str) -> bool:
    return unit == "seconds" and aggregation == "distribution"


def _query_options(ws: Workspace, metric_id: str) -> dict[str, Any]:
    """stat, clock, variants and extra filters: the target's scope, else the dashboard's defaults."""
    from supportmetrics.metrics import CATALOGUE

    chosen = CATALOGUE[metric_id]
    target = ws.config.targets.get(metric_id)
    duration = _is_duration(chosen.unit, chosen.aggregation)
    stat = (target.stat if target and target.stat else None) or ("median" if duration else "mean")
    return {
        "stat": stat,
        "clock": target.clock if target and chosen.has_clock else "calendar",
        "variants": {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in (target.variants if target else {}).items()
        },
        "where": dict(target.where) if target else {},
    }


def _line(
    ws: Workspace, metric_id: str, settings: ReportSettings, period: ReportPeriod
) -> MetricLine:
    from supportmetrics.metrics import CATALOGUE
    from supportmetrics.query import QueryError

    chosen = CATALOGUE[metric_id]
    base = MetricLine(metric_id, chosen.title, chosen.unit, chosen.better)
    options = _query_options(ws, metric_id)
    where = {**settings.where, **options.pop("where")}
    try:
        result = ws.metric(metric_id, start=period.start, end=period.end, where=where, **options)
        before = period.shift(-1)
        earlier = ws.metric(metric_id, start=before.start, end=before.end, where=where, **options)
        first = period.shift(1 - TREND_PERIODS[period.cadence])
        trend = ws.metric(
            metric_id, period=period.unit, start=first.start, end=period.end, where=where, **options
        )
    except (QueryError, ValueError) as exc:
        return replace(_with_target(ws, base, None), error=str(exc).splitlines()[0])
    row = result.rows[0] if result.rows else {}
    value = row.get("value")
    previous = earlier.rows[0].get("value") if earlier.rows else None
    line = MetricLine(
        metric_id,
        chosen.title,
        result.unit,
        result.better,
        value=value,
        previous=previous,
        change=None if value is None or previous is None else value - previous,
        n=row.get("n"),
        low_sample=bool(row.get("low_sample")),
        stat=options["stat"] if _is_duration(chosen.unit, chosen.aggregation) else None,
        trend=tuple((str(r["period"])[:10], r.get("value")) for r in trend.rows),
    )
    return _with_target(ws, line, line.value)


def _with_target(ws: Workspace, line: MetricLine, value: float | None) -> MetricLine:
    target = ws.config.targets.get(line.metric)
    if target is None:
        return line
    number = target.number(line.unit)
    met = None
    if value is not None and line.better is not None:
        met = value <= number if line.better == "lower" else value >= number
    return replace(line, target=number, met=met, owner=target.owner, next_action=target.next_action)


def _breakdown(
    ws: Workspace,
    dimension: str,
    lines: tuple[MetricLine, ...],
    settings: ReportSettings,
    period: ReportPeriod,
) -> Breakdown | None:
    """Each metric per segment of `dimension` (metrics that cannot be split by it are left out)."""
    from supportmetrics.query import QueryError

    cells: dict[str, dict[str, dict[str, Any]]] = {}
    shown = []
    for line in lines:
        if line.error:
            continue
        options = _query_options(ws, line.metric)
        where = {**settings.where, **options.pop("where")}
        try:
            result = ws.metric(
                line.metric,
                by=(dimension,),
                start=period.start,
                end=period.end,
                where=where,
                **options,
            )
        except (QueryError, ValueError):
            continue
        shown.append(line)
        for row in result.rows:
            segment = "" if row.get(dimension) is None else str(row[dimension])
            cells.setdefault(segment, {})[line.metric] = {
                "value": row.get("value"),
                "display": human(row.get("value"), line.unit),
                "n": row.get("n"),
                "low_sample": bool(row.get("low_sample")),
            }
    if not shown:
        return None
    rows = tuple({"segment": s, "cells": cells[s]} for s in sorted(cells))
    return Breakdown(dimension, tuple(shown), rows)


def compute(ws: Workspace, name: str, period: ReportPeriod) -> ReportContent:
    """The content of report `name` for `period` (metrics that cannot be computed say why)."""
    settings = ws.config.reports[name]
    lines = tuple(_line(ws, m, settings, period) for m in settings.all_metrics)
    breakdowns = tuple(
        b
        for b in (_breakdown(ws, d, lines, settings, period) for d in settings.breakdowns)
        if b is not None
    )
    return ReportContent(
        name=name,
        title=settings.heading(name),
        period=period,
        previous=period.shift(-1),
        where=dict(settings.where),
        min_sample=ws.config.statistics.min_sample,
        lines=lines,
        breakdowns=breakdowns,
    )
