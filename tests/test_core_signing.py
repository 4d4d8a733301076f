"""ed25519 (RFC 8032, tweetnacl vectors) and EIP-191 / secp256k1 (eip191.json)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.core import base58, ed25519, eth
from walletsign_cli.errors import BadInputError, InvalidSignatureError

ED = load_vector("ed25519.json")
EIP191 = load_vector("eip191.json")


@pytest.mark.parametrize("case", ED["rfc8032"], ids=lambda c: c["name"])
def test_rfc8032(case: dict[str, str]) -> None:
    key = ed25519.Ed25519SigningKey.from_seed(bytes.fromhex(case["seed_hex"]))
    message = bytes.fromhex(case["message_hex"])
    assert key.public.raw.hex() == case["public_key_hex"]
    assert str(key.public) == case["public_key"]
    assert key.sign(message).hex() == case["signature_hex"]
    key.public.verify(message, bytes.fromhex(case["signature_hex"]))


@pytest.mark.parametrize("case", ED["generated"], ids=lambda c: c["public_key"][:8])
def test_generated_signatures(case: dict[str, str]) -> None:
    key = ed25519.Ed25519SigningKey.from_seed(bytes.fromhex(case["seed_hex"]))
    assert str(key.public) == case["public_key"]
    assert base58.encode(key.sign(bytes.fromhex(case["message_hex"]))) == case["signature_base58"]


def test_session_token_is_attached_signature() -> None:
    deeplink = load_vector("deeplink.json")
    account = ed25519.Ed25519SigningKey.from_seed(bytes.fromhex(deeplink["account"]["seed_hex"]))
    token = account.sign_attached(deeplink["session"]["json"].encode())
    assert base58.encode(token) == deeplink["session"]["token"]
    assert ed25519.open_attached(token, account.public.raw) == deeplink["session"]["json"].encode()


@given(st.binary(max_size=100), st.data())
def test_any_flipped_bit_is_invalid(message: bytes, data: st.DataObject) -> None:
    key = ed25519.Ed25519SigningKey.from_seed(hashlib.sha256(message).digest())
    signature = key.sign(message)
    parts = {"message": message, "key": key.public.raw, "signature": signature}
    target = data.draw(st.sampled_from(sorted(k for k, v in parts.items() if v)))
    buf = bytearray(parts[target])
    bit = data.draw(st.integers(0, len(buf) * 8 - 1))
    buf[bit // 8] ^= 1 << (bit % 8)
    parts[target] = bytes(buf)
    with pytest.raises(InvalidSignatureError):
        ed25519.verify(parts["key"], parts["message"], parts["signature"])


def test_keypair_where_public_key_belongs() -> None:
    key = ed25519.Ed25519SigningKey.from_seed(b"\7" * 32)
    with pytest.raises(BadInputError, match="Solana keypair"):
        ed25519.Ed25519PublicKey.from_base58(base58.encode(key.seed + key.public.raw))


def test_signing_key_repr_hides_seed() -> None:
    key = ed25519.Ed25519SigningKey.from_seed(b"\7" * 32)
    assert (b"\7" * 32).hex() not in repr(key)
    assert "seed" not in repr(key)


def test_keccak_is_not_sha3() -> None:
    assert eth.keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


@pytest.mark.parametrize("case", EIP191["vectors"], ids=lambda c: c["id"])
def test_eip191_vectors(case: dict[str, str]) -> None:
    message = bytes.fromhex(case["message_hex"][2:])
    assert eth.personal_sign_hash(message).hex() == case["digest"][2:]
    signature = eth.EthSignature.from_bytes(bytes.fromhex(case["signature"][2:]))
    address = eth.parse_address(case["address"])
    eth.verify_personal_sign(address, message, signature)
    assert eth.to_checksum_address(eth.recover_personal_sign(message, signature)) == case["address"]


def test_signature_forms() -> None:
    forms = EIP191["signature_forms"]
    v1 = next(v for v in EIP191["vectors"] if v["id"] == forms["of"])
    message = bytes.fromhex(v1["message_hex"][2:])
    address = eth.parse_address(v1["address"])
    for form in ("standard", "v_00_01", "eip2098_compact"):
        eth.verify_personal_sign(
            address, message, eth.EthSignature.from_bytes(bytes.fromhex(forms[form][2:]))
        )
    high = eth.EthSignature.from_bytes(bytes.fromhex(forms["high_s_malleated"]["signature"][2:]))
    assert high.high_s
    with pytest.raises(InvalidSignatureError, match="high s"):
        eth.verify_personal_sign(address, message, high)
    eth.verify_personal_sign(address, message, high, allow_high_s=True)


def test_wrong_address_names_both() -> None:
    v1 = EIP191["vectors"][0]
    message = bytes.fromhex(v1["message_hex"][2:])
    signature = eth.EthSignature.from_bytes(bytes.fromhex(v1["signature"][2:]))
    with pytest.raises(InvalidSignatureError, match="not 0x"):
        eth.verify_personal_sign(b"\1" * 20, message, signature)


def test_bad_checksum_is_refused() -> None:
    good = EIP191["vectors"][0]["address"]
    bad = good[:2] + good[2:].swapcase()
    if bad.lower() != bad and bad.upper()[2:] != bad[2:]:
        with pytest.raises(BadInputError, match="EIP-55"):
            eth.parse_address(bad)
    assert eth.parse_address(good.lower()) == eth.parse_address(good)
