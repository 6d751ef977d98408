"""Editing supportmetrics.toml: validated by the settings models, written atomically with a backup,
other keys, comments and order kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmetrics.config import load_config
from supportmetrics.config_edit import (
    EditError,
    remove_sla_policy,
    remove_target,
    set_sla_policy,
    set_target,
)

ORIGINAL = """\
# team settings
timezone = "America/New_York"   # the team's zone

[engine]
memory_limit = "4GB"

[[sla]]
name = "urgent"   # first match wins
priority = ["urgent"]
first_response_time = "15m"

[targets.reopen_rate]
value = "5%"   # agreed in Q3
owner = "Quality lead"
next_action = "Weekly review"
"""

TARGET = {"value": "4h", "owner": "Ana", "next_action": "Hire", "stat": "median"}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "supportmetrics.toml"
    file.write_text(ORIGINAL, encoding="utf-8")
    return file


def test_adding_a_target_keeps_the_rest_of_the_file_and_backs_it_up(path: Path) -> None:
    config = set_target(path, "first_response_time", TARGET, new=True)
    text = path.read_text()
    assert text.startswith(ORIGINAL)  # comments, order and other keys as they were
    assert text[len(ORIGINAL) :].split() == [
        "[targets.first_response_time]",
        *[
            "value",
            "=",
            '"4h"',
            "owner",
            "=",
            '"Ana"',
            "next_action",
            "=",
            '"Hire"',
            "stat",
            "=",
            '"median"',
        ],
    ]
    assert config.targets["first_response_time"].number("seconds") == 14400
    assert load_config(path) == config
    assert (path.parent / "supportmetrics.toml.bak").read_text() == ORIGINAL


def test_editing_a_target_changes_its_keys_in_place(path: Path) -> None:
    fields = {
        "value": "4%",
        "owner": "Ana",
        "next_action": "Daily review",
        "where": {"team": ["billing"]},
    }
    set_target(path, "reopen_rate", fields, new=False)
    text = path.read_text()
    assert 'value = "4%"   # agreed in Q3' in text  # the comment beside the value stays
    assert 'owner = "Ana"' in text and "Quality lead" not in text
    assert 'where = {team = ["billing"]}' in text
    assert load_config(path).targets["reopen_rate"].where == {"team": ["billing"]}


@pytest.mark.parametrize(
    ("metric", "fields", "new", "field", "says"),
    [
        (
            "first_response_time",
            TARGET | {"value": "soon"},
            True,
            "value",
            "not a duration: 'soon'",
        ),
        ("reopen_rate", TARGET | {"value": "140%"}, False, "value", "between 0 and 1"),
        ("first_response_time", TARGET | {"owner": ""}, True, "owner", "Field required"),
        ("first_response_time", TARGET | {"stat": "mode"}, True, "stat", "unknown stat 'mode'"),
        ("reopen_rate", TARGET, True, "metric", "has a target already"),
        ("csat", TARGET, False, "metric", "has no target to edit"),
        ("nosuch", TARGET, True, "metric", "unknown metric"),
    ],
)
def test_a_refused_target_names_the_field_and_leaves_the_file(
    path: Path, metric: str, fields: dict, new: bool, field: str, says: str
) -> None:
    with pytest.raises(EditError) as refused:
        set_target(path, metric, fields, new=new)
    assert says in refused.value.problems[field]
    assert path.read_text() == ORIGINAL
    assert not (path.parent / "supportmetrics.toml.bak").exists()


def test_removing_the_last_target_removes_the_table(path: Path) -> None:
    remove_target(path, "reopen_rate")
    assert "targets" not in path.read_text()
    assert load_config(path).targets == {}
    with pytest.raises(EditError, match="reopen_rate has no target"):
        remove_target(path, "reopen_rate")


def test_sla_policies_are_added_edited_and_removed_in_order(path: Path) -> None:
    policy = {"name": "standard", "clock": "business", "first_response_time": "1h"}
    config = set_sla_policy(path, None, policy)
    assert [p.name for p in config.sla] == ["urgent", "standard"]
    assert config.sla[1].first_response_time == 3600 and config.sla[1].clock == "business"

    edited = {"name": "urgent", "priority": ["urgent", "high"], "first_response_time": "30m"}
    config = set_sla_policy(path, 0, edited)
    assert (
        config.sla[0].priority == ["urgent", "high"] and config.sla[0].first_response_time == 1800
    )
    assert 'name = "urgent"   # first match wins' in path.read_text()

    config = remove_sla_policy(path, 0)
    assert [p.name for p in config.sla] == ["standard"]
    assert load_config(path) == config


@pytest.mark.parametrize(
    ("index", "fields", "field", "says"),
    [
        (None, {"name": "empty"}, "form", "sets none of first_response_time"),
        (0, {"name": "urgent", "resolution_time": "tomorrow"}, "resolution_time", "not a duration"),
        (
            0,
            {"name": "urgent", "first_response_time": "1h", "clock": "office"},
            "clock",
            "'calendar'",
        ),
        (3, {"name": "x", "first_response_time": "1h"}, "policy", "no policy number 4"),
    ],
)
def test_a_refused_policy_names_the_field_and_leaves_the_file(
    path: Path, index: int | None, fields: dict, field: str, says: str
) -> None:
    with pytest.raises(EditError) as refused:
        set_sla_policy(path, index, fields)
    assert says in refused.value.problems[field]
    assert path.read_text() == ORIGINAL


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "supportmetrics.toml"
    config = set_sla_policy(path, None, {"name": "all", "resolution_time": "2d"})
    assert config.sla[0].resolution_time == 172800
    assert not (tmp_path / "supportmetrics.toml.bak").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["supportmetrics.toml"]  # no temporary left
