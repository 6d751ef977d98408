"""The command-line package's shape: command modules on helpers, helpers never on commands, no
private names across modules, and neither the engine, the web application nor scipy loaded just to
start or to print help."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

import supportmetrics.cli

PACKAGE = Path(supportmetrics.cli.__file__).parent
HELPERS = {"output": set(), "options": {"output"}, "batch": {"output"}, "serving": {"output"}}
COMMANDS = {
    "workspace",
    "metrics",
    "importing",
    "pulling",
    "lake",
    "reports",
    "alerts",
    "planning",
    "web",
}
HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "altair",
    "scipy",
    "ibis",
    "duckdb",
    "pyarrow",
    "pandas",
    "numpy",
    "statsmodels",
)
"""Packages that only the commands needing them load (the engine, the web app, statistics); Typer
itself loads pydantic to parse options."""


def _imports(module: str) -> list[ast.ImportFrom | ast.Import]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def _imported_modules(module: str) -> set[str]:
    names: set[str] = set()
    for node in _imports(module):
        if isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        else:
            names.update(alias.name for alias in node.names)
    return names


def _cli_siblings(module: str) -> set[str]:
    siblings = HELPERS.keys() | COMMANDS
    return {
        name.removeprefix("supportmetrics.cli.")
        for name in _imported_modules(module)
        if name.removeprefix("supportmetrics.cli.") in siblings
    }


def test_every_module_is_a_helper_or_a_command_group() -> None:
    found = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert found == HELPERS.keys() | COMMANDS


def test_commands_import_only_helpers_and_helpers_only_lower_helpers() -> None:
    for module in COMMANDS:
        assert _cli_siblings(module) <= HELPERS.keys(), module
    for module, allowed in HELPERS.items():
        assert _cli_siblings(module) <= allowed, module
    for module in HELPERS.keys() | COMMANDS:
        assert "supportmetrics.cli" not in {
            n for n in _imported_modules(module) if n.count(".") == 1
        }, f"{module} imports the package that imports it"


def test_no_private_names_or_modules_are_imported() -> None:
    for module in ["__init__", *HELPERS, *COMMANDS]:
        for node in _imports(module):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names = [alias.name for alias in node.names]
            parts = [p for m in modules + names for p in m.split(".")]
            private = [p for p in parts if p.startswith("_") and not p.endswith("__")]
            assert not private, f"{module}: {ast.unparse(node)}"


def _loaded(code: str) -> set[str]:
    """The top-level packages a fresh interpreter imports running `code` (`-X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    )
    assert "Traceback" not in done.stderr, done.stderr
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_importing_the_package_or_the_command_line_loads_nothing_heavy() -> None:
    for code in ("import supportmetrics", "import supportmetrics.cli"):
        loaded = _loaded(code)
        assert "supportmetrics" in loaded
        assert loaded.isdisjoint(HEAVY), (code, sorted(loaded & set(HEAVY)))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["ingest", "--help"],
        ["metric", "--help"],
        ["facts", "--help"],
        ["import", "--help"],
        ["pull", "--help"],
        ["serve", "--help"],
        ["users", "add", "--help"],
        ["columns", "drop", "--help"],
    ],
)
def test_help_and_version_load_nothing_heavy(args: list[str]) -> None:
    code = f"import sys; sys.argv = ['supportmetrics', *{args!r}]; import supportmetrics.__main__"
    loaded = _loaded(code)
    assert "typer" in loaded  # the command line did run
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_public_names_load_on_first_use() -> None:
    loaded = _loaded("import supportmetrics; supportmetrics.Workspace")
    assert {"duckdb", "ibis"} <= loaded


def test_the_facts_choices_are_the_exported_fact_tables() -> None:
    """`facts NAME` lists its choices as a constant (no engine import to start); they must be the
    fact tables the registry exports."""
    from supportmetrics.cli.metrics import FactsName
    from supportmetrics.facts.registry import FACT_TABLES

    exported = {t.name for t in FACT_TABLES.values() if t.export is not None}
    assert set(get_args(FactsName)) == exported
