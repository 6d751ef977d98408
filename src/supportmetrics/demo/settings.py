"""The demo workspace's settings: business hours, SLA policies and targets with owners and next
actions, so every dashboard page has something to show (`supportmetrics demo` adds them)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_SETTINGS", "add_demo_settings"]

DEMO_SETTINGS = """
# --- The demo team's settings (edit them here or on the dashboard's Targets and SLA pages) ---

# Business hours: the New York team works weekdays 08:00-18:00, closed on US holidays; billing also
# answers on Saturday mornings.
[schedules.default]
holidays = "US"
hours = { mon = ["08:00-18:00"], tue = ["08:00-18:00"], wed = ["08:00-18:00"], thu = ["08:00-18:00"], fri = ["08:00-18:00"] }

[schedules.billing]
holidays = "US"
teams = ["billing"]
hours = { mon = ["08:00-18:00"], tue = ["08:00-18:00"], wed = ["08:00-18:00"], thu = ["08:00-18:00"], fri = ["08:00-18:00"], sat = ["09:00-13:00"] }

# SLA policies: the first whose conditions match a ticket applies.
[[sla]]
name = "urgent"
priority = ["urgent"]
first_response_time = "1h"
resolution_time = "8h"

[[sla]]
name = "enterprise"
tier = ["enterprise"]
clock = "business"
first_response_time = "2h"
next_response_time = "4h"
resolution_time = "2d"

[[sla]]
name = "standard"
clock = "business"
first_response_time = "8h"
resolution_time = "5d"

# Targets: each with who answers for it and what is being done to reach it.
[targets.first_response_time]
value = "4h"
stat = "median"
owner = "Maria Lopez (support lead)"
next_action = "Second agent on the morning email queue"

[targets.resolution_time]
value = "8h"
stat = "median"
clock = "business"
owner = "Maria Lopez (support lead)"
next_action = "Daily review of tickets pending on engineering"

[targets.csat]
value = "70%"
owner = "Sam Okafor (quality lead)"
next_action = "Coach on the three lowest-rated macros"

[targets.first_contact_resolution]
value = "45%"
owner = "Sam Okafor (quality lead)"
next_action = "Self-service articles for the top five repeat issues"

[targets.reopen_rate]
value = "8%"
owner = "Sam Okafor (quality lead)"
next_action = "Weekly review of reopened billing tickets"

[targets.sla_attainment]
value = "90%"
owner = "Priya Shah (operations)"
next_action = "Alert on urgent tickets 30 minutes before their due time"
"""


def add_demo_settings(config_path: Path) -> None:
    """Append the demo settings to a workspace's settings file, once (a second run keeps it)."""
    text = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
    if "[[sla]]" in text or "[targets." in text or "[schedules." in text:
        return  # the team's own settings: never overwritten
    config_path.write_text(text + DEMO_SETTINGS, encoding="utf-8")
