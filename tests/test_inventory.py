"""What ``walletsign keystore`` and ``keygen`` do, below the CLI: :mod:`walletsign_cli.inventory`,
and the settings the CLI passes to the keystore (:mod:`walletsign_cli.settings`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import keystore, raw_transaction
from walletsign_cli import inventory, settings
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.errors import BadInputError, KeystoreError


def test_status_of_a_missing_a_plain_and_a_broken_keystore(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    store = keystore(path)
    assert inventory.status(store) == {
        "keystore": str(path),
        "exists": False,
        "encrypted": False,
        "problem": None,
    }
    inventory.save_key(store, "default", X25519KeyPair.generate(), force=False)
    assert inventory.status(store)["exists"] is True
    assert inventory.status(store)["problem"] is None
    path.write_text("{not json", encoding="utf-8")
    broken = inventory.status(store)
    assert broken["exists"] is True and broken["problem"]  # reported, not raised
    assert json.dumps(broken)  # and still a JSON document


def test_listing_names_everything_and_no_secret(tmp_path: Path) -> None:
    store = keystore(tmp_path / "ks.json", passphrase="pw")
    first, second = X25519KeyPair.generate(), X25519KeyPair.generate()
    inventory.save_key(store, "zeta", first, force=False)
    inventory.save_key(store, "alpha", second, force=False)
    listing = inventory.listing(store)
    assert [key["name"] for key in listing["keys"]] == ["alpha", "zeta"]
    assert listing["keys"][0]["public_key"] == str(second.public)
    assert (listing["encrypted"], listing["sessions"], listing["pending_requests"]) == (True, [], 0)
    text = json.dumps(listing) + "\n".join(inventory.listing_lines(listing))
    assert first.secret_base58() not in text and second.secret_base58() not in text
    # Names are not sealed: the listing needs no passphrase.
    assert inventory.listing(keystore(tmp_path / "ks.json"))["keys"] == listing["keys"]


def test_listing_lines_escape_what_a_hand_edit_put_there() -> None:
    listing = {
        "keys": [{"name": "k\x1b[2J", "public_key": "PUB"}],
        "sessions": [{"name": "s", "wallet": "phantom", "public_key": None, "dapp_key": "k"}],
        "wallets": [],
        "pending_requests": 3,
    }
    assert inventory.listing_lines(listing) == [
        "keys:",
        "  'k\\x1b[2J'  public_key=PUB",
        "sessions:",
        "  s  wallet=phantom  dapp_key=k",
        "wallets:",
        "pending requests: 3",
    ]


def test_save_key_refuses_a_second_key_of_a_name_unless_forced(tmp_path: Path) -> None:
    store = keystore(tmp_path / "ks.json")
    old, new = X25519KeyPair.generate(), X25519KeyPair.generate()
    assert inventory.save_key(store, "default", old, force=False) == []
    with raw_transaction(store) as data:
        data["sessions"] = {
            "b": {"wallet": "phantom", "dapp_key": "default"},
            "a": {"wallet": "solflare", "dapp_key": "default"},
        }
    before = store.path.read_bytes()
    with pytest.raises(KeystoreError, match="already exists") as caught:
        inventory.save_key(store, "default", new, force=False)
    assert caught.value.hint and "--force" in caught.value.hint
    assert store.path.read_bytes() == before
    assert inventory.save_key(store, "default", new, force=True) == ["a", "b"]
    assert store.load().keys["default"].public_key == str(new.public)


def test_convert_says_whether_anything_changed(tmp_path: Path) -> None:
    store = keystore(tmp_path / "ks.json", passphrase="pw")
    inventory.save_key(store, "k", X25519KeyPair.generate(), force=False)
    assert store.is_encrypted()
    assert inventory.convert(store, encrypt=False) == {
        "keystore": str(store.path),
        "encrypted": False,
        "changed": True,
    }
    assert inventory.convert(store, encrypt=False)["changed"] is False
    assert inventory.convert(store, encrypt=True)["changed"] is True


def test_key_document_holds_the_secret_only_when_asked(tmp_path: Path) -> None:
    store = keystore(tmp_path / "ks.json")
    keypair = X25519KeyPair.generate()
    document = inventory.key_document("k", keypair, store)
    assert document == {"name": "k", "public_key": str(keypair.public), "keystore": str(store.path)}
    shown = inventory.key_document("k", keypair, store, show_secret=True)
    assert shown["secret_key"] == keypair.secret_base58()


def test_import_keypair() -> None:
    keypair = X25519KeyPair.generate()
    assert inventory.import_keypair(keypair.secret_base58()).public == keypair.public
    assert inventory.import_keypair(None).public != keypair.public
    with pytest.raises(BadInputError, match=r"^--secret-key is empty$"):
        inventory.import_keypair("")
    with pytest.raises(BadInputError, match="--secret-key"):
        inventory.import_keypair("0OIl")


def test_names_for_completion(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    for name in ("beta", "alpha", "other"):
        inventory.save_key(keystore(path), name, X25519KeyPair.generate(), force=False)
    assert inventory.names(str(path), "keys", "") == ["alpha", "beta", "other"]
    assert inventory.names(str(path), "keys", "b") == ["beta"]
    assert inventory.names(str(path), "sessions", "") == []
    path.write_text("garbage", encoding="utf-8")
    assert inventory.names(str(path), "keys", "") == []  # never an error


def test_shown_path_replaces_undecodable_bytes() -> None:
    assert inventory.shown_path(Path("/tmp/ks.json")) == "/tmp/ks.json"
    assert inventory.shown_path(Path("/tmp/k\udcffs.json")) == "/tmp/k\ufffds.json"


# -- settings --------------------------------------------------------------------------------


def test_passphrase_file_first_line(tmp_path: Path) -> None:
    path = tmp_path / "pass"
    path.write_bytes(b"correct horse\r\nsecond line\n")
    assert settings.read_passphrase_file(str(path)) == b"correct horse"
    path.write_bytes(b"\nlater")
    with pytest.raises(KeystoreError, match="starts with an empty line"):
        settings.read_passphrase_file(str(path))
    with pytest.raises(KeystoreError, match=r"^--passphrase-file: cannot read"):
        settings.read_passphrase_file(str(tmp_path / "missing"))


@pytest.mark.parametrize(("raw", "seconds"), [(None, 10.0), ("", 10.0), ("2.5", 2.5), ("0", 0.0)])
def test_lock_timeout(raw: str | None, seconds: float) -> None:
    assert settings.parse_lock_timeout(raw, name="T", default=10.0) == seconds


@pytest.mark.parametrize("raw", ["soon", "nan", "inf", "-1"])
def test_bad_lock_timeout_is_a_keystore_error(raw: str) -> None:
    with pytest.raises(KeystoreError, match=f"^T is not a number of seconds: '{raw}'$") as caught:
        settings.parse_lock_timeout(raw, name="T", default=10.0)
    assert caught.value.hint == "for example T=30"
