"""Vega-Lite chart specs, built with Altair from rows the page also shows as a table.

Each row may carry `drill`: a dashboard link the page follows when the mark is clicked. Durations are
drawn in hours, shares as percentages; tooltips show the same text as the table.
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt

from supportmetrics.display import human

__all__ = ["agents_scatter", "bars", "breakdown", "histogram", "sparkline", "trend"]

_WIDTH: Literal["container"] = "container"


def _plot_value(value: Any, unit: str) -> float | None:
    if value is None:
        return None
    return float(value) / 3600 if unit == "seconds" else float(value)


def _axis(unit: str) -> alt.Axis:
    if unit == "share":
        return alt.Axis(format=".0%", title=None)
    if unit == "seconds":
        return alt.Axis(title="hours")
    return alt.Axis(title=None)


def _points(rows: list[dict[str, Any]], unit: str, label: str) -> list[dict[str, Any]]:
    return [
        {
            "label": "" if row.get(label) is None else str(row[label]),
            "y": _plot_value(row.get("value"), unit),
            "text": human(row.get("value"), unit),
            "n": row.get("n"),
            "drill": row.get("drill"),
        }
        for row in rows
    ]


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.configure_view(stroke=None).to_dict()


def sparkline(rows: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    """A small line of the value by period, no axes."""
    data = alt.Data(values=_points(rows, unit, "period"))
    chart = (
        alt.Chart(data, width=_WIDTH, height=36)
        .mark_line(point=False, strokeWidth=1.5)
        .encode(
            x=alt.X("label:T", axis=None),
            y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("label:T", title="period"), alt.Tooltip("text:N", title="value")],
        )
    )
    return _spec(chart)


def trend(rows: list[dict[str, Any]], unit: str, target: float | None = None) -> dict[str, Any]:
    """The value by period, points clickable (drill-down), with an optional target line."""
    data = alt.Data(values=_points(rows, unit, "period"))
    base = alt.Chart(data, width=_WIDTH, height=220)
    line = base.mark_line(point=alt.OverlayMarkDef(size=50, cursor="pointer")).encode(
        x=alt.X("label:T", title=None),
        y=alt.Y("y:Q", axis=_axis(unit)),
        tooltip=[
            alt.Tooltip("label:T", title="period"),
            alt.Tooltip("text:N", title="value"),
            alt.Tooltip("n:Q", title="n"),
        ],
    )
    layers: list[alt.Chart] = [line]
    if target is not None:
        rule = alt.Chart(alt.Data(values=[{"y": _plot_value(target, unit)}])).mark_rule(
            strokeDash=[4, 4], color="#b45309"
        )
        layers.append(rule.encode(y="y:Q"))
    return _spec(alt.layer(*layers))


def breakdown(rows: list[dict[str, Any]], dimension: str, unit: str) -> dict[str, Any]:
    """Horizontal bars of the value per dimension value, clickable (drill-down)."""
    data = alt.Data(values=_points(rows, unit, dimension))
    chart = (
        alt.Chart(data, width=_WIDTH, height=alt.Step(18))
        .mark_bar(cursor="pointer")
        .encode(
            y=alt.Y("label:N", title=dimension, sort="-x"),
            x=alt.X("y:Q", axis=_axis(unit)),
            tooltip=[
                alt.Tooltip("label:N", title=dimension),
                alt.Tooltip("text:N", title="value"),
                alt.Tooltip("n:Q", title="n"),
            ],
        )
    )
    return _spec(chart)


def bars(rows: list[dict[str, Any]], label: str, value: str, title: str) -> dict[str, Any]:
    """Vertical bars in the rows' order (duration buckets)."""
    values = [{"label": str(r[label]), "y": r[value], "drill": r.get("drill")} for r in rows]
    chart = (
        alt.Chart(alt.Data(values=values), width=_WIDTH, height=180)
        .mark_bar(cursor="pointer")
        .encode(
            x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("y:Q", title=title),
            tooltip=[alt.Tooltip("label:N", title="bucket"), alt.Tooltip("y:Q", title=title)],
        )
    )
    return _spec(chart)


def histogram(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per equal-width bin of hours (rows: low_hours, high_hours, count)."""
    chart = (
        alt.Chart(alt.Data(values=rows), width=_WIDTH, height=180)
        .mark_bar()
        .encode(
            x=alt.X("low_hours:Q", title="hours", bin="binned"),
            x2="high_hours:Q",
            y=alt.Y("count:Q", title="rows"),
            tooltip=[
                alt.Tooltip("low_hours:Q", title="from (h)", format=".1f"),
                alt.Tooltip("high_hours:Q", title="to (h)", format=".1f"),
                alt.Tooltip("count:Q"),
            ],
        )
    )
    return _spec(chart)


def agents_scatter(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each agent's median first response (hours) against their CSAT: speed next to quality."""
    values = [
        {
            "agent": r["label"],
            "hours": _plot_value(r.get("first_response_median"), "seconds"),
            "csat": r.get("csat"),
            "replies": r.get("replies"),
        }
        for r in rows
        if r.get("first_response_median") is not None and r.get("csat") is not None
    ]
    chart = (
        alt.Chart(alt.Data(values=values), width=_WIDTH, height=240)
        .mark_circle(size=70, opacity=0.7)
        .encode(
            x=alt.X("hours:Q", title="median first response (hours)"),
            y=alt.Y("csat:Q", title="CSAT", axis=alt.Axis(format=".0%")),
            tooltip=[
                alt.Tooltip("agent:N"),
                alt.Tooltip("hours:Q", format=".1f"),
                alt.Tooltip("csat:Q", format=".1%"),
                alt.Tooltip("replies:Q"),
            ],
        )
    )
    return _spec(chart)
