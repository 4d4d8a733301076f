"""Imports flow one way: cli -> protocols/keystore -> core -> errors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "walletsign_cli"
FORBIDDEN = {
    "core": {
        "click",
        "rich",
        "qrcode",
        "walletsign_cli.cli",
        "walletsign_cli.protocols",
        "walletsign_cli.keystore",
        "pathlib",
        "shutil",
        "tempfile",
        "io",
        "os",
    },
    "protocols": {
        "click",
        "rich",
        "qrcode",
        "walletsign_cli.cli",
        "walletsign_cli.keystore",
        "pathlib",
        "shutil",
        "tempfile",
    },
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files
    for path in files:
        for name in imported_modules(path):
            for bad in FORBIDDEN[layer]:
                assert name != bad and not name.startswith(bad + "."), f"{path}: imports {name}"


def test_core_does_not_open_files() -> None:
    for path in (PACKAGE / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert "open" not in calls, path
