"""Backlog and flow facts keep few ticket columns and borrow the rest from the tickets when asked
(status, created_by, tags and the custom column `plan` here).

The hand-made team (conftest) with a custom ticket column `plan` and tags:
T1 email pro, T2 chat free (vip, late), T3 chat pro, T4 email free, T5 chat free,
T6 email pro (vip), T7 email pro, T8 web free.
When Wednesday 3 January ends, T2 (open since Mon 10:00, 62 h: aged) and T6 (pending since
Wed 11:00, 13 h) are unsolved.
"""

from __future__ import annotations

from datetime import date

import pyarrow.parquet as pq
import pytest

from supportmetrics.metrics import CATALOGUE
from supportmetrics.query import QueryError
from supportmetrics.query.dimensions import dimension_names, shown_dimensions
from supportmetrics.query.run import resolve_metric
from supportmetrics.web.queries import breakdown_dimensions
from tests.metrics.conftest import EVENTS, MESSAGES, TICKETS, make_workspace

PLANS = {"T1": "pro", "T2": "free", "T3": "pro", "T4": "free"}
PLANS |= {"T5": "free", "T6": "pro", "T7": "pro", "T8": "free"}
TAGS = {"T2": "vip;late", "T6": "vip"}
_HEADER, *_ROWS = TICKETS.strip().splitlines()
PLANNED = "\n".join(
    [
        f"{_HEADER},plan,tags",
        *(f"{row},{PLANS[row[:2]]},{TAGS.get(row[:2], '')}" for row in _ROWS),
    ]
)
WEDNESDAY = {"end": date(2024, 1, 3)}


@pytest.fixture
def ws(tmp_path):
    workspace = make_workspace(tmp_path, tickets=PLANNED, messages=MESSAGES, ticket_events=EVENTS)
    yield workspace
    workspace.close()


def _split(rows: list[dict], by: str, *keys: str) -> list[tuple]:
    return [(r[by], *(r[k] for k in keys)) for r in rows]


def test_backlog_and_flow_facts_are_persisted_without_the_ticket_columns(ws) -> None:
    ws.metric("backlog", **WEDNESDAY)
    ws.metric("backlog_flow")
    schemas = {
        path.name.split(".")[0]: pq.read_schema(path).names
        for path in ws.facts_folder.rglob("*.parquet")
    }
    kept = ["created_at", "assignee_id", "customer_id", "channel", "team", "priority", "issue_type"]
    assert schemas["backlog"] == ["ticket_id", "start", "end", *kept]
    assert schemas["flow"] == ["ticket_id", "at", "change", *kept]


def test_backlog_split_and_filtered_by_canonical_and_custom_ticket_columns(ws) -> None:
    by_channel = ws.metric("backlog", by=["channel"], **WEDNESDAY).rows
    # web: T8 opens on Thursday
    assert _split(by_channel, "channel", "value", "aged") == [
        ("chat", 1, 1),
        ("email", 1, 0),
        ("web", 0, 0),
    ]
    # status (borrowed, as plan and tags are): the ticket's current one
    by_status = ws.metric("backlog", by=["status"], **WEDNESDAY).rows
    assert _split(by_status, "status", "value", "aged") == [
        ("closed", 0, 0),
        ("open", 1, 1),
        ("pending", 1, 0),
        ("solved", 0, 0),
    ]
    by_customers = ws.metric("backlog", where={"created_by": ["customer"]}, **WEDNESDAY).rows
    assert [(r["value"], r["aged"]) for r in by_customers] == [(2, 1)]
    by_plan = ws.metric("backlog", by=["plan"], **WEDNESDAY).rows
    assert _split(by_plan, "plan", "value", "aged") == [("free", 1, 1), ("pro", 1, 0)]
    by_tag = ws.metric("backlog", by=["tag"], **WEDNESDAY).rows
    assert _split(by_tag, "tag", "value") == [("late", 1), ("vip", 2)]
    email = ws.metric("backlog", where={"channel": ["email"]}, **WEDNESDAY).rows
    assert [(r["value"], r["aged"]) for r in email] == [(1, 0)]
    free = ws.metric("backlog", where={"plan": ["free"]}, **WEDNESDAY).rows
    assert [(r["value"], r["aged"]) for r in free] == [(1, 1)]
    # pro: T1, T6, T7 by email, T3 by chat; filter and split both borrow from the tickets
    pro = ws.metric("backlog", by=["channel"], where={"plan": ["pro"]}, **WEDNESDAY).rows
    assert _split(pro, "channel", "value") == [("chat", 0), ("email", 1)]
    days = {"period": "day", "start": date(2024, 1, 2), "end": date(2024, 1, 4)}
    daily = ws.metric("backlog", by=["plan"], where={"priority": ["low", "normal"]}, **days)
    # low or normal: T2 (free), T3 T6 (pro), T4 T5 (free), T7 (pro)
    assert _split(daily.rows, "plan", "period", "value") == [
        ("free", "2024-01-02", 1),
        ("free", "2024-01-03", 1),
        ("free", "2024-01-04", 1),
        ("pro", "2024-01-02", 0),
        ("pro", "2024-01-03", 1),
        ("pro", "2024-01-04", 1),
    ]


def test_flow_split_and_filtered_by_canonical_and_custom_ticket_columns(ws) -> None:
    # Solves: T1; T3 three times (closed after solved is none); T4, T5, T7, T8 by solved_at.
    # Reopens: T3 twice.
    keys = ("value", "created", "reopened", "outflow")
    by_plan = ws.metric("backlog_flow", by=["plan"]).rows
    assert _split(by_plan, "plan", *keys) == [("free", 1, 4, 0, 3), ("pro", 1, 4, 2, 5)]
    chat = ws.metric("backlog_flow", where={"channel": ["chat"]}).rows
    assert [tuple(r[k] for k in keys) for r in chat] == [(1, 3, 2, 4)]
    # solved now: T1, T3, T4, T5, T7
    solved = ws.metric("backlog_flow", where={"status": ["solved"]}).rows
    assert [tuple(r[k] for k in keys) for r in solved] == [(0, 5, 2, 7)]
    by_channel = ws.metric("backlog_flow", by=["channel"], where={"plan": ["free"]}).rows
    assert _split(by_channel, "channel", "created", "outflow") == [
        ("chat", 2, 1),
        ("email", 1, 1),
        ("web", 1, 1),
    ]


@pytest.mark.parametrize("facts", ["backlog", "flow"])
def test_names_and_unknown_dimension_errors_list_the_ticket_columns(ws, facts) -> None:
    engine = ws.engine()
    tickets = ["channel", "created_by", "issue_type", "plan", "priority", "request_quality"]
    tickets += ["sentiment", "status", "tags", "team"]
    people = ["agent", "agent.name", "agent.team", "assignee_id", "customer.account_id"]
    people += ["customer.region", "customer.tier", "customer_id", "region", "tier"]
    own = ["change"] if facts == "flow" else []
    derived = ["day_of_week", "hour_of_day", "tag"]
    names = sorted([*tickets, *people, *own, *derived, "ticket_id"])
    assert dimension_names(engine, facts) == names
    # not ids, measures (request_quality, sentiment) or the raw tags
    hidden = {"assignee_id", "customer.account_id", "customer_id", "ticket_id"}
    hidden |= {"request_quality", "sentiment", "tags"}
    shown = shown_dimensions(engine, facts)
    assert shown == [n for n in names if n not in hidden]
    metric = "backlog" if facts == "backlog" else "backlog_flow"
    assert breakdown_dimensions(engine, resolve_metric(engine, CATALOGUE[metric])) == shown
    with pytest.raises(QueryError) as error:
        ws.metric(metric, by=["chanel"])
    close = "channel or change" if facts == "flow" else "channel"
    assert str(error.value) == (
        f"unknown dimension 'chanel' (did you mean {close}?); the dimensions are: "
        + ", ".join(shown)
    )
