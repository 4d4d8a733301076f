"""The dapp engine (protocols/dapp) tested directly: no CLI, no keystore file.

The wallet is played by :func:`walletsign_cli.protocols.simulator.respond`, so every answer
here is one a real wallet would send, decoded and checked by :func:`dapp.answer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.test_solana_tx import legacy_message, unsigned, v0_message
from walletsign_cli.core import base58, box
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import BadInputError, DecryptionError, KeystoreError
from walletsign_cli.protocols import dapp, deeplink, simulator
from walletsign_cli.protocols.state import Document, WalletEntry

APP_URL = "https://example.com"
REDIRECT = "myapp://onConnect"
SIGN_REDIRECT = "myapp://onSign"
T0 = "2026-01-01T00:00:00.000000Z"
T1 = "2026-01-01T00:00:01.000000Z"
T2 = "2026-01-01T00:00:02.000000Z"


@dataclass
class Wallet:
    """The simulated wallet's state between answers."""

    state: WalletEntry | None = None
    account: Ed25519SigningKey = field(default_factory=Ed25519SigningKey.generate)

    def respond(self, url: str) -> str:
        answer = simulator.respond(
            simulator.parse_request(url), self.state, account=self.account, now=1_767_225_600
        )
        assert answer.error_code is None, answer.error_message
        if answer.state is not None:
            self.state = answer.state
        return answer.redirect


def connect(doc: Document, wallet: Wallet, *, key: str = "default") -> Document:
    plan = dapp.plan_connect(
        doc,
        wallet="phantom",
        app_url=APP_URL,
        redirect_link=REDIRECT,
        cluster="devnet",
        key=key,
        base_url=None,
        now=T0,
    )
    result, doc = dapp.answer(wallet.respond(plan.request.url), plan.document, now=T1)
    assert result.status == "approved" and result.method == deeplink.CONNECT
    return doc


def sign(doc: Document, message: bytes) -> dapp.RequestPlan:
    return dapp.plan_content(
        doc,
        dapp.sign_message(message),
        session_name=None,
        wallet=None,
        base_url=None,
        redirect_link=SIGN_REDIRECT,
        now=T2,
    )


@pytest.fixture
def wallet() -> Wallet:
    return Wallet()


@pytest.fixture
def connected(wallet: Wallet) -> Document:
    return connect(Document(), wallet)


def test_plan_connect_stores_the_new_key_and_remembers_the_request() -> None:
    keypair = X25519KeyPair.generate()
    doc = Document()
    plan = dapp.plan_connect(
        doc,
        wallet="phantom",
        app_url=APP_URL,
        redirect_link=REDIRECT,
        cluster="devnet",
        key="default",
        base_url=None,
        now=T0,
        keypair=keypair,
    )
    assert doc == Document()  # the input is never changed
    assert plan.created and plan.keypair == keypair
    assert plan.document.keys["default"].public_key == str(keypair.public)
    pending = plan.document.requests[plan.request_id]
    assert plan.request_id == f"connect:{keypair.public}:phantom"
    assert (pending.method, pending.cluster, pending.created_at) == ("connect", "devnet", T0)
    params = dict(parse_qsl(urlsplit(plan.request.url).query))
    assert params["dapp_encryption_public_key"] == str(keypair.public)
    assert plan.to_json()["key"] == "default"
    # A second connect reuses the stored key.
    again = dapp.plan_connect(
        plan.document,
        wallet="solflare",
        app_url=APP_URL,
        redirect_link=REDIRECT,
        cluster="devnet",
        key="default",
        base_url=None,
    )
    assert not again.created and again.keypair.public == keypair.public


def test_connect_answer_saves_the_session(wallet: Wallet) -> None:
    plan = dapp.plan_connect(
        Document(),
        wallet="phantom",
        app_url=APP_URL,
        redirect_link=REDIRECT,
        cluster="devnet",
        key="default",
        base_url=None,
        now=T0,
    )
    result, doc = dapp.answer(wallet.respond(plan.request.url), plan.document, now=T1)
    assert result.saved and result.session_name == "phantom" and result.key_name == "default"
    assert result.data["public_key"] == str(wallet.account.public)
    assert result.session_token is not None and result.session_token["signed_by_public_key"]
    session = doc.sessions["phantom"]
    assert session.public_key == str(wallet.account.public)
    assert (session.cluster, session.app_url, session.created_at) == ("devnet", APP_URL, T1)
    assert doc.requests[plan.request_id].answered_at == T1
    assert "phantom" not in plan.document.sessions
    assert result.to_json()["status"] == "approved"


def test_sign_request_is_remembered(connected: Document) -> None:
    plan = sign(connected, b"hello")
    assert plan.session.name == "phantom" and plan.wallet == "phantom"
    pending = plan.document.requests[plan.request.nonce or ""]
    assert pending.method == deeplink.SIGN_MESSAGE
    assert base58.decode(pending.message or "") == b"hello"
    assert (pending.display, pending.session_name, pending.created_at) == ("utf8", "phantom", T2)
    assert plan.to_json()["payload"]["display"] == "utf8"
    assert plan.request.nonce not in connected.requests


def test_a_real_signature_is_verified(wallet: Wallet, connected: Document) -> None:
    plan = sign(connected, b"Sign in to Example")
    result, doc = dapp.answer(wallet.respond(plan.request.url), plan.document, now=T2)
    assert result.verified is True and result.exit_code == 0
    assert result.method == deeplink.SIGN_MESSAGE and result.session_name == "phantom"
    assert result.request_id == plan.request.nonce
    assert doc.requests[plan.request.nonce or ""].answered_at == T2
    assert not result.warnings


def test_a_forged_signature_is_not_verified_and_changes_nothing(
    wallet: Wallet, connected: Document
) -> None:
    plan = sign(connected, b"pay 1 SOL")
    other = sign(plan.document, b"pay 1000 SOL")
    # The wallet signs the other message; the answer is re-sealed as if for the first one.
    answer_url = wallet.respond(other.request.url)
    forged = _reseal_signature(answer_url, plan, Ed25519SigningKey.generate().sign(b"pay 1 SOL"))
    result, doc = dapp.answer(forged, other.document, now=T2)
    assert result.verified is False and result.exit_code == 1
    assert doc is other.document
    assert any("does not verify" in text for text in result.warnings)


def test_disconnect_answer_removes_the_session(wallet: Wallet, connected: Document) -> None:
    plan = dapp.plan_content(
        connected,
        dapp.DISCONNECT,
        session_name="phantom",
        wallet=None,
        base_url=None,
        redirect_link="myapp://onDisconnect",
        now=T2,
    )
    result, doc = dapp.answer(wallet.respond(plan.request.url), plan.document, now=T2)
    assert result.method == deeplink.DISCONNECT and result.session_removed
    assert "phantom" not in doc.sessions
    assert "phantom" in plan.document.sessions


def test_a_replayed_answer_warns(wallet: Wallet, connected: Document) -> None:
    plan = sign(connected, b"once")
    url = wallet.respond(plan.request.url)
    first, doc = dapp.answer(url, plan.document, now=T2)
    assert not first.replay
    again, _ = dapp.answer(url, doc, now=T2)
    assert again.replay and again.verified is True
    assert any("already answered" in text for text in again.warnings)
    assert again.to_json()["replay"] is True


def test_the_dapps_own_request_pasted_back_is_refused(connected: Document) -> None:
    plan = sign(connected, b"hi")
    params = plan.request.params_dict
    bounced = f"{SIGN_REDIRECT}?nonce={params['nonce']}&data={params['payload']}"
    with pytest.raises(BadInputError, match="nonce of a request walletsign built"):
        dapp.answer(bounced, plan.document)


def test_an_answer_no_session_opens_is_refused(wallet: Wallet, connected: Document) -> None:
    plan = sign(connected, b"hi")
    url = wallet.respond(plan.request.url)
    with pytest.raises(DecryptionError):
        dapp.answer(url, Document())
    with pytest.raises(KeystoreError, match="--session"):
        dapp.answer(url, plan.document, session="nobody")


def test_an_error_redirect_needs_no_keystore() -> None:
    result, doc = dapp.answer(f"{REDIRECT}?errorCode=4001&errorMessage=no", Document())
    assert (result.status, result.error_name, result.exit_code) == (
        "rejected",
        "User Rejected Request",
        4,
    )
    assert doc == Document()


def test_resolve_session_defaults_to_the_newest(wallet: Wallet, connected: Document) -> None:
    assert dapp.resolve_session(connected, None).name == "phantom"
    with pytest.raises(KeystoreError, match="no session is saved yet"):
        dapp.resolve_session(Document(), None)


def test_transactions_are_checked() -> None:
    with pytest.raises(BadInputError, match="--transaction"):
        dapp.sign_transactions(["not-base58-0OIl"])
    with pytest.raises(BadInputError, match="the message is empty"):
        dapp.sign_message(b"")
    assert dapp.sign_message(b"\xff").remembered["display"] == "hex"


def test_sign_all_transactions_round_trip(wallet: Wallet, connected: Document) -> None:
    account = wallet.account.public.raw
    texts = [base58.encode(unsigned(m(account))) for m in (legacy_message, v0_message)]
    content = dapp.sign_transactions(texts)
    assert content.method == deeplink.SIGN_ALL_TRANSACTIONS
    plan = dapp.plan_content(
        connected,
        content,
        session_name="phantom",
        wallet=None,
        base_url=None,
        redirect_link=SIGN_REDIRECT,
        now=T2,
    )
    assert plan.pending.transactions == tuple(texts)
    result, doc = dapp.answer(wallet.respond(plan.request.url), plan.document, now=T2)
    assert result.method == deeplink.SIGN_ALL_TRANSACTIONS and result.verified is True
    assert len(result.data["transactions"]) == 2 and not result.warnings
    assert doc.requests[plan.request.nonce or ""].answered_at == T2


def _reseal_signature(answer_url: str, plan: dapp.RequestPlan, signature: bytes) -> str:
    """``answer_url`` with its data replaced by ``{"signature"}`` sealed in ``plan``'s session."""
    nonce, sealed = box.seal(
        deeplink.payload_json({"signature": base58.encode(signature)}), plan.session.shared
    )
    link = answer_url.split("?", 1)[0]
    return f"{link}?nonce={base58.encode(nonce)}&data={base58.encode(sealed)}"
