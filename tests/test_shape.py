"""The shape issue 14 asks for, measured: a thin cli/, one verifier, one base58 decoder."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "walletsign_cli"
CLI = PACKAGE / "cli"
CLI_SHARE = 0.25
MAX_CLI_FUNCTION_LINES = 60
# libsodium's ed25519 verification, under PyNaCl's low-level and high-level names.
ED25519_VERIFIERS = {"crypto_sign_open", "crypto_sign_verify_detached", "VerifyKey"}
# Another library's base58 decoder.
BASE58_DECODERS = {"b58decode", "b58decode_check", "b58decode_int"}
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def sources(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def line_count(path: Path) -> int:
    """What ``wc -l`` says: newline characters."""
    return path.read_bytes().count(b"\n")


def names_used(path: Path) -> set[str]:
    """Every identifier the module refers to: names, attributes, imported names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
    return found


def maps_the_alphabet(path: Path) -> bool:
    """The module turns base58 characters into digits: ``ALPHABET.index/find`` or
    ``enumerate(ALPHABET)`` (checking characters against the alphabet is not decoding)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func, args = node.func, node.args
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("index", "find", "rindex", "rfind")
            and _is_alphabet(func.value)
        ) or (
            isinstance(func, ast.Name) and func.id == "enumerate" and args and _is_alphabet(args[0])
        ):
            return True
    return False


def _is_alphabet(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return name == "ALPHABET"


def users(names: set[str]) -> list[str]:
    return [str(path.relative_to(PACKAGE)) for path in sources(PACKAGE) if names & names_used(path)]


def test_cli_is_at_most_a_quarter_of_the_package() -> None:
    package = sum(line_count(path) for path in sources(PACKAGE))
    cli = sum(line_count(path) for path in sources(CLI))
    assert cli <= CLI_SHARE * package, f"cli/ has {cli} of {package} lines ({cli / package:.0%})"


def test_no_cli_function_is_longer_than_60_lines() -> None:
    # From the ``def`` line to the last line of the body: decorators (click options) excluded,
    # docstring included.
    long = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} "
        f"({node.end_lineno - node.lineno + 1} lines)"
        for path in sources(CLI)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_CLI_FUNCTION_LINES
    ]
    assert long == []


def test_one_ed25519_verification_call_site() -> None:
    assert users(ED25519_VERIFIERS) == ["core/ed25519.py"]


def test_one_base58_decoder() -> None:
    assert users(BASE58_DECODERS) == []
    digit_tables = [
        str(path.relative_to(PACKAGE)) for path in sources(PACKAGE) if maps_the_alphabet(path)
    ]
    assert digit_tables == ["core/base58.py"]
    spelled = [
        str(path.relative_to(PACKAGE))
        for path in sources(PACKAGE)
        if BASE58_ALPHABET in path.read_text(encoding="utf-8")
    ]
    assert spelled == ["core/base58.py"]


def test_the_measures_see_what_they_measure() -> None:
    # Each guard can fail: it finds what it looks for where it certainly is.
    assert "crypto_sign_open" in names_used(PACKAGE / "core" / "ed25519.py")
    assert maps_the_alphabet(PACKAGE / "core" / "base58.py")
    assert line_count(CLI / "root.py") > 100
