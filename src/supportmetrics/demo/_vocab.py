"""The ticket family's enumerations, as tuples of canonical values with their integer codes."""

from __future__ import annotations

import numpy as np

from ._people import TEAMS

CHANNELS = ("email", "chat", "phone", "social", "web", "messaging", "sms", "other")
EMAIL, CHAT, PHONE, SOCIAL, WEB, MESSAGING, SMS, OTHER = range(len(CHANNELS))
LIVE = np.array([False, True, True, False, False, True, False, False])
"""Live channels (by code): answered while the customer waits; a small night shift covers them."""

CREATED_BY = ("customer", "agent", "system")
CUSTOMER_CREATED, AGENT_CREATED, SYSTEM_CREATED = range(len(CREATED_BY))

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = range(len(STATUSES))

PRIORITIES = ("low", "normal", "high", "urgent")
URGENT = 3

ISSUE_TYPES = (
    "billing",
    "technical",
    "account",
    "how_to",
    "bug",
    "feature_request",
    "password_reset",
    "refund",
    "pre_sales",
    "other",
)
BILLING, TECHNICAL, ACCOUNT, HOW_TO, BUG, FEATURE_REQUEST, PASSWORD_RESET, REFUND, PRE_SALES = (
    range(9)
)
ISSUE_TEAM = np.array([0, 1, 2, 1, 1, 1, 2, 0, 3, 2], dtype=np.int8)
"""The team (index into TEAMS) each issue type is routed to."""

AUTHORS = ("customer", "agent", "bot", "system")
CUSTOMER, AGENT, BOT, SYSTEM = range(len(AUTHORS))

EVENT_TYPES = ("status", "assignee", "team", "priority")
STATUS_EVENT, ASSIGNEE_EVENT, TEAM_EVENT, PRIORITY_EVENT = range(len(EVENT_TYPES))

# ticket_events from_value/to_value are codes into one vocabulary: statuses, priorities, teams,
# then agent ids (agent index + AGENT_CODE).
STATUS_CODE = 0
PRIORITY_CODE = STATUS_CODE + len(STATUSES)
TEAM_CODE = PRIORITY_CODE + len(PRIORITIES)
AGENT_CODE = TEAM_CODE + len(TEAMS)
EVENT_VALUES = STATUSES + PRIORITIES + TEAMS
"""The event values before the agent ids."""
