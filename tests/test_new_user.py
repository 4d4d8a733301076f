"""What a new user trips on (through the CLI): one-line usage errors, keygen over an existing
name, ``sign-url --message-b58``, ``listen --once``, decoded answers that can be re-verified."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import invoke
from tests.test_cli_deeplinks import _connected
from tests.test_listen import Listening, http
from walletsign_cli.cli.root import cli
from walletsign_cli.core import base58


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
    command = usage.split(" [", maxsplit=1)[0]
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
    assert lines[1].startswith("walletsign: hint: choose another --name to keep it, or pass")
    assert len(lines) == 2


def test_sign_url_takes_the_message_in_base58_as_verify_does(run: Any) -> None:
    _connected(run)
    data = b"\xff\x00 base58 bytes"
    result = run(
        "sign-url", "--redirect-link", "myapp://s", "--message-b58", base58.encode(data), "--json"
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert base58.decode(doc["payload"]["message"]) == data
    assert doc["payload"]["display"] == "hex"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--message-b58", "0OIl"], 3, "--message-b58"),
        (["--message-b58", "2g", "--message", "x"], 2, "exactly one of --message, --message-hex"),
    ],
)
def test_sign_url_message_b58_refusals(run: Any, args: list[str], code: int, words: str) -> None:
    _connected(run)
    result = run("sign-url", "--redirect-link", "myapp://s", *args)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr


def test_listen_keep_listening_decodes_every_answer_until_the_timeout(
    keystore_path: Path,
) -> None:
    process = Listening(keystore_path, "--timeout", "4", "--keep-listening")
    try:
        link = process.first_line()
        assert "rejected: first" in http(link + "?errorCode=4001&errorMessage=first").body
        assert "could not decode" in http(link + "?nonce=0OIl&data=abc").body
        assert "rejected: third" in http(link + "?errorCode=4100&errorMessage=third").body
        code, out, err = process.finish()
    finally:
        process.kill()
    assert code == 4, err  # the highest of 4, 3, 4
    shown = "\n".join(out)
    assert "4001" in shown and "4100" in shown
    assert "walletsign: error:" in err and "nonce" in err  # the undecodable one, and on
    assert "stopping after 3" in err


def test_listen_once_is_the_default_and_stops_after_one_answer(keystore_path: Path) -> None:
    process = Listening(keystore_path, "--timeout", "20", "--once")
    try:
        link = process.first_line()
        http(link + "?errorCode=4001&errorMessage=first")
        code, _, err = process.finish()
    finally:
        process.kill()
    assert code == 4, err
    help_text = invoke("listen", "--help").stdout
    assert "--once / --keep-listening" in help_text
    assert "only mode" not in help_text
