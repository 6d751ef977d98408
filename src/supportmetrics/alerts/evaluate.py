"""What each kind of alert finds at an instant: the segments in their alert condition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import ibis
import numpy as np

from supportmetrics.alerts.episodes import Finding
from supportmetrics.alerts.settings import (
    AlertSettings,
    SlaRiskAlert,
    SpikeAlert,
    TargetAlert,
    variant_text,
)
from supportmetrics.alerts.spikes import NO_VALUE, series
from supportmetrics.calendar import schedule_of_team, with_business_seconds
from supportmetrics.display import human
from supportmetrics.engine import Engine
from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import Query, resolve_metric, run_query
from supportmetrics.query.aggregations import aggregation
from supportmetrics.query.dimensions import filter_rows
from supportmetrics.query.periods import floor, label, next_start

__all__ = ["evaluate", "local_now", "metric_link"]


def local_now(at: datetime, timezone: str) -> datetime:
    """Naive UTC instant `at` as a naive local time of `timezone`."""
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def metric_link(
    metric: str, start: datetime, end: datetime, where: dict[str, list[str]], period: str
) -> str:
    """The dashboard's metric page over local dates `start` to `end`, filtered to `where`."""
    pairs = [("from", start.date().isoformat()), ("to", end.date().isoformat())]
    pairs += [("where", f"{name}={','.join(values)}") for name, values in where.items()]
    pairs.append(("period", period))
    return f"/metrics/{metric}?{urlencode(pairs)}"


def evaluate(engine: Engine, alert: AlertSettings, at: datetime) -> list[Finding]:
    """The segments of `alert` in its condition at naive UTC instant `at`."""
    if isinstance(alert, SpikeAlert):
        return _spikes(engine, alert, at)
    if isinstance(alert, TargetAlert):
        return _target(engine, alert, at)
    return _sla_risk(engine, alert, at)


def _spikes(engine: Engine, alert: SpikeAlert, at: datetime) -> list[Finding]:
    """The last complete period of each segment against its seasonal baseline."""
    judged = next_start(
        floor(local_now(at, engine.config.timezone), alert.period), alert.period, -1
    )
    found = series(engine, alert, judged, judged)
    column = len(found.periods) - 1
    title = CATALOGUE[alert.metric].title
    out = []
    for row in np.flatnonzero(found.firing[:, column]):
        segment = found.segments[row]
        observed, expected = float(found.values[row, column]), float(found.median[row, column])
        where = dict(alert.where)
        if alert.by and segment != NO_VALUE:
            where[alert.by] = [segment]
        name = f"{alert.by}={segment}" if alert.by else "all"
        word = "spike" if observed > expected else "drop"
        out.append(
            Finding(
                segment=name,
                summary=f"{title} {word} ({name}) on {found.periods[column]}: "
                f"{human(_whole(observed), found.unit)}, expected "
                f"{human(_whole(expected), found.unit)} "
                f"(same weekday{' and hour' if alert.period == 'hour' else ''} of the last "
                f"{alert.weeks} weeks)",
                period=found.periods[column],
                observed=observed,
                expected=expected,
                unit=found.unit,
                link=metric_link(
                    alert.metric,
                    judged - timedelta(weeks=alert.weeks),
                    judged,
                    where,
                    alert.period,
                ),
                detail={
                    "direction": word,
                    "z": round(float(found.z[row, column]), 2),
                    "mad": float(found.mad[row, column]),
                    "weeks": alert.weeks,
                },
            )
        )
    return out


def _whole(value: float) -> float | int:
    """A whole number as an int, so counts show without decimals."""
    return int(value) if value.is_integer() else value


def _target(engine: Engine, alert: TargetAlert, at: datetime) -> list[Finding]:
    """Whether each of the last `periods` complete periods missed the metric's target."""
    target = engine.config.targets[alert.metric]
    chosen = CATALOGUE[alert.metric]
    end = floor(local_now(at, engine.config.timezone), alert.period)
    start = next_start(end, alert.period, -alert.periods)
    variants = variant_text(target.variants)
    resolved = resolve_metric(engine, chosen, variants)
    takes_stat = aggregation(resolved.aggregation).takes_stat
    stat = target.stat or ("median" if takes_stat and resolved.unit == "seconds" else "mean")
    query = Query(
        alert.metric,
        (),
        alert.period,
        start.date(),
        (end - timedelta(days=1)).date(),
        target.where,
        stat,
        target.clock,
        variants,
    )
    result = run_query(engine, query)
    goal = target.number(result.unit)
    values = {row["period"]: row["value"] for row in result.rows}
    labels = [label(next_start(start, alert.period, i), alert.period) for i in range(alert.periods)]
    observed = [float(values[t]) for t in labels if values.get(t) is not None]
    if len(observed) < alert.periods or not all(_missed(v, goal, chosen.better) for v in observed):
        return []
    shown = ", ".join(human(v, result.unit) for v in observed)
    return [
        Finding(
            segment="all",
            summary=f"{chosen.title} missed its target {human(goal, result.unit)} for "
            f"{alert.periods} {alert.period}s in a row ({labels[0]} to {labels[-1]}): {shown}. "
            f"Owner: {target.owner}. Next action: {target.next_action}",
            period=labels[-1],
            observed=observed[-1],
            expected=goal,
            unit=result.unit,
            link=metric_link(
                alert.metric, start, end - timedelta(days=1), target.where, alert.period
            ),
            detail={
                "periods": dict(zip(labels, observed, strict=True)),
                "stat": stat,
                "owner": target.owner,
                "next_action": target.next_action,
            },
        )
    ]


def _missed(value: float, goal: float, better: str | None) -> bool:
    return value > goal if better == "lower" else value < goal


def _sla_risk(engine: Engine, alert: SlaRiskAlert, at: datetime) -> list[Finding]:
    """Open SLA targets due within `within`: business time for business-clock policies."""
    facts = engine.facts("sla")
    rows = facts.filter(
        facts.target.isin(alert.targets),
        facts.start_at <= at,
        facts.stop_at.isnull() | (facts.stop_at > at),
        facts.due_at > at,
    )
    rows = rows.mutate(
        _at=ibis.literal(at, "timestamp"),
        _schedule=schedule_of_team(rows.team, engine.config.team_schedules()),
    )
    rows = with_business_seconds(
        rows, {"_business_left": ("_at", "due_at")}, engine.calendar(), schedule_column="_schedule"
    )
    calendar_left = (rows.due_at.epoch_seconds() - rows._at.epoch_seconds()).cast("int64")
    left = ibis.ifelse(rows.clock == "business", rows._business_left, calendar_left)
    rows = rows.mutate(_left=left)
    rows = rows.filter(rows._left <= alert.within)
    if alert.where:
        rows = filter_rows(engine, "sla", rows.mutate(_local=rows.due_at), alert.where, None, None)
    picked = rows.select("ticket_id", "target", "due_at", "_left", "clock", "sla_policy").order_by(
        "due_at", "ticket_id", "target"
    )
    out = []
    for row in engine.arrow(picked).to_pylist():
        what = "first reply" if row["target"] == "first_response_time" else "resolution"
        minutes = "business minutes" if row["clock"] == "business" else "minutes"
        due = row["due_at"].replace(tzinfo=None)
        out.append(
            Finding(
                segment=f"ticket {row['ticket_id']} {row['target']}",
                summary=f"Ticket {row['ticket_id']}: {what} due {due:%Y-%m-%d %H:%M} UTC, in "
                f"{row['_left'] // 60} {minutes} ({row['sla_policy']} policy)",
                period=due.isoformat(timespec="minutes"),
                observed=float(row["_left"]),
                expected=float(alert.within),
                unit="seconds",
                link=metric_link(
                    "sla_attainment",
                    local_now(due, engine.config.timezone),
                    local_now(due, engine.config.timezone),
                    {"ticket_id": [str(row["ticket_id"])]},
                    "day",
                ),
                detail={
                    "ticket_id": row["ticket_id"],
                    "target": row["target"],
                    "clock": row["clock"],
                    "policy": row["sla_policy"],
                },
            )
        )
    return out
