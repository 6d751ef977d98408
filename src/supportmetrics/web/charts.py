"""Vega-Lite chart specs, built with Altair from rows the page also shows as a table.

Each row may carry `drill`: a dashboard link the page follows when the mark is clicked. Durations
are drawn in the unit that suits their size (minutes, hours or days) with the unit in the labels,
shares and percents with a % sign, time axes with one tick per period start chosen for the period
(hours, days, week starts, months, quarters, years), at most `MAX_TICKS` ticks on any axis;
tooltips show the same text as the table. Bars keep the rows' order, so a chart reads like its
table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import altair as alt

from supportmetrics.display import human

__all__ = [
    "MAX_TICKS",
    "agents_scatter",
    "bars",
    "breakdown",
    "histogram",
    "sparkline",
    "time_ticks",
    "trend",
]

_WIDTH: Literal["container"] = "container"
MAX_TICKS = 10
_SCALES = (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0), ("seconds", 1.0))
_SUFFIX = {"days": "d", "hours": "h", "minutes": "m", "seconds": "s"}
_TIME_FORMATS = {
    "half_hour": "%b %d %H:%M",
    "hour": "%b %d %H:00",
    "day": "%b %d",
    "week": "%b %d",
    "month": "%b %Y",
    "quarter": "Q%q %Y",
    "year": "%Y",
}
"""Tick labels per period: a week is labelled by the date it starts on."""


def _duration_scale(values: list[float | None]) -> tuple[str, float]:
    """The unit durations read best in: the largest one the biggest value reaches twice over."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    return next(((n, s) for n, s in _SCALES if top >= 2 * s), ("seconds", 1.0))


class _Measure:
    """How a metric's values are plotted: the divisor, the axis title and the label format."""

    def __init__(self, unit: str, title: str, values: list[Any]) -> None:
        self.unit = unit
        numbers = [None if v is None else float(v) for v in values]
        self.top = max((abs(v) for v in numbers if v is not None), default=0.0)
        self.divisor, self.suffix = 1.0, ""
        self.title = title
        if unit == "seconds":
            name, self.divisor = _duration_scale(numbers)
            self.suffix = " " + _SUFFIX[name]
            self.title = f"{title} ({name})"
        elif unit == "percent":
            self.suffix = "%"

    def plot(self, value: Any) -> float | None:
        return None if value is None else float(value) / self.divisor

    def axis(self, **extra: Any) -> alt.Axis:
        if self.unit == "share":
            return alt.Axis(format="~%", title=self.title, tickCount=MAX_TICKS, **extra)
        if self.unit == "count":  # whole numbers only: no 0.5 of a ticket
            label = "format(datum.value, ',~s')"
            if self.top < MAX_TICKS:
                extra["values"] = list(range(0, int(self.top) + 2))
            return alt.Axis(title=self.title, labelExpr=label, tickCount=MAX_TICKS, **extra)
        label = f"format(datum.value, '~g') + '{self.suffix}'"
        return alt.Axis(title=self.title, tickCount=MAX_TICKS, labelExpr=label, **extra)


def _epoch_ms(label: str) -> float:
    """A period label (local wall time) as milliseconds on a UTC scale, so no browser shifts it."""
    return datetime.fromisoformat(label).replace(tzinfo=UTC).timestamp() * 1000


def time_ticks(labels: list[str]) -> list[float]:
    """Period starts to tick at: every k-th one, so there are at most MAX_TICKS."""
    step = max(1, -(-len(labels) // MAX_TICKS))
    return [_epoch_ms(label) for label in labels[::step]]


def _time_x(labels: list[str], period: str, axis: bool = True) -> alt.X:
    if not axis:
        return alt.X("t:T", axis=None, scale=alt.Scale(type="utc"))
    label = f"utcFormat(datum.value, '{_time_format(period)}')"
    if period in ("half_hour", "hour"):  # gaps where no data: nice times, not every k-th row
        ticks = alt.Axis(tickCount=MAX_TICKS, labelExpr=label, labelOverlap=True)
    else:
        ticks = alt.Axis(values=time_ticks(labels), labelExpr=label, labelOverlap=True)
    return alt.X("t:T", title=None, scale=alt.Scale(type="utc"), axis=ticks)


def _points(rows: list[dict[str, Any]], measure: _Measure, label: str) -> list[dict[str, Any]]:
    return [
        {
            "label": "" if row.get(label) is None else str(row[label]),
            "y": measure.plot(row.get("value")),
            "text": human(row.get("value"), measure.unit),
            "n": row.get("n"),
            "drill": row.get("drill"),
        }
        for row in rows
    ]


def _timed(rows: list[dict[str, Any]], measure: _Measure) -> list[dict[str, Any]]:
    points = _points(rows, measure, "period")
    for point in points:
        point["t"] = _epoch_ms(point["label"])
    return points


class _Rows:
    """The rows of one chart, put into its spec after Altair has built it: Altair checks inline
    rows against the Vega-Lite schema one value at a time, most of what a chart costs, and these
    are plain JSON values (the specs are tested, not checked per view)."""

    def __init__(self) -> None:
        self.held: dict[str, list[dict[str, Any]]] = {}

    def data(self, values: list[dict[str, Any]]) -> alt.Data:
        """A stand-in for `alt.Data(values=values)`."""
        name = f"sm_rows_{len(self.held)}"
        self.held[name] = values
        return alt.Data(name=name)

    def spec(self, chart: alt.TopLevelMixin) -> dict[str, Any]:
        """The chart's Vega-Lite spec with its rows inline."""
        built = chart.configure_view(stroke=None).to_dict(validate=False)
        filled: dict[str, Any] = self._filled(built)
        return filled

    def _filled(self, node: Any) -> Any:
        if isinstance(node, dict):
            if node.keys() == {"name"} and node["name"] in self.held:
                return {"values": self.held[node["name"]]}
            return {key: self._filled(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._filled(item) for item in node]
        return node


def _time_format(period: str) -> str:
    return _TIME_FORMATS.get(period, "%b %d")


def _period_tooltip(period: str) -> alt.Tooltip:
    return alt.Tooltip("label:N", title=period)


def sparkline(rows: list[dict[str, Any]], unit: str, period: str = "week") -> dict[str, Any]:
    """A small line of the value by period, no axes."""
    held = _Rows()
    measure = _Measure(unit, "value", [r.get("value") for r in rows])
    data = held.data(_timed(rows, measure))
    chart = (
        alt.Chart(data, width=_WIDTH, height=36)
        .mark_line(point=False, strokeWidth=1.5)
        .encode(
            x=_time_x([r["period"] for r in rows], period, axis=False),
            y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False)),
            tooltip=[_period_tooltip(period), alt.Tooltip("text:N", title="value")],
        )
    )
    return held.spec(chart)


def trend(
    rows: list[dict[str, Any]],
    unit: str,
    target: float | None = None,
    *,
    period: str = "week",
    title: str = "value",
) -> dict[str, Any]:
    """The value by period, points clickable (drill-down), with an optional target line."""
    held = _Rows()
    values = [r.get("value") for r in rows] + ([target] if target is not None else [])
    measure = _Measure(unit, title, values)
    data = held.data(_timed(rows, measure))
    base = alt.Chart(data, width=_WIDTH, height=220)
    line = base.mark_line(point=alt.OverlayMarkDef(size=50, cursor="pointer")).encode(
        x=_time_x([r["period"] for r in rows], period),
        y=alt.Y("y:Q", axis=measure.axis()),
        tooltip=[
            _period_tooltip(period),
            alt.Tooltip("text:N", title=title),
            alt.Tooltip("n:Q", title="n", format=","),
        ],
    )
    layers: list[alt.Chart] = [line]
    if target is not None:
        rule = alt.Chart(held.data([{"y": measure.plot(target)}])).mark_rule(
            strokeDash=[4, 4], color="#b45309"
        )
        layers.append(rule.encode(y="y:Q"))
    return held.spec(alt.layer(*layers))


def breakdown(
    rows: list[dict[str, Any]], dimension: str, unit: str, title: str = "value"
) -> dict[str, Any]:
    """Horizontal bars of the value per dimension value in the rows' order, clickable."""
    held = _Rows()
    measure = _Measure(unit, title, [r.get("value") for r in rows])
    data = held.data(_points(rows, measure, dimension))
    label = dimension.replace("_", " ")
    chart = (
        alt.Chart(data, width=_WIDTH, height=alt.Step(18))
        .mark_bar(cursor="pointer")
        .encode(
            y=alt.Y("label:N", title=label, sort=None),
            x=alt.X("y:Q", axis=measure.axis()),
            tooltip=[
                alt.Tooltip("label:N", title=label),
                alt.Tooltip("text:N", title=title),
                alt.Tooltip("n:Q", title="n", format=","),
            ],
        )
    )
    return held.spec(chart)


def bars(rows: list[dict[str, Any]], label: str, value: str, title: str) -> dict[str, Any]:
    """Vertical bars in the rows' order (duration buckets); `title` names what is counted."""
    held = _Rows()
    values = [{"label": str(r[label]), "y": r[value], "drill": r.get("drill")} for r in rows]
    chart = (
        alt.Chart(held.data(values), width=_WIDTH, height=180)
        .mark_bar(cursor="pointer")
        .encode(
            x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("y:Q", title=title, axis=alt.Axis(tickCount=MAX_TICKS, format="~s")),
            tooltip=[
                alt.Tooltip("label:N", title="bucket"),
                alt.Tooltip("y:Q", title=title, format=","),
            ],
        )
    )
    return held.spec(chart)


def histogram(rows: list[dict[str, Any]], title: str = "duration", counted: str = "rows") -> dict:
    """Counts per equal-width bin of hours (rows: low_hours, high_hours, count)."""
    held = _Rows()
    chart = (
        alt.Chart(held.data(rows), width=_WIDTH, height=180)
        .mark_bar()
        .encode(
            x=alt.X(
                "low_hours:Q",
                title=f"{title} (hours)",
                bin="binned",
                axis=alt.Axis(tickCount=MAX_TICKS, labelExpr="format(datum.value, '~g') + ' h'"),
            ),
            x2="high_hours:Q",
            y=alt.Y("count:Q", title=counted, axis=alt.Axis(tickCount=MAX_TICKS, format="~s")),
            tooltip=[
                alt.Tooltip("low_hours:Q", title="from (h)", format=".1f"),
                alt.Tooltip("high_hours:Q", title="to (h)", format=".1f"),
                alt.Tooltip("count:Q", title=counted, format=","),
            ],
        )
    )
    return held.spec(chart)


def agents_scatter(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each agent's median first response against their CSAT, every point labelled with the agent."""
    held = _Rows()
    kept = [
        r for r in rows if r.get("first_response_median") is not None and r.get("csat") is not None
    ]
    measure = _Measure(
        "seconds", "Median first response", [r["first_response_median"] for r in kept]
    )
    values = [
        {
            "agent": r["label"],
            "x": measure.plot(r["first_response_median"]),
            "first_response": human(r["first_response_median"], "seconds"),
            "csat": r["csat"],
            "csat_text": human(r["csat"], "share"),
            "replies": r.get("replies"),
        }
        for r in kept
    ]
    base = alt.Chart(held.data(values), width=_WIDTH, height=260).encode(
        x=alt.X("x:Q", axis=measure.axis()),
        y=alt.Y("csat:Q", axis=_Measure("share", "CSAT", []).axis()),
        tooltip=[
            alt.Tooltip("agent:N"),
            alt.Tooltip("first_response:N", title="median first response"),
            alt.Tooltip("csat_text:N", title="CSAT"),
            alt.Tooltip("replies:Q", format=","),
        ],
    )
    points = base.mark_circle(size=70, opacity=0.7)
    labels = base.mark_text(align="left", dx=7, fontSize=11, color="#374151").encode(text="agent:N")
    return held.spec(alt.layer(points, labels))
