"""An independent, plain-pandas implementation of the metrics whose definitions issue 18 spelt out:
survey_response_rate, sla_attainment (both first-reply variants), first_contact_resolution
`no_repeat_contact`, repeat_contact_rate and the `partial` flag of period rows.

Written from the metric definitions (the catalogue text and the README), not from the engine code;
merges and group-bys only, so a range condition is a merge followed by a filter. Inputs are the
canonical tables as stored (naive UTC timestamps, string ids) and ticket facts from
`pandas_metrics.ticket_facts`.

Definition choices:
- Response rate: a response answers at most one invitation: the one it names (`invitation_id`), else
  the latest invitation of the same survey and ticket with sent_at <= submitted_at (ties: the
  greatest invitation_id), else the latest such one of the same survey and customer (the
  invitation's own customer_id). An invitation is answered when some response answers it; it is
  filed under sent_at. Anonymous invitations (no ticket, no customer) are answered by count: per
  survey and period, min(anonymous invitations sent, anonymous responses submitted), an anonymous
  response having neither ticket, customer nor invitation_id.
- SLA (one calendar policy for every ticket): first reply target for tickets not created by an
  agent, due created_at + budget, stopped by min(first agent reply, first solve) (`reply_or_solve`)
  or the first agent reply (`reply`); resolution target due created_at + budget, stopped by the last
  solve of a ticket solved now. Met = stop <= due; no stop and due < now = missed; otherwise the
  target is pending and left out. Filed under the due time.
- Repeat contact: a ticket solved now whose customer (not null) has another ticket (same issue_type,
  null matching null) created at or after its creation and at or before its last solve + N days.
  FCR no_repeat_contact = solved now, never reopened and no repeat contact. Both filed under the
  last solve.
- Partial: the data covers whole local days from the day of its earliest timestamp to the day of its
  latest; a period that starts before that or ends after it is partial.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd

from tests.reference.pandas_metrics import period_start

__all__ = [
    "is_partial",
    "repeat_contacts",
    "shares",
    "sla_targets",
    "survey_response_rate",
]

Period = Literal["day", "week", "month"]


def _latest_earlier(invitations: pd.DataFrame, responses: pd.DataFrame, key: str) -> pd.DataFrame:
    """[response_id, invitation_id]: each response's latest invitation of its survey and `key`
    sent at or before it."""
    pairs = responses.dropna(subset=[key]).merge(
        invitations.dropna(subset=[key]), on=["survey", key], suffixes=("", "_inv")
    )
    pairs = pairs[pairs["sent_at"] <= pairs["submitted_at"]]
    pairs = pairs.sort_values(["response_id", "sent_at", "invitation_id_inv"])
    latest = pairs.groupby("response_id", as_index=False).last()
    return latest[["response_id", "invitation_id_inv"]].rename(
        columns={"invitation_id_inv": "invitation_id"}
    )


def survey_response_rate(
    invitations: pd.DataFrame,
    surveys: pd.DataFrame,
    period: Period | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Per survey (and period): [survey, period?, numerator, denominator, value]."""
    responses = surveys[
        ["response_id", "survey", "submitted_at", "ticket_id", "customer_id", "invitation_id"]
    ]
    named = responses.dropna(subset=["invitation_id"])[["response_id", "invitation_id"]]
    rest = responses[responses["invitation_id"].isna()]
    by_ticket = _latest_earlier(invitations, rest, "ticket_id")
    rest = rest[~rest["response_id"].isin(by_ticket["response_id"])]
    by_customer = _latest_earlier(invitations, rest, "customer_id")
    answered = set(pd.concat([named, by_ticket, by_customer])["invitation_id"])

    anonymous = invitations["ticket_id"].isna() & invitations["customer_id"].isna()
    sent = invitations.assign(
        answered=invitations["invitation_id"].isin(answered) & ~anonymous,
        anonymous=anonymous,
    )
    free = responses[
        responses["ticket_id"].isna()
        & responses["customer_id"].isna()
        & responses["invitation_id"].isna()
    ]
    keys = ["survey"]
    if period is not None:
        sent = sent.assign(period=period_start(sent["sent_at"], period, tz))
        free = free.assign(period=period_start(free["submitted_at"], period, tz))
        keys.append("period")
    counts = sent.groupby(keys).agg(
        denominator=("invitation_id", "size"),
        identified=("answered", "sum"),
        anonymous=("anonymous", "sum"),
    )
    answers = free.groupby(keys).size().rename("answers")
    counts = counts.join(answers, how="left").fillna({"answers": 0})
    counts["numerator"] = (
        counts["identified"] + counts[["anonymous", "answers"]].min(axis=1)
    ).astype(int)
    out = counts.reset_index()[[*keys, "numerator", "denominator"]]
    return out.assign(value=out["numerator"] / out["denominator"]).sort_values(keys)


def sla_targets(
    facts: pd.DataFrame,
    first_reply: pd.Timedelta,
    resolution: pd.Timedelta,
    now: pd.Timestamp,
    met_by: Literal["reply_or_solve", "reply"] = "reply_or_solve",
) -> pd.DataFrame:
    """One row per judged target: [ticket_id, channel, target, due_at, met]."""
    customer = facts[facts["created_by"] != "agent"]
    stop = customer["first_reply_at"]
    if met_by == "reply_or_solve":
        stop = pd.concat([stop, customer["first_solved_at"]], axis=1).min(axis=1)
    first = pd.DataFrame(
        {
            "ticket_id": customer["ticket_id"],
            "channel": customer["channel"],
            "target": "first_response_time",
            "due_at": customer["created_at"] + first_reply,
            "stop_at": stop,
        }
    )
    solved = pd.DataFrame(
        {
            "ticket_id": facts["ticket_id"],
            "channel": facts["channel"],
            "target": "resolution_time",
            "due_at": facts["created_at"] + resolution,
            "stop_at": facts["last_solved_at"],
        }
    )
    rows = pd.concat([first, solved], ignore_index=True)
    stopped = rows["stop_at"].notna()
    rows = rows[stopped | (rows["due_at"] < now)]
    return rows.assign(met=rows["stop_at"].notna() & (rows["stop_at"] <= rows["due_at"]))


def repeat_contacts(facts: pd.DataFrame, tickets: pd.DataFrame, days: int = 7) -> pd.DataFrame:
    """Tickets solved now with `repeat` (a repeat contact) and `no_repeat_fcr` (FCR
    no_repeat_contact): [ticket_id, channel, last_solved_at, repeat, no_repeat_fcr]."""
    people = tickets[["ticket_id", "customer_id", "issue_type"]]
    solved = facts[facts["solved"]].merge(people, on="ticket_id")
    others = people.merge(tickets[["ticket_id", "created_at"]], on="ticket_id")
    pairs = solved[["ticket_id", "customer_id", "issue_type", "created_at", "last_solved_at"]]
    pairs = pairs.dropna(subset=["customer_id"]).merge(
        others, on=["customer_id", "issue_type"], suffixes=("", "_next")
    )
    window_end = pairs["last_solved_at"] + pd.Timedelta(days=days)
    inside = (
        (pairs["ticket_id_next"] != pairs["ticket_id"])
        & (pairs["created_at_next"] >= pairs["created_at"])
        & (pairs["created_at_next"] <= window_end)
    )
    repeated = set(pairs.loc[inside, "ticket_id"])
    repeat = solved["ticket_id"].isin(repeated)
    return solved.assign(repeat=repeat, no_repeat_fcr=~solved["reopened"] & ~repeat)[
        ["ticket_id", "channel", "last_solved_at", "repeat", "no_repeat_fcr"]
    ]


def shares(
    rows: pd.DataFrame,
    flag: str,
    filed_at: str,
    by: str | None = None,
    period: Period | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Share of `flag` per [by?, period?]: [*keys, numerator, denominator, value]."""
    keys = [by] if by else []
    if period is not None:
        rows = rows.assign(period=period_start(rows[filed_at], period, tz))
        keys.append("period")
    if not keys:
        n = len(rows)
        numerator = int(rows[flag].sum())
        return pd.DataFrame(
            {"numerator": [numerator], "denominator": [n], "value": [numerator / n]}
        )
    out = rows.groupby(keys)[flag].agg(numerator="sum", denominator="size").reset_index()
    out["numerator"] = out["numerator"].astype(int)
    return out.assign(value=out["numerator"] / out["denominator"])


def is_partial(
    period: str, kind: Period, first: pd.Timestamp, last: pd.Timestamp, tz: str = "UTC"
) -> bool:
    """Whether the local period starting on `period` reaches outside the local days from the day of
    the data's `first` timestamp to the day of its `last` (both naive UTC)."""

    def local_day(moment: pd.Timestamp) -> dt.date:
        return moment.tz_localize("UTC").tz_convert(tz).date()

    start = dt.date.fromisoformat(period)
    if kind == "day":
        end = start + dt.timedelta(days=1)
    elif kind == "week":
        end = start + dt.timedelta(days=7)
    else:
        end = (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).date()
    return start < local_day(first) or end > local_day(last) + dt.timedelta(days=1)
