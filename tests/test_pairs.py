"""The one NAME=VALUE[,VALUE] parser of --where, --variant and the API's where and variant."""

from __future__ import annotations

import pytest

from supportmetrics.pairs import PairError, parse_pairs


def test_values_split_on_commas_and_a_repeated_name_keeps_them_all() -> None:
    items = ["channel=email, chat", " team = tier1", "channel=phone", "tickets.x_region=EU"]
    assert parse_pairs(items, "--where") == {
        "channel": ["email", "chat", "phone"],
        "team": ["tier1"],
        "tickets.x_region": ["EU"],
    }


def test_an_empty_value_is_a_value() -> None:
    assert parse_pairs(["team="], "where") == {"team": [""]}


@pytest.mark.parametrize("item", ["channel", "=email", "1st=x", "a b=c", "x;drop=1"])
def test_anything_else_names_the_option_and_the_item(item: str) -> None:
    with pytest.raises(PairError) as caught:
        parse_pairs(["team=a", item], "--variant")
    assert str(caught.value) == f"--variant takes NAME=VALUE[,VALUE]; got {item!r}"
