"""Any CSV with a mapping file: columns renamed, values mapped, date + time combined, local time.

The fixture (fixtures/csv) is a semicolon-separated export of a German helpdesk in Berlin time
(UTC+1 in January, UTC+2 in summer), read into a New York workspace.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supportmetrics.sources import SourceError
from tests.sources._canonical import FIXTURES, by_ticket, convert, load, rows

HERE = FIXTURES / "csv"
CASES = (HERE / "cases.csv").read_text(encoding="utf-8")
MAPPING = (HERE / "mapping.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory):
    return convert("csv", tmp_path_factory.mktemp("csv"))


def test_mapped_rows_in_utc(converted) -> None:
    assert rows(converted, "tickets") == [
        ("C-1", "2024-01-08T14:00:00Z", "web", "closed", "2024-01-08T16:30:00Z", "high", "a1",
         "Support DE", ["billing", "vip"], "DACH"),
        ("C-2", "2024-01-09T08:15:00Z", "phone", "open", None, "normal", "a2", "Support DE",
         None, "Österreich"),
        ("C-3", "2024-06-30T21:30:00Z", "email", "solved", "2024-06-30T23:00:00Z", None, "a1",
         "Support DE", ["login"], "DACH"),
    ]  # fmt: skip


def test_metrics_and_the_custom_column(converted, tmp_path: Path) -> None:
    ws = load(converted, tmp_path)
    assert by_ticket(ws, "resolution_full_seconds") == {
        "C-1": (9000,),
        "C-2": (None,),
        "C-3": (5400,),  # 23:30 -> 01:00 Berlin summer time, across midnight
    }
    by_region = ws.metric("ticket_volume", by=["region"]).rows
    assert [(r["region"], r["value"]) for r in by_region] == [("DACH", 2), ("Österreich", 1)]


def test_naive_timestamps_default_to_the_workspace_zone(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,when\nA,2024-01-08 09:00\nB,2024-01-08T09:00:00+01:00\n")
    (tmp_path / "m.toml").write_text(
        '[tickets.columns]\nticket_id = "id"\ncreated_at = "when"\nchannel = { value = "Email" }\n'
    )
    conversion = convert("csv", tmp_path / "run", tmp_path / "m.toml", tmp_path / "t.csv")
    assert rows(conversion, "tickets") == [
        ("A", "2024-01-08T14:00:00Z", "email"),  # New York
        ("B", "2024-01-08T08:00:00Z", "email"),  # its own offset
    ]


def _run(tmp_path: Path, mapping: str, cases: str = CASES) -> SourceError:
    (tmp_path / "cases.csv").write_text(cases, encoding="utf-8")
    (tmp_path / "mapping.toml").write_text(mapping, encoding="utf-8")
    with pytest.raises(SourceError) as error:
        convert("csv", tmp_path / "run", tmp_path)
    return error.value


def test_an_unmapped_value_names_file_line_column_and_fix(tmp_path: Path) -> None:
    error = _run(
        tmp_path, MAPPING, CASES.replace("C-2;09.01.2024;09:15;Telefon", "C-2;09.01.2024;09:15;Fax")
    )
    assert str(error) == (
        f"{tmp_path / 'cases.csv'} line 3: column channel (from 'Origin'): 'Fax' is not valid: "
        "map it with values = { ... } in [tickets.columns] channel; allowed: email, chat, phone, "
        "social, web, messaging, sms, other"
    )


def test_a_timestamp_in_another_format(tmp_path: Path) -> None:
    error = _run(tmp_path, MAPPING, CASES.replace("08.01.2024 17:30", "2024/01/08 17:30"))
    assert str(error) == (
        f"{tmp_path / 'cases.csv'} line 2: column solved_at (from 'Closed'): '2024/01/08 17:30' "
        "is not valid: it does not match format '%d.%m.%Y %H:%M' in [tickets.columns] solved_at"
    )


def test_a_column_missing_from_the_csv(tmp_path: Path) -> None:
    error = _run(tmp_path, MAPPING.replace('"Owner"', '"Agent"'))
    assert str(error) == (
        f"{tmp_path / 'mapping.toml'} [tickets.columns] assignee_id: no column 'Agent' in "
        f"{tmp_path / 'cases.csv'}; its columns are: Case Number, Opened, Time, Origin, Status, "
        "Closed, Priority, Owner, Labels, Region"
    )


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("[tickets]\nfile = 'cases.csv'\n", "needs a [tickets.columns] section"),
        ("[tikets.columns]\nticket_id = 'x'\n", "not a canonical table; use one of: tickets"),
        ("[tickets.columns]\nticket_id = 'Case Number'\n", "no created_at, channel (required)"),
        ("[tickets\n", "not a valid TOML mapping file"),
    ],
)
def test_a_wrong_mapping_file(tmp_path: Path, mapping: str, message: str) -> None:
    assert message in str(_run(tmp_path, mapping))


def test_a_mapping_file_is_needed(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(CASES)
    with pytest.raises(SourceError, match=re.escape("needs exactly one mapping file (.toml)")):
        convert("csv", tmp_path / "run", tmp_path / "cases.csv")
