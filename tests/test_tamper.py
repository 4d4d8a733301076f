"""Tampering and replay: flipped bits never open, replays are flagged, a foreign signer fails.

The answers come from :class:`MiniWallet`, a few lines of wallet written here from the
protocol notes (independent of ``simulate``), so these tests do not lean on the code under
test to produce their inputs.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from walletsign_cli.core import base58, box
from walletsign_cli.core.box import X25519KeyPair, X25519PublicKey
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import BadInputError, DecryptionError
from walletsign_cli.protocols import deeplink

CONNECT_LINK = "myapp://onConnect"
SIGN_LINK = "myapp://onSignMessage"


@dataclass
class MiniWallet:
    """Phantom's side of the exchange, straight from research/deeplinks.md §4 and §11."""

    x25519: X25519KeyPair = field(default_factory=X25519KeyPair.generate)
    account: Ed25519SigningKey = field(default_factory=Ed25519SigningKey.generate)
    token: str = field(default_factory=lambda: base58.encode(b"session-token-" + bytes(16)))

    def _shared(self, params: dict[str, str]) -> box.SharedSecret:
        dapp = X25519PublicKey.from_base58(params["dapp_encryption_public_key"])
        return box.shared_secret(dapp, self.x25519)

    def _answer(self, params: dict[str, str], answer: dict[str, Any], extra: str = "") -> str:
        nonce, sealed = box.seal(
            json.dumps(answer).encode(), self._shared(params), box.random_nonce()
        )
        return (
            f"{params['redirect_link']}?{extra}nonce={base58.encode(nonce)}"
            f"&data={base58.encode(sealed)}"
        )

    def connect(self, url: str) -> str:
        """The approve redirect for a connect deeplink."""
        params = dict(parse_qsl(urlsplit(url).query))
        answer = {"public_key": str(self.account.public), "session": self.token}
        key = f"phantom_encryption_public_key={self.x25519.public}&"
        return self._answer(params, answer, key)

    def sign_message(
        self, url: str, signer: Ed25519SigningKey | None = None, message: bytes | None = None
    ) -> str:
        """The approve redirect for a signMessage deeplink; ``signer`` or ``message`` forge it."""
        params = dict(parse_qsl(urlsplit(url).query))
        payload = json.loads(
            box.open_sealed(
                base58.decode(params["payload"]),
                base58.decode(params["nonce"]),
                self._shared(params),
            )
        )
        assert payload["session"] == self.token
        if message is None:
            message = base58.decode(payload["message"])
        signature = (signer or self.account).sign(message)
        return self._answer(params, {"signature": base58.encode(signature)})


@pytest.fixture
def wallet() -> MiniWallet:
    return MiniWallet()


def connected(run: Any, wallet: MiniWallet) -> None:
    """keygen, connect-url, the wallet's answer, decode-redirect: a saved session."""
    result = run("keygen")
    assert result.exit_code == 0, result.stderr
    result = run(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        "https://example.com",
        "--redirect-link",
        CONNECT_LINK,
    )
    assert result.exit_code == 0, result.stderr
    result = run("decode-redirect", wallet.connect(result.stdout.strip()), "--json")
    assert result.exit_code == 0, result.stderr


def sign_request(run: Any, message: str = "hello") -> str:
    result = run("sign-url", "--redirect-link", SIGN_LINK, "--message", message)
    assert result.exit_code == 0, result.stderr
    return str(result.stdout.strip())


def _shared_of_session(keystore_path: Path) -> box.SharedSecret:
    data = json.loads(keystore_path.read_text())
    session = data["sessions"]["phantom"]
    dapp = X25519KeyPair.from_base58(data["keys"][session["dapp_key"]]["secret_key"])
    wallet_pk = X25519PublicKey.from_base58(session["wallet_encryption_public_key"])
    return box.shared_secret(wallet_pk, dapp)


def _with(url: str, name: str, raw: bytes) -> str:
    link, _, query = url.partition("?")
    params = [(k, base58.encode(raw) if k == name else v) for k, v in parse_qsl(query)]
    return link + "?" + "&".join(f"{k}={v}" for k, v in params)


def test_ten_thousand_bit_flips_are_all_rejected(
    run: Any, wallet: MiniWallet, keystore_path: Path
) -> None:
    connected(run, wallet)
    answer = wallet.sign_message(sign_request(run))
    shared = _shared_of_session(keystore_path)
    original = deeplink.parse_redirect(answer)
    assert original.nonce is not None and original.data is not None
    # The untampered answer opens through the very functions decode-redirect uses.
    assert "signature" in deeplink.open_json(original.data, original.nonce, shared)

    rng = random.Random(20240601)
    rejected = 0
    for _ in range(10_000):
        name = rng.choice(["data", "nonce"])
        raw = bytearray(original.data if name == "data" else original.nonce)
        bit = rng.randrange(len(raw) * 8)
        raw[bit // 8] ^= 1 << (bit % 8)
        redirect = deeplink.parse_redirect(_with(answer, name, bytes(raw)))
        assert redirect.nonce is not None and redirect.data is not None
        with pytest.raises(DecryptionError):
            deeplink.open_json(redirect.data, redirect.nonce, shared)
        assert deeplink.try_open(redirect.data, redirect.nonce, [("phantom", shared)]) is None
        rejected += 1
    assert rejected == 10_000


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d, n: (d[:-1] + bytes([d[-1] ^ 1]), n), id="data-last-bit"),
        pytest.param(lambda d, n: (bytes([d[0] ^ 0x80]) + d[1:], n), id="tag-first-bit"),
        pytest.param(lambda d, n: (d, bytes([n[0] ^ 1]) + n[1:]), id="nonce-bit"),
        pytest.param(lambda d, n: (d[:20], n), id="truncated"),
        pytest.param(lambda d, n: (d + b"\0", n), id="extended"),
        pytest.param(lambda d, n: (d[:10], n), id="shorter-than-tag"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_tampered_answers_through_the_cli_exit_3_and_change_nothing(
    run: Any, wallet: MiniWallet, keystore_path: Path, mutate: Any, as_json: bool
) -> None:
    connected(run, wallet)
    answer = wallet.sign_message(sign_request(run))
    redirect = deeplink.parse_redirect(answer)
    assert redirect.data is not None and redirect.nonce is not None
    data, nonce = mutate(redirect.data, redirect.nonce)
    tampered = _with(_with(answer, "data", data), "nonce", nonce)
    before = keystore_path.read_bytes()
    result = run("decode-redirect", tampered, *(["--json"] if as_json else []))
    assert result.exit_code == 3, result.stderr
    assert result.stdout == ""
    if as_json:
        assert json.loads(result.stderr)["error"]["exit_code"] == 3
    else:
        assert result.stderr.startswith("walletsign: error: ")
        assert "data" in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr
    assert keystore_path.read_bytes() == before
    # The genuine answer still opens afterwards: nothing was consumed by the forgery.
    assert run("decode-redirect", answer, "--json").exit_code == 0


def test_nonce_of_wrong_length_is_bad_input(run: Any, wallet: MiniWallet) -> None:
    connected(run, wallet)
    answer = wallet.sign_message(sign_request(run))
    redirect = deeplink.parse_redirect(answer)
    assert redirect.nonce is not None
    with pytest.raises(BadInputError, match="nonce must be 24 bytes"):
        deeplink.parse_redirect(_with(answer, "nonce", redirect.nonce[:-1]))


def test_replayed_answer_is_flagged(run: Any, wallet: MiniWallet, keystore_path: Path) -> None:
    connected(run, wallet)
    answer = wallet.sign_message(sign_request(run))
    first = run("decode-redirect", answer, "--json")
    assert first.exit_code == 0, first.stderr
    first_doc = json.loads(first.stdout)
    assert first_doc["verified"] is True
    assert "replay" not in first_doc or first_doc["replay"] is False
    assert "replay" not in first.stderr

    again = run("decode-redirect", answer, "--json")
    assert again.exit_code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["replay"] is True
    assert doc["verified"] is True
    assert "already answered" in again.stderr  # the warning, on stderr

    text = run("decode-redirect", answer)
    assert "walletsign: warning:" in text.stderr
    assert "replayed answer" in text.stderr


def test_replayed_connect_answer_is_flagged(
    run: Any, wallet: MiniWallet, keystore_path: Path
) -> None:
    assert run("keygen").exit_code == 0
    url = run(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        "https://example.com",
        "--redirect-link",
        CONNECT_LINK,
    ).stdout.strip()
    answer = wallet.connect(url)
    assert json.loads(run("decode-redirect", answer, "--json").stdout).get("replay") in (
        None,
        False,
    )
    again = run("decode-redirect", answer, "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["replay"] is True


def test_signature_by_another_key_is_verified_false_exit_1(
    run: Any, wallet: MiniWallet, keystore_path: Path
) -> None:
    connected(run, wallet)
    impostor = Ed25519SigningKey.generate()
    answer = wallet.sign_message(sign_request(run), signer=impostor)
    result = run("decode-redirect", answer, "--json")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["verified"] is False
    assert doc["method"] == "signMessage"
    text = run("decode-redirect", answer)
    assert text.exit_code == 1
    assert "does not verify" in text.stderr


def test_forged_answer_does_not_use_up_the_request(
    run: Any, wallet: MiniWallet, keystore_path: Path
) -> None:
    """An answer that fails verification leaves the keystore as it was (exit 1 is a failure),
    so the genuine answer that follows is not mistaken for a replay."""
    connected(run, wallet)
    url = sign_request(run)
    before = keystore_path.read_bytes()
    forged = wallet.sign_message(url, signer=Ed25519SigningKey.generate())
    assert run("decode-redirect", forged).exit_code == 1
    assert keystore_path.read_bytes() == before
    genuine = run("decode-redirect", wallet.sign_message(url), "--json")
    assert genuine.exit_code == 0
    assert json.loads(genuine.stdout).get("replay") in (None, False)


def test_signature_over_an_unrequested_message_is_verified_false(
    run: Any, wallet: MiniWallet
) -> None:
    connected(run, wallet)
    url = sign_request(run, "pay 1 SOL")
    forged = wallet.sign_message(url, message=b"pay 1000 SOL")
    result = run("decode-redirect", forged, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["verified"] is False
