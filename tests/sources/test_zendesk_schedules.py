"""Zendesk business-hours schedules: Rails zone names mapped to IANA, intervals in minutes from
Sunday turned into weekly hours, holidays into closed dates, added to the settings."""

from __future__ import annotations

import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app
from supportmetrics.sources.rails_zones import RAILS_ZONES, iana
from supportmetrics.sources.zendesk_schedules import read_schedules
from tests.sources._canonical import FIXTURES

SCHEDULES = FIXTURES / "zendesk_schedules"


def test_every_rails_zone_name_maps_to_an_iana_zone() -> None:
    assert len(RAILS_ZONES) == 152
    assert all(ZoneInfo(name) for name in RAILS_ZONES.values())
    assert iana("New Caledonia") == "Pacific/Noumea"
    assert iana("Eastern Time (US & Canada)") == "America/New_York"
    assert iana("Europe/Berlin") == "Europe/Berlin"


def test_schedules_become_settings() -> None:
    assert read_schedules([str(SCHEDULES)]) == {
        "new_caledonia_desk": {
            "timezone": "Pacific/Noumea",
            # 1980-2460: Monday 09:00-17:00; 3420-3900: Tuesday 09:00-17:00;
            # 8700-8880: Saturday 01:00 to Sunday 00:00 + 1 h, split at midnight
            "hours": {
                "mon": ["09:00-17:00"],
                "tue": ["09:00-17:00"],
                "sat": ["01:00-04:00"],
            },
            "closed": ["2024-09-24"],
        },
        "us_east": {
            "timezone": "America/New_York",
            "hours": {"mon": ["09:00-17:00"]},
            "closed": ["2024-12-24", "2024-12-25", "2024-12-26"],
        },
    }


def test_import_with_schedules_adds_them_to_the_settings(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "zendesk", export)
    for path in SCHEDULES.iterdir():
        shutil.copy(path, export / path.name)
    root = tmp_path / "ws"
    supportmetrics.init(root, timezone="UTC").close()
    runner = CliRunner()
    plain = runner.invoke(app, ["import", "zendesk", str(export), "-w", str(root)])
    assert plain.exit_code == 0, plain.output
    assert "business-hours schedules found" in plain.stderr
    assert "schedules not added to the settings (new_caledonia_desk, us_east)" in plain.stderr
    result = runner.invoke(app, ["import", "zendesk", str(export), "-w", str(root), "--schedules"])
    assert result.exit_code == 0, result.output
    assert "schedules added to supportmetrics.toml: new_caledonia_desk, us_east" in result.stderr
    ws = supportmetrics.connect(root)
    assert ws.config.schedules["new_caledonia_desk"].timezone == "Pacific/Noumea"
    assert ws.config.schedules["us_east"].hours == {"mon": ["09:00-17:00"]}
    again = runner.invoke(app, ["import", "zendesk", str(export), "-w", str(root), "--schedules"])
    assert "left as they are: new_caledonia_desk, us_east" in again.stderr
