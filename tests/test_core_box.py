"""x25519 and the NaCl box, against the tweetnacl exchange in deeplink.json."""

from __future__ import annotations

import json

import nacl.public
import nacl.secret
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.core import base58
from walletsign_cli.core.box import (
    X25519KeyPair,
    X25519PublicKey,
    open_sealed,
    seal,
    shared_secret,
)
from walletsign_cli.errors import BadInputError, DecryptionError

V = load_vector("deeplink.json")
DAPP = X25519KeyPair.from_secret(bytes.fromhex(V["dapp"]["secret_key_hex"]))
WALLET = X25519KeyPair.from_secret(bytes.fromhex(V["wallet_encryption"]["secret_key_hex"]))


def test_public_keys_match_tweetnacl() -> None:
    assert str(DAPP.public) == V["dapp"]["public_key"]
    assert str(WALLET.public) == V["wallet_encryption"]["public_key"]


def test_shared_secret_is_box_before_from_both_sides() -> None:
    expected = bytes.fromhex(V["shared_secret_hex"])
    assert shared_secret(WALLET.public, DAPP).raw == expected
    assert shared_secret(DAPP.public, WALLET).raw == expected


def test_connect_answer_data_matches_vector() -> None:
    shared = shared_secret(WALLET.public, DAPP)
    for wallet in ("phantom", "solflare", "backpack"):
        connect = V["exchanges"][wallet]["connect"]
        nonce = base58.decode(connect["answer_nonce"])
        # JSON.stringify: no spaces, insertion order.
        plaintext = json.dumps(connect["answer_data"], separators=(",", ":")).encode()
        data = connect["answer_url"].split("&data=")[1]
        assert base58.encode(seal(plaintext, shared, nonce)[1]) == data
        assert open_sealed(base58.decode(data), nonce, shared) == plaintext


def test_sign_message_payloads_match_vector() -> None:
    shared = shared_secret(WALLET.public, DAPP)
    for wallet in ("phantom", "solflare", "backpack"):
        for kind in ("sign_message_utf8", "sign_message_hex"):
            case = V["exchanges"][wallet][kind]
            nonce = base58.decode(case["request_nonce"])
            _, sealed = seal(case["payload_plaintext"].encode(), shared, nonce)
            assert f"payload={base58.encode(sealed)}" in case["request_url"]


def test_seal_equals_pynacl_box_and_secretbox() -> None:
    shared = shared_secret(WALLET.public, DAPP)
    nonce = bytes(range(24))
    _, sealed = seal(b"hello", shared, nonce)
    box = nacl.public.Box(
        nacl.public.PrivateKey(DAPP.secret), nacl.public.PublicKey(WALLET.public.raw)
    )
    assert sealed == box.encrypt(b"hello", nonce).ciphertext
    assert sealed == nacl.secret.SecretBox(shared.raw).encrypt(b"hello", nonce).ciphertext
    assert len(sealed) == 5 + 16


@given(st.binary(max_size=200), st.binary(min_size=24, max_size=24))
def test_round_trip(plaintext: bytes, nonce: bytes) -> None:
    shared = shared_secret(WALLET.public, DAPP)
    n, sealed = seal(plaintext, shared, nonce)
    assert open_sealed(sealed, n, shared) == plaintext


@given(st.binary(min_size=1, max_size=64), st.data())
def test_any_flipped_bit_fails(plaintext: bytes, data: st.DataObject) -> None:
    shared = shared_secret(WALLET.public, DAPP)
    nonce, sealed = seal(plaintext, shared)
    target = data.draw(st.sampled_from(["ciphertext", "nonce"]))
    buf = bytearray(sealed if target == "ciphertext" else nonce)
    bit = data.draw(st.integers(0, len(buf) * 8 - 1))
    buf[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionError):
        if target == "ciphertext":
            open_sealed(bytes(buf), nonce, shared)
        else:
            open_sealed(sealed, bytes(buf), shared)


def test_bad_sizes_are_typed_errors() -> None:
    shared = shared_secret(WALLET.public, DAPP)
    with pytest.raises(BadInputError, match="nonce must be 24 bytes"):
        seal(b"x", shared, b"\0" * 23)
    with pytest.raises(DecryptionError, match="shorter than"):
        open_sealed(b"short", b"\0" * 24, shared)
    with pytest.raises(BadInputError, match="32 bytes"):
        X25519PublicKey.from_base58(base58.encode(b"\1" * 31))


def test_secret_not_in_repr() -> None:
    assert DAPP.secret.hex() not in repr(DAPP)
    assert base58.encode(DAPP.secret) not in repr(DAPP)
    assert repr(shared_secret(WALLET.public, DAPP)) == "SharedSecret()"
