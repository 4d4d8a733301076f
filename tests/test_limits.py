"""Oversize input is refused at once (exit 3, ``input_too_large``), never a long hang.

Each command gets 2 MB where the caps in ``walletsign_cli.limits`` allow 1 MB: a URL to
``decode-redirect`` and ``simulate``, a message to ``verify``, ``sign-url`` and ``encrypt``, a
file to ``decrypt``, a line of ``verify --batch``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import raw_transaction
from walletsign_cli import limits
from walletsign_cli.core import base58
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import InputTooLargeError
from walletsign_cli.keystore import Keystore
from walletsign_cli.protocols.state import KeyEntry, now_iso

TWO_MB = 2 * 1024 * 1024
# Refusing means checking a length: far below this even on a slow CI machine.
SECONDS = 2.0
BIG_URL = "myapp://onSignAllTransactions?nonce=" + "1" * 32 + "&data=" + "2" * TWO_MB
BIG_TEXT = "a" * TWO_MB
SIGNER = Ed25519SigningKey.from_seed(bytes(range(32)))


@dataclass(frozen=True)
class Case:
    """One oversize input to one command."""

    name: str
    command: str
    args: Callable[[Path], list[str]]
    stdin: str | None = None
    needs_session: bool = False


def big_file(tmp_path: Path) -> str:
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * TWO_MB)
    return str(path)


def encryption_key() -> str:
    return base64.b64encode(bytes(X25519KeyPair.generate().public.raw)).decode()


def verify_args(*message: str) -> list[str]:
    return [
        "verify",
        "--public-key",
        str(SIGNER.public),
        "--signature",
        base58.encode(SIGNER.sign(b"x")),
        *message,
    ]


def batch_line() -> str:
    line = {
        "public_key": str(SIGNER.public),
        "signature": base58.encode(SIGNER.sign(b"x")),
        "message": BIG_TEXT,
    }
    return json.dumps(line) + "\n"


CASES = [
    Case("decode-redirect URL", "decode-redirect", lambda _: ["decode-redirect", BIG_URL]),
    Case("decode-redirect stdin", "decode-redirect", lambda _: ["decode-redirect", "-"], BIG_URL),
    Case("simulate URL", "simulate", lambda _: ["simulate", BIG_URL]),
    Case("simulate stdin", "simulate", lambda _: ["simulate", "-"], BIG_URL),
    Case("verify --message", "verify", lambda _: verify_args("--message", BIG_TEXT)),
    Case("verify --message-file", "verify", lambda p: verify_args("--message-file", big_file(p))),
    Case(
        "verify --message-file -", "verify", lambda _: verify_args("--message-file", "-"), BIG_TEXT
    ),
    Case("verify --batch line", "verify", lambda _: ["verify", "--batch", "-"], batch_line()),
    Case(
        "sign-url --message",
        "sign-url",
        lambda _: ["sign-url", "--redirect-link", "myapp://onSign", "--message", BIG_TEXT],
        needs_session=True,
    ),
    Case(
        "sign-url --message-file",
        "sign-url",
        lambda p: ["sign-url", "--redirect-link", "myapp://onSign", "--message-file", big_file(p)],
        needs_session=True,
    ),
    Case(
        "connect-url --redirect-link",
        "connect-url",
        lambda _: [
            "connect-url",
            "--wallet",
            "phantom",
            "--app-url",
            "https://example.com",
            "--redirect-link",
            "myapp://x?" + BIG_TEXT,
        ],
    ),
    Case(
        "encrypt --message",
        "encrypt",
        lambda _: ["encrypt", "--public-key", encryption_key(), "--message", BIG_TEXT],
    ),
    Case(
        "decrypt FILE",
        "decrypt",
        lambda p: ["decrypt", "--private-key", "11" * 32, big_file(p)],
    ),
]


def save_session(path: Path) -> None:
    """A dapp key and a session, as decode-redirect saves them after a connect answer."""
    dapp = X25519KeyPair.generate()
    wallet = X25519KeyPair.generate()
    with raw_transaction(Keystore(path)) as data:
        data["keys"]["default"] = KeyEntry.of(dapp, now_iso()).to_json()
        data["sessions"]["phantom"] = {
            "wallet": "phantom",
            "base_url": "https://phantom.app/ul/v1/",
            "dapp_key": "default",
            "dapp_public_key": str(dapp.public),
            "wallet_encryption_public_key": str(wallet.public),
            "public_key": str(SIGNER.public),
            "session": "opaque-session-token",
            "cluster": "mainnet-beta",
            "app_url": "https://example.com",
            "redirect_link": "myapp://onConnect",
            "created_at": now_iso(),
        }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_oversize_input_is_refused_at_once(case: Case, run: Any, tmp_path: Path) -> None:
    keystore = tmp_path / "ks" / "keystore.json"
    if case.needs_session:
        save_session(keystore)
    before = keystore.read_bytes() if keystore.exists() else None
    args = [*case.args(tmp_path), "--json"]

    start = time.perf_counter()
    result = run(*args, input=case.stdin)
    elapsed = time.perf_counter() - start

    assert result.exit_code == 3, result.stderr[-300:]
    assert elapsed < SECONDS
    if case.name == "verify --batch line":
        # A batch goes on after a bad line: the line's own record names the cap.
        record = json.loads(result.stdout.splitlines()[0])
        assert record["valid"] is False
        assert "limit" in record["error"]
    else:
        assert result.stdout == ""
        error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
        assert error["type"] == "input_too_large", error
        assert error["exit_code"] == 3
    after = keystore.read_bytes() if keystore.exists() else None
    assert after == before, "an oversize input changed the keystore"


def test_caps_are_what_the_readme_documents() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]
    for name in ("MAX_URL_CHARS", "MAX_PAYLOAD_BYTES", "MAX_MESSAGE_BYTES", "MAX_BATCH_LINE_BYTES"):
        value = getattr(limits, name)
        assert f"{value:,}" in section, f"README limits section does not give {name}"


def test_check_size_accepts_the_cap_and_refuses_one_more() -> None:
    limits.check_size(limits.MAX_MESSAGE_BYTES, limits.MAX_MESSAGE_BYTES, "the message")
    with pytest.raises(
        InputTooLargeError, match=f"the message is {limits.MAX_MESSAGE_BYTES + 1:,} bytes"
    ):
        limits.check_size(limits.MAX_MESSAGE_BYTES + 1, limits.MAX_MESSAGE_BYTES, "the message")
