"""Damaged or stale keystore entries are keystore problems (exit 5), never bad input or a
silent wrong answer; and no error ever echoes part of a secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import load_vector
from walletsign_cli.core import base58
from walletsign_cli.core.box import X25519KeyPair

V = load_vector("deeplink.json")
DAPP_SECRET = base58.encode(bytes.fromhex(V["dapp"]["secret_key_hex"]))


def connected(run: Any) -> None:
    assert run("keygen", "--secret-key", DAPP_SECRET).exit_code == 0
    answer = V["exchanges"]["phantom"]["connect"]["answer_url"]
    result = run("decode-redirect", answer)
    assert result.exit_code == 0, result.stderr


def edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_keypair_as_secret_key_is_refused_without_echoing_it(run: Any) -> None:
    keypair = X25519KeyPair.from_secret(b"\5" * 32)
    secret_alone = keypair.secret_base58()
    long_secret = base58.encode(keypair.secret + keypair.public.raw)
    for as_json in ((), ("--json",)):
        result = run("keygen", "--secret-key", long_secret, *as_json)
        assert result.exit_code == 3
        output = result.stdout + result.stderr
        for start in range(len(long_secret) - 8):
            assert long_secret[start : start + 8] not in output
        assert secret_alone not in output
    assert "Solana keypair" in run("keygen", "--secret-key", long_secret).stderr


def test_damaged_stored_key_is_exit_5(run: Any, keystore_path: Path) -> None:
    connected(run)
    edit(keystore_path, lambda d: d["keys"]["default"].update(secret_key="abc"))
    before = keystore_path.read_bytes()
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "hi")
    assert result.exit_code == 5, result.stderr
    assert "damaged value" in result.stderr
    assert keystore_path.read_bytes() == before


def test_damaged_session_key_is_exit_5_in_decode_redirect(run: Any, keystore_path: Path) -> None:
    connected(run)
    edit(
        keystore_path,
        lambda d: d["sessions"]["phantom"].update(wallet_encryption_public_key="abc"),
    )
    answer = V["exchanges"]["phantom"]["sign_message_utf8"]["answer_url"]
    result = run("decode-redirect", answer)
    assert result.exit_code == 5, result.stderr
    assert "damaged" in result.stderr
    assert "decode the wallet's connect answer first" not in result.stderr


def test_replaced_key_warns_and_stale_session_is_exit_5(run: Any, keystore_path: Path) -> None:
    connected(run)
    result = run("keygen", "--force")
    assert result.exit_code == 0
    assert "sessions made with it no longer work: phantom" in result.stderr
    before = keystore_path.read_bytes()
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "hi")
    assert result.exit_code == 5
    assert "earlier dapp key" in result.stderr
    assert keystore_path.read_bytes() == before


def test_keystore_path_reports_a_broken_file(run: Any, keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700)
    keystore_path.write_text("{not json")
    keystore_path.chmod(0o600)
    result = run("keystore", "path", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["keystore"] == str(keystore_path)
    assert "not valid JSON" in document["problem"]
    assert keystore_path.read_text() == "{not json"


def test_oversize_stdin_says_over_the_limit(run: Any) -> None:
    result = run("decode-redirect", "-", "--json", input="x" * 1_000_100)
    assert result.exit_code == 3
    message = json.loads(result.stderr)["error"]["message"]
    assert "over the 1,000,000-byte limit" in message


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def with_nested_field(text: str, depth: int) -> str:
    """The keystore text with an unknown top-level field nesting ``depth`` arrays."""
    return text.rstrip()[:-1] + f', "x": {nested(depth)}}}\n'


def test_deeply_nested_keystore_is_exit_5_for_every_command(run: Any, keystore_path: Path) -> None:
    # Valid JSON that nests 500-980 levels once made every loading command exit 70
    # (a RecursionError while redacting it); deeper than json's own limit was exit 5.
    connected(run)
    original = keystore_path.read_text()
    for depth in (64, 500, 980, 3000):
        keystore_path.write_text(with_nested_field(original, depth))
        before = keystore_path.read_bytes()
        for argv in (
            ("keystore", "list"),
            ("keystore", "list", "--json"),
            ("sign-url", "--redirect-link", "myapp://s", "--message", "hi"),
        ):
            result = run(*argv)
            assert result.exit_code == 5, (depth, argv, result.stderr)
            assert "Traceback" not in result.stderr
            assert keystore_path.read_bytes() == before


def test_keystore_nesting_at_the_limit_still_loads(run: Any, keystore_path: Path) -> None:
    connected(run)
    # The document is one level; 63 arrays under an unknown key make 64 in all.
    keystore_path.write_text(with_nested_field(keystore_path.read_text(), 63))
    result = run("keystore", "list")
    assert result.exit_code == 0, result.stderr
