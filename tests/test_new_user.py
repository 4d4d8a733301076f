"""What a new user trips on (through the CLI): one-line usage errors, keygen over an existing
name, ``sign-url --message-b58``, ``listen --once``, decoded answers that can be re-verified."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import invoke
from tests.test_cli_deeplinks import _connected
from tests.test_listen import Listening, http
from walletsign_cli.cli.root import cli
from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey


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
    (line,) = result.stderr.splitlines()
    # "hint" is in every error document, null when there is none (verify, doctor alike).
    assert json.loads(line)["error"]["hint"] is None


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


# -- decode-redirect: what re-checks a signMessage answer --------------------------------------


def _simulated(deeplink: str) -> str:
    """The wallet's answer to ``deeplink``, from ``simulate``."""
    result = invoke("simulate", deeplink, "--json")
    assert result.exit_code == 0, result.stderr
    redirect = json.loads(result.stdout)["redirect"]
    assert isinstance(redirect, str)
    return redirect


def _signed_answer(*message: str) -> tuple[str, str]:
    """Connect to the simulated wallet, ask it to sign ``message`` (sign-url's options):
    the wallet's answer and the session's public key."""
    connect = invoke(
        "connect-url", "--wallet", "phantom", "--app-url", "https://example.com",
        "--redirect-link", "myapp://onConnect",
    )  # fmt: skip
    assert connect.exit_code == 0, connect.stderr
    connected = invoke("decode-redirect", _simulated(connect.stdout.strip()), "--json")
    assert connected.exit_code == 0, connected.stderr
    public_key = json.loads(connected.stdout)["data"]["public_key"]
    sign = invoke("sign-url", "--redirect-link", "myapp://onSignMessage", *message)
    assert sign.exit_code == 0, sign.stderr
    return _simulated(sign.stdout.strip()), public_key


def _run_pasted(command: str, keystore_path: Path) -> subprocess.CompletedProcess[str]:
    """``command`` as a user pastes it into a POSIX shell (``walletsign`` this checkout's)."""
    assert command.startswith("walletsign verify ")
    program = f"{shlex.quote(sys.executable)} -m walletsign_cli"
    return subprocess.run(
        ["sh", "-c", program + command.removeprefix("walletsign")],
        capture_output=True,
        text=True,
        env={**os.environ, "WALLETSIGN_KEYSTORE": str(keystore_path)},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("message", "raw", "text"),
    [
        (["--message", 'Sign in: it\'s $HOME `x` "y"'], b'Sign in: it\'s $HOME `x` "y"', True),
        (["--message-hex", "00ff0a41"], bytes.fromhex("00ff0a41"), False),
        (["--message", "two\nlines"], b"two\nlines", True),
        (["--message", "--json"], b"--json", True),  # a message that looks like an option
    ],
)
def test_decode_redirect_shows_what_verifies_the_answer_again(
    message: list[str], raw: bytes, text: bool, keystore_path: Path
) -> None:
    answer, public_key = _signed_answer(*message)
    decoded = invoke("decode-redirect", answer, "--no-save", "--json")
    assert decoded.exit_code == 0, decoded.stderr
    doc = json.loads(decoded.stdout)
    assert doc["verified"] is True
    assert doc["public_key"] == public_key
    assert doc["message_hex"] == raw.hex()
    assert doc["message_text"] == (raw.decode() if text else None)
    command = doc["verify_command"]
    argv = shlex.split(command)
    assert argv[:2] == ["walletsign", "verify"]
    assert argv[argv.index("--public-key") + 1] == public_key
    assert argv[argv.index("--signature") + 1] == doc["data"]["signature"]
    pasted = _run_pasted(command, keystore_path)
    assert pasted.returncode == 0, pasted.stderr
    assert "valid" in pasted.stdout

    plain = invoke("decode-redirect", answer, "--no-save")
    assert plain.exit_code == 0, plain.stderr
    rows = {line.split()[0]: line.split(None, 1)[1] for line in plain.stdout.splitlines()}
    assert rows["public_key"] == public_key
    assert rows["message_hex"] == raw.hex()
    assert rows["verify_command"] == command


def test_a_changed_signature_gets_a_verify_command_that_fails(keystore_path: Path) -> None:
    answer, _ = _signed_answer("--message", "hello")
    doc = json.loads(invoke("decode-redirect", answer, "--no-save", "--json").stdout)
    argv = shlex.split(doc["verify_command"])
    index = argv.index("--message") + 1
    argv[index] = "hellO"
    pasted = _run_pasted(shlex.join(argv), keystore_path)
    assert pasted.returncode == 1, pasted.stderr


def test_a_solana_signature_given_with_address_points_to_public_key() -> None:
    key = Ed25519SigningKey.from_seed(bytes(32))
    signature = base58.encode(key.sign(b"hi"))
    address = "0x15A5dbcbeE10184284F7b5DB99Ce1D2bEe0E713f"
    result = invoke("verify", "--address", address, "--signature", signature, "--message", "hi")
    assert result.exit_code == 3
    assert "it is a base58 ed25519 signature" in result.stderr
    assert "walletsign: hint: verify a Solana signature with --public-key" in result.stderr


def test_a_mistyped_address_is_not_offered_a_corrected_spelling() -> None:
    # The checksummed form of a mistyped address keeps the typo: it must not be offered.
    typo = "0x15A5dbcbeE10184284F7b5DB99Ce1D2bEe0E713F"
    result = invoke("verify", "--address", typo, "--signature", "0x" + "ab" * 65, "--message", "m")
    assert result.exit_code == 3
    assert "does not match its EIP-55 checksum" in result.stderr
    assert "probably mistyped" in result.stderr
    assert "0x15A5dbcbeE10184284F7b5DB99Ce1D2bEe0E713f" not in result.stderr


def test_batch_help_gives_the_line_format_and_the_exit_rule() -> None:
    text = " ".join(invoke("verify", "--help").stdout.split())
    assert "see the README" not in text
    for words in (
        "public_key (Solana) or address (Ethereum)",
        '{"line", "id", "valid", "chain", "scheme", "error"}',
        "3 when any line is malformed, else 1 when any is invalid",
    ):
        assert words in text, words
