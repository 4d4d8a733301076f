"""The typed keystore document: JSON round trips, type errors naming the field, pure updates."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.errors import BadInputError, KeystoreError
from walletsign_cli.protocols.state import (
    VERSION,
    Document,
    KeyEntry,
    PendingRequest,
    SessionEntry,
    WalletDapp,
    WalletEntry,
    check_name,
    damaged,
    now_iso,
)

KEYPAIR = X25519KeyPair.from_secret(bytes(range(32)))

# A document as the keystore stores it after a connect, a sign request and a simulated
# wallet, plus fields a later walletsign might add (they must survive a rewrite).
STORED: dict[str, Any] = {
    "version": 1,
    "written_by": "walletsign 9.9",
    "keys": {
        "default": {
            "public_key": str(KEYPAIR.public),
            "secret_key": KEYPAIR.secret_base58(),
            "created_at": "2026-01-01T00:00:00.000000Z",
            "label": "laptop",
        }
    },
    "sessions": {
        "phantom": {
            "wallet": "phantom",
            "base_url": "https://phantom.app/ul/v1",
            "dapp_key": "default",
            "dapp_public_key": str(KEYPAIR.public),
            "wallet_encryption_public_key": "WPK",
            "public_key": "ACCOUNT",
            "session": "SESSION",
            "cluster": "devnet",
            "app_url": "https://example.com",
            "redirect_link": "myapp://cb",
            "created_at": "2026-01-01T00:00:01.000000Z",
            "future": {"nested": [1, 2]},
        }
    },
    "requests": {
        "NONCE": {
            "method": "signAllTransactions",
            "session_name": "phantom",
            "redirect_link": "myapp://cb",
            "transactions": ["T1", "T2"],
            "created_at": "2026-01-01T00:00:02.000000Z",
            "answered_at": None,
        }
    },
    "wallets": {
        "sim": {
            "account_secret_key": "SEED",
            "account_public_key": "ACCOUNT",
            "created_at": "2026-01-01T00:00:03Z",
            "dapps": {"PK": {"secret_key": "WSK", "session": "S", "app_url": "a", "hue": 3}},
        }
    },
}


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def test_round_trip_of_a_stored_document_keeps_unknown_fields() -> None:
    original = copy.deepcopy(STORED)
    document = Document.from_json(original)
    assert original == STORED  # parsing does not touch its input
    # A null field reads as unset and is not written back; everything else comes back as is.
    assert document.to_json() == _without_nulls(STORED)
    assert Document.from_json(document.to_json()) == document


def test_unknown_values_are_not_shared_with_the_json() -> None:
    data = copy.deepcopy(STORED)
    document = Document.from_json(data)
    data["sessions"]["phantom"]["future"]["nested"].append(3)
    written = document.to_json()
    written["sessions"]["phantom"]["future"]["nested"].append(4)
    assert document.sessions["phantom"].extra["future"] == {"nested": [1, 2]}


def test_fields_are_typed() -> None:
    document = Document.from_json(STORED)
    assert document.keys["default"].public_key == str(KEYPAIR.public)
    assert document.keys["default"].extra == {"label": "laptop"}
    session = document.sessions["phantom"]
    assert (session.wallet, session.cluster) == ("phantom", "devnet")
    assert session.missing() == []
    request = document.requests["NONCE"]
    assert request.transactions == ("T1", "T2")
    assert request.answered_at is None
    wallet = document.wallets["sim"]
    assert wallet.dapps["PK"] == WalletDapp(
        secret_key="WSK", session="S", app_url="a", extra={"hue": 3}
    )
    assert document.extra == {"written_by": "walletsign 9.9"}


def test_empty_document_and_missing_sections() -> None:
    assert Document.from_json({"version": VERSION}) == Document()
    assert Document().to_json() == {
        "version": VERSION,
        "keys": {},
        "sessions": {},
        "requests": {},
        "wallets": {},
    }
    # A wallet always writes its dapps, even none.
    assert WalletEntry(account_public_key="A").to_json() == {"account_public_key": "A", "dapps": {}}


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda d: d.update(keys=[]), "'keys' is not an object"),
        (lambda d: d["keys"].update(k="text"), "keys.k is not an object"),
        (lambda d: d["keys"]["default"].update(secret_key=7), "keys.default.secret_key"),
        (lambda d: d["sessions"]["phantom"].update(wallet=["x"]), "sessions.phantom.wallet"),
        (lambda d: d["requests"]["NONCE"].update(transactions="T"), "requests.NONCE.transactions"),
        (
            lambda d: d["requests"]["NONCE"].update(transactions=["T", 1]),
            "requests.NONCE.transactions is not a list of strings",
        ),
        (lambda d: d["wallets"]["sim"].update(dapps=[]), "wallets.sim.dapps is not an object"),
        (
            lambda d: d["wallets"]["sim"]["dapps"]["PK"].update(session={}),
            "wallets.sim.dapps.PK.session is not a string",
        ),
    ],
)
def test_type_errors_name_the_field(edit: Any, where: str) -> None:
    data = copy.deepcopy(STORED)
    edit(data)
    with pytest.raises(BadInputError) as info:
        Document.from_json(data)
    assert where in info.value.message


def test_not_an_object_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="not a JSON object"):
        Document.from_json([])


def test_functional_updates_leave_the_original_alone() -> None:
    original = Document.from_json(STORED)
    snapshot = original.to_json()
    entry = KeyEntry.of(KEYPAIR, "2026-02-02T00:00:00.000000Z")
    pending = PendingRequest(method="signMessage", session_name="phantom")
    dapp = WalletDapp(secret_key="NEW")
    changed = (
        original.with_key("second", entry)
        .with_session("solflare", SessionEntry(wallet="solflare"))
        .without_session("phantom")
        .with_request("N2", pending)
        .with_wallet("sim", original.wallets["sim"].with_dapp("PK2", dapp).without_dapp("PK"))
    )
    assert original.to_json() == snapshot
    assert set(original.sessions) == {"phantom"}
    assert set(changed.keys) == {"default", "second"}
    assert set(changed.sessions) == {"solflare"}
    assert changed.requests["N2"] is pending
    assert set(changed.wallets["sim"].dapps) == {"PK2"}
    assert changed != original
    assert original.without_session("nobody") == original
    # The sections are read-only views: an update is the only way to change them.
    with pytest.raises(TypeError):
        original.keys["x"] = entry  # type: ignore[index]


def test_answered_keeps_the_first_time() -> None:
    request = PendingRequest(method="signMessage")
    first = request.answered("T1", message="m")
    assert (first.answered_at, first.message) == ("T1", "m")
    assert first.answered("T2").answered_at == "T1"
    assert request.answered_at is None


def test_missing_session_fields() -> None:
    assert SessionEntry(dapp_key="k", session="s").missing() == [
        "wallet_encryption_public_key",
        "public_key",
    ]


def test_dapp_keypair() -> None:
    document = Document.from_json(STORED)
    assert document.dapp_keypair("default") == KEYPAIR
    assert document.keys["default"].keypair("default") == KEYPAIR


def test_dapp_keypair_unknown_name_lists_the_known_ones() -> None:
    document = Document.from_json(STORED)
    with pytest.raises(KeystoreError) as info:
        document.dapp_keypair("staging", option="--dapp-key")
    assert info.value.exit_code == 5
    assert "--dapp-key: no dapp key named 'staging'" in info.value.message
    assert "(known: default)" in info.value.message
    assert info.value.hint == "create one with: walletsign keygen --name staging"
    with pytest.raises(KeystoreError, match=r"known: none"):
        Document().dapp_keypair("default")
    no_secret = document.with_key("pub", KeyEntry(public_key=str(KEYPAIR.public)))
    with pytest.raises(KeystoreError, match="no dapp key named 'pub'"):
        no_secret.dapp_keypair("pub")


def test_dapp_keypair_damaged_secret_is_exit_5() -> None:
    document = Document().with_key("bad", KeyEntry(secret_key="0OIl"))
    with pytest.raises(KeystoreError) as info:
        document.dapp_keypair("bad")
    assert info.value.exit_code == 5
    assert "damaged value" in info.value.message
    assert info.value.hint is not None and "keygen --force" in info.value.hint


def test_damaged_wraps_bad_input() -> None:
    error = damaged(BadInputError("x is wrong"))
    assert isinstance(error, KeystoreError)
    assert error.message == "the keystore holds a damaged value: x is wrong"


@pytest.mark.parametrize("name", ["default", "a", "A.b_c-1", "x" * 64])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", ".hidden", "-flag", "a b", "x" * 65, "é", "a/b"])
def test_bad_names_name_the_option(name: str) -> None:
    with pytest.raises(BadInputError, match="--wallet-name"):
        check_name(name, option="--wallet-name")


def test_now_iso_is_utc_to_the_microsecond() -> None:
    stamp = now_iso()
    assert stamp.endswith("Z")
    assert len(stamp) == len("2026-01-01T00:00:00.000000Z")
