"""Imports flow one way: cli -> protocols/keystore -> core -> errors."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "walletsign_cli"
TERMINAL = {"click", "rich", "qrcode", "walletsign_cli.cli"}
# A layer is a folder or a single module under walletsign_cli/.
FORBIDDEN = {
    "core": TERMINAL
    | {
        "walletsign_cli.protocols",
        "walletsign_cli.keystore",
        "pathlib",
        "shutil",
        "tempfile",
        "io",
        "os",
    },
    "protocols": TERMINAL | {"walletsign_cli.keystore", "pathlib", "shutil", "tempfile"},
    "keystore.py": TERMINAL,
    "listener.py": TERMINAL,
}
# Only the CLI reads the process environment or the command line; below it, values are passed.
NO_PROCESS_STATE = ("core", "protocols", "listener.py")
LOCAL_IMPORT_BUDGET = 20


def layer_files(layer: str) -> list[Path]:
    path = PACKAGE / layer
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


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
    files = layer_files(layer)
    assert files and all(path.is_file() for path in files)
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


@pytest.mark.parametrize("layer", NO_PROCESS_STATE)
def test_below_the_cli_nothing_reads_the_environment_or_argv(layer: str) -> None:
    for path in layer_files(layer):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
            assert name not in ("environ", "getenv", "environb", "argv"), (
                f"{path}:{getattr(node, 'lineno', '?')} reads {name}"
            )


# -- the import graph ------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_children(node: ast.AST) -> Iterator[ast.AST]:
    """The children of ``node`` that run, ``if TYPE_CHECKING:`` bodies left out."""
    for child in ast.iter_child_nodes(node):
        if is_type_checking(child):
            assert isinstance(child, ast.If)
            yield from child.orelse
        else:
            yield child


def module_level_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported (class bodies included, functions not)."""
    for child in runtime_children(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from module_level_imports(child)


def resolve(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package modules ``node`` (in ``module``) imports; ``from x import y`` is x.y
    when y is a module, else x."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    base = node.module or ""
    if node.level:
        is_package = MODULES[module].name == "__init__.py"
        anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
        base = ".".join([*anchor, base] if base else anchor)
    targets = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in MODULES:
            targets.add(f"{base}.{alias.name}")
        elif base in MODULES:
            targets.add(base)
    return targets


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set().union(*(resolve(module, n) for n in module_level_imports(tree)))
        graph[module].discard(module)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (``[a, b, ..., a]``), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_sees_imports() -> None:
    # The guard can fail: known edges, including `from package import module`, are found.
    graph = import_graph()
    assert "walletsign_cli.cli.context" in graph["walletsign_cli.cli.root"]
    assert "walletsign_cli.errors" in graph["walletsign_cli.cli.root"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


# -- laziness only at its seams --------------------------------------------------------------


def local_imports(node: ast.AST, in_function: bool = False) -> Iterator[ast.stmt]:
    """Import statements inside a function body, outside ``if TYPE_CHECKING:`` blocks."""
    for child in runtime_children(node):
        if in_function and isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from local_imports(child, inside)


def test_local_import_counter_counts() -> None:
    source = """
import os
def f():
    import json
    if TYPE_CHECKING:
        import rich
    else:
        import base64
    def g():
        from x import y
class C:
    import re
    def m(self):
        import io
"""
    assert len(list(local_imports(ast.parse(source)))) == 4


def test_function_local_imports_stay_at_the_seams() -> None:
    # Laziness seams: the root command table, rich/qrcode where they draw, coincurve and
    # pycryptodome behind core.eth, decimal in base58; everything else goes at the top.
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in MODULES.values()
        for node in local_imports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert len(found) <= LOCAL_IMPORT_BUDGET, "\n".join(found)
