"""Transaction answers: the wallet's signature over each returned message is verified with
the session's public key, and the returned message is compared with the requested one.

The real-transaction vectors were built once with @solana/web3.js (see tests/vectors/README.md):
a legacy transfer and a v0 message that loads an account from an address lookup table, each
unsigned, signed by the payer, and with a compute-budget instruction added; and the legacy one
with the payer's slot holding another key's signature. The answers carrying them are sealed
here with plain PyNaCl, as a wallet would.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import base58 as b58
import pytest
from nacl.public import Box, PrivateKey, PublicKey

from tests.conftest import load_vector
from tests.helpers import raw_transaction
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.keystore import Keystore
from walletsign_cli.protocols import deeplink

WEB3 = load_vector("solana_web3_transactions.json")
PAYER = Ed25519SigningKey.from_seed(bytes.fromhex(WEB3["payer_seed_hex"]))
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"


def ok(result: Any, code: int = 0) -> dict[str, Any]:
    assert result.exit_code == code, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def b58_of_hex(text: str) -> str:
    return b58.b58encode(bytes.fromhex(text)).decode()


class Flow:
    """A dapp and the simulated wallet whose account is the vectors' payer."""

    def __init__(self, run: Any, keystore: Path) -> None:
        self.run = run
        self.keystore = keystore
        with raw_transaction(Keystore(keystore)) as data:
            data.setdefault("wallets", {})["sim"] = {
                "account_secret_key": PAYER.seed_base58(),
                "account_public_key": str(PAYER.public),
                "created_at": "2026-01-01T00:00:00Z",
                "dapps": {},
            }
        url = ok(
            run(
                "connect-url",
                "--wallet",
                "phantom",
                "--app-url",
                "https://example.com",
                "--redirect-link",
                "myapp://onConnect",
                "--json",
            )
        )["url"]
        answer = ok(run("simulate", url, "--json"))
        assert answer["public_key"] == WEB3["payer_public_key"]
        ok(run("decode-redirect", answer["redirect"], "--json"))

    def request(self, *transactions: str, send: bool = False) -> str:
        args = [a for tx in transactions for a in ("--transaction", tx)]
        extra = ["--send"] if send else []
        return str(
            ok(self.run("sign-url", "--redirect-link", "myapp://onSign", *args, *extra, "--json"))[
                "url"
            ]
        )

    def seal(self, data: dict[str, Any]) -> str:
        """An answer with ``data``, sealed by the simulated wallet's key for this dapp."""
        stored = Keystore(self.keystore).load().to_json()
        dapp_secret = b58.b58decode(stored["keys"]["default"]["secret_key"])
        (dapp_public, entry), *_ = stored["wallets"]["sim"]["dapps"].items()
        wallet_secret = b58.b58decode(entry["secret_key"])
        assert bytes(PrivateKey(dapp_secret).public_key) == b58.b58decode(dapp_public)
        box = Box(PrivateKey(wallet_secret), PublicKey(b58.b58decode(dapp_public)))
        nonce = os.urandom(24)
        sealed = box.encrypt(json.dumps(data).encode(), nonce).ciphertext
        params = [
            ("nonce", b58.b58encode(nonce).decode()),
            ("data", b58.b58encode(sealed).decode()),
        ]
        return "myapp://onSign?" + deeplink.encode_query(params)

    def decode(self, redirect: str, code: int = 0) -> tuple[dict[str, Any], str]:
        result = self.run("decode-redirect", redirect, "--json")
        return ok(result, code), result.stderr


@pytest.fixture
def flow(run: Any, keystore_path: Path) -> Flow:
    return Flow(run, keystore_path)


@pytest.mark.parametrize("kind", ["legacy", "v0_lookup_table"])
def test_web3_transaction_signed_by_the_wallet_verifies(flow: Flow, kind: str) -> None:
    url = flow.request(b58_of_hex(WEB3[kind]["unsigned_hex"]))
    answer = ok(flow.run("simulate", url, "--json"))
    # The simulated wallet's signature is ed25519, deterministic: web3.js made the same bytes.
    assert answer["data"]["transaction"] == b58_of_hex(WEB3[kind]["signed_hex"])
    decoded, _ = flow.decode(answer["redirect"])
    assert decoded["verified"] is True
    assert decoded["modified"] is False
    (check,) = decoded["transactions_checked"]
    assert check["version"] == ("legacy" if kind == "legacy" else "v0")
    assert check["signatures"] == [
        {"slot": 0, "signer": WEB3["payer_public_key"], "status": "valid"}
    ]
    assert check["diff"] == []


@pytest.mark.parametrize(
    ("kind", "changed"),
    [("legacy", "legacy_compute_budget_added"), ("v0_lookup_table", "v0_compute_budget_added")],
)
def test_web3_transaction_changed_by_the_wallet_is_reported(
    flow: Flow, kind: str, changed: str
) -> None:
    flow.request(b58_of_hex(WEB3[kind]["unsigned_hex"]))
    redirect = flow.seal({"transaction": b58_of_hex(WEB3[changed]["signed_hex"])})
    decoded, stderr = flow.decode(redirect)  # a changed message alone is not a failure
    assert decoded["verified"] is True
    assert decoded["modified"] is True
    diff = decoded["transactions_checked"][0]["diff"]
    added = [d for d in diff if d["field"] == "instruction"]
    assert added == [
        {
            "field": "instruction",
            "change": "added",
            "index": 0,
            "got": {"program": COMPUTE_BUDGET, "accounts": [], "data_hex": "03e803000000000000"},
        }
    ]
    assert "the wallet changed the transaction" in stderr


def test_v0_lookup_accounts_are_named_by_table(flow: Flow) -> None:
    flow.request(b58_of_hex(WEB3["v0_lookup_table"]["unsigned_hex"]))
    redirect = flow.seal({"transaction": b58_of_hex(WEB3["legacy"]["signed_hex"])})
    decoded, _ = flow.decode(redirect)
    diff = decoded["transactions_checked"][0]["diff"]
    fields = {d["field"] for d in diff}
    assert {"version", "address_table_lookups", "instruction"} <= fields
    removed = [d["asked"] for d in diff if d.get("change") == "removed"]
    table = WEB3["lookup_table"]
    assert any(f"lookup:{table}[0]" in ix["accounts"] for ix in removed)


def test_forged_fee_payer_signature_exits_1(flow: Flow) -> None:
    flow.request(b58_of_hex(WEB3["legacy"]["unsigned_hex"]))
    redirect = flow.seal(
        {"transaction": b58_of_hex(WEB3["legacy_signed_by_other_key"]["signed_hex"])}
    )
    decoded, stderr = flow.decode(redirect, 1)
    assert decoded["verified"] is False
    assert decoded["transactions_checked"][0]["signatures"][0]["status"] == "invalid"
    assert "does not verify over the returned message" in stderr
    # The forged answer did not use up the request: the genuine one is not a replay.
    genuine = flow.seal({"transaction": b58_of_hex(WEB3["legacy"]["signed_hex"])})
    decoded, stderr = flow.decode(genuine)
    assert decoded["verified"] is True
    assert "replay" not in stderr


def test_sign_all_transactions_checks_each(flow: Flow) -> None:
    flow.request(
        b58_of_hex(WEB3["legacy"]["unsigned_hex"]),
        b58_of_hex(WEB3["v0_lookup_table"]["unsigned_hex"]),
    )
    redirect = flow.seal(
        {
            "transactions": [
                b58_of_hex(WEB3["legacy"]["signed_hex"]),
                b58_of_hex(WEB3["legacy_signed_by_other_key"]["signed_hex"]),
            ]
        }
    )
    decoded, stderr = flow.decode(redirect, 1)
    first, second = decoded["transactions_checked"]
    assert (first["verified"], first["modified"]) == (True, False)
    assert (second["verified"], second["modified"]) == (False, True)
    assert "transaction 2:" in stderr


@pytest.mark.parametrize(
    ("fault", "code", "verified", "modified"),
    [(None, 0, True, False), ("add-instruction", 0, True, True), ("other-key", 1, False, False)],
)
@pytest.mark.parametrize("send", [False, True])
def test_simulated_faults_on_transactions(
    flow: Flow, fault: str | None, code: int, verified: bool, modified: bool, send: bool
) -> None:
    url = flow.request(b58_of_hex(WEB3["v0_lookup_table"]["unsigned_hex"]), send=send)
    extra = ["--fault", fault] if fault else []
    answer = ok(flow.run("simulate", url, "--json", *extra))
    if send:
        # signAndSend returns the signature only: a changed message cannot be told from a
        # forged signature without the chain, so neither is called verified.
        code, verified = (0, None) if fault else (0, True)  # type: ignore[assignment]
    decoded, stderr = flow.decode(answer["redirect"], code)
    assert decoded["verified"] is verified
    if not send:
        assert decoded["modified"] is modified
    if send and fault:
        assert "look it up on chain" in stderr


def test_sign_and_send_answer_found_among_newer_sign_message_requests(flow: Flow) -> None:
    send = flow.request(b58_of_hex(WEB3["legacy"]["unsigned_hex"]), send=True)
    flow.run("sign-url", "--redirect-link", "myapp://onSign", "--message", "newer")
    answer = ok(flow.run("simulate", send, "--json"))
    # web3.js's signature is the transaction id the wallet returns.
    signed = bytes.fromhex(WEB3["legacy"]["signed_hex"])
    assert answer["data"]["signature"] == b58.b58encode(signed[1:65]).decode()
    decoded, _ = flow.decode(answer["redirect"])
    assert decoded["method"] == "signAndSendTransaction"
    assert decoded["verified"] is True
