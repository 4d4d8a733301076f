"""Secrets at rest: sealing under a passphrase, `keystore encrypt|decrypt|list|path`."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import raw_transaction
from walletsign_cli.core import sealing
from walletsign_cli.errors import BadInputError, DecryptionError, KeystoreError
from walletsign_cli.keystore import Keystore

PASS = "correct horse battery staple"

# Secrets sit at three depths in the data model; all of them must be sealed.
DOCUMENT: dict[str, Any] = {
    "version": 1,
    "keys": {"k": {"public_key": "PUBK", "secret_key": "SECRET-K", "created_at": "t"}},
    "sessions": {"s": {"public_key": "ADDR", "session": "SECRET-SESSION", "wallet": "phantom"}},
    "requests": {"N": {"method": "signMessage", "session_name": "s", "message": "M"}},
    "wallets": {
        "sim": {
            "account_secret_key": "SECRET-ACCOUNT",
            "account_public_key": "ACCT",
            "dapps": {"PUBK": {"secret_key": "SECRET-WALLET", "session": "SECRET-WS"}},
        }
    },
}
SECRETS = ["SECRET-K", "SECRET-SESSION", "SECRET-ACCOUNT", "SECRET-WALLET", "SECRET-WS"]


def _store(path: Path, passphrase: str | None = PASS) -> Keystore:
    return Keystore(path, passphrase=passphrase.encode() if passphrase else None)


def _fill(path: Path, passphrase: str | None = PASS) -> None:
    with raw_transaction(_store(path, passphrase)) as data:
        data.update(json.loads(json.dumps(DOCUMENT)))


# -- the pure sealing module ---------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(value=JSON_VALUES)
def test_seal_open_round_trip(value: Any) -> None:
    sealer = sealing.derive(b"pw", sealing.KdfParams(b"\1" * 16))
    sealed = sealer.seal(value)
    assert sealing.is_sealed(sealed)
    assert sealer.open(sealed, where="x") == value
    assert sealer.seal(value) != sealed  # a fresh nonce every time


def test_sealer_repr_and_header_hold_no_key() -> None:
    # PASS has spaces, which base64 never holds: it appears in the header only by a leak.
    sealer = sealing.derive(PASS.encode(), sealing.KdfParams.generate())
    header = sealer.header()
    text = json.dumps(header)
    assert sealer.key.hex() not in repr(sealer)
    assert PASS not in text
    assert base64.b64encode(sealer.key).decode() not in text
    assert set(header) == {"kdf", "cipher", "salt", "opslimit", "memlimit", "check"}
    assert PASS.encode() not in base64.b64decode(header["salt"])
    assert sealing.unlock(PASS.encode(), header).key == sealer.key
    with pytest.raises(DecryptionError, match="wrong passphrase"):
        sealing.unlock(PASS.upper().encode(), header)


def test_key_is_derived_once_per_process() -> None:
    params = sealing.KdfParams.generate()
    before = sealing._derive_key.cache_info().misses
    for _ in range(3):
        sealing.derive(b"pw", params)
    assert sealing._derive_key.cache_info().misses == before + 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kdf": "scrypt"}, "unsupported encryption"),
        ({"salt": "!!"}, "salt is not valid base64"),
        ({"salt": "AAAA"}, "salt is 3 bytes"),
        ({"memlimit": 1 << 40}, "memlimit"),
        ({"opslimit": True}, "opslimit"),
        ({"check": None}, "no passphrase check"),
    ],
)
def test_malformed_header_is_refused(change: dict[str, Any], message: str) -> None:
    header = {**sealing.derive(b"pw", sealing.KdfParams(b"\2" * 16)).header(), **change}
    with pytest.raises(BadInputError, match=message):
        sealing.unlock(b"pw", header)


# -- the keystore --------------------------------------------------------------------------


def test_secrets_are_sealed_at_every_depth_and_opened_on_load(keystore_path: Path) -> None:
    _fill(keystore_path)
    text = keystore_path.read_text()
    for secret in SECRETS:
        assert secret not in text
    raw = json.loads(text)
    assert raw["encryption"]["kdf"] == "argon2id"
    assert sealing.is_sealed(raw["wallets"]["sim"]["dapps"]["PUBK"]["session"])
    assert raw["keys"]["k"]["public_key"] == "PUBK"  # names and public data stay readable
    assert raw["requests"]["N"]["session_name"] == "s"
    loaded = _store(keystore_path).load().to_json()
    assert "encryption" not in loaded
    assert loaded == DOCUMENT
    assert stat.S_IMODE(keystore_path.stat().st_mode) == 0o600


def test_encrypted_store_without_or_with_wrong_passphrase(keystore_path: Path) -> None:
    _fill(keystore_path)
    before = keystore_path.read_bytes()
    with pytest.raises(KeystoreError, match="encrypted and no passphrase") as info:
        _store(keystore_path, None).load()
    assert info.value.hint is not None and "WALLETSIGN_PASSPHRASE" in info.value.hint
    with (
        pytest.raises(KeystoreError, match="wrong passphrase"),
        raw_transaction(_store(keystore_path, "nope")) as data,
    ):
        data["keys"].clear()
    assert keystore_path.read_bytes() == before


def test_plaintext_store_is_sealed_at_the_next_write_with_a_passphrase(
    keystore_path: Path,
) -> None:
    _fill(keystore_path, None)
    assert "SECRET-K" in keystore_path.read_text()
    with raw_transaction(_store(keystore_path)) as data:
        data["keys"]["k2"] = {"public_key": "P2", "secret_key": "SECRET-K2"}
    text = keystore_path.read_text()
    assert "SECRET-K" not in text
    assert _store(keystore_path).load().to_json()["keys"]["k2"]["secret_key"] == "SECRET-K2"


def test_tampered_sealed_value_is_an_error_and_left_untouched(keystore_path: Path) -> None:
    _fill(keystore_path)
    raw = json.loads(keystore_path.read_text())
    other = raw["keys"]["k"]["secret_key"]
    raw["sessions"]["s"]["session"] = other[:-4] + ("AAAA" if other[-4:] != "AAAA" else "BBBB")
    keystore_path.write_text(json.dumps(raw))
    before = keystore_path.read_bytes()
    with pytest.raises(KeystoreError, match=r"sessions\.s\.session does not decrypt"):
        _store(keystore_path).load()
    assert keystore_path.read_bytes() == before


def test_sealed_value_without_header_is_corrupt(keystore_path: Path) -> None:
    _fill(keystore_path)
    raw = json.loads(keystore_path.read_text())
    del raw["encryption"]
    keystore_path.write_text(json.dumps(raw))
    with pytest.raises(KeystoreError, match="no 'encryption' header"):
        _store(keystore_path).load()


def test_load_redacted_needs_no_passphrase_and_shows_no_secret(keystore_path: Path) -> None:
    _fill(keystore_path)
    redacted = _store(keystore_path, None).load_redacted().to_json()
    text = json.dumps(redacted)
    assert "enc:v1:" not in text
    assert "encryption" not in redacted
    assert redacted["keys"]["k"] == {"public_key": "PUBK", "created_at": "t"}


def test_repr_of_keystore_hides_the_passphrase(keystore_path: Path) -> None:
    assert PASS not in repr(_store(keystore_path))


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    path = tmp_path / "pass.txt"
    path.write_text(PASS + "\nsecond line is ignored\n")
    path.chmod(0o600)
    return path


def test_cli_with_env_passphrase(
    run: Any, keystore_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLETSIGN_PASSPHRASE", PASS)
    result = run("keygen", "--json")
    assert result.exit_code == 0, result.stderr
    raw = json.loads(keystore_path.read_text())
    assert sealing.is_sealed(raw["keys"]["default"]["secret_key"])
    assert PASS not in result.stdout + result.stderr

    monkeypatch.delenv("WALLETSIGN_PASSPHRASE")
    before = keystore_path.read_bytes()
    result = run("keygen", "--name", "other")
    assert result.exit_code == 5
    assert "is encrypted and no passphrase was given" in result.stderr
    assert "hint: set WALLETSIGN_PASSPHRASE or pass --passphrase-file" in result.stderr

    monkeypatch.setenv("WALLETSIGN_PASSPHRASE", "hunter2")
    result = run("keygen", "--name", "other", "--json")
    assert result.exit_code == 5
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["type"] == "keystore"
    assert "wrong passphrase" in error["message"]
    assert "hunter2" not in result.stderr
    assert keystore_path.read_bytes() == before


def test_cli_passphrase_file_first_line_wins_over_env(
    run: Any, keystore_path: Path, passfile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLETSIGN_PASSPHRASE", "not this one")
    assert run("--passphrase-file", str(passfile), "keygen").exit_code == 0
    assert _store(keystore_path, PASS).load().to_json()["keys"]["default"]["secret_key"]
    with pytest.raises(KeystoreError, match="wrong passphrase"):
        _store(keystore_path, "not this one").load()


@pytest.mark.parametrize("content", [None, b"", b"\nlater"])
def test_cli_unusable_passphrase_file_exits_5(
    run: Any, keystore_path: Path, tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "pf"
    if content is not None:
        path.write_bytes(content)
    result = run("--passphrase-file", str(path), "keygen")
    assert result.exit_code == 5
    assert result.stderr.startswith("walletsign: error: --passphrase-file:")
    assert not keystore_path.exists()


def test_cli_encrypt_decrypt_round_trip(
    run: Any, keystore_path: Path, passfile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(keystore_path, None)
    plain = _store(keystore_path, None).load().to_json()
    pf = ["--passphrase-file", str(passfile)]

    result = run(*pf, "keystore", "encrypt", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "keystore": str(keystore_path),
        "encrypted": True,
        "changed": True,
    }
    text = keystore_path.read_text()
    assert all(secret not in text for secret in SECRETS)
    assert stat.S_IMODE(keystore_path.stat().st_mode) == 0o600
    assert _store(keystore_path).load().to_json() == plain

    again = run(*pf, "keystore", "encrypt")
    assert again.exit_code == 0
    assert "already encrypted" in again.stderr
    assert keystore_path.read_text() == text

    path_info = run("keystore", "path", "--json")
    assert json.loads(path_info.stdout) == {
        "keystore": str(keystore_path),
        "exists": True,
        "encrypted": True,
        "problem": None,
    }

    wrong = run("keystore", "decrypt")
    assert wrong.exit_code == 5
    assert keystore_path.read_text() == text

    result = run(*pf, "keystore", "decrypt")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(keystore_path)
    assert "decrypted" in result.stderr
    assert "encryption" not in json.loads(keystore_path.read_text())
    assert _store(keystore_path, None).load().to_json() == plain
    assert stat.S_IMODE(keystore_path.stat().st_mode) == 0o600


def test_cli_encrypt_without_passphrase_exits_5(run: Any, keystore_path: Path) -> None:
    _fill(keystore_path, None)
    before = keystore_path.read_bytes()
    result = run("keystore", "encrypt")
    assert result.exit_code == 5
    assert "no passphrase was given" in result.stderr
    assert "hint: set WALLETSIGN_PASSPHRASE" in result.stderr
    assert keystore_path.read_bytes() == before


def test_cli_encrypt_creates_an_encrypted_empty_keystore(
    run: Any, keystore_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLETSIGN_PASSPHRASE", PASS)
    assert run("keystore", "decrypt").exit_code == 0
    assert not keystore_path.exists()
    assert run("keystore", "encrypt").exit_code == 0
    assert _store(keystore_path, None).is_encrypted()


def test_cli_list_on_encrypted_keystore_needs_no_passphrase(run: Any, keystore_path: Path) -> None:
    _fill(keystore_path)
    result = run("keystore", "list", "--json")
    assert result.exit_code == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["encrypted"] is True
    assert listing["keys"] == [{"name": "k", "public_key": "PUBK"}]
    assert [s["name"] for s in listing["sessions"]] == ["s"]
    assert listing["wallets"] == [{"name": "sim", "account_public_key": "ACCT"}]
    assert listing["pending_requests"] == 1
    text = run("keystore", "list")
    assert text.exit_code == 0
    assert "k  public_key=PUBK" in text.stdout
    for output in (result.stdout, text.stdout, text.stderr):
        assert "enc:v1:" not in output
        assert all(secret not in output for secret in SECRETS)


def test_cli_path_of_missing_keystore(run: Any, keystore_path: Path) -> None:
    result = run("keystore", "path")
    assert result.exit_code == 0
    assert result.stdout == f"{keystore_path}\n"
    assert "does not exist yet" in result.stderr
    assert not keystore_path.exists()


def test_cli_list_does_not_print_control_characters(run: Any, keystore_path: Path) -> None:
    with raw_transaction(_store(keystore_path, None)) as data:
        data["keys"]["evil\x1b[2Jname"] = {"public_key": "P\nK"}
    result = run("keystore", "list")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert "'evil\\x1b[2Jname'" in result.stdout
    assert "public_key='P\\nK'" in result.stdout
