"""Disk full, out of memory, permission denied: a message naming the resource and the fix, exit 1,
the store unchanged, the engine's own error kept."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import supportmetrics
from supportmetrics.cli import app

TICKETS = (
    "ticket_id,created_at,channel\nT1,2024-01-01T10:00:00Z,email\nT2,2024-01-02T10:00:00Z,chat\n"
)
MORE = "ticket_id,created_at,channel\nT3,2024-01-03T10:00:00Z,web\nT4,2024-01-04T10:00:00Z,email\n"


def _dump(root: Path) -> dict[str, list[tuple]]:
    with supportmetrics.connect(root).read() as con:
        return {
            name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in [*supportmetrics.TABLES, "_ingests"]
        }


def _flat(text: str) -> str:
    """Text without whitespace: console output compares so whatever its line wrapping."""
    return "".join(text.split())


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)])
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs needs root; the file-size-limit variant covers this")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def _fill(folder: Path) -> None:
    """Take every free byte of the disk holding `folder`."""
    with (folder / "filler").open("wb", buffering=0) as handle:
        for chunk in (b"\0" * (1 << 16), b"\0"):
            with contextlib.suppress(OSError):
                while handle.write(chunk):
                    pass


def _ingest_command(root: Path, path: Path) -> list[str]:
    return [sys.executable, "-m", "supportmetrics", "ingest", str(path), "-w", str(root)]


@pytest.mark.parametrize("limit", ["tmpfs", "file_size"])
def test_disk_full_at_commit_names_the_disk_and_leaves_the_store_as_it_was(
    tmp_path: Path, limit: str
) -> None:
    more = tmp_path / "tickets.csv"
    more.write_text(MORE)
    with contextlib.ExitStack() as stack:
        if limit == "tmpfs":
            disk = stack.enter_context(_tmpfs(tmp_path / "disk", "4m"))
        else:
            disk = tmp_path / "disk"
        root = disk / "ws"
        ws = supportmetrics.init(root)
        first = tmp_path / "first" / "tickets.csv"
        first.parent.mkdir()
        first.write_text(TICKETS)
        ws.ingest([first])
        before = _dump(root)
        if limit == "tmpfs":
            _fill(disk)
            done = subprocess.run(_ingest_command(root, more), capture_output=True, text=True)
            (disk / "filler").unlink()
            cause = "No space left on device"
        else:  # every file write past 64 bytes fails, as on a full disk (EFBIG)

            def small_files() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

            done = subprocess.run(
                _ingest_command(root, more), capture_output=True, text=True, preexec_fn=small_files
            )
            cause = "File too large"
        said = _flat(done.stderr)
        assert done.returncode == 1, done.stderr
        assert _flat("error: disk full while loading the files into the store") in said
        assert _flat(cause) in said and _flat("supportmetrics.duckdb") in said
        assert _flat(f"Free space on the disk holding {root.resolve()}") in said
        assert _flat("cannot rollback") not in said and _flat("Traceback") not in said
        assert _dump(root) == before
        # With room again, the same ingest goes through.
        assert ws.ingest([more]).rows_loaded == 2


def test_disk_full_mid_write_keeps_the_store_and_removes_its_rejects_files(tmp_path: Path) -> None:
    big = tmp_path / "input" / "tickets.csv"
    big.parent.mkdir()
    duckdb.sql(
        "COPY (SELECT 'B' || i AS ticket_id, CASE WHEN i = 7 THEN 'never' ELSE "
        "strftime(TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND, '%Y-%m-%dT%H:%M:%SZ') END "
        "AS created_at, 'email' AS channel, md5(i::VARCHAR) AS note FROM range(200000) t(i)) "
        f"TO '{big}' (HEADER)"
    )
    with _tmpfs(tmp_path / "disk", "3m") as disk:
        ws = supportmetrics.init(disk / "ws")
        before = _dump(ws.root)
        result = CliRunner().invoke(
            app, ["ingest", str(big), "-w", str(ws.root), "--on-error", "quarantine"]
        )
        said = _flat(result.stderr)
        assert result.exit_code == 1, result.output
        assert _flat("error: disk full while loading the files into the store") in said
        assert _flat("No space left on device") in said
        assert _dump(ws.root) == before
        assert sorted(p.name for p in big.parent.iterdir()) == ["tickets.csv"]


def _settings(root: Path, section: str, memory: str) -> None:
    path = root / "supportmetrics.toml"
    text = path.read_text()
    default = {"ingest": '"2GB"', "engine": '"6GB"'}[section]
    assert f"memory_limit = {default}" in text
    path.write_text(text.replace(f"memory_limit = {default}", f'memory_limit = "{memory}"'))


@pytest.fixture
def demo_ws(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    assert (
        CliRunner().invoke(app, ["demo-data", "--tickets", "2000", "--out", str(data)]).exit_code
        == 0
    )
    root = tmp_path / "ws"
    supportmetrics.init(root).ingest([data])
    return root


def test_engine_memory_limit_too_small_names_the_setting(demo_ws: Path) -> None:
    _settings(demo_ws, "engine", "1MB")
    result = CliRunner().invoke(
        app, ["metric", "first_response_time", "--by", "channel", "-w", str(demo_ws)]
    )
    said = _flat(result.stderr)
    assert result.exit_code == 1, result.output
    assert _flat("error: out of memory while computing first_response_time") in said
    assert _flat('more than [engine] memory_limit = "1MB" allows (Out of Memory Error') in said
    assert _flat("Raise that setting in supportmetrics.toml") in said
    assert "Traceback" not in result.output


def test_ingest_memory_limit_too_small_is_not_blamed_on_a_file(
    demo_ws: Path, tmp_path: Path
) -> None:
    before = _dump(demo_ws)
    _settings(demo_ws, "ingest", "1MB")
    for command in ("ingest", "validate"):
        result = CliRunner().invoke(app, [command, str(tmp_path / "data"), "-w", str(demo_ws)])
        said = _flat(result.stderr)
        assert result.exit_code == 1, result.output
        assert _flat('more than [ingest] memory_limit = "1MB" allows') in said
        assert _flat("malformed") not in said and _flat("problem(s)") not in said
    assert _dump(demo_ws) == before


def _without_root_override() -> None:
    """Let file permissions apply to this process even when it runs as root."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "cannot drop CAP_DAC_OVERRIDE")


def test_permission_denied_on_the_store_and_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ws = supportmetrics.init(root)
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS)
    ws.ingest([path])
    before = _dump(root)
    ws.store_path.chmod(0o444)
    root.chmod(0o555)
    try:
        runs = {
            "ingest": ["ingest", str(path)],
            "compact": ["compact"],
            "columns": ["columns", "drop", "tickets.x"],
        }
        for doing, args in runs.items():
            done = subprocess.run(
                [sys.executable, "-m", "supportmetrics", *args, "-w", str(root)],
                capture_output=True,
                text=True,
                preexec_fn=_without_root_override,
            )
            said = _flat(done.stderr)
            assert done.returncode == 1, (doing, done.stderr)
            assert _flat("error: permission denied while") in said, said
            assert _flat(f'Cannot open file "{ws.store_path}": Permission denied') in said
            assert _flat(f"access to {root.resolve()}") in said and _flat("Traceback") not in said
        made = subprocess.run(
            [sys.executable, "-m", "supportmetrics", "init", str(root / "inner")],
            capture_output=True,
            text=True,
            preexec_fn=_without_root_override,
        )
        said = _flat(made.stderr)
        assert made.returncode == 1
        assert _flat("error: permission denied while creating the workspace") in said
        assert _flat("Traceback") not in said
    finally:
        root.chmod(0o755)
        ws.store_path.chmod(0o644)
    assert _dump(root) == before


def test_dashboard_out_of_memory_is_a_503_naming_the_setting(demo_ws: Path) -> None:
    from fastapi.testclient import TestClient

    from supportmetrics.web import create_app
    from supportmetrics.web.users import Users
    from tests.web.conftest import login

    _settings(demo_ws, "engine", "1MB")
    users = Users(demo_ws / "users.sqlite")
    users.add("ana", "correct horse battery", "admin")
    client = TestClient(create_app(supportmetrics.connect(demo_ws), users=users, idle_seconds=0))
    login(client, "ana", "correct horse battery")
    response = client.get("/api/metrics/first_response_time", params={"by": "channel"})
    assert response.status_code == 503, response.text
    detail = response.json()["detail"]
    assert "out of memory while answering a dashboard request" in detail
    assert '[engine] memory_limit = "1MB"' in detail
    page = client.get("/metrics/first_response_time")
    assert page.status_code == 503
    assert "Raise that setting in supportmetrics.toml" in page.text
