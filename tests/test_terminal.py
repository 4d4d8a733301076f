"""The installed ``walletsign`` as a person sees it: in a real pseudo-terminal, and piped.

On a terminal, requests and decoded answers are drawn as tables with a coloured verdict; piped,
the output is plain text with no escape code; ``NO_COLOR`` and ``--no-color`` remove every
colour; text from users and wallets is shown literally, never as rich markup.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import pytest

from tests.conftest import load_vector
from walletsign_cli.core import base58
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.core.ed25519 import Ed25519SigningKey

EXE = Path(sys.executable).parent / "walletsign"
pytestmark = pytest.mark.skipif(not EXE.exists(), reason="the console script is not installed")

VECTORS = load_vector("deeplink.json")
PHANTOM = VECTORS["exchanges"]["phantom"]
DAPP = X25519KeyPair.from_secret(bytes.fromhex(VECTORS["dapp"]["secret_key_hex"]))
DAPP_PUBLIC: str = VECTORS["dapp"]["public_key"]
MESSAGE: str = VECTORS["utf8_message"]
CONNECT = (
    "connect-url",
    "--wallet",
    "phantom",
    "--app-url",
    "https://example.com",
    "--redirect-link",
    "myapp://onConnect",
    "--cluster",
    "devnet",
)
MARKUP = "[bold]x[/bold] [link=http://e]y[/link]"
SGR = re.compile(r"\x1b\[[0-9;]*m")
# Environment variables that would override what the terminal (or its absence) decides.
OVERRIDES = ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE")


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (*OVERRIDES, "COLUMNS", "LINES") and not k.startswith("PYTHON")
    }
    env.update(TERM="xterm-256color", COLUMNS="100", LANG="C.UTF-8")
    env.update(extra)
    return env


@dataclass(frozen=True)
class Screen:
    """What a terminal received (line ends as written, ``\\r\\n`` made ``\\n``)."""

    exit_code: int
    text: str

    @property
    def plain(self) -> str:
        """The text without colour codes."""
        return SGR.sub("", self.text)


def on_terminal(
    *args: str,
    stdout: IO[bytes] | None = None,
    env: dict[str, str] | None = None,
    columns: int = 100,
) -> Screen:
    """Run ``walletsign ARGS`` with stdin, stderr (and stdout unless given) on a new pty of
    ``columns`` columns."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {"COLUMNS": str(columns), **(env or {})}
    try:
        proc = subprocess.Popen(
            [str(EXE), *args],
            stdin=slave,
            stdout=stdout if stdout is not None else slave,
            stderr=slave,
            env=_env(**env),
            close_fds=True,
        )
    finally:
        os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer of the pty is gone
                break
            if not data:
                break
            chunks.append(data)
        else:
            proc.kill()
            pytest.fail(f"walletsign {' '.join(args)} did not finish on the terminal")
        code = proc.wait(timeout=30)
    finally:
        os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return Screen(code, text)


def piped(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``walletsign ARGS`` with stdout and stderr on pipes, as a script would."""
    return subprocess.run(
        [str(EXE), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=_env(),
        timeout=60,
        check=False,
    )


@pytest.fixture
def dapp_key() -> None:
    """The vectors' dapp key in the (isolated) keystore."""
    result = piped("keygen", "--secret-key", DAPP.secret_base58())
    assert result.returncode == 0, result.stderr


@pytest.fixture
def connected(dapp_key: None) -> None:
    """A phantom session saved from the vectors' connect answer."""
    assert piped(*CONNECT).returncode == 0
    result = piped("decode-redirect", PHANTOM["connect"]["answer_url"])
    assert result.returncode == 0, result.stderr


def _sign_request(message: str) -> None:
    result = piped("sign-url", "--redirect-link", "myapp://onSignMessage", "--message", message)
    assert result.returncode == 0, result.stderr


# -- on a terminal -------------------------------------------------------------------------------


def test_connect_url_qr_on_a_terminal(dapp_key: None) -> None:
    screen = on_terminal(*CONNECT, "--qr")
    assert screen.exit_code == 0, screen.text
    assert PHANTOM["connect"]["request_url"] in screen.text
    assert "█" in screen.text
    assert "▀" in screen.text or "▄" in screen.text
    assert "connect parameters" in screen.plain
    assert re.search(r"dapp_encryption_public_key +" + DAPP_PUBLIC, screen.plain)
    assert SGR.search(screen.text), "a terminal should get colour"


def test_decode_redirect_of_a_connect_on_a_terminal(dapp_key: None) -> None:
    assert piped(*CONNECT).returncode == 0
    screen = on_terminal("decode-redirect", PHANTOM["connect"]["answer_url"])
    assert screen.exit_code == 0, screen.text
    plain = screen.plain
    assert "redirect parameters" in plain
    wallet_key = VECTORS["wallet_encryption"]["public_key"]
    assert re.search(r"phantom_encryption_public_key +" + wallet_key, plain)
    assert re.search(r"nonce +" + PHANTOM["connect"]["answer_nonce"], plain)
    assert "decrypted payload" in plain
    account = VECTORS["account"]["public_key"]
    assert re.search(r"public_key +" + account, plain)
    assert f"✔ connected as {account}" in plain
    assert re.search(r"\x1b\[[0-9;]*32m✔ connected", screen.text), "the verdict is green"
    assert "saved session 'phantom'" in plain


def test_decode_redirect_of_a_signature_on_a_terminal(connected: None) -> None:
    _sign_request(MESSAGE)
    answer = PHANTOM["sign_message_utf8"]
    screen = on_terminal("decode-redirect", answer["answer_url"])
    assert screen.exit_code == 0, screen.text
    plain = screen.plain
    for title in ("answer", "decrypted payload", "the request it answers", "redirect parameters"):
        assert f"\n{title}" in plain, title
    assert re.search(r"signature +" + answer["answer_data"]["signature"][:40], plain)
    assert re.search(r"message +" + re.escape(MESSAGE), plain), "the message is shown as text"
    assert "utf8 (31 bytes)" in plain
    assert re.search(r"\x1b\[[0-9;]*32m✔ verified", screen.text), "the verdict is green"
    # On a terminal the tables replace the plain "name  value" lines.
    assert not re.search(r"^status +approved$", plain, re.MULTILINE)


def test_hex_message_is_shown_as_hex(connected: None) -> None:
    case = PHANTOM["sign_message_hex"]
    result = piped(
        "sign-url",
        "--redirect-link",
        "myapp://onSignMessage",
        "--message-hex",
        case["message_hex"],
        "--display",
        "hex",
    )
    assert result.returncode == 0, result.stderr
    screen = on_terminal("decode-redirect", case["answer_url"])
    assert screen.exit_code == 0, screen.text
    assert re.search(r"message +" + case["message_hex"], screen.plain)
    assert "hex (8 bytes)" in screen.plain


def test_a_signature_that_does_not_verify_is_red(connected: None) -> None:
    _sign_request("another message entirely")
    screen = on_terminal("decode-redirect", PHANTOM["sign_message_utf8"]["answer_url"])
    assert screen.exit_code == 1
    assert re.search(r"\x1b\[[0-9;]*31m✘ NOT verified", screen.text), screen.text


def test_user_text_is_never_markup(connected: None) -> None:
    screen = on_terminal("sign-url", "--redirect-link", "myapp://s", "--message", MARKUP)
    assert screen.exit_code == 0, screen.text
    assert MARKUP in screen.plain
    assert "\x1b]8;" not in screen.text  # no hyperlink was made of [link=...]

    hostile = quote(MARKUP + " \x1b[31mred")
    url = f"myapp://x?errorCode=4001&errorMessage={hostile}"
    screen = on_terminal("decode-redirect", url)
    assert screen.exit_code == 4
    assert MARKUP in screen.plain
    assert "\\x1b[31mred" in screen.plain  # the wallet's escape code is shown, not obeyed
    assert re.search(r"\x1b\[[0-9;]*31m✘ rejected by the wallet: 4001", screen.text)
    assert "\x1b]8;" not in screen.text


# -- piped, and without colour -------------------------------------------------------------------


def test_piped_output_is_plain_text(connected: None) -> None:
    result = piped(*CONNECT, "--qr")
    assert result.returncode == 0, result.stderr
    assert result.stdout == PHANTOM["connect"]["request_url"] + "\n"
    assert "█" in result.stderr  # asked for, so drawn, but as plain characters
    assert "connect parameters" not in result.stderr  # tables are for terminals
    assert "\x1b" not in result.stdout + result.stderr

    _sign_request(MESSAGE)
    result = piped("decode-redirect", PHANTOM["sign_message_utf8"]["answer_url"])
    assert result.returncode == 0, result.stderr
    assert re.search(r"^verified +true$", result.stdout, re.MULTILINE)
    assert "\x1b" not in result.stdout + result.stderr
    assert "redirect parameters" not in result.stderr

    result = piped("decode-redirect", "myapp://x?errorCode=4001&errorMessage=" + quote(MARKUP))
    assert result.returncode == 4
    assert MARKUP in result.stdout
    assert "\x1b" not in result.stdout + result.stderr


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_colour_on_a_terminal(how: str, connected: None) -> None:
    env = {"NO_COLOR": "1"} if how == "NO_COLOR" else {}
    flags = ["--no-color"] if how == "--no-color" else []
    screen = on_terminal(*flags, *CONNECT, "--qr", env=env)
    assert screen.exit_code == 0, screen.text
    assert "connect parameters" in screen.text
    assert "█" in screen.text
    assert not SGR.search(screen.text), screen.text

    _sign_request(MESSAGE)
    screen = on_terminal(
        *flags, "decode-redirect", PHANTOM["sign_message_utf8"]["answer_url"], env=env
    )
    assert screen.exit_code == 0, screen.text
    assert "✔ verified" in screen.text
    assert "redirect parameters" in screen.text
    assert not SGR.search(screen.text), screen.text


# -- a long batch --------------------------------------------------------------------------------


def _batch_file(path: Path, lines: int) -> None:
    key = Ed25519SigningKey.from_seed(b"\x05" * 32)
    message = "hello from the batch"
    record: dict[str, Any] = {
        "public_key": str(key.public),
        "signature": base58.encode(key.sign(message.encode())),
        "message": message,
    }
    path.write_text("".join(json.dumps({**record, "id": i}) + "\n" for i in range(lines)))


def test_batch_progress_on_a_terminal_only(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    _batch_file(batch, 20_000)
    results = tmp_path / "results.jsonl"
    with results.open("wb") as out:
        screen = on_terminal("verify", "--batch", str(batch), stdout=out)
    assert screen.exit_code == 0, screen.text
    assert len(results.read_text().splitlines()) == 20_000
    assert "20000 lines: 20000 valid" in screen.plain
    assert "verifying" in screen.plain
    assert "━" in screen.text  # the bar

    result = piped("verify", "--batch", str(batch))
    assert result.returncode == 0
    assert "verifying" not in result.stderr
    assert "\x1b" not in result.stderr
    assert result.stderr.strip().endswith("20000 lines: 20000 valid, 0 invalid, 0 malformed")


@pytest.mark.parametrize("columns", [60, 100])
def test_long_values_are_never_wrapped_on_a_terminal(connected: None, columns: int) -> None:
    # A signature copied from the table must be the signature: never folded over lines by
    # the table; in a narrow terminal it stands alone on its own line instead.
    _sign_request(MESSAGE)
    answer = PHANTOM["sign_message_utf8"]
    signature = answer["answer_data"]["signature"]
    screen = on_terminal("decode-redirect", answer["answer_url"], columns=columns)
    assert screen.exit_code == 0, screen.text
    lines = screen.plain.splitlines()
    whole = [line for line in lines if signature in line]
    assert whole, screen.plain
    if columns == 60:
        assert signature in [line.strip() for line in lines]  # alone on its line
    # No line holds a piece of it without the rest.
    assert not [line for line in lines if signature[:20] in line and signature not in line]
