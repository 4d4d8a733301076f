"""What a new user trips on (through the CLI): one-line usage errors, keygen over an existing
name, ``sign-url --message-b58``, ``listen --once``, decoded answers that can be re-verified."""

from __future__ import annotations

import pytest

from click.testing import CliRunner, Result

from tests.conftest import invoke
from walletsign_cli.cli.root import cli


def invoke_as_installed(*args: str) -> Result:
    """Run the CLI in-process under its installed name (the usage line shows it)."""
    return CliRunner().invoke(cli, list(args), prog_name="walletsign", catch_exceptions=False)


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["verify", "--bogus"], "walletsign verify [OPTIONS]"),
        (["sign-url", "--message"], "walletsign sign-url [OPTIONS]"),
        (["keystore", "list", "--bogus"], "walletsign keystore list [OPTIONS]"),
        (["bogus"], "walletsign [OPTIONS] COMMAND [ARGS]..."),
    ],
)
def test_usage_errors_are_one_error_line_and_a_hint(args: list[str], usage: str) -> None:
    result = invoke_as_installed(*args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("walletsign: error: ")
    command = usage.split(" [")[0]
    assert lines[1] == f"walletsign: hint: usage: {usage}; see {command} --help"
    assert "Usage:" not in result.stderr and "Try '" not in result.stderr


def test_usage_errors_under_json_stay_one_document() -> None:
    result = invoke("verify", "--bogus", "--json")
    assert result.exit_code == 2
    assert result.stderr.startswith('{"error": {"type": "usage"')
    assert "hint" not in result.stderr


def test_keygen_over_an_existing_name_says_both_ways_out() -> None:
    assert invoke("keygen", "--name", "main").exit_code == 0
    result = invoke("keygen", "--name", "main")
    # SPEC.md fixes exit 5 for this refusal.
    assert result.exit_code == 5
    lines = result.stderr.splitlines()
    assert lines[0].startswith("walletsign: error: a dapp key named 'main' already exists")
    assert lines[1].startswith("walletsign: hint: choose another --name to keep it, or pass --force")
    assert len(lines) == 2
