"""Custom columns: capped by `[ingest] max_custom_columns`, listed, and dropped."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app
from supportmetrics.ingest import IngestError

runner = CliRunner()


def _flat(text: str) -> str:
    return "".join(text.split())


def _cap(workspace: supportmetrics.Workspace, cap: int) -> supportmetrics.Workspace:
    path = workspace.root / "supportmetrics.toml"
    path.write_text(
        path.read_text().replace("max_custom_columns = 200", f"max_custom_columns = {cap}")
    )
    return supportmetrics.connect(workspace.root)


def _custom(workspace: supportmetrics.Workspace) -> tuple[str, ...]:
    return next(t for t in workspace.tables() if t.table == "tickets").custom_columns


def test_a_batch_past_the_cap_fails_before_writing(workspace, write) -> None:
    ws = _cap(workspace, 3)
    ws.ingest([write("tickets.csv", "ticket_id,created_at,channel,a,b\nT1,2024-01-01,email,1,x\n")])
    with ws.read() as con:
        before = con.execute("SELECT * FROM tickets").fetchall()
    wide = write("tickets_more.csv", "ticket_id,created_at,channel,c,d\nT2,2024-01-02,web,1,2\n")
    with pytest.raises(IngestError) as caught:
        ws.ingest([wide], on_error="quarantine")
    (problem,) = caught.value.problems
    assert problem.file == str(wide) and problem.rule == "max_custom_columns"
    assert problem.message.startswith(
        "brings 2 new custom column(s) to tickets (c, d): the table would have 4 custom columns "
        "(2 stored, 2 new), over [ingest] max_custom_columns = 3."
    )
    assert "supportmetrics columns drop tickets.NAME" in problem.message
    with ws.read() as con:
        assert con.execute("SELECT * FROM tickets").fetchall() == before
    assert _custom(ws) == ("a", "b")
    # Up to the cap is fine; validate applies the same cap.
    fits = write("tickets_fits.csv", "ticket_id,created_at,channel,c\nT3,2024-01-03,web,7\n")
    assert ws.ingest([fits]).tables["tickets"].new_columns == {"c": "BIGINT"}
    with pytest.raises(IngestError, match="would have 4 custom columns"):
        ws.validate(
            [write("tickets_d.csv", "ticket_id,created_at,channel,d\nT4,2024-01-04,web,1\n")]
        )


def test_the_default_cap_is_200_and_the_cli_names_file_count_and_setting(
    workspace, tmp_path
) -> None:
    names = [f"x{i}" for i in range(201)]
    path = tmp_path / "tickets.csv"
    path.write_text(
        "ticket_id,created_at,channel," + ",".join(names) + "\n"
        "T1,2024-01-01,email," + ",".join("1" for _ in names) + "\n"
    )
    result = runner.invoke(app, ["ingest", str(path), "-w", str(workspace.root), "-f", "json"])
    assert result.exit_code == 1, result.output
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["file"] == str(path) and problem["rule"] == "max_custom_columns"
    assert (
        "would have 201 custom columns (0 stored, 201 new), over [ingest] max_custom_columns = 200"
        in problem["message"]
    )
    assert "Traceback" not in result.output
    assert all(t.rows == 0 for t in workspace.tables())
    workspace.close()  # the CLI below opens the store for writing in this same process
    path.write_text(
        "ticket_id,created_at,channel,"
        + ",".join(names[:200])
        + "\nT1,2024-01-01,email"
        + ",1" * 200
        + "\n"
    )
    assert runner.invoke(app, ["ingest", str(path), "-w", str(workspace.root)]).exit_code == 0
    assert len(_custom(workspace)) == 200


def test_columns_list_and_drop(workspace, write) -> None:
    workspace.ingest(
        [
            write(
                "tickets.csv",
                "ticket_id,created_at,channel,region,x_1,x_2,keep\n"
                "T1,2024-01-01,email,EU,1,a,yes\nT2,2024-01-02,chat,,2,,no\n",
            )
        ]
    )
    root = str(workspace.root)
    listed = json.loads(runner.invoke(app, ["columns", "list", "-w", root, "-f", "json"]).stdout)
    assert listed == [
        {"table": "tickets", "column": "region", "type": "VARCHAR", "values": 1},
        {"table": "tickets", "column": "x_1", "type": "BIGINT", "values": 2},
        {"table": "tickets", "column": "x_2", "type": "VARCHAR", "values": 1},
        {"table": "tickets", "column": "keep", "type": "BOOLEAN", "values": 2},
    ]
    result = runner.invoke(app, ["columns", "drop", "tickets.region", "tickets.x_*", "-w", root])
    assert result.exit_code == 0, result.output
    assert _flat("dropped 3 custom column(s): tickets.region, tickets.x_1, tickets.x_2") in _flat(
        result.stderr
    )
    assert _custom(workspace) == ("keep",)
    with workspace.read() as con:
        assert con.execute("SELECT ticket_id, keep FROM tickets ORDER BY 1").fetchall() == [
            ("T1", True),
            ("T2", False),
        ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tickets.channel", "channel is a column of the data model, not a custom column"),
        ("tickets.nope", "tickets has no such custom column; its custom columns: keep"),
        ("ticket.keep", "no table 'ticket'; the tables are: tickets, messages"),
        ("keep", "write TABLE.COLUMN, e.g. tickets.region"),
    ],
)
def test_columns_drop_refuses_what_is_not_a_custom_column(workspace, write, name, message) -> None:
    workspace.ingest(
        [write("tickets.csv", "ticket_id,created_at,channel,keep\nT1,2024-01-01,email,1\n")]
    )
    result = runner.invoke(
        app, ["columns", "drop", "tickets.keep", name, "-w", str(workspace.root)]
    )
    assert result.exit_code == 1, result.output
    assert _flat(message) in _flat(result.stderr)
    assert _custom(workspace) == ("keep",)  # all or nothing
