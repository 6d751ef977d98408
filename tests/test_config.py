"""Settings: defaults without a file, and clear errors naming the file, key and reason."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE, Config, ConfigError, load_config, validate_config


def test_no_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / CONFIG_FILE) == Config()
    assert Config().timezone == "UTC" and Config().store.path == "supportmetrics.duckdb"


def test_init_writes_a_documented_file_that_loads(tmp_path: Path) -> None:
    ws = supportmetrics.init(tmp_path, timezone="Europe/Berlin")
    text = (tmp_path / CONFIG_FILE).read_text()
    assert 'timezone = "Europe/Berlin"' in text
    assert ws.config.timezone == "Europe/Berlin"
    assert ws.store_path == tmp_path / "supportmetrics.duckdb" and ws.store_path.exists()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('timezone = "Mars/Olympus"', ["timezone", "unknown time zone 'Mars/Olympus'"]),
        ('timezon = "UTC"', ["timezon", "unknown key"]),
        ("[ingest]\nbusy_timeout = -1", ["ingest.busy_timeout", "greater than or equal to 0"]),
        ("[store]\npath = 3", ["store.path", "string"]),
        ('timezone = "UTC', ["not valid TOML", "Unterminated string"]),
        ("x = 1\ny = = 2", ["not valid TOML", "line 2"]),
    ],
)
def test_bad_settings_say_where_and_why(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for word in words:
        assert word in message


def test_init_rejects_an_unknown_time_zone(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown time zone"):
        supportmetrics.init(tmp_path, timezone="Nowhere/Town")
    assert not (tmp_path / CONFIG_FILE).exists()


def test_opening_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(supportmetrics.WorkspaceError, match="supportmetrics init"):
        supportmetrics.connect(tmp_path)


def test_the_readme_settings_example_is_valid() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    settings = readme[readme.index("## Settings") :]
    example = settings[settings.index("```toml") + len("```toml") : settings.index("```\n", 10)]
    config = validate_config(tomllib.loads(example), "README.md")
    assert config.timezone == "America/New_York"
    assert config.team_schedules() == {"billing": "emea"}
    assert [p.name for p in config.sla] == ["urgent", "standard"]
    assert config.sla[1].resolution_time == 2 * 86400


def test_max_custom_columns_is_validated(tmp_path: Path) -> None:
    (tmp_path / "supportmetrics.toml").write_text("[ingest]\nmax_custom_columns = -1\n")
    with pytest.raises(
        ConfigError,
        match=r"ingest.max_custom_columns: Input should be greater than or equal to 0",
    ):
        supportmetrics.connect(tmp_path)
    assert Config().ingest.max_custom_columns == 200
