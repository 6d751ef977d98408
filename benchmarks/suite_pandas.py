"""Idiomatic pandas: read the Parquet files, merge, group by. Vectorised, no apply, no row loops.

Business seconds use the same precomputed calendar table as the SQL (looked up by UTC day).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from suite_spec import BUDGETS, TIMEZONE, Figures, business_calendar, group_label, parquet_source

__all__ = ["figures"]

SOLVED = ["solved", "closed"]
UNSOLVED = ["new", "open", "pending", "on_hold"]
EPOCH = pd.Timestamp(0, tz="UTC")


def _read(data: Path, table: str, columns: list[str]) -> pd.DataFrame:
    source = parquet_source(data, table)
    files = sorted(Path(source).parent.glob(Path(source).name))
    return ds.dataset(files, format="parquet").to_table(columns=columns).to_pandas()


def _seconds(ts: pd.Series) -> pd.Series:
    """Epoch seconds (float, NaN for missing)."""
    return (ts - EPOCH).dt.total_seconds()


def _week(ts: pd.Series) -> pd.Series:
    """The Monday of the local week."""
    local = ts.dt.tz_convert(TIMEZONE).dt.tz_localize(None).dt.normalize()
    return local - pd.to_timedelta(local.dt.day_of_week, unit="D")


Aggregate = Callable[[pd.core.groupby.SeriesGroupBy], pd.DataFrame]


def _median(groups: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
    frame = groups.agg(["median", "count"])
    return pd.DataFrame({"value": frame["median"], "n": frame["count"]})


def _share(scale: float) -> Aggregate:
    def aggregate(groups: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
        frame = groups.agg(["sum", "count"])
        return pd.DataFrame({"value": scale * frame["sum"] / frame["count"], "n": frame["count"]})

    return aggregate


def _nps(groups: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
    frame = groups.agg(["sum", "count"])  # value: +1 promoter, 0 passive, -1 detractor
    return pd.DataFrame({"value": 100 * frame["sum"] / frame["count"], "n": frame["count"]})


def _store(out: Figures, metric: str, clock: str, rows: pd.DataFrame, aggregate: Aggregate) -> None:
    """rows: channel, team, filed_at, value -> overall, by channel, team and local week."""
    rows = rows.assign(week=_week(rows["filed_at"]), overall="")
    for split, column in (("overall", "overall"), ("channel", "channel"), ("team", "team")):
        result = aggregate(rows.groupby(column, dropna=False)["value"])
        out[f"{metric}|{clock}|{split}"] = _figure(result)
    out[f"{metric}|{clock}|week"] = _figure(aggregate(rows.groupby("week")["value"]))


def _figure(result: pd.DataFrame) -> dict[str, list]:
    values = result["value"].astype(object).where(result["value"].notna(), None)
    return {
        group_label(g): [v, int(n)]
        for g, v, n in zip(result.index, values, result["n"], strict=True)
    }


def _history(tickets: pd.DataFrame, data: Path) -> pd.DataFrame:
    events = _read(
        data, "ticket_events", ["ticket_id", "at", "event_id", "type", "from_value", "to_value"]
    )
    events = events.loc[events["type"] == "status"].drop(columns="type")
    bare = tickets.loc[~tickets["ticket_id"].isin(events["ticket_id"])]
    solve_at = bare["solved_at"].fillna(bare["closed_at"])
    solved = pd.DataFrame(
        {
            "ticket_id": bare["ticket_id"],
            "at": solve_at,
            "from_value": "open",
            "to_value": np.where(bare["solved_at"].isna(), "closed", "solved"),
        }
    ).loc[solve_at.notna()]
    both = bare.loc[bare["solved_at"].notna() & bare["closed_at"].notna()]
    closed = pd.DataFrame(
        {"ticket_id": both["ticket_id"], "at": both["closed_at"], "from_value": "solved"}
    ).assign(to_value="closed")
    return pd.concat([events, solved, closed], ignore_index=True)


def _ticket_facts(data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    tickets = _read(
        data,
        "tickets",
        [
            "ticket_id",
            "created_at",
            "channel",
            "team",
            "created_by",
            "status",
            "solved_at",
            "closed_at",
        ],
    )
    messages = _read(
        data, "messages", ["ticket_id", "created_at", "author_type", "public", "automated"]
    )
    is_reply = (
        (messages["author_type"] == "agent")
        & messages["public"].fillna(True).astype(bool)
        & ~messages["automated"].fillna(False).astype(bool)
    )
    replies = messages.loc[is_reply, ["ticket_id", "created_at"]].merge(
        tickets[["ticket_id", "created_at"]], on="ticket_id", suffixes=("", "_ticket")
    )
    counts = replies.groupby("ticket_id").size().rename("agent_replies")
    in_time = replies.loc[replies["created_at"] >= replies["created_at_ticket"]]
    first_reply = in_time.groupby("ticket_id")["created_at"].min().rename("first_reply_at")

    history = _history(tickets, data)
    was_solved = history["from_value"].isin(SOLVED)
    history["solve_at"] = history["at"].where(history["to_value"].isin(SOLVED) & ~was_solved)
    history["reopen"] = was_solved & history["to_value"].isin(UNSOLVED)
    summary = history.groupby("ticket_id").agg(
        first_solved_at=("solve_at", "min"),
        last_solve_at=("solve_at", "max"),
        reopens=("reopen", "sum"),
    )
    facts = tickets.merge(first_reply, on="ticket_id", how="left")
    facts = facts.merge(counts, on="ticket_id", how="left").merge(
        summary, on="ticket_id", how="left"
    )
    if facts["status"].isna().any():
        last = history.sort_values(["at", "event_id"]).groupby("ticket_id")["to_value"].last()
        facts["status"] = facts["status"].fillna(facts["ticket_id"].map(last)).fillna("new")
    solved = facts["status"].isin(SOLVED)
    facts["last_solved_at"] = facts["last_solve_at"].where(solved)
    facts["stop_at"] = facts["first_reply_at"].where(facts["created_by"] != "agent")
    facts["reopens"] = facts["reopens"].fillna(0)
    facts["agent_replies"] = facts["agent_replies"].fillna(0)
    return facts, history


def _durations(out: Figures, facts: pd.DataFrame, clock: str) -> None:
    if clock == "calendar":
        frt = _seconds(facts["stop_at"]) - _seconds(facts["created_at"])
        res = _seconds(facts["last_solved_at"]) - _seconds(facts["created_at"])
    else:
        calendar = business_calendar().to_pandas().set_index("epoch_day")
        f_created = _business_instant(facts["created_at"], calendar)
        frt = _business_instant(facts["stop_at"], calendar) - f_created
        res = _business_instant(facts["last_solved_at"], calendar) - f_created
    for metric, value, filed in (
        ("first_response_time", frt, "created_at"),
        ("resolution_time", res, "last_solved_at"),
    ):
        rows = facts[["channel", "team"]].assign(filed_at=facts[filed], value=value)
        _store(out, metric, clock, rows.loc[rows["value"] >= 0], _median)


def _business_instant(ts: pd.Series, calendar: pd.DataFrame) -> pd.Series:
    """F(ts): cum_before of the UTC day plus the open seconds of that day before ts."""
    seconds = _seconds(ts)
    day = np.floor(seconds / 86400)
    row = calendar.reindex(day)
    sod = seconds.to_numpy() - day.to_numpy() * 86400
    value = row["cum_before"].to_numpy(dtype=float)
    k = 0
    while f"open_{k}" in calendar.columns:
        opened = np.clip(sod - row[f"open_{k}"].to_numpy(dtype=float), 0, None)
        value = value + np.minimum(opened, row[f"len_{k}"].to_numpy(dtype=float))
        k += 1
    return pd.Series(value, index=ts.index)


def _quality(out: Figures, facts: pd.DataFrame, now: datetime) -> None:
    solved = facts.loc[facts["last_solved_at"].notna()]
    fcr = solved[["channel", "team"]].assign(
        filed_at=solved["last_solved_at"],
        value=(solved["agent_replies"] == 1) & (solved["reopens"] == 0),
    )
    _store(out, "first_contact_resolution", "calendar", fcr, _share(1))
    ever = facts.loc[facts["first_solved_at"].notna()]
    reopen = ever[["channel", "team"]].assign(
        filed_at=ever["first_solved_at"], value=ever["reopens"] > 0
    )
    _store(out, "reopen_rate", "calendar", reopen, _share(1))
    first = facts.loc[facts["created_by"] != "agent"]
    targets = pd.concat(
        [
            first[["channel", "team"]].assign(
                stop=first["first_reply_at"].fillna(first["first_solved_at"]),
                due=first["created_at"] + pd.Timedelta(seconds=BUDGETS["first_response_time"]),
            ),
            facts[["channel", "team"]].assign(
                stop=facts["last_solved_at"],
                due=facts["created_at"] + pd.Timedelta(seconds=BUDGETS["resolution_time"]),
            ),
        ],
        ignore_index=True,
    )
    reached = targets["stop"].notna()
    targets = targets.loc[reached | (targets["due"] < pd.Timestamp(now))]
    sla = targets[["channel", "team"]].assign(
        filed_at=targets["due"], value=targets["stop"].notna() & (targets["stop"] <= targets["due"])
    )
    _store(out, "sla_attainment", "calendar", sla, _share(1))


def _backlog(out: Figures, facts: pd.DataFrame, history: pd.DataFrame) -> None:
    history = history.sort_values(["ticket_id", "at", "event_id"])  # ties by event id
    history["next_at"] = history.groupby("ticket_id")["at"].shift(-1)
    later = history.loc[~history["to_value"].isin(SOLVED) & history["to_value"].notna()]
    first_change = history.groupby("ticket_id")["at"].min().rename("e")
    initial = facts[["ticket_id", "created_at"]].merge(first_change, on="ticket_id", how="left")
    segments = pd.concat(
        [
            later[["ticket_id", "at", "next_at"]].set_axis(["ticket_id", "s", "e"], axis=1),
            initial.rename(columns={"created_at": "s"}),
        ],
        ignore_index=True,
    )
    segments = segments.merge(facts[["ticket_id", "channel", "team", "created_at"]], on="ticket_id")
    segments = segments.loc[segments["e"].isna() | (segments["e"] > segments["s"])]
    still_open = segments.loc[segments["e"].isna()]
    out["backlog|calendar|overall"] = {"": [len(still_open), len(still_open)]}
    segments["open"] = segments["e"].isna()
    for split in ("channel", "team"):
        counts = segments.groupby(split, dropna=False)["open"].sum()
        out[f"backlog|calendar|{split}"] = {
            group_label(g): [int(v), int(v)] for g, v in counts.items()
        }
    aged_at = np.maximum(segments["s"], segments["created_at"] + pd.Timedelta(hours=24))
    aged = segments["e"].isna() | (aged_at < segments["e"])
    weeks = pd.concat(
        [
            pd.DataFrame({"week": _week(segments["s"]), "delta": 1}),
            pd.DataFrame({"week": _week(segments["e"].dropna()), "delta": -1}),
            pd.DataFrame({"week": _week(aged_at[aged]), "delta": 0}),
        ]
    )
    per_week = weeks.groupby("week")["delta"].sum()
    spine = pd.date_range(per_week.index.min(), per_week.index.max(), freq="7D")
    running = per_week.reindex(spine, fill_value=0).cumsum()
    out["backlog|calendar|week"] = {group_label(w): [int(v), int(v)] for w, v in running.items()}


def _surveys(out: Figures, data: Path, facts: pd.DataFrame) -> None:
    surveys = _read(
        data,
        "surveys",
        ["survey", "score", "scale_min", "scale_max", "submitted_at", "ticket_id", "channel"],
    )
    surveys = surveys.loc[surveys["survey"].isin(["csat", "nps"])]
    rows = surveys.merge(
        facts[["ticket_id", "channel", "team"]],
        on="ticket_id",
        how="left",
        suffixes=("", "_ticket"),
    )
    rows["channel"] = rows["channel"].fillna(rows["channel_ticket"])
    rows["filed_at"] = rows["submitted_at"]
    scale_min = rows["scale_min"].astype(float)
    scale_max = rows["scale_max"].astype(float)
    csat = rows.loc[rows["survey"] == "csat"]
    top = scale_max.loc[csat.index].fillna(5.0) - 1
    _store(out, "csat", "calendar", csat.assign(value=csat["score"] >= top), _share(100))
    nps = rows.loc[rows["survey"] == "nps"]
    low, high = scale_min.loc[nps.index].fillna(0.0), scale_max.loc[nps.index].fillna(10.0)
    scaled = 10 * (nps["score"] - low) / (high - low)
    category = np.select([scaled >= 9, scaled > 6], [1, 0], default=-1)
    _store(out, "nps", "calendar", nps.assign(value=category), _nps)


def _calls(out: Figures, data: Path) -> None:
    calls = _read(
        data,
        "calls",
        ["queued_at", "outcome", "answered_at", "ended_at", "direction", "agent_id"],
    )
    agents = _read(data, "agents", ["agent_id", "team"])
    answered = calls["outcome"] == "answered"
    end = calls["answered_at"].where(answered, calls["ended_at"])
    calls["wait"] = _seconds(end) - _seconds(calls["queued_at"])
    inbound = calls["direction"].fillna("inbound") == "inbound"
    short = (calls["outcome"] == "abandoned") & (calls["wait"] < 5)
    offered = calls.loc[
        inbound & calls["outcome"].isin(["answered", "abandoned", "timeout"]) & ~short
    ]
    offered = offered.merge(agents, on="agent_id", how="left")
    offered = offered.assign(channel="phone", filed_at=offered["queued_at"])
    abandoned = offered.assign(value=offered["outcome"] == "abandoned")
    _store(out, "abandonment_rate", "calendar", abandoned, _share(1))
    # an answered call without a known wait has no value (left out of n), as in the engine
    within = offered["wait"] <= 20
    value = (offered["outcome"] == "answered") & within
    unknown = (offered["outcome"] == "answered") & offered["wait"].isna()
    level = offered.assign(value=value.astype(float).where(~unknown))
    _store(out, "service_level", "calendar", level, _share(1))


def figures(
    data: Path, timings: dict[str, float] | None = None, now: datetime | None = None
) -> Figures:
    """Every figure from the Parquet files of `data`; `timings` gets seconds per step."""
    now = now or datetime.now(UTC)
    timings = {} if timings is None else timings
    out: Figures = {}
    started = time.perf_counter()
    facts, history = _ticket_facts(data)
    _durations(out, facts, "calendar")
    timings["calendar"] = time.perf_counter() - started
    steps = (
        ("business", lambda: _durations(out, facts, "business")),
        ("quality", lambda: _quality(out, facts, now)),
        ("backlog", lambda: _backlog(out, facts, history)),
        ("surveys", lambda: _surveys(out, data, facts)),
        ("calls", lambda: _calls(out, data)),
    )
    for name, step in steps:
        started = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - started
    return out
