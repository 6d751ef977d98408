"""An independent, plain-pandas implementation of the ticket metrics: the yardstick for the engine.

Written from docs/data-model.md and docs/metrics.md alone (no engine code), vectorised with
merge/groupby/sort only. Inputs are the canonical tables as stored: naive UTC timestamps, string ids.

Definition choices (where the spec is silent, or where it leaves a choice open):

Status history (`status_history`)
- A ticket's history is its `ticket_events` rows with type = 'status' whose `to_value` is one of the six
  statuses; rows with any other or a null `to_value` are dropped. Only `to_value` is used: the state
  before an event is the previous event's `to_value` (or 'new' before the first one); `from_value` is
  ignored, so a `from_value` that disagrees with the sequence cannot create or hide a reopen.
- Events are ordered by (`at`, `event_id` as a string); `event_id` only breaks ties of equal `at`.
- A ticket with no such status row gets the data model's fallback history created -> (solved at
  `solved_at`) -> (closed at `closed_at`); a ticket with status rows ignores its `solved_at`/`closed_at`.
  `tickets.status` is never used: a ticket whose history never reaches solved/closed is unsolved.
- Events timestamped before the ticket's created_at are kept as they are (not dropped, not clipped).
- "Becomes solved" = an event into solved/closed from an unsolved state (solved -> closed and
  closed -> solved are not solves). A reopen = an event from solved/closed into new/open/pending/on_hold.

Ticket facts (`ticket_facts`)
- Agent reply = author_type 'agent', public (null -> true), not automated (null -> false); bot, system,
  internal-note and automated messages never count.
- first_reply_at = the earliest agent reply with created_at >= the ticket's created_at (a reply at the
  creation instant counts; replies before it are ignored). It is filled for agent-created tickets too,
  but their first_response_seconds is NaN (variant `exclude`); created_by null -> 'customer', and
  'system'-created tickets are included. A ticket with no agent reply yet has NaN (it is not counted
  as an open-ended wait).
- agent_replies counts every agent reply on the ticket whatever its timestamp (before creation, after
  the solve); customer_messages counts every author_type 'customer' message.
- Durations are whole seconds = floor(exact difference / 1 s), calendar clock, float with NaN.
- first_solved_at = the first "becomes solved"; last_solved_at = the last "becomes solved", only when
  the final status (the last event's status) is solved/closed, else NaT. So a solved -> closed ticket
  is resolved when it was solved, not when it was closed.
- solved = final status solved/closed; reopens = number of reopens; reopened = reopens > 0;
  one_touch = solved and agent_replies == 1 and reopens == 0 (solved with no agent reply is not).

Aggregations
- `by` is a column name or list of column names of the facts; a null dimension value is a group of its
  own. Rows come sorted by [*by, period]. A group or period with no observations has no row, except
  overall (no by, no period), which always returns one row (value NaN, n 0 when empty), and `backlog`,
  which returns every period x dimension value found in the facts, zeros included.
- Periods are half-open [local start, next local start), in the time zone `tz` (default 'UTC'): day,
  week (starts Monday) and month; `period` is the local start date as 'YYYY-MM-DD'.
- mean = arithmetic mean; median = exact median; p90 = quantile(0.9) with linear interpolation
  (= SQL percentile_cont(0.9)). n = number of observations.
- first_response_time: tickets with a first_response_seconds, filed under created_at.
- resolution_time `full`: tickets solved now, filed under last_solved_at; `first`: every ticket ever
  solved (including one reopened and unsolved now), filed under first_solved_at.
- first_contact_resolution (one_touch): share of tickets solved now that are one_touch, filed under
  last_solved_at. reopen_rate: share of tickets ever solved that were reopened, filed under
  first_solved_at. Shares carry numerator and denominator; n = denominator.
- backlog: at each period's end instant T (the next period's local midnight, in UTC), tickets with
  created_at < T whose status after all events with at < T is unsolved ('new' if none yet); an event
  exactly at T belongs to the next period. value = n = that count.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd

__all__ = [
    "SOLVED",
    "STATUSES",
    "UNSOLVED",
    "backlog",
    "first_contact_resolution",
    "first_response_time",
    "period_start",
    "reopen_rate",
    "resolution_time",
    "status_history",
    "ticket_facts",
]

Period = Literal["day", "week", "month"]
Stat = Literal["mean", "median", "p90"]
By = str | list[str] | None

UNSOLVED = ("new", "open", "pending", "on_hold")
SOLVED = ("solved", "closed")
STATUSES = UNSOLVED + SOLVED

# Each applies to a Series or a SeriesGroupBy as a whole (vectorised), never per row.
_STATS = {
    "mean": lambda values: values.mean(),
    "median": lambda values: values.median(),
    "p90": lambda values: values.quantile(0.9),  # linear interpolation = percentile_cont(0.9)
    "share": lambda flags: flags.mean(),  # flags as 0.0/1.0
}

_NEXT_PERIOD = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
}


# --- inputs ----------------------------------------------------------------------------------


def _with_columns(df: pd.DataFrame, *names: str) -> pd.DataFrame:
    """df with the named columns added (all null) where absent."""
    return df.reindex(columns=list(dict.fromkeys([*df.columns, *names])))


def _utc(values: pd.Series) -> pd.Series:
    """Naive UTC datetime64[ns] (one unit, so merges and sorts agree); tz-aware input is converted."""
    values = pd.to_datetime(values)
    if values.dt.tz is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def _timestamps(df: pd.DataFrame, *names: str) -> pd.DataFrame:
    return df.assign(**{name: _utc(df[name]) for name in names})


def _filled(df: pd.DataFrame, name: str, default: object) -> pd.Series:
    """df[name] with nulls replaced by default; a column of default when the column is absent."""
    if name not in df:
        return pd.Series(default, index=df.index)
    return df[name].astype(object).fillna(default)


def _tickets(tickets: pd.DataFrame) -> pd.DataFrame:
    tickets = _with_columns(tickets, "team", "priority", "solved_at", "closed_at")
    tickets = tickets.assign(created_by=_filled(tickets, "created_by", "customer"))
    return _timestamps(tickets, "created_at", "solved_at", "closed_at")


def _messages(messages: pd.DataFrame) -> pd.DataFrame:
    messages = messages.assign(
        public=_filled(messages, "public", True).astype(bool),
        automated=_filled(messages, "automated", False).astype(bool),
    )
    return _timestamps(messages, "created_at")


def _events(ticket_events: pd.DataFrame | None) -> pd.DataFrame:
    events = pd.DataFrame() if ticket_events is None else ticket_events
    return _timestamps(
        _with_columns(events, "event_id", "ticket_id", "at", "type", "to_value"), "at"
    )


def _names(by: By) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


# --- ticket facts ----------------------------------------------------------------------------


def _seconds(durations: pd.Series) -> pd.Series:
    """Whole seconds, floor(duration / 1 s), as float (NaN where the duration is NaT)."""
    return (durations // pd.Timedelta(seconds=1)).astype(float)


def status_history(
    tickets: pd.DataFrame, ticket_events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every status change of every ticket, in order: one row per change.

    Columns: ticket_id, at, event_id (null for the solved_at/closed_at fallback), status (the status
    entered), becomes_solved (unsolved -> solved/closed), reopen (solved/closed -> unsolved).
    Recorded status events win; a ticket without any gets created -> solved_at -> closed_at.
    See the module docstring for the ordering and filtering rules.
    """
    tickets = _tickets(tickets)
    events = _events(ticket_events)
    recorded = events.loc[
        (events["type"] == "status")
        & events["to_value"].isin(STATUSES)
        & events["ticket_id"].isin(tickets["ticket_id"].unique()),
        ["ticket_id", "at", "event_id", "to_value"],
    ].rename(columns={"to_value": "status"})
    unrecorded = tickets[~tickets["ticket_id"].isin(recorded["ticket_id"].unique())]
    fallback = pd.concat(
        [
            unrecorded[["ticket_id"]].assign(at=unrecorded["solved_at"], status="solved"),
            unrecorded[["ticket_id"]].assign(at=unrecorded["closed_at"], status="closed"),
        ]
    ).dropna(subset=["at"])
    history = pd.concat([recorded, fallback], ignore_index=True).sort_values(
        ["ticket_id", "at", "event_id"], ignore_index=True
    )
    previous = history.groupby("ticket_id")["status"].shift(fill_value="new")
    was_solved = previous.isin(SOLVED)
    is_solved = history["status"].isin(SOLVED)
    return history.assign(becomes_solved=is_solved & ~was_solved, reopen=was_solved & ~is_solved)


def ticket_facts(
    tickets: pd.DataFrame, messages: pd.DataFrame, ticket_events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per ticket (in the tickets' order) with everything the ticket metrics need.

    Columns: ticket_id, channel, team, priority, created_at, created_by, first_reply_at,
    first_response_seconds, final_status, solved, first_solved_at, last_solved_at,
    resolution_seconds_first, resolution_seconds_full, reopens, reopened, agent_replies,
    customer_messages, one_touch. Definitions: see the module docstring.
    """
    tickets = _tickets(tickets)
    messages = _messages(messages)
    history = status_history(tickets, ticket_events)
    facts = tickets[
        ["ticket_id", "channel", "team", "priority", "created_at", "created_by"]
    ].set_index("ticket_id")
    ids = facts.index

    def per_ticket(values: pd.Series, fill: object = None) -> pd.Series:
        return values.reindex(ids, fill_value=fill)

    is_reply = (messages["author_type"] == "agent") & messages["public"] & ~messages["automated"]
    replies = messages.loc[is_reply, ["ticket_id", "created_at"]]
    timed = replies.merge(tickets[["ticket_id", "created_at"]], on="ticket_id", suffixes=("", "_t"))
    facts["first_reply_at"] = per_ticket(
        timed[timed["created_at"] >= timed["created_at_t"]].groupby("ticket_id")["created_at"].min()
    )
    response = _seconds(facts["first_reply_at"] - facts["created_at"])
    facts["first_response_seconds"] = response.where(facts["created_by"] != "agent")

    facts["final_status"] = per_ticket(history.groupby("ticket_id")["status"].last(), "new")
    facts["solved"] = facts["final_status"].isin(SOLVED)
    solves = history[history["becomes_solved"]].groupby("ticket_id")["at"]
    facts["first_solved_at"] = per_ticket(solves.min())
    facts["last_solved_at"] = per_ticket(solves.max()).where(facts["solved"])
    facts["resolution_seconds_first"] = _seconds(facts["first_solved_at"] - facts["created_at"])
    facts["resolution_seconds_full"] = _seconds(facts["last_solved_at"] - facts["created_at"])
    facts["reopens"] = per_ticket(history.groupby("ticket_id")["reopen"].sum(), 0).astype(int)
    facts["reopened"] = facts["reopens"] > 0

    facts["agent_replies"] = per_ticket(replies.groupby("ticket_id").size(), 0).astype(int)
    customer = messages[messages["author_type"] == "customer"]
    facts["customer_messages"] = per_ticket(customer.groupby("ticket_id").size(), 0).astype(int)
    facts["one_touch"] = facts["solved"] & (facts["agent_replies"] == 1) & ~facts["reopened"]
    return facts.reset_index()


# --- periods and aggregation -----------------------------------------------------------------


def _floor(local: pd.Series, period: Period) -> pd.Series:
    """Naive local timestamps floored to the start of their day, week (Monday) or month."""
    day = local.dt.normalize()
    if period == "day":
        return day
    if period == "week":
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    if period == "month":
        return day - pd.to_timedelta(day.dt.day - 1, unit="D")
    raise ValueError(f"unknown period {period!r}; use day, week or month")


def period_start(timestamps: pd.Series, period: Period, tz: str = "UTC") -> pd.Series:
    """The local period (its start date, 'YYYY-MM-DD' in `tz`) that each naive UTC timestamp is in."""
    local = timestamps.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    return _floor(local, period).dt.strftime("%Y-%m-%d")


def _summarise(
    rows: pd.DataFrame,
    column: str,
    filed_at: str,
    by: By,
    period: Period | None,
    tz: str,
    stat: Stat | Literal["share"],
) -> pd.DataFrame:
    """`stat` of rows[column] per [*by, period]; for "share", column is a boolean flag."""
    keys = _names(by)
    if period is not None:
        rows = rows.assign(period=period_start(rows[filed_at], period, tz))
        keys.append("period")
    if stat not in _STATS:
        raise ValueError(f"unknown stat {stat!r}; use mean, median or p90")
    values = rows[column].astype(float)
    grouped = values.groupby([rows[k] for k in keys], dropna=False) if keys else values
    summary = {"value": _STATS[stat](grouped), "n": grouped.size() if keys else len(values)}
    if stat == "share":
        summary |= {"numerator": grouped.sum().astype(int), "denominator": summary["n"]}
    if not keys:
        return pd.DataFrame({name: [value] for name, value in summary.items()})
    return pd.DataFrame(summary).reset_index()


def first_response_time(
    facts: pd.DataFrame,
    by: By = None,
    period: Period | None = None,
    stat: Stat = "mean",
    tz: str = "UTC",
) -> pd.DataFrame:
    """first_response_seconds over tickets that have one, filed under created_at.

    Columns [*by, period?, value, n].
    """
    rows = facts[facts["first_response_seconds"].notna()]
    return _summarise(rows, "first_response_seconds", "created_at", by, period, tz, stat)


def resolution_time(
    facts: pd.DataFrame,
    variant: Literal["full", "first"] = "full",
    by: By = None,
    period: Period | None = None,
    stat: Stat = "mean",
    tz: str = "UTC",
) -> pd.DataFrame:
    """Created -> solve, in seconds. Columns [*by, period?, value, n].

    `full` (default): tickets solved now, created -> last solve, filed under last_solved_at.
    `first`: tickets ever solved (also those reopened and unsolved now), created -> first solve,
    filed under first_solved_at. Each ticket counts once.
    """
    column, filed_at = {
        "full": ("resolution_seconds_full", "last_solved_at"),
        "first": ("resolution_seconds_first", "first_solved_at"),
    }[variant]
    rows = facts[facts[filed_at].notna()]
    return _summarise(rows, column, filed_at, by, period, tz, stat)


def first_contact_resolution(
    facts: pd.DataFrame, by: By = None, period: Period | None = None, tz: str = "UTC"
) -> pd.DataFrame:
    """Variant one_touch: share of tickets solved now that are one_touch, filed under last_solved_at.

    Columns [*by, period?, value, n, numerator, denominator]; n = denominator.
    """
    rows = facts[facts["solved"]]
    return _summarise(rows, "one_touch", "last_solved_at", by, period, tz, "share")


def reopen_rate(
    facts: pd.DataFrame, by: By = None, period: Period | None = None, tz: str = "UTC"
) -> pd.DataFrame:
    """Share of tickets ever solved that were reopened (solved/closed -> unsolved), filed under
    first_solved_at. Columns [*by, period?, value, n, numerator, denominator]; n = denominator.
    """
    rows = facts[facts["first_solved_at"].notna()]
    return _summarise(rows, "reopened", "first_solved_at", by, period, tz, "share")


def backlog(
    facts: pd.DataFrame,
    history: pd.DataFrame,
    period: Period,
    start: str | dt.date,
    end: str | dt.date,
    tz: str = "UTC",
    by: By = None,
) -> pd.DataFrame:
    """Tickets unsolved at the end of each local period from the one holding `start` to the one
    holding `end` (local dates): a snapshot, not a sum. `history` = `status_history(tickets,
    ticket_events)`, which carries the solved_at/closed_at fallback that ticket_events alone lacks.

    At a period's end instant T (next period's local midnight), a ticket is in the backlog when
    created_at < T and its status after every event with at < T is unsolved ('new' before any).
    Columns [*by, period, value, n] with n = value; every period x dimension value, zeros included.
    """
    keys = _names(by)
    days = pd.Series(pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D").normalize())
    starts = _floor(days, period).drop_duplicates()
    ends = (starts + _NEXT_PERIOD[period]).dt.tz_localize(tz, nonexistent="shift_forward")
    periods = pd.DataFrame(
        {
            "period": starts.dt.strftime("%Y-%m-%d"),
            "end": ends.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]"),
        }
    )
    grid = periods.merge(facts[["ticket_id", "created_at", *keys]], how="cross")
    # One row per (ticket, instant): the status after all of that instant's events (history is in
    # order), so "the last change before T" is unambiguous.
    states = history.drop_duplicates(["ticket_id", "at"], keep="last")[
        ["ticket_id", "at", "status"]
    ].astype({"ticket_id": facts["ticket_id"].dtype, "at": "datetime64[ns]"})
    snapshot = pd.merge_asof(
        grid.sort_values("end"),
        states.sort_values("at"),
        left_on="end",
        right_on="at",
        by="ticket_id",
        allow_exact_matches=False,  # at < T: an event at T belongs to the next period
    )
    unsolved = ~snapshot["status"].isin(SOLVED)  # no change before T (null): still 'new'
    snapshot["in_backlog"] = (snapshot["created_at"] < snapshot["end"]) & unsolved
    counts = snapshot.groupby([*keys, "period"], dropna=False)["in_backlog"].sum()
    return counts.astype(int).rename("value").reset_index().assign(n=lambda d: d["value"])
