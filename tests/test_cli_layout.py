"""The command-line package's shape: command modules on helpers, helpers never on commands, no
private names across modules, and no web application or scipy loaded just to start."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import supportmetrics.cli

PACKAGE = Path(supportmetrics.cli.__file__).parent
HELPERS = {"output": set(), "options": {"output"}, "batch": {"output"}, "serving": {"output"}}
COMMANDS = {"workspace", "metrics", "importing", "lake", "web"}
HEAVY = ("fastapi", "starlette", "uvicorn", "altair", "scipy")


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


def test_starting_the_command_line_loads_neither_the_web_app_nor_scipy() -> None:
    code = (
        f"import sys, supportmetrics.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
