"""Control and bidirectional characters never reach a terminal or a JSON reader raw.

The rule (``core.encoding.is_unsafe``): C0 and C1 controls, DEL, bidirectional and other
format characters, separators, surrogates, private-use and unassigned code points are shown
as ``\\x1b`` / ``\\u202e`` escapes in human output, with one note per run, and as JSON escapes
in every ``--json`` document and batch result line. ``decrypt`` alone writes raw text, and
only to a file or a pipe. The generated cases of the same rule are in test_properties.py.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from tests.conftest import load_vector
from tests.test_tamper import MiniWallet
from tests.test_terminal import EXE, on_terminal, piped
from walletsign_cli.cli import output, render
from walletsign_cli.cli.context import Environment
from walletsign_cli.core import base58
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.core.encoding import escape_text, is_unsafe, to_json
from walletsign_cli.protocols.batch import BatchVerifier

# ESC ] 0 ; title BEL (sets the terminal title), CSI, DEL, NUL, bidi overrides and isolates.
HOSTILE = "top\u202eevil\u2066x\u2069\u200e\u200f\x1b]0;owned\x07\x9b31m\x7f\x00end"
UNSAFE = ["\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\x1b", "\x07", "\x9b", "\x7f", "\x00"]
NOTE = output.ESCAPED_NOTE
SATOSHI: dict[str, Any] = load_vector("metamask_encryption.json")["cases"][0]


def raw_unsafe(text: str) -> list[str]:
    """The unsafe characters of ``text`` (line feeds of separate lines aside)."""
    return [char for char in text if is_unsafe(char) and char != "\n"]


# -- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("char", [*UNSAFE, "\u202a", "\u202d", "\u061c", "\x85", "\u2028"])
def test_every_dangerous_class_is_unsafe(char: str) -> None:
    assert is_unsafe(char)
    assert char not in escape_text(f"a{char}b")
    assert char not in to_json({"k": f"a{char}b"})


@pytest.mark.parametrize("char", ["é", "日", "😀", "\u200d", "\u00a0", " ", "ß", "\u05d0"])
def test_readable_text_is_kept_as_it_is(char: str) -> None:
    assert not is_unsafe(char)
    assert escape_text(char) == char
    assert to_json(char) == f'"{char}"'


def test_the_rule_is_printable_or_a_space_separator_or_a_joiner_on_every_code_point() -> None:
    # is_unsafe spells the space separators out; this reads them from unicodedata.
    wrong = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if is_unsafe(char := chr(code))
        is (char.isprintable() or char in "\u200c\u200d" or unicodedata.category(char) == "Zs")
    ]
    assert wrong == []


def test_human_escapes_are_python_style() -> None:
    assert escape_text(HOSTILE) == (
        "top\\u202eevil\\u2066x\\u2069\\u200e\\u200f\\x1b]0;owned\\x07\\x9b31m\\x7f\\x00end"
    )
    assert escape_text("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert escape_text("a\nb\tc\rd", block=True) == "a\nb\tc\\rd"
    assert escape_text("tag\U000e0041") == "tag\\U000e0041"


def test_json_escapes_decode_back_to_the_same_text() -> None:
    text = to_json({"id": HOSTILE, "tag": "\U000e0041", "lone": "\ud800", "café": "日本"})
    assert raw_unsafe(text) == []
    assert "top\\u202eevil" in text and "\\u009b31m" in text and "\\u007f" in text
    assert '"\\udb40\\udc41"' in text  # above U+FFFF: a surrogate pair, as JSON spells it
    assert '"café": "日本"' in text  # readable non-ASCII stays readable
    assert json.loads(text) == {
        "id": HOSTILE,
        "tag": "\U000e0041",
        "lone": "\ud800",
        "café": "日本",
    }
    text.encode("utf-8")  # a lone surrogate is escaped, so the text is UTF-8


# -- the output layer ------------------------------------------------------------------------


def test_every_output_function_escapes_and_notes_once(capsys: pytest.CaptureFixture[str]) -> None:
    output.begin_run()
    output.emit(HOSTILE)
    output.note(HOSTILE)
    output.warn(HOSTILE)
    output.error(HOSTILE, hint=HOSTILE)
    output.emit_json({"x": HOSTILE})
    output.emit_json_line({"x": HOSTILE})
    out, err = capsys.readouterr()
    assert raw_unsafe(out + err) == []
    assert err.count(NOTE) == 1
    assert err.splitlines()[0] == f"walletsign: {NOTE}"  # before the first escaped line
    assert out.count(escape_text(HOSTILE)) == 1
    assert [json.loads(line)["x"] for line in out.splitlines()[1:]] == [HOSTILE, HOSTILE]

    output.note("plain text")
    output.begin_run()  # a new command line says it again
    output.note("again \x1b")
    assert capsys.readouterr().err.count(NOTE) == 1


def test_plain_output_has_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    output.begin_run()
    output.emit("héllo 日本 😀")
    output.note("a note")
    out, err = capsys.readouterr()
    assert out == "héllo 日本 😀\n"
    assert NOTE not in err


def test_tables_on_a_terminal_are_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "stderr_is_terminal", lambda: True)
    monkeypatch.setattr(output, "stderr_is_terminal", lambda: False)  # no colour codes
    output.begin_run()
    render.show_tables(
        Environment(), [(HOSTILE, [(HOSTILE, HOSTILE)])], verdict=("bad", f"rejected {HOSTILE}")
    )
    err = capsys.readouterr().err
    assert raw_unsafe(err) == []
    assert err.count(NOTE) == 1
    assert "\\u202eevil" in err and "\\x1b]0;owned" in err


@pytest.mark.parametrize("terminal", [True, False])
def test_decrypted_text_is_raw_only_off_a_terminal(
    terminal: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: terminal)
    output.begin_run()
    output.emit_text(f"{HOSTILE}\nline two\ttabbed")
    out, err = capsys.readouterr()
    if terminal:
        assert out == f"{escape_text(HOSTILE)}\nline two\ttabbed\n"
        assert "redirect stdout to a file" in err
    else:
        assert out == f"{HOSTILE}\nline two\ttabbed"  # exact, as asked
        assert err == ""


# -- through the CLI -------------------------------------------------------------------------


def _hostile_connect_answer(run: Any) -> str:
    """keygen and connect-url, then a wallet's connect answer whose decrypted payload
    carries U+202E, ESC sequences and other controls (in a value and in a key)."""
    assert run("keygen").exit_code == 0
    url = run(
        "connect-url", "--wallet", "phantom", "--app-url", "https://example.com",
        "--redirect-link", "myapp://onConnect",
    ).stdout.strip()  # fmt: skip
    wallet = MiniWallet()
    wallet.token = "tok" + HOSTILE
    params = dict(parse_qsl(urlsplit(url).query))
    payload = {
        "public_key": str(wallet.account.public),
        "session": wallet.token,
        f"extra{HOSTILE}": HOSTILE,
    }
    return wallet._answer(params, payload, f"phantom_encryption_public_key={wallet.x25519.public}&")


def test_decode_redirect_escapes_a_hostile_payload(run: Any) -> None:
    answer = _hostile_connect_answer(run)
    result = run("decode-redirect", "--no-save", answer)
    assert result.exit_code == 0, result.stderr
    assert raw_unsafe(result.stdout + result.stderr) == []
    assert f"extra{escape_text(HOSTILE)}  {escape_text(HOSTILE)}" in result.stdout
    assert result.stderr.count(NOTE) == 1

    result = run("decode-redirect", "--no-save", "--json", answer)
    assert result.exit_code == 0, result.stderr
    assert raw_unsafe(result.stdout + result.stderr) == []
    data = json.loads(result.stdout)["data"]
    assert data[f"extra{HOSTILE}"] == HOSTILE and data["session"] == "tok" + HOSTILE
    assert NOTE not in result.stderr  # JSON escapes lose nothing: no note


def test_decode_redirect_escapes_a_wallets_error_message(run: Any) -> None:
    url = "myapp://x?errorCode=4001&errorMessage=" + quote(HOSTILE)
    result = run("decode-redirect", url)
    assert result.exit_code == 4
    assert raw_unsafe(result.stdout + result.stderr) == []
    assert escape_text(HOSTILE) in result.stdout
    assert result.stderr.count(NOTE) == 1
    result = run("decode-redirect", "--json", url)
    assert raw_unsafe(result.stdout) == []
    assert json.loads(result.stdout)["error_message"] == HOSTILE


def test_an_error_message_with_user_text_is_escaped(run: Any, tmp_path: Path) -> None:
    missing = str(tmp_path / f"no{HOSTILE}")
    args = ("verify", "--message-file", missing, "--public-key", "x", "--signature", "y")
    result = run(*args)
    assert result.exit_code == 3
    assert raw_unsafe(result.stderr) == []
    assert result.stderr.splitlines()[0] == f"walletsign: {NOTE}"
    assert result.stderr.splitlines()[1].startswith("walletsign: error: ")
    result = run(*args, "--json")
    assert result.exit_code == 3
    assert raw_unsafe(result.stderr) == []
    assert HOSTILE in json.loads(result.stderr)["error"]["message"]


def _batch_line(key: Ed25519SigningKey, id_value: Any, *, valid: bool) -> str:
    message = "batch message"
    signed = message if valid else "another message"
    record = {
        "id": id_value,
        "public_key": str(key.public),
        "signature": base58.encode(key.sign(signed.encode())),
        "message": message,
    }
    # The characters raw in the input line (a lone surrogate only as a JSON escape).
    return json.dumps(record, ensure_ascii="\ud800" in str(id_value))


IDS = ["a\u202eb\x9bc", HOSTILE, "x\x7f", "café ☕", "plain-id", 7, "\u2066\u2069", "\ud800"]


@pytest.mark.parametrize("valid", [True, False], ids=["lean path", "general path"])
def test_batch_result_lines_escape_job_ids(run: Any, valid: bool) -> None:
    key = Ed25519SigningKey.from_seed(b"\x09" * 32)
    lines = [_batch_line(key, id_value, valid=valid) for id_value in IDS]
    result = run("verify", "--batch", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == (0 if valid else 1), result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(IDS)
    assert raw_unsafe(result.stdout) == []
    assert [json.loads(line)["id"] for line in out] == IDS
    assert all(json.loads(line)["valid"] is valid for line in out)
    assert '"id": "a\\u202eb\\u009bc"' in out[0]
    assert '"id": "café ☕"' in out[3]  # readable non-ASCII stays readable


def test_the_lean_path_escapes_as_the_general_path_does() -> None:
    key = Ed25519SigningKey.from_seed(b"\x0a" * 32)
    for id_value in IDS:
        line = _batch_line(key, id_value, valid=True).encode("utf-8")
        lean = BatchVerifier().block(1, line).text
        general = BatchVerifier()
        general._lean = False
        assert lean == general.block(1, line).text
        assert raw_unsafe(lean) == []


# The payload sits in the redirect link's path: ESC ] 0 ; title BEL, NUL, CSI, U+202E.
LINK = "myapp://x/" + "\x1b]0;owned\x07\x00\x9b31m\u202e"


def _simulate_url() -> str:
    dapp = X25519KeyPair.generate()
    return (
        f"https://phantom.app/ul/v1/connect?dapp_encryption_public_key={dapp.public}"
        f"&cluster=devnet&app_url={quote('https://example.com', safe='')}"
        f"&redirect_link={quote(LINK, safe='')}"
    )


def test_simulate_escapes_a_hostile_redirect_link(run: Any) -> None:
    url = _simulate_url()
    result = run("simulate", url)
    assert result.exit_code == 0, result.stderr
    assert raw_unsafe(result.stdout + result.stderr) == []
    assert result.stdout.startswith(escape_text(LINK) + "?")
    assert result.stderr.count(NOTE) == 1

    result = run("simulate", "--json", url)
    assert result.exit_code == 0, result.stderr
    assert raw_unsafe(result.stdout) == []
    document = json.loads(result.stdout)
    assert document["request"]["redirect_link"] == LINK
    assert document["redirect"].startswith(LINK + "?")


def _encrypted(run: Any, plaintext: str) -> str:
    args = ("encrypt", "--public-key", SATOSHI["public_key"], "--message-file", "-")
    result = run(*args, input=plaintext.encode())
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def test_decrypt_to_a_pipe_is_exact_and_json_is_escaped(run: Any, tmp_path: Path) -> None:
    plaintext = f"{HOSTILE}\nsecond line\n"
    sealed = tmp_path / "note.enc.json"
    sealed.write_text(_encrypted(run, plaintext))
    result = run("decrypt", "--private-key", SATOSHI["private_key"], str(sealed))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == plaintext  # a pipe or a file asked for the text as it is
    assert NOTE not in result.stderr
    result = run("decrypt", "--private-key", SATOSHI["private_key"], str(sealed), "--json")
    assert raw_unsafe(result.stdout) == []
    assert json.loads(result.stdout)["plaintext"] == plaintext


@pytest.mark.skipif(not EXE.exists(), reason="the console script is not installed")
def test_decrypt_to_a_terminal_shows_escapes(run: Any, tmp_path: Path) -> None:
    sealed = tmp_path / "note.enc.json"
    sealed.write_text(_encrypted(run, f"{HOSTILE}\nsecond\tline"))
    key = tmp_path / "key.hex"
    key.write_text(SATOSHI["private_key"])
    screen = on_terminal("decrypt", "--private-key-file", str(key), str(sealed))
    assert screen.exit_code == 0, screen.text
    assert raw_unsafe(screen.text.replace("\t", "")) == []
    assert f"{escape_text(HOSTILE)}\nsecond\tline\n" in screen.text
    assert "redirect stdout to a file for the exact text" in screen.text

    result = piped("decrypt", "--private-key-file", str(key), str(sealed))
    assert result.stdout == f"{HOSTILE}\nsecond\tline"


@pytest.mark.skipif(not EXE.exists(), reason="the console script is not installed")
def test_decode_redirect_tables_on_a_terminal(tmp_path: Path) -> None:
    url = "myapp://x?errorCode=4001&errorMessage=" + quote(HOSTILE)
    screen = on_terminal("--no-color", "decode-redirect", url)
    assert screen.exit_code == 4
    assert raw_unsafe(screen.text) == []
    assert "wallet error" in screen.text and escape_text(HOSTILE) in screen.text
    assert screen.text.count(NOTE) == 1


def test_a_usage_error_escapes_the_word_it_quotes(run: Any) -> None:
    result = run("verify", f"{HOSTILE}extra")
    assert result.exit_code == 2
    assert raw_unsafe(result.stderr) == []
    assert escape_text(HOSTILE) in result.stderr
    assert result.stderr.count(NOTE) == 1
    result = run("verify", "--json", f"{HOSTILE}extra")
    assert result.exit_code == 2
    assert raw_unsafe(result.stderr) == []
    assert HOSTILE in json.loads(result.stderr)["error"]["message"]
