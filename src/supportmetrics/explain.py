"""What changed and why: a metric's change between two periods split into each segment's mix and
rate contributions.

A metric that is a weighted mean of its segments (a share: numerator / denominator; a mean, NPS ...:
value weighted by n) is V = sum_g w_g r_g, with w_g a segment's weight share and r_g its value. The
change splits exactly (the midpoint, i.e. Shapley, decomposition of two factors):

    mix_g  = (w1_g - w0_g) (r0_g + r1_g) / 2      more or less of the segment
    rate_g = (r1_g - r0_g) (w0_g + w1_g) / 2      the segment itself changed

and sum_g (mix_g + rate_g) = V1 - V0 to the last bit of floating point. A segment present in one
period only has its value carried to the other (all mix, no rate). Counts and sums are additive:
each segment's change is its contribution (all rate). A median or percentile is not a weighted mean
of the segments: it is decomposed through the segment medians as above, and the part of the change
that does not explain is reported as the residual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from supportmetrics.display import human, human_change

if TYPE_CHECKING:
    from supportmetrics.staffing.reader import Reader

__all__ = ["DEFAULT_DIMENSIONS", "Segment", "compare_range", "decompose", "explain"]

Versus = Literal["previous", "year"]
DEFAULT_DIMENSIONS = ("channel", "queue", "priority", "team", "tier")
"""Dimensions explained when none are named (those the metric's facts have)."""
ADDITIVE = ("count", "sum", "tally")


@dataclass(frozen=True)
class Segment:
    """One segment's weight and value in the earlier (0) and later (1) period."""

    name: Any
    weight0: float
    value0: float | None
    weight1: float
    value1: float | None


def decompose(segments: Sequence[Segment], additive: bool = False) -> list[dict[str, Any]]:
    """Each segment's mix, rate and total contribution to the change (see the module text)."""
    total0 = sum(s.weight0 for s in segments)
    total1 = sum(s.weight1 for s in segments)
    rows = []
    for s in segments:
        mix: float
        rate: float
        if additive:
            mix, rate = 0, (s.value1 or 0) - (s.value0 or 0)
            share0 = s.weight0 / total0 if total0 else 0.0
            share1 = s.weight1 / total1 if total1 else 0.0
        else:
            share0 = s.weight0 / total0 if total0 and s.value0 is not None else 0.0
            share1 = s.weight1 / total1 if total1 and s.value1 is not None else 0.0
            r0 = s.value0 if s.value0 is not None else s.value1
            r1 = s.value1 if s.value1 is not None else s.value0
            r0, r1 = r0 or 0.0, r1 or 0.0
            mix = (share1 - share0) * (r0 + r1) / 2
            rate = (r1 - r0) * (share0 + share1) / 2
        rows.append(
            {
                "segment": s.name,
                "previous_weight": share0,
                "weight": share1,
                "previous_value": s.value0,
                "value": s.value1,
                "mix": mix,
                "rate": rate,
                "contribution": mix + rate,
            }
        )
    return sorted(rows, key=lambda r: -abs(r["contribution"]))


def compare_range(start: date, end: date, versus: Versus) -> tuple[date, date]:
    """The range compared with: the equal-length one just before, or the same dates a year back."""
    if versus == "previous":
        days = (end - start).days + 1
        return start - timedelta(days=days), start - timedelta(days=1)

    def back(day: date) -> date:
        return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else 31))

    return back(start), back(end)


def _segments(rows0: list[dict[str, Any]], rows1: list[dict[str, Any]], by: str) -> list[Segment]:
    def weighted(rows: list[dict[str, Any]]) -> dict[Any, tuple[float, float | None]]:
        found = {}
        for row in rows:
            weight = row.get("denominator", row.get("n")) or 0
            found[row[by]] = (float(weight), row["value"])
        return found

    before, after = weighted(rows0), weighted(rows1)
    names = sorted(before.keys() | after.keys(), key=lambda n: (n is None, str(n)))
    return [Segment(n, *before.get(n, (0.0, None)), *after.get(n, (0.0, None))) for n in names]


def explain(
    ws: Reader,
    metric: str,
    start: date,
    end: date,
    versus: Versus = "previous",
    by: Sequence[str] = (),
    stat: str = "mean",
    where: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The change of `metric` from the compared range to `start`..`end`, decomposed by each of `by`
    (default: the `DEFAULT_DIMENSIONS` its facts have), segments ranked, with a one-line summary."""
    from supportmetrics.query import QueryError, dimension_names, find_metric

    definition = find_metric(metric)
    if end < start:
        raise QueryError(f"--to {end} is before --from {start}")
    dims = list(by) or [
        d for d in DEFAULT_DIMENSIONS if d in dimension_names(ws.engine(), definition.facts)
    ]
    try:
        first, last = compare_range(start, end, versus)
    except (ValueError, OverflowError):
        raise QueryError(f"no {versus} period to compare with before {start}") from None
    common: dict[str, Any] = {"stat": stat, "where": dict(where or {})}
    now = ws.metric(metric, start=start, end=end, **common)
    before = ws.metric(metric, start=first, end=last, **common)
    value1 = now.rows[0]["value"] if now.rows else None
    value0 = before.rows[0]["value"] if before.rows else None
    change = None if value0 is None or value1 is None else value1 - value0
    additive = definition.aggregation in ADDITIVE
    exact = additive or stat == "mean"
    breakdowns = []
    for dim in dims:
        rows1 = ws.metric(metric, by=[dim], start=start, end=end, **common).rows
        rows0 = ws.metric(metric, by=[dim], start=first, end=last, **common).rows
        segments = decompose(_segments(rows0, rows1, dim), additive)
        explained = sum(s["contribution"] for s in segments)
        breakdowns.append(
            {
                "dimension": dim,
                "segments": segments,
                "explained": explained,
                "residual": None if change is None else change - explained,
            }
        )
    result = {
        "metric": metric,
        "unit": now.unit,
        "stat": stat if definition.aggregation == "distribution" else None,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "versus": versus,
        "previous_from": first.isoformat(),
        "previous_to": last.isoformat(),
        "previous": value0,
        "value": value1,
        "change": change,
        "method": "additive" if additive else ("midpoint" if exact else "segment medians"),
        "dimensions": breakdowns,
    }
    return result | {"summary": summary(result)}


def summary(result: Mapping[str, Any]) -> str:
    """One sentence: the change and its top drivers."""
    unit, metric = result["unit"], result["metric"]
    if result["change"] is None:
        return f"{metric}: no value in one of the two periods, nothing to explain."
    moved = "rose" if result["change"] > 0 else "fell" if result["change"] < 0 else "held"
    text = (
        f"{metric} {moved} from {human(result['previous'], unit)} to "
        f"{human(result['value'], unit)} ({human_change(result['change'], unit)})"
    )
    tops = [(b["dimension"], b["segments"][0]) for b in result["dimensions"] if b["segments"]]
    if not tops:
        return text + "."
    dim, top = max(tops, key=lambda t: abs(t[1]["contribution"]))
    parts = f"{human_change(top['contribution'], unit)}"
    if result["method"] != "additive":
        parts += (
            f": {human_change(top['rate'], unit)} from its own change, "
            f"{human_change(top['mix'], unit)} from its share of the mix"
        )
    return f"{text}; the top driver is {dim} {top['segment']} ({parts})."
