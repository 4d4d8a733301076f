"""MetaMask / Immutable Link x25519-xsalsa20-poly1305: eth-sig-util vectors both ways; the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.core import metamask
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.errors import BadInputError, DecryptionError, UsageError
from walletsign_cli.protocols import eth_encryption

VECTORS: dict[str, Any] = load_vector("metamask_encryption.json")
CASES: list[dict[str, Any]] = VECTORS["cases"]
FIXED = [case for case in CASES if "ephemeral_secret_hex" in case]
SATOSHI = CASES[0]
PADDED = next(case for case in CASES if case.get("padded"))


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["private_key"][:8] for case in cases]


# -- the core, against the vectors -----------------------------------------------------------


@pytest.mark.parametrize(
    "pair",
    [*CASES, *VECTORS["encryption_public_keys"]],
    ids=_ids([*CASES, *VECTORS["encryption_public_keys"]]),
)
def test_encryption_public_key(pair: dict[str, Any]) -> None:
    public = metamask.encryption_public_key(bytes.fromhex(pair["private_key"]))
    assert metamask.b64encode(public) == pair["public_key"]


@pytest.mark.parametrize("case", FIXED, ids=_ids(FIXED))
def test_encrypt_reproduces_vector_byte_for_byte(case: dict[str, Any]) -> None:
    encrypted = metamask.encrypt(
        metamask.b64decode(case["public_key"], name="public key"),
        case["message"].encode("utf-8"),
        ephemeral_secret=bytes.fromhex(case["ephemeral_secret_hex"]),
        nonce=metamask.b64decode(case["encrypted"]["nonce"], name="nonce"),
    )
    document = encrypted.to_json()
    assert document == case["encrypted"]
    assert list(document) == ["version", "nonce", "ephemPublicKey", "ciphertext"]
    assert encrypted.to_wire() == json.dumps(case["encrypted"], separators=(",", ":"))


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_decrypt_opens_every_vector(case: dict[str, Any]) -> None:
    encrypted = metamask.EncryptedData.from_json(case["encrypted"])
    result = metamask.decrypt_any(encrypted, bytes.fromhex(case["private_key"]))
    assert result.plaintext == case["message"]
    assert result.padded is bool(case.get("padded"))


def test_padded_vector_is_exactly_encrypt_safely_padding() -> None:
    encrypted = metamask.EncryptedData.from_json(PADDED["encrypted"])
    raw = metamask.decrypt(encrypted, bytes.fromhex(PADDED["private_key"]))
    assert len(raw) == PADDED["plaintext_length"]
    assert raw == metamask.pad(PADDED["message"])
    assert len(encrypted.ciphertext) % metamask.DEFAULT_PADDING_LENGTH == 0


def test_encrypt_safely_lengths_match_eth_sig_util_test() -> None:
    public = metamask.b64decode(SATOSHI["public_key"], name="public key")
    document = metamask.encrypt_safely(public, SATOSHI["message"]).to_json()
    assert len(document["ciphertext"]) == 2732
    plain = metamask.encrypt(public, SATOSHI["message"].encode()).to_json()
    assert (len(plain["ciphertext"]), len(plain["ephemPublicKey"]), len(plain["nonce"])) == (
        56,
        44,
        32,
    )


def test_fresh_ephemeral_key_and_nonce_each_time() -> None:
    public = metamask.b64decode(SATOSHI["public_key"], name="public key")
    first = metamask.encrypt(public, b"same")
    second = metamask.encrypt(public, b"same")
    assert first.nonce != second.nonce
    assert first.ephem_public_key != second.ephem_public_key


def _json_length(text: str) -> int:
    return len(json.dumps({"data": text, "padding": ""}, separators=(",", ":")).encode())


def test_pad_adds_nothing_on_a_block_boundary() -> None:
    text = "a" * (2048 - _json_length(""))
    assert _json_length(text) == 2048
    assert metamask.pad(text) == json.dumps({"data": text, "padding": ""}).replace(" ", "").encode()


def test_pad_goes_to_the_next_block_where_eth_sig_util_would_throw() -> None:
    text = "a" * (2040 - _json_length(""))
    padded = metamask.pad(text)
    assert (len(padded) + metamask.NACL_EXTRA_BYTES) % 2048 == 0
    assert len(padded) > 2048
    assert metamask.unpad(padded.decode()) == text


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=3000))
def test_pad_unpad_round_trip(text: str) -> None:
    padded = metamask.pad(text)
    assert metamask.unpad(padded.decode("utf-8")) == text
    if _json_length(text) % 2048:
        assert (len(padded) + metamask.NACL_EXTRA_BYTES) % 2048 == 0


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_encrypt_decrypt_round_trip(text: str, padded: bool) -> None:
    keypair = X25519KeyPair.generate()
    if padded:
        encrypted = metamask.encrypt_safely(keypair.public.raw, text)
    else:
        encrypted = metamask.encrypt(keypair.public.raw, text.encode())
    again = metamask.parse_encrypted(encrypted.to_wire())
    result = metamask.decrypt_any(again, keypair.secret)
    assert result.plaintext == text


def test_json_that_is_not_the_padded_form_stays_as_it_is() -> None:
    assert metamask.unpad('{"data": "x"}') is None
    assert metamask.unpad('{"data": "x", "padding": 1}') is None
    assert metamask.unpad('["data", "padding"]') is None
    assert metamask.unpad('{"data": {"a": 1}, "padding": "00"}') == '{"a":1}'


def test_wire_hex_form_parses() -> None:
    wire = "0x" + json.dumps(SATOSHI["encrypted"]).encode().hex()
    assert metamask.parse_encrypted(wire).to_json() == SATOSHI["encrypted"]


def _tampered(field: str, value: str) -> dict[str, str]:
    return {**SATOSHI["encrypted"], field: value}


def _flip_last(b64: str) -> str:
    raw = bytearray(metamask.b64decode(b64, name="x"))
    raw[-1] ^= 1
    return metamask.b64encode(bytes(raw))


@pytest.mark.parametrize(
    ("document", "error", "words"),
    [
        (_tampered("version", "x25519-xsalsa20-poly1306"), BadInputError, "not supported"),
        (_tampered("nonce", ""), BadInputError, "bad nonce size"),
        (_tampered("nonce", "AAAA"), BadInputError, "bad nonce size"),
        (
            _tampered("ciphertext", _flip_last(SATOSHI["encrypted"]["ciphertext"])),
            DecryptionError,
            "failed",
        ),
        (
            _tampered("ephemPublicKey", _flip_last(SATOSHI["encrypted"]["ephemPublicKey"])),
            DecryptionError,
            "failed",
        ),
        (_tampered("ephemPublicKey", "AAAA"), BadInputError, "ephemPublicKey size"),
    ],
    ids=["version", "empty-nonce", "short-nonce", "ciphertext", "ephem-key", "ephem-size"],
)
def test_decrypt_refuses(document: dict[str, str], error: type[Exception], words: str) -> None:
    encrypted = metamask.EncryptedData.from_json(document)
    with pytest.raises(error, match=words) as info:
        metamask.decrypt(encrypted, bytes.fromhex(SATOSHI["private_key"]))
    assert getattr(info.value, "exit_code", None) == 3


def test_wrong_key_fails_to_decrypt() -> None:
    encrypted = metamask.EncryptedData.from_json(SATOSHI["encrypted"])
    with pytest.raises(DecryptionError):
        metamask.decrypt(encrypted, bytes(32))


# -- the CLI ------------------------------------------------------------------------------------


def _write(tmp_path: Path, document: Any, name: str = "data.json") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_cli_encrypt_with_fixed_randomness_reproduces_vector(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = FIXED[1]
    ephemeral = X25519KeyPair.from_secret(bytes.fromhex(case["ephemeral_secret_hex"]))
    nonce = metamask.b64decode(case["encrypted"]["nonce"], name="nonce")
    monkeypatch.setattr(X25519KeyPair, "generate", classmethod(lambda cls: ephemeral))
    monkeypatch.setattr(metamask, "random_nonce", lambda: nonce)
    result = run("encrypt", "--public-key", case["public_key"], "--message", case["message"])
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout
        == json.dumps(case["encrypted"], separators=(",", ":"), ensure_ascii=False) + "\n"
    )
    assert "encrypted" in result.stderr


def test_cli_encrypt_json_is_the_object(run: Any) -> None:
    result = run("encrypt", "--public-key", SATOSHI["public_key"], "--message", "hi", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert list(document) == ["version", "nonce", "ephemPublicKey", "ciphertext"]
    assert document["version"] == metamask.VERSION


@pytest.mark.parametrize("pad", [False, True])
def test_cli_round_trip_through_stdin(run: Any, tmp_path: Path, pad: bool) -> None:
    case = CASES[2]
    args = ["encrypt", "--public-key", case["public_key"], "--message-file", "-"]
    encrypted = run(*args, *(["--pad"] if pad else []), input=case["message"].encode())
    assert encrypted.exit_code == 0, encrypted.stderr
    key_file = _write(tmp_path, case["private_key"] + "\n", "key.hex")
    opened = run("decrypt", "--private-key-file", key_file, "-", input=encrypted.stdout)
    assert opened.exit_code == 0, opened.stderr
    assert opened.stdout == case["message"]
    assert ("padded" in opened.stderr) is pad


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_cli_decrypt_every_vector(run: Any, tmp_path: Path, case: dict[str, Any]) -> None:
    path = _write(tmp_path, case["encrypted"])
    result = run("decrypt", "--private-key", "0x" + case["private_key"], path, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "plaintext": case["message"],
        "padded": bool(case.get("padded")),
    }


def test_cli_decrypt_key_from_stdin(run: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, SATOSHI["encrypted"])
    result = run("decrypt", "--private-key-file", "-", path, input=SATOSHI["private_key"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SATOSHI["message"]


def test_cli_decrypt_wire_hex(run: Any, tmp_path: Path) -> None:
    wire = "0x" + json.dumps(SATOSHI["encrypted"]).encode().hex()
    result = run("decrypt", "--private-key", SATOSHI["private_key"], "-", input=wire)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SATOSHI["message"]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("version", "x25519-xsalsa20-poly1306", "not supported"),
        ("nonce", "", "bad nonce size"),
        ("ciphertext", _flip_last(SATOSHI["encrypted"]["ciphertext"]), "decryption failed"),
    ],
    ids=["unknown-version", "bad-nonce", "tampered"],
)
def test_cli_decrypt_refuses_with_exit_3(
    run: Any, tmp_path: Path, field: str, value: str, words: str
) -> None:
    path = _write(tmp_path, _tampered(field, value))
    result = run("decrypt", "--private-key", SATOSHI["private_key"], path)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert words in result.stderr
    as_json = run("decrypt", "--private-key", SATOSHI["private_key"], path, "--json")
    assert as_json.exit_code == 3
    assert as_json.stdout == ""
    assert json.loads(as_json.stderr)["error"]["exit_code"] == 3


def test_cli_bad_private_key_is_never_echoed(run: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, SATOSHI["encrypted"])
    secret = SATOSHI["private_key"][:-1] + "g"
    result = run("decrypt", "--private-key", secret, path)
    assert result.exit_code == 3
    assert "--private-key" in result.stderr
    assert secret not in result.stderr
    assert SATOSHI["private_key"][:20] not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["decrypt", "FILE"],
        ["decrypt", "--private-key", "00" * 32, "--private-key-file", "k", "FILE"],
        ["decrypt", "--private-key-file", "-", "-"],
        ["encrypt", "--public-key", SATOSHI["public_key"]],
        ["encrypt", "--public-key", SATOSHI["public_key"], "--message", "a", "--message-file", "-"],
    ],
    ids=["no-key", "two-keys", "both-stdin", "no-message", "two-messages"],
)
def test_cli_shape_errors_exit_2(run: Any, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("not base64!", "not base64"),
        ("AAAA", "32 bytes"),
        ("0x04bfcab3b7ca4d63b2d7c3b3e1b4d8a0", "looks like hex"),
    ],
)
def test_cli_encrypt_bad_public_key_exit_3(run: Any, key: str, words: str) -> None:
    result = run("encrypt", "--public-key", key, "--message", "hi")
    assert result.exit_code == 3
    assert "--public-key" in result.stderr
    assert words in result.stderr


def test_cli_encrypt_refuses_binary_file(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\xff\xfe\x00")
    result = run("encrypt", "--public-key", SATOSHI["public_key"], "--message-file", str(path))
    assert result.exit_code == 3
    assert "--message-file" in result.stderr


def test_cli_decrypt_non_json_file(run: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "not json")
    result = run("decrypt", "--private-key", SATOSHI["private_key"], path)
    assert result.exit_code == 3
    assert "not JSON" in result.stderr


@pytest.mark.parametrize("name", ["encrypt", "decrypt"])
def test_help_mentions_deprecation_and_examples(run: Any, name: str) -> None:
    result = run(name, "--help")
    assert result.exit_code == 0
    assert "deprecated" in result.stdout
    assert "Examples:" in result.stdout


# -- the inputs of encrypt and decrypt (protocols.eth_encryption) ------------------------------


def test_option_rules_of_encrypt_and_decrypt() -> None:
    eth_encryption.check_encrypt_options("m", None)
    eth_encryption.check_encrypt_options(None, "f")
    for message, message_file in (("m", "f"), (None, None)):
        with pytest.raises(UsageError, match="exactly one of --message or --message-file"):
            eth_encryption.check_encrypt_options(message, message_file)
    eth_encryption.check_decrypt_options("-", "00", None)
    with pytest.raises(UsageError, match="exactly one of --private-key or --private-key-file"):
        eth_encryption.check_decrypt_options("f", None, None)
    with pytest.raises(UsageError, match="cannot both be read from stdin"):
        eth_encryption.check_decrypt_options("-", None, "-")


def test_public_key_is_32_bytes_of_base64() -> None:
    raw = eth_encryption.parse_public_key(f"  {SATOSHI['public_key']}\n")
    assert metamask.b64encode(raw) == SATOSHI["public_key"]
    with pytest.raises(BadInputError, match="looks like hex"):
        eth_encryption.parse_public_key("0x" + "00" * 32)
    with pytest.raises(BadInputError, match="must be 32 bytes of base64, got 3 bytes"):
        eth_encryption.parse_public_key("AAAA")


def test_private_key_errors_never_echo_the_key() -> None:
    key = SATOSHI["private_key"]
    assert eth_encryption.parse_private_key(f"0x{key}\n", "--private-key").hex() == key
    with pytest.raises(BadInputError) as caught:
        eth_encryption.parse_private_key(key[:-1] + "g", "--private-key-file")
    assert caught.value.message.startswith("--private-key-file is not a 32-byte hex private key")
    assert key[:16] not in caught.value.message and key[:16] not in (caught.value.hint or "")


def test_encrypt_text_then_decrypt_document_round_trip() -> None:
    recipient = metamask.b64decode(SATOSHI["public_key"], name="key")
    secret = bytes.fromhex(SATOSHI["private_key"])
    for pad in (False, True):
        encrypted, size = eth_encryption.encrypt_text(recipient, "héllo", pad=pad)
        assert size == len("héllo".encode())
        document = json.dumps(encrypted.to_json()).encode()
        opened = eth_encryption.decrypt_document(document, secret)
        assert (opened.plaintext, opened.padded) == ("héllo", pad)
    with pytest.raises(BadInputError, match="--message is not valid UTF-8 text"):
        eth_encryption.encrypt_text(recipient, "\udcff", pad=False)
    with pytest.raises(BadInputError, match=r"^FILE is not UTF-8 JSON$"):
        eth_encryption.decrypt_document(b"\xff", secret)
    assert eth_encryption.file_text(b"text") == "text"
    with pytest.raises(BadInputError, match="--message-file is not UTF-8 text"):
        eth_encryption.file_text(b"\xff")
