"""Incremental imports: a batch's children attach to stored tickets, only changed rows load, and
loading A then B leaves exactly the store that loading A and B at once leaves (random splits of each
source's fixture export; for Chatwoot, a database read whole, an earlier state then the full one)."""

from __future__ import annotations

import csv
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supportmetrics
from supportmetrics.schema import TABLES
from supportmetrics.sources.incremental import HISTORY, import_records
from tests.sources._canonical import FIXTURES, TIMEZONE

Splitter = Callable[[Path, Path, Path, random.Random], None]


def _workspace(root: Path) -> supportmetrics.Workspace:
    return supportmetrics.init(root, timezone=TIMEZONE)


def _store(ws: supportmetrics.Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every canonical table's rows, sorted, columns by name and values as text: custom columns
    are added as batches bring them, typed from the first batch's values (an ingest rule)."""
    con = ws.read()
    try:
        tables = {}
        for name in TABLES:
            columns = sorted(r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall())
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
            tables[name] = sorted(
                con.execute(f'SELECT {select} FROM "{name}"').fetchall(), key=repr
            )
        return tables
    finally:
        con.close()


def _counts(ws: supportmetrics.Workspace) -> dict[str, int]:
    return {name: len(rows) for name, rows in _store(ws).items() if rows}


# --- splitting an export's records between two batches ---------------------------------------


def _split_json(path: Path, a: Path, b: Path, rng: random.Random) -> None:
    """A JSON array, JSON Lines or API page file's records, each sent to batch a or b."""
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    if text.lstrip().startswith("["):
        records: list[Any] = json.loads(text)
        write = json.dumps
    elif all(line.lstrip().startswith("{") and line.rstrip().endswith("}") for line in lines) and (
        len(lines) > 1 or len(json.loads(text)) != 1 or not _page(json.loads(text))
    ):
        records = [json.loads(line) for line in lines]

        def write(rs: list[Any]) -> str:
            return "\n".join(json.dumps(r) for r in rs) + "\n"
    else:
        page = json.loads(text)
        key = _page(page)
        assert key is not None, path
        records = page[key]

        def write(rs: list[Any]) -> str:
            return json.dumps({key: rs})

    sides: tuple[list[Any], list[Any]] = ([], [])
    for record in records:
        sides[rng.random() < 0.5].append(record)
    for folder, part in zip((a, b), sides, strict=True):
        if part:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / path.name).write_text(write(part), encoding="utf-8")


def _page(obj: Any) -> str | None:
    if isinstance(obj, dict):
        keys = [k for k, v in obj.items() if isinstance(v, list)]
        return keys[0] if len(keys) == 1 else None
    return None


def _split_lines(header: bool) -> Splitter:
    def split(path: Path, a: Path, b: Path, rng: random.Random) -> None:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        head, body = (lines[:1], lines[1:]) if header else ([], lines)
        sides: tuple[list[str], list[str]] = ([], [])
        for line in body:
            sides[rng.random() < 0.5].append(line)
        for folder, part in zip((a, b), sides, strict=True):
            if part:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / path.name).write_text("".join(head + part), encoding="utf-8")

    return split


def _split_csv(path: Path, a: Path, b: Path, rng: random.Random) -> None:
    """A CSV file's rows (quoted fields may span lines), each sent to batch a or b."""
    with path.open(encoding="utf-8", newline="") as handle:
        header, *body = list(csv.reader(handle))
    sides: tuple[list[list[str]], list[list[str]]] = ([], [])
    for row in body:
        sides[rng.random() < 0.5].append(row)
    for folder, part in zip((a, b), sides, strict=True):
        if part:
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / path.name).open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle).writerows([header, *part])


def _split_log(path: Path, a: Path, b: Path, rng: random.Random) -> None:
    """A log at a random line: what was written before a rotation, and after."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = rng.randrange(len(lines) + 1)
    for folder, part in ((a, lines[:cut]), (b, lines[cut:])):
        if part:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / path.name).write_text("".join(part), encoding="utf-8")


SOURCES: dict[str, tuple[Splitter, tuple[str, ...]]] = {
    "zendesk": (_split_json, ()),
    "freshdesk": (_split_json, ()),
    "intercom": (_split_json, ()),
    "asterisk": (_split_log, ("queue_log.old", "queue_log.realtime")),
    "twitter": (_split_csv, ()),
    "csv": (_split_lines(header=True), ("mapping.toml",)),
}
"""Source -> how its files split, and the fixture files given whole (settings, or left out)."""


def _batches(name: str, root: Path, seed: int) -> tuple[list[str], list[str], list[str]]:
    """The fixture export split at random: (batch A's inputs, batch B's, both at once)."""
    split, whole = SOURCES[name]
    rng = random.Random(seed)
    a, b = root / "a" / name, root / "b" / name
    settings_files = []
    for path in sorted((FIXTURES / name).iterdir()):
        if path.name in whole:
            if path.suffix == ".toml":
                settings_files.append(str(path))
            continue
        split(path, a, b, rng)
    batch_a = [str(p) for p in sorted(a.iterdir())] if a.exists() else []
    batch_b = [str(p) for p in sorted(b.iterdir())] if b.exists() else []
    if name in ("zendesk", "freshdesk", "intercom"):  # folders: their files are named by stream
        batch_a, batch_b = ([str(a)] if a.exists() else []), ([str(b)] if b.exists() else [])
    return (
        [*settings_files, *batch_a] if batch_a else [],
        [*settings_files, *batch_b] if batch_b else [],
        [*settings_files, *batch_a, *batch_b],
    )


def _import(ws: supportmetrics.Workspace, name: str, paths: list[str]) -> None:
    if paths and any(not p.endswith(".toml") for p in paths):
        import_records(ws, name, paths)


def _check_split(name: str, root: Path, seed: int) -> None:
    batch_a, batch_b, both = _batches(name, root, seed)
    at_once = _workspace(root / "once")
    _import(at_once, name, both)
    in_turn = _workspace(root / "turn")
    _import(in_turn, name, batch_a)
    _import(in_turn, name, batch_b)
    assert _store(in_turn) == _store(at_once)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SOURCES))
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_loading_a_then_b_equals_loading_both(name: str, seed: int, tmp_path: Path) -> None:
    root = tmp_path / f"{name}-{seed}"
    try:
        _check_split(name, root, seed)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("name", list(SOURCES))
def test_one_split_per_source(name: str, tmp_path: Path) -> None:
    _check_split(name, tmp_path, 7)


# --- the example: comments and audits of a stored ticket, in a batch without it --------


def _zendesk_batches(root: Path) -> tuple[Path, Path]:
    """Batch A: every file but the audits and comments of ticket 102; batch B: only those."""
    a, b = root / "a", root / "b"
    shutil.copytree(FIXTURES / "zendesk", a)
    b.mkdir()
    for stream in ("ticket_audits", "ticket_comments"):
        lines = (a / f"{stream}.jsonl").read_text().splitlines()
        mine = [line for line in lines if json.loads(line)["ticket_id"] == 102]
        (a / f"{stream}.jsonl").write_text("".join(x + "\n" for x in lines if x not in mine))
        if mine:
            (b / f"{stream}.jsonl").write_text("".join(x + "\n" for x in mine))
    return a, b


def test_children_of_a_stored_ticket_attach(tmp_path: Path) -> None:
    a, b = _zendesk_batches(tmp_path)
    ws = _workspace(tmp_path / "ws")
    first = import_records(ws, "zendesk", [str(a)])
    assert first.report is not None and first.report.written
    before = _counts(ws)
    second = import_records(ws, "zendesk", [str(b)])
    assert second.report is not None, second.conversion.notes
    loaded = {t: load.rows_loaded for t, load in second.report.tables.items()}
    after = _counts(ws)
    assert after["messages"] - before["messages"] == loaded["messages"] > 0
    assert after["ticket_events"] - before["ticket_events"] == loaded["ticket_events"] > 0
    assert set(loaded) == {"messages", "ticket_events"}
    whole = _workspace(tmp_path / "whole")
    import_records(whole, "zendesk", [str(FIXTURES / "zendesk")])
    assert _store(ws) == _store(whole)


def test_a_batch_of_only_comments_for_unknown_tickets_waits_for_them(tmp_path: Path) -> None:
    a, b = _zendesk_batches(tmp_path)
    ws = _workspace(tmp_path / "ws")
    early = import_records(ws, "zendesk", [str(b)])
    assert early.report is None
    assert any(
        "their ticket is in neither the batch nor the store" in note
        and "they are kept and attach when it is imported" in note
        for note in early.conversion.notes
    ), early.conversion.notes
    assert _counts(ws) == {}
    import_records(ws, "zendesk", [str(a)])
    whole = _workspace(tmp_path / "whole")
    import_records(whole, "zendesk", [str(FIXTURES / "zendesk")])
    assert _store(ws) == _store(whole)


def test_the_same_batch_again_loads_nothing_and_is_remembered_once(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    import_records(ws, "freshdesk", [str(FIXTURES / "freshdesk")])
    again = import_records(ws, "freshdesk", [str(FIXTURES / "freshdesk")])
    assert again.report is None
    assert again.conversion.notes[-1] == "nothing new: every converted row is in the store already"
    batches = list((ws.root / HISTORY / "freshdesk" / "batches").iterdir())
    assert len(batches) == 1


# --- a database source: a state of the database, then a later one ------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chatwoot_an_earlier_state_then_the_full_database(seed: int, tmp_path: Path) -> None:
    """Chatwoot is read whole: importing the database while it lacked some messages, events and
    survey answers, then as it is, leaves the store importing it once leaves."""
    from tests.sources.test_chatwoot import FIXTURES as CHATWOOT
    from tests.sources.test_chatwoot import _schema

    statements = ((CHATWOOT / "schema.sql").read_text(), (CHATWOOT / "data.sql").read_text())
    removed = [
        f"DELETE FROM {table} WHERE abs(hashtext(id::text || '-{seed}')) % 10 < 4"
        for table in ("messages", "reporting_events", "csat_survey_responses")
    ]
    full = _schema(*statements)
    earlier = _schema(*statements, *removed)
    full_url, earlier_url = next(full), next(earlier)
    try:
        at_once = _workspace(tmp_path / "once")
        import_records(at_once, "chatwoot", [full_url])
        in_turn = _workspace(tmp_path / "turn")
        import_records(in_turn, "chatwoot", [earlier_url])
        assert _counts(in_turn) != _counts(at_once)
        import_records(in_turn, "chatwoot", [full_url])
        assert _store(in_turn) == _store(at_once)
    finally:
        for schema in (full, earlier):
            next(schema, None)


def test_a_grown_log_imported_again_equals_importing_it_once(tmp_path: Path) -> None:
    """queue_log is appended to: importing it, then again once it grew, reads each line once."""
    lines = (FIXTURES / "asterisk" / "queue_log").read_text().splitlines(keepends=True)
    log = tmp_path / "log" / "queue_log"
    log.parent.mkdir()
    log.write_text("".join(lines[:12]))
    in_turn = _workspace(tmp_path / "turn")
    import_records(in_turn, "asterisk", [str(log)])
    log.write_text("".join(lines))
    import_records(in_turn, "asterisk", [str(log)])
    at_once = _workspace(tmp_path / "once")
    import_records(at_once, "asterisk", [str(FIXTURES / "asterisk" / "queue_log")])
    assert _store(in_turn) == _store(at_once)
    assert _counts(at_once)["calls"] > 0


def test_a_csv_export_given_again_after_it_changed_keeps_its_latest_rows(tmp_path: Path) -> None:
    mapping = FIXTURES / "csv" / "mapping.toml"
    cases = (FIXTURES / "csv" / "cases.csv").read_text(encoding="utf-8")
    first, second = tmp_path / "monday" / "cases.csv", tmp_path / "tuesday" / "cases.csv"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text(cases, encoding="utf-8")
    second.write_text(
        cases.replace("In Bearbeitung;;", "Gelöst;09.01.2024 18:00;"), encoding="utf-8"
    )
    ws = _workspace(tmp_path / "ws")
    import_records(ws, "csv", [str(mapping), str(first)])
    again = import_records(ws, "csv", [str(mapping), str(second)])
    assert again.report is not None and again.report.rows_loaded == 1  # C-2, now solved
    con = ws.read()
    rows = con.execute("SELECT ticket_id, status FROM tickets ORDER BY 1").fetchall()
    con.close()
    assert rows == [("C-1", "closed"), ("C-2", "solved"), ("C-3", "solved")]
