"""``walletsign verify`` of one signature: ed25519 (raw, off-chain, SIWS) and EIP-191."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.exceptions
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.core import base58
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import BadInputError, InvalidSignatureError
from walletsign_cli.protocols import offchain, siws
from walletsign_cli.protocols.verification import (
    EthereumRequest,
    SolanaRequest,
    decode_binary,
)

ED = load_vector("ed25519.json")
EIP191 = load_vector("eip191.json")
WYCHEPROOF = load_vector("wycheproof_ed25519_test.json")
TEST1 = ED["rfc8032"][0]
TEST1_KEY = Ed25519SigningKey.from_seed(bytes.fromhex(TEST1["seed_hex"]))
ADDRESS = ED["public_key_base58_of_rfc_test1"]


def verify_json(run: Any, *args: str, input: str | None = None) -> tuple[int, dict[str, Any]]:
    result = run("verify", "--json", *args, input=input)
    assert result.stdout, result.stderr
    return result.exit_code, json.loads(result.stdout)


# --- RFC 8032 and encodings ------------------------------------------------------------


@pytest.mark.parametrize("case", ED["rfc8032"], ids=lambda c: c["name"])
def test_rfc8032(run: Any, case: dict[str, Any]) -> None:
    code, doc = verify_json(
        run,
        "--public-key",
        case["public_key"],
        "--signature",
        case["signature"],
        "--message-hex",
        case["message_hex"],
    )
    assert code == 0
    assert doc["valid"] is True
    assert doc["chain"] == "solana"
    assert doc["scheme"] == "raw"
    assert doc["signer"] == case["public_key"]
    assert doc["signature_encoding"] == "base58"
    assert doc["message_encoding"] == "hex"


@pytest.mark.parametrize("encoding", ["base58", "base64", "hex"])
def test_signature_encoding_is_detected_and_reported(run: Any, encoding: str) -> None:
    for case in ED["generated"][:6]:
        code, doc = verify_json(
            run,
            "--public-key",
            case["public_key"],
            "--signature",
            case[f"signature_{encoding}"],
            "--message-hex",
            case["message_hex"],
        )
        assert (code, doc["valid"], doc["signature_encoding"]) == (0, True, encoding)


def test_public_key_in_hex_and_base64(run: Any) -> None:
    raw = bytes.fromhex(TEST1["public_key_hex"])
    sig = TEST1["signature"]
    for text, encoding in (
        (raw.hex(), "hex"),
        ("0x" + raw.hex(), "hex"),
        (base64.b64encode(raw).decode(), "base64"),
    ):
        code, doc = verify_json(run, "--public-key", text, "--signature", sig, "--message-hex", "")
        assert code == 0
        assert doc["public_key_encoding"] == encoding
        assert doc["signer"] == ADDRESS


def test_decode_binary_prefers_the_reading_of_the_right_size() -> None:
    sig = bytes(range(64))
    assert decode_binary(sig.hex(), 64, name="s") == (sig, "hex")
    assert decode_binary(base58.encode(sig), 64, name="s") == (sig, "base58")
    assert decode_binary(base64.b64encode(sig).decode(), 64, name="s") == (sig, "base64")
    url = base64.urlsafe_b64encode(b"\xfb" * 64).decode().rstrip("=")
    assert decode_binary(url, 64, name="s") == (b"\xfb" * 64, "base64url")
    with pytest.raises(BadInputError, match="--signature is empty"):
        decode_binary("  ", 64, name="--signature")
    with pytest.raises(BadInputError, match="not base58"):
        decode_binary("not*valid", 64, name="--signature")


def test_keypair_where_a_public_key_belongs_is_a_clear_error(run: Any) -> None:
    keypair = TEST1_KEY.seed + TEST1_KEY.public.raw
    for text in (base58.encode(keypair), keypair.hex(), json.dumps(list(keypair))):
        result = run(
            "verify", "--public-key", text, "--signature", TEST1["signature"], "--message", ""
        )
        assert result.exit_code == 3
        assert result.stdout == ""
        assert "--public-key is 64 bytes (" in result.stderr
        assert "that is a Solana keypair" in result.stderr
        # The form is named and the public half offered; the secret half never shown.
        assert f"its public half is {TEST1_KEY.public}" in result.stderr
        assert f"walletsign: hint: pass --public-key {TEST1_KEY.public}" in result.stderr
        assert TEST1["seed_hex"] not in result.stderr
        assert base58.encode(TEST1_KEY.seed) not in result.stderr
        assert json.dumps(list(TEST1_KEY.seed))[1:-1] not in result.stderr
    forms = {
        base58.encode(keypair): "base58 text",
        keypair.hex(): "hex text",
        json.dumps(list(keypair)): "a JSON array of 64 byte values",
    }
    for text, form in forms.items():
        stderr = run("verify", "--public-key", text, "--signature", "x", "--message", "").stderr
        assert f"--public-key is 64 bytes ({form})" in stderr


def test_a_prefixed_public_key_verifies_and_says_so(run: Any) -> None:
    signature = base58.encode(TEST1_KEY.sign(b"hello"))
    for prefix in ("ed25519:", "ED25519:", "solana:"):
        result = run(
            "verify",
            "--public-key",
            prefix + str(TEST1_KEY.public),
            "--signature",
            signature,
            "--message",
            "hello",
            "--json",
        )
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["valid"] is True
        assert doc["public_key_encoding"] == f"base58 after the prefix {prefix.lower()}"
    bare = run("verify", "--public-key", "ed25519:", "--signature", signature, "--message", "x")
    assert bare.exit_code == 3


def test_bad_public_key_is_bad_input(run: Any) -> None:
    result = run("verify", "--public-key", "abc", "--signature", "x", "--message", "m", "--json")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["exit_code"] == 3
    result = run(
        "verify",
        "--public-key",
        "0x14791697260E4c9A71f18484C9f997B308e59325",
        "--signature",
        TEST1["signature"],
        "--message",
        "m",
    )
    assert result.exit_code == 3
    assert "--address" in result.stderr


# --- Wycheproof ------------------------------------------------------------------------


def _verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """libsodium's own verdict through the public binding: the oracle for "acceptable"."""
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True


def _wycheproof_cases() -> list[tuple[str, dict[str, Any]]]:
    return [
        (group["publicKey"]["pk"], test)
        for group in WYCHEPROOF["testGroups"]
        for test in group["tests"]
    ]


def test_wycheproof_every_case(run: Any) -> None:
    cases = _wycheproof_cases()
    assert len(cases) == WYCHEPROOF["numberOfTests"]
    for pk, test in cases:
        expected = test["result"]
        if expected == "acceptable":  # the file says: libsodium's verdict decides
            expected = "valid" if _verifies(bytes.fromhex(pk), *_msg_sig(test)) else "invalid"
        result = run(
            "verify",
            "--public-key",
            pk,
            "--signature",
            "0x" + test["sig"],
            "--message-hex",
            test["msg"],
        )
        assert result.exit_code == (0 if expected == "valid" else 1), (test["tcId"], test)
        assert result.stdout.startswith("valid:" if expected == "valid" else "invalid:")


def _msg_sig(test: dict[str, Any]) -> tuple[bytes, bytes]:
    return bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])


# --- off-chain messages ------------------------------------------------------------------

LAYOUT_OF = {
    "legacy v0 (solana sign-offchain-message)": offchain.LEGACY_V0,
    "legacy v0, format 1 (UTF-8)": offchain.LEGACY_V0,
    "spec v0 (zero application domain, one signer)": offchain.V0,
    "v1 (one signer)": offchain.V1,
    "raw (wallet signMessage, no prefix)": "raw",
}
OFFCHAIN_CASES = ED["offchain_messages"]["cases"]


@pytest.mark.parametrize("case", OFFCHAIN_CASES, ids=lambda c: c["layout"])
def test_offchain_vectors_are_recognised_under_auto(run: Any, case: dict[str, Any]) -> None:
    signer = ED["offchain_messages"]["signer_public_key"]
    args = ("--public-key", signer, "--signature", case["signature"])
    code, doc = verify_json(run, *args, "--message", case["message_utf8"])
    assert (code, doc["valid"], doc["scheme"]) == (0, True, LAYOUT_OF[case["layout"]])
    # The serialized message itself verifies as those bytes and is named by its layout.
    code, doc = verify_json(run, *args, "--message-hex", case["serialized_hex"])
    assert (code, doc["scheme"]) == (0, LAYOUT_OF[case["layout"]])
    # Under --scheme raw only the raw signature is accepted; the others get a hint.
    result = run("verify", *args, "--message", case["message_utf8"], "--scheme", "raw")
    if LAYOUT_OF[case["layout"]] == "raw":
        assert result.exit_code == 0
    else:
        assert result.exit_code == 1
        assert f"use --scheme {LAYOUT_OF[case['layout']]}" in result.stderr


@pytest.mark.parametrize("case", OFFCHAIN_CASES[:4], ids=lambda c: c["layout"])
def test_offchain_serialization_matches_vectors(case: dict[str, Any]) -> None:
    body = case["message_utf8"].encode()
    signer = TEST1_KEY.public.raw
    layout = LAYOUT_OF[case["layout"]]
    built = next(c for c in offchain.candidates(body, signer) if c.layout == layout).serialize()
    assert built.hex() == case["serialized_hex"]
    parsed = offchain.parse(built)
    assert (parsed.layout, parsed.body) == (layout, body)


def test_offchain_kit_v0_and_v1_bytes() -> None:
    domain = bytes.fromhex("0d3b730b9e889b4b661ed2a3ce191f68d37da7443206a182b946891e00000000")
    a = bytes.fromhex("0cfe2cc952550e94c725639a4bd11d4ea5a6383651c308b718c3aef286bca1af")
    b = bytes.fromhex("0cfe2cc9525c95efb972c0c5b7ae0fd520d97e948fd8bb2c10a10102ce98b3a6")
    v0 = offchain.spec_v0(b"Hello world", (a, b), application_domain=domain)
    expected = offchain.SIGNING_DOMAIN + b"\0" + domain + b"\0\2" + a + b + b"\x0b\0Hello world"
    assert v0.serialize() == expected
    assert offchain.parse(expected) == v0
    v1 = offchain.v1(b"Hello\nworld", (b, a))
    assert v1.serialize() == offchain.SIGNING_DOMAIN + b"\1\2" + a + b + b"Hello\nworld"
    assert offchain.parse(v1.serialize()) == v1


def test_offchain_parse_is_strict() -> None:
    legacy = offchain.legacy_v0(b"Test Message").serialize()
    with pytest.raises(BadInputError):
        offchain.parse(legacy[:-1])  # length no longer matches
    with pytest.raises(BadInputError):
        offchain.parse(b"\xffsolana offchain\x07")
    with pytest.raises(BadInputError):
        offchain.parse(b"hello")
    key = TEST1_KEY.public.raw
    unsorted = offchain.SIGNING_DOMAIN + b"\1\2" + b"\2" * 32 + b"\1" * 32 + b"hi"
    with pytest.raises(BadInputError, match="sorted"):
        offchain.parse(unsorted)
    assert offchain.legacy_v0_format(b"\x00\x01") == offchain.FORMAT_LIMITED_UTF8
    assert offchain.legacy_v0_format("é".encode()) == offchain.FORMAT_LIMITED_UTF8
    assert offchain.legacy_v0_format(b"a" * 2000) == offchain.FORMAT_EXTENDED_UTF8
    assert offchain.legacy_v0_format(b"\xff") is None
    assert offchain.candidates(b"", key) == []


def test_scheme_offchain_with_application_domain(run: Any) -> None:
    domain = bytes(range(32))
    message = offchain.spec_v0(b"hi", (TEST1_KEY.public.raw,), application_domain=domain)
    signature = base58.encode(TEST1_KEY.sign(message.serialize()))
    args = ("--public-key", ADDRESS, "--signature", signature, "--message", "hi")
    assert run("verify", *args).exit_code == 1
    code, doc = verify_json(
        run, *args, "--scheme", "offchain", "--application-domain", base58.encode(domain)
    )
    assert (code, doc["scheme"]) == (0, "offchain-v0")
    assert doc["offchain"]["application_domain"] == base58.encode(domain)


def test_serialized_message_not_listing_the_signer(run: Any) -> None:
    other = Ed25519SigningKey.from_seed(b"\7" * 32)
    data = offchain.v1(b"hello", (other.public.raw,)).serialize()
    signature = base58.encode(TEST1_KEY.sign(data))
    args = ("--public-key", ADDRESS, "--signature", signature, "--message-hex", data.hex())
    code, doc = verify_json(run, *args)
    assert (code, doc["scheme"]) == (0, "raw")  # valid bytes, but not a v1 message by this key
    result = run("verify", *args, "--scheme", "offchain-v1")
    assert result.exit_code == 1
    assert "does not list this key" in result.stdout


# --- Sign-In With Solana -------------------------------------------------------------------

SIWS = ED["siws"]


def test_siws_vector_auto_and_explicit(run: Any) -> None:
    args = ("--public-key", SIWS["public_key"], "--signature", SIWS["signature"])
    code, doc = verify_json(run, *args, "--message", SIWS["text"])
    assert (code, doc["scheme"]) == (0, "siws")
    assert doc["siws"]["domain"] == "example.com"
    code, doc = verify_json(
        run,
        *args,
        "--message",
        SIWS["text"],
        "--scheme",
        "siws",
        "--domain",
        "example.com",
        "--nonce",
        "oBbLoEldZs",
    )
    assert (code, doc["valid"], doc["siws"]["nonce"]) == (0, True, "oBbLoEldZs")
    result = run("verify", *args, "--message", SIWS["text"], "--domain", "evil.example")
    assert result.exit_code == 1
    assert "not 'evil.example'" in result.stdout
    code, doc = verify_json(run, *args, "--message", SIWS["text"], "--nonce", "other123")
    assert (code, doc["valid"]) == (1, False)
    assert "nonce" in doc["reason"]


def _signed_siws(**fields: Any) -> tuple[str, str]:
    values: dict[str, Any] = {"domain": "example.com", "address": ADDRESS, **fields}
    text = siws.SignInMessage(**values).text()
    return text, base58.encode(TEST1_KEY.sign(text.encode()))


def test_siws_time_window(run: Any) -> None:
    text, signature = _signed_siws(
        nonce="abcdefgh",
        issued_at="2024-01-01T00:00:00Z",
        expiration_time="2024-01-02T00:00:00Z",
        not_before="2024-01-01T12:00:00Z",
    )
    args: tuple[str, ...] = ("verify", "--scheme", "siws", "--public-key", ADDRESS)
    args = (*args, "--signature", signature, "--message", text)
    assert run(*args, "--now", "2024-01-01T13:00:00Z").exit_code == 0
    early = run(*args, "--now", "2024-01-01T11:59:59Z")
    assert early.exit_code == 1
    assert "not valid before" in early.stdout
    late = run(*args, "--now", "2024-01-02T00:00:00Z")
    assert late.exit_code == 1
    assert "expired" in late.stdout
    assert run(*args).exit_code == 1  # today is long after the expiration
    assert run(*args, "--now", "yesterday").exit_code == 3


def test_siws_address_line_must_be_the_signer(run: Any) -> None:
    other = str(Ed25519SigningKey.from_seed(b"\5" * 32).public)
    text = siws.SignInMessage(domain="example.com", address=other, nonce="abcdefgh").text()
    signature = base58.encode(TEST1_KEY.sign(text.encode()))
    code, doc = verify_json(
        run, "--public-key", ADDRESS, "--signature", signature, "--message", text
    )
    assert (code, doc["valid"], doc["chain"]) == (1, False, "solana")
    assert f"signs in as {other}" in doc["reason"]


def test_siws_in_an_offchain_v1_envelope(run: Any) -> None:
    text, _ = _signed_siws(nonce="abcdefgh")
    wrapped = offchain.v1(text.encode(), (TEST1_KEY.public.raw,)).serialize()
    signature = base58.encode(TEST1_KEY.sign(wrapped))
    args = ("--public-key", ADDRESS, "--signature", signature, "--message", text)
    for scheme in ("auto", "siws"):
        code, doc = verify_json(run, *args, "--scheme", scheme)
        assert (code, doc["scheme"], doc["siws_framing"]) == (0, "siws", "offchain-v1")


def test_scheme_siws_on_a_non_siws_message_is_bad_input(run: Any) -> None:
    result = run(
        "verify",
        "--scheme",
        "siws",
        "--public-key",
        ADDRESS,
        "--signature",
        TEST1["signature"],
        "--message",
        "hello",
    )
    assert result.exit_code == 3
    assert "not a Sign-In With Solana message" in result.stderr


SIWS_TEXTS = [
    "solana.com wants you to sign in with your Solana account:\nA",
    "solana.com wants you to sign in with your Solana account:\nA\n\nS",
    "solana.com wants you to sign in with your Solana account:\nA\n\nS\n\nS",
    "solana.com wants you to sign in with your Solana account:\nA\n\nURI: https://solana.com",
    "solana.com wants you to sign in with your Solana account:\nA\n\nS\n\nURI: https://solana.com",
    SIWS["text"],
]


@pytest.mark.parametrize("text", SIWS_TEXTS)
def test_siws_official_texts_round_trip(text: str) -> None:
    assert siws.parse(text).text() == text
    # The reference verifier rebuilds the text and compares: trailing newlines break that.
    with pytest.raises(BadInputError, match="trailing newline"):
        siws.parse(text + "\n\n")


_field = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    statement=st.none() | _field,
    uri=st.none() | _field,
    nonce=st.none() | _field,
    expiration=st.none() | _field,
    resources=st.none() | st.lists(_field, min_size=1, max_size=3).map(tuple),
)
def test_siws_build_parse_round_trip(
    statement: str | None,
    uri: str | None,
    nonce: str | None,
    expiration: str | None,
    resources: tuple[str, ...] | None,
) -> None:
    message = siws.SignInMessage(
        domain="example.com",
        address=ADDRESS,
        statement=statement,
        uri=uri,
        nonce=nonce,
        expiration_time=expiration,
        resources=resources,
    )
    assert siws.parse(message.text()) == message


def test_siws_check_uses_the_given_clock() -> None:
    message = siws.SignInMessage(
        domain="d", address=ADDRESS, expiration_time="2030-01-01T00:00:00.000Z"
    )
    siws.check(message, ADDRESS, now=datetime(2029, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidSignatureError, match="expired"):
        siws.check(message, ADDRESS, now=datetime(2031, 1, 1, tzinfo=UTC))


# --- messages, output, usage -----------------------------------------------------------------


def test_text_output_valid_and_invalid(run: Any) -> None:
    args = ("verify", "--public-key", ADDRESS, "--signature", TEST1["signature"])
    ok = run(*args, "--message-hex", "")
    assert ok.exit_code == 0
    assert ok.stdout == f"valid: ed25519 raw signature by {ADDRESS}\n"
    bad = run(*args, "--message", "x")
    assert bad.exit_code == 1
    assert bad.stdout.startswith("invalid: ed25519 signature by ")
    assert len(bad.stdout.splitlines()) == 1
    assert "walletsign: error: ed25519 signature by " in bad.stderr
    assert "does not verify" in bad.stderr
    assert "walletsign: hint:" in bad.stderr
    code, doc = verify_json(run, *args[1:], "--message", "x")
    assert code == 1
    assert doc["valid"] is False
    assert {"valid", "chain", "scheme", "signer", "signature_encoding", "reason"} <= set(doc)


def test_wrong_length_signature_is_invalid_not_malformed(run: Any) -> None:
    code, doc = verify_json(
        run, "--public-key", ADDRESS, "--signature", "0x" + "11" * 63, "--message", ""
    )
    assert code == 1
    assert "63 bytes" in doc["reason"]


def test_message_sources_agree(run: Any, tmp_path: Path) -> None:
    message = "Test Message"
    signature = OFFCHAIN_CASES[-1]["signature"]
    path = tmp_path / "m.txt"
    path.write_text(message)
    base = ("--public-key", ADDRESS, "--signature", signature)
    for extra, encoding in (
        (("--message", message), "utf8"),
        (("--message-hex", message.encode().hex()), "hex"),
        (("--message-b58", base58.encode(message.encode())), "base58"),
        (("--message-file", str(path)), "file"),
    ):
        code, doc = verify_json(run, *base, *extra)
        assert (code, doc["message_encoding"]) == (0, encoding)
    code, doc = verify_json(run, *base, "--message-file", "-", input=message)
    assert code == 0
    code, doc = verify_json(
        run, "--public-key", ADDRESS, "--signature", "-", "--message", message, input=signature
    )
    assert (code, doc["valid"]) == (0, True)


def test_file_with_trailing_newline_gets_a_hint(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_text("Test Message\n")
    result = run(
        "verify",
        "--public-key",
        ADDRESS,
        "--signature",
        OFFCHAIN_CASES[-1]["signature"],
        "--message-file",
        str(path),
    )
    assert result.exit_code == 1
    assert "without its trailing newline" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--signature", "x", "--message", "m"),
        ("--public-key", ADDRESS, "--message", "m"),
        ("--public-key", ADDRESS, "--signature", "x"),
        ("--public-key", ADDRESS, "--signature", "x", "--message", "m", "--message-hex", "00"),
        (
            "--public-key",
            ADDRESS,
            "--address",
            "0x" + "11" * 20,
            "--signature",
            "x",
            "--message",
            "m",
        ),
        ("--address", "0x" + "11" * 20, "--signature", "x", "--message", "m", "--scheme", "siws"),
        ("--public-key", ADDRESS, "--signature", "x", "--message", "m", "--scheme", "eip191"),
    ],
)
def test_usage_errors(run: Any, args: tuple[str, ...]) -> None:
    result = run("verify", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""


def test_stdin_cannot_feed_two_options(run: Any) -> None:
    result = run(
        "verify", "--public-key", ADDRESS, "--signature", "-", "--message-file", "-", input="x"
    )
    assert result.exit_code == 3


def test_help_has_examples(run: Any) -> None:
    result = run("verify", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "--batch" in result.stdout


# --- properties ----------------------------------------------------------------------------


def _flip(data: bytes, bit: int) -> bytes:
    index = bit % (len(data) * 8)
    flipped = bytearray(data)
    flipped[index // 8] ^= 1 << (index % 8)
    return bytes(flipped)


@settings(max_examples=60, deadline=None)
@given(
    message=st.binary(min_size=1, max_size=80),
    part=st.sampled_from(["message", "key", "signature"]),
    bit=st.integers(min_value=0, max_value=10_000),
)
def test_any_flipped_bit_is_invalid(message: bytes, part: str, bit: int) -> None:
    key, signature = TEST1_KEY.public.raw, TEST1_KEY.sign(message)
    request = SolanaRequest(key, signature, message, "base58", "hex")
    assert request.verify().scheme == "raw"
    if part == "message":
        message = _flip(message, bit)
    elif part == "key":
        key = _flip(key, bit)
    else:
        signature = _flip(signature, bit)
    with pytest.raises(InvalidSignatureError):
        SolanaRequest(key, signature, message, "base58", "hex").verify()


# --- Ethereum ----------------------------------------------------------------------------


def _eth_message_args(vector: dict[str, Any]) -> tuple[str, str]:
    if vector["message_text"] is not None:
        return "--message", vector["message_text"]
    return "--message-hex", vector["message_hex"]


@pytest.mark.parametrize("vector", EIP191["vectors"], ids=lambda v: v["id"])
def test_eip191_vectors(run: Any, vector: dict[str, Any]) -> None:
    message = _eth_message_args(vector)
    code, doc = verify_json(
        run, "--address", vector["address"], "--signature", vector["signature"], *message
    )
    assert code == 0, doc
    assert doc["valid"] is True
    assert (doc["chain"], doc["scheme"], doc["signer"]) == ("ethereum", "eip191", vector["address"])
    assert doc["signature_encoding"] == "hex"
    # The same bytes by hex, and the signer recovered without --address.
    result = run(
        "verify",
        "--recover",
        "--signature",
        vector["signature"],
        "--message-hex",
        vector["message_hex"],
    )
    assert result.exit_code == 0
    assert result.stdout == vector["address"] + "\n"


@pytest.mark.parametrize("form", ["standard", "v_00_01", "eip2098_compact"])
def test_eip191_signature_forms(run: Any, form: str) -> None:
    v1 = EIP191["vectors"][0]
    signature = EIP191["signature_forms"][form]
    code, doc = verify_json(
        run, "--address", v1["address"], "--signature", signature, "--message", v1["message_text"]
    )
    assert (code, doc["valid"]) == (0, True)
    assert doc["signature_form"].startswith("64-byte" if form == "eip2098_compact" else "65-byte")


def test_eip191_high_s_is_refused_unless_allowed(run: Any) -> None:
    v1 = EIP191["vectors"][0]
    high = EIP191["signature_forms"]["high_s_malleated"]["signature"]
    args = ("--address", v1["address"], "--signature", high, "--message", v1["message_text"])
    code, doc = verify_json(run, *args)
    assert (code, doc["valid"]) == (1, False)
    assert "high s" in doc["reason"]
    assert "--allow-high-s" in doc["hint"]
    code, doc = verify_json(run, *args, "--allow-high-s")
    assert (code, doc["valid"]) == (0, True)


def test_eip191_0x_text_ambiguity_hints(run: Any) -> None:
    g2 = next(v for v in EIP191["vectors"] if v["id"] == "G2")  # ethers signed the text "0x1234"
    result = run(
        "verify",
        "--address",
        g2["address"],
        "--signature",
        g2["signature"],
        "--message-hex",
        "0x1234",
    )
    assert result.exit_code == 1
    assert "use --message '0x1234'" in result.stderr
    assert (
        run(
            "verify",
            "--address",
            g2["address"],
            "--signature",
            g2["signature"],
            "--message",
            "0x1234",
        ).exit_code
        == 0
    )
    v6 = next(v for v in EIP191["vectors"] if v["id"] == "V6")  # cast signed the 32 bytes
    code, doc = verify_json(
        run,
        "--address",
        v6["address"],
        "--signature",
        v6["signature"],
        "--message",
        v6["message_hex"],
    )
    assert code == 1
    assert f"use --message-hex {v6['message_hex']}" in doc["hint"]


def test_link_result_json_and_stdin(run: Any) -> None:
    v9 = next(v for v in EIP191["vectors"] if v["id"] == "V9")  # Immutable signRaw, v = 00
    document = json.dumps({"result": v9["signature"]})
    args = ("--address", v9["address"], "--message", v9["message_text"])
    code, doc = verify_json(run, *args, "--signature", document)
    assert (code, doc["valid"], doc["signature_source"]) == (0, True, "link-result-json")
    code, doc = verify_json(run, *args, "--signature", "-", input=document + "\n")
    assert (code, doc["valid"]) == (0, True)
    nested = json.dumps(
        {"type": "imx-link", "message": "result", "data": {"result": v9["signature"]}}
    )
    code, doc = verify_json(run, *args, "--signature", nested)
    assert code == 0
    bad = run("verify", *args, "--signature", '{"nope": 1}')
    assert bad.exit_code == 3
    assert '"result"' in bad.stderr


def test_eip191_malformed_inputs(run: Any) -> None:
    v1 = EIP191["vectors"][0]
    message = ("--message", v1["message_text"])
    wrong_checksum = v1["address"][:2] + v1["address"][2:].swapcase()
    mixed = "0x" + wrong_checksum[2:3].lower() + wrong_checksum[3:]
    for args in (
        ("--address", v1["address"], "--signature", v1["signature"][:-2] + "05"),
        ("--address", v1["address"], "--signature", "0x1234"),
        ("--address", v1["address"], "--signature", "zz"),
        ("--address", mixed, "--signature", v1["signature"]),
    ):
        result = run("verify", *args, *message)
        assert result.exit_code == 3, (args, result.stderr)
        assert result.stdout == ""


@settings(max_examples=25, deadline=None)
@given(
    bit=st.integers(min_value=0, max_value=10_000), part=st.sampled_from(["message", "signature"])
)
def test_eip191_flipped_bit_never_verifies(bit: int, part: str) -> None:
    v1 = EIP191["vectors"][0]
    message = v1["message_text"].encode()
    signature = bytes.fromhex(v1["signature"][2:])
    if part == "message":
        message = _flip(message, bit)
    else:
        signature = _flip(signature[:64], bit) + signature[64:]
    try:
        request = EthereumRequest.parse(
            v1["address"], "0x" + signature.hex(), message, message_encoding="utf8"
        )
        request.verify()
    except (InvalidSignatureError, BadInputError):
        return
    pytest.fail("a modified signature verified")


# --- start-up ------------------------------------------------------------------------------


def test_solana_verify_does_not_import_heavy_modules() -> None:
    script = (
        "import sys\n"
        "from walletsign_cli.cli.root import cli\n"
        "try:\n"
        f"    cli.main(['verify', '--public-key', '{ADDRESS}', '--signature', "
        f"'{TEST1['signature']}', '--message-hex', ''])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "heavy = ['rich', 'qrcode', 'coincurve', 'Crypto', 'multiprocessing',\n"
        "         'walletsign_cli.core.eth']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == ""


def test_deeply_nested_json_arguments_are_bad_input(run: Any) -> None:
    deep = "[" * 100_000
    for args in (
        ("--public-key", deep, "--signature", TEST1["signature"]),
        ("--address", "0x" + "11" * 20, "--signature", "{" + '"a":' * 50_000),
    ):
        result = run("verify", *args, "--message", "m")
        assert result.exit_code == 3, result.stderr


def test_cheap_siws_checks_match_the_parser() -> None:
    text = siws.SignInMessage(domain="example.com", address=ADDRESS).text().encode()
    assert siws.may_be_sign_in(text) and siws.mentions_sign_in(text)
    assert not siws.may_be_sign_in(b"hello\n" + text) and siws.mentions_sign_in(b"x\n" + text)


def test_siws_failure_names_the_failed_check(run: Any) -> None:
    siws = load_vector("ed25519.json")["siws"]
    result = run(
        "verify",
        "--scheme",
        "siws",
        "--public-key",
        siws["public_key"],
        "--signature",
        siws["signature"],
        "--message",
        siws["text"],
        "--domain",
        "evil.com",
    )
    assert result.exit_code == 1
    assert "walletsign: error: the message is for domain 'example.com', not 'evil.com'" in (
        result.stderr
    )


def test_a_message_that_reads_like_the_json_flag_is_the_message(run: Any) -> None:
    # --json is resolved by the parser, not by scanning argv: here it is --message's value.
    key = Ed25519SigningKey.from_seed(bytes(32))
    signature = base58.encode(key.sign(b"--json"))
    result = run(
        "verify", "--public-key", str(key.public), "--signature", signature, "--message", "--json"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("valid: ed25519 raw signature by ")


def test_messages_past_the_two_byte_length_verify_or_not_without_a_crash(
    run: Any, tmp_path: Path
) -> None:
    # 65,536 bytes and more once crashed (exit 70) while probing the v0 layouts, whose
    # length field has two bytes, even with --scheme raw; in a batch it lost every line.
    key = TEST1_KEY
    big = b"x" * 70_000
    path = tmp_path / "big.txt"
    path.write_bytes(big)
    good = base58.encode(key.sign(big))
    wrapped = base58.encode(key.sign(offchain.v1(big, (key.public.raw,)).serialize()))
    bad = base58.encode(key.sign(b"other"))
    public = str(key.public)
    for scheme, signature, code in (
        ("raw", good, 0),
        ("auto", good, 0),
        ("offchain-v1", wrapped, 0),
        ("auto", wrapped, 0),
        ("raw", bad, 1),
        ("auto", bad, 1),
        ("offchain-v0", bad, 1),
        ("offchain-legacy-v0", bad, 1),
    ):
        result = run(
            "verify",
            *("--public-key", public, "--signature", signature),
            *("--message-file", str(path), "--scheme", scheme),
        )
        assert result.exit_code == code, (scheme, result.stderr)
        assert "internal error" not in result.stderr
    with pytest.raises(BadInputError, match="at most 65,535 bytes"):
        offchain.OffchainMessage(offchain.V0, big, format=2, signers=(key.public.raw,)).serialize()
    with pytest.raises(BadInputError, match="at most 255 signers"):
        offchain.OffchainMessage(offchain.V1, b"m", signers=(b"k" * 32,) * 256).serialize()


def test_a_huge_message_line_does_not_cost_the_batch_its_other_lines(
    run: Any, tmp_path: Path
) -> None:
    key = TEST1_KEY
    lines = [
        {
            "id": "big",
            "public_key": str(key.public),
            "signature": base58.encode(key.sign(b"y")),
            "message": "x" * 70_000,
        },
        {
            "id": "ok",
            "public_key": str(key.public),
            "signature": base58.encode(key.sign(b"m")),
            "message": "m",
        },
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = run("verify", "--batch", str(path))
    assert result.exit_code == 1, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["id"], d["valid"]) for d in docs] == [("big", False), ("ok", True)]
