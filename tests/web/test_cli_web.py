"""`supportmetrics users`, `tokens`, `serve` and the demo's dashboard, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportmetrics.cli import app
from supportmetrics.config import ConfigError, validate_config
from supportmetrics.metrics import CATALOGUE
from supportmetrics.web.users import Users

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert runner.invoke(app, ["init", str(tmp_path / "ws")]).exit_code == 0
    return tmp_path / "ws"


def test_users_add_list_and_remove(folder: Path) -> None:
    added = runner.invoke(
        app,
        ["users", "add", "ana", "--role", "admin", "--password-stdin", "-w", str(folder)],
        input="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    generated = runner.invoke(app, ["users", "add", "vic", "--generate", "-w", str(folder)])
    password = generated.stdout.strip()
    assert generated.exit_code == 0 and len(password) >= 16
    assert Users.of_workspace(folder).authenticate("vic", password) is not None
    listed = runner.invoke(app, ["users", "list", "-w", str(folder), "--format", "json"])
    assert json.loads(listed.stdout) == [
        {"user": "ana", "role": "admin"},
        {"user": "vic", "role": "viewer"},
    ]
    assert runner.invoke(app, ["users", "remove", "vic", "-w", str(folder)]).exit_code == 0
    missing = runner.invoke(app, ["users", "remove", "vic", "-w", str(folder)])
    assert missing.exit_code == 2 and "no user 'vic'" in missing.stderr


def test_a_short_password_is_refused(folder: Path) -> None:
    result = runner.invoke(
        app, ["users", "add", "ana", "--password-stdin", "-w", str(folder)], input="short\n"
    )
    assert result.exit_code == 2 and "at least 10 characters" in result.stderr


def test_tokens_create_list_and_revoke(folder: Path) -> None:
    Users.of_workspace(folder).add("ana", "a long enough password", "admin")
    created = runner.invoke(app, ["tokens", "create", "ana", "--label", "ci", "-w", str(folder)])
    secret = created.stdout.strip()
    assert created.exit_code == 0 and secret.startswith("smt_")
    users = Users.of_workspace(folder)
    assert users.token_user(secret).username == "ana"
    listed = json.loads(
        runner.invoke(app, ["tokens", "list", "-w", str(folder), "--format", "json"]).stdout
    )
    assert listed == [{"id": 1, "user": "ana", "label": "ci", "last used": listed[0]["last used"]}]
    assert secret not in json.dumps(listed)
    assert runner.invoke(app, ["tokens", "revoke", "1", "-w", str(folder)]).exit_code == 0
    assert users.token_user(secret) is None
    unknown = runner.invoke(app, ["tokens", "create", "nobody", "-w", str(folder)])
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.stderr


def test_serve_refuses_to_start_without_users(folder: Path) -> None:
    result = runner.invoke(app, ["serve", "-w", str(folder)])
    assert result.exit_code == 1
    assert "no dashboard users yet" in result.stderr and "users add" in result.stderr


TARGET = {"value": "4h", "owner": "Lead", "next_action": "Hire"}


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"frt": TARGET}, "targets.frt: unknown metric"),
        ({"ticket_volume": TARGET | {"value": 10}}, "has no better direction"),
        ({"reopen_rate": TARGET | {"value": "150%"}}, "between 0 and 1"),
        ({"reopen_rate": TARGET | {"value": "lots"}}, "not a number: 'lots'"),
        ({"first_response_time": TARGET | {"value": "soon"}}, "not a duration"),
        ({"first_response_time": {"value": "4h", "owner": "Lead"}}, "next_action: Field required"),
        ({"first_response_time": TARGET | {"owner": ""}}, "owner: String should have at least 1"),
        ({"first_response_time": TARGET | {"stat": "p999"}}, "unknown stat 'p999'"),
        ({"first_response_time": TARGET | {"colour": "red"}}, "colour: unknown key"),
    ],
)
def test_targets_are_validated_with_clear_errors(targets: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^supportmetrics\.toml: ") as caught:
        validate_config({"targets": targets}, "supportmetrics.toml")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("metric", "value", "number"),
    [
        ("first_response_time", "1h30m", 5400.0),
        ("first_response_time", 600, 600.0),
        ("reopen_rate", "5%", 0.05),
        ("reopen_rate", 0.05, 0.05),
        ("csat", "85%", 85.0),
    ],
)
def test_target_values_are_read_in_the_metrics_unit(
    metric: str, value: object, number: float
) -> None:
    config = validate_config({"targets": {metric: TARGET | {"value": value}}}, "t")
    assert config.targets[metric].number(CATALOGUE[metric].unit) == pytest.approx(number)


def test_demo_serves_the_dashboard_with_generated_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = []
    monkeypatch.setattr(
        "supportmetrics.cli.serving.run_server",
        lambda ws, users, host, port, idle: served.append((ws.root, host, port)),
    )
    folder = tmp_path / "demo"
    result = runner.invoke(app, ["demo", str(folder), "--tickets", "200", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served == [(folder, "127.0.0.1", 8123)]
    assert "Dashboard: http://127.0.0.1:8123/" in result.stderr
    password = result.stderr.split("password: ")[1].split()[0]
    assert Users.of_workspace(folder).authenticate("demo", password) is not None
