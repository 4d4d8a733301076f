"""``walletsign simulate`` and the wallet logic behind it.

The simulated wallet's answers are opened here with the vectors' own recipe (plain PyNaCl:
``Box``/``SecretBox`` and ``VerifyKey``), never with walletsign's code, so a wallet that
agreed only with walletsign's dapp side would still fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import base58 as b58
import pytest
from click.testing import Result
from nacl.public import Box, PrivateKey, PublicKey
from nacl.secret import SecretBox
from nacl.signing import SigningKey, VerifyKey

from tests.conftest import load_vector
from tests.helpers import raw_transaction
from tests.test_solana_tx import legacy_message, short_vec, unsigned, v0_message
from walletsign_cli.core.box import X25519KeyPair, X25519PublicKey, shared_secret
from walletsign_cli.core.ed25519 import Ed25519SigningKey
from walletsign_cli.errors import BadInputError, KeystoreError
from walletsign_cli.keystore import Keystore
from walletsign_cli.protocols import deeplink, simulator
from walletsign_cli.protocols.state import WalletEntry

VECTOR = load_vector("deeplink.json")
WALLETS = ["phantom", "solflare", "backpack"]
KEY_PARAMS = {
    "phantom": "phantom_encryption_public_key",
    "solflare": "solflare_encryption_public_key",
    "backpack": "wallet_encryption_public_key",
}
ACCOUNT_SEED = bytes.fromhex(VECTOR["account"]["seed_hex"])
WALLET_SECRET = bytes.fromhex(VECTOR["wallet_encryption"]["secret_key_hex"])
ERROR_TABLE = {
    4900: "Disconnected",
    4100: "Unauthorized",
    4001: "User Rejected Request",
    -32000: "Invalid Input",
    -32002: "Requested resource not available",
    -32003: "Transaction Rejected",
    -32601: "Method Not Found",
    -32603: "Internal Error",
}


# -- the independent recipe ----------------------------------------------------------------


def query(url: str) -> dict[str, str]:
    """The answer's parameters (every '?', '&' after the link's own query separates)."""
    tail = url.partition("?")[2]
    return dict(parse_qsl(tail.replace("?", "&"), keep_blank_values=True))


def open_with_box(
    dapp_secret: bytes, wallet_public: bytes, nonce_b58: str, data_b58: str
) -> dict[str, Any]:
    """``nacl.box.open.after`` as the demo app does it: Box, and SecretBox on box.before."""
    box = Box(PrivateKey(dapp_secret), PublicKey(wallet_public))
    nonce, data = b58.b58decode(nonce_b58), b58.b58decode(data_b58)
    plaintext = box.decrypt(data, nonce)
    assert SecretBox(box.shared_key()).decrypt(data, nonce) == plaintext
    value = json.loads(plaintext.decode("utf-8"))
    assert isinstance(value, dict)
    return value


def session_claims(token: str, account: bytes) -> dict[str, Any]:
    """``nacl.sign.open(bs58.decode(session), account)`` then JSON."""
    claims = json.loads(VerifyKey(account).verify(b58.b58decode(token)).decode("utf-8"))
    assert isinstance(claims, dict)
    return claims


def reseal(loop: Loop, url: str, **changes: str) -> str:
    """The request ``url`` with its payload fields changed, sealed again under its session."""
    base, _, tail = url.partition("?")
    params = dict(parse_qsl(tail))
    box = Box(PrivateKey(dapp_secret(loop.keystore)), PublicKey(loop.wallet_public))
    nonce = b58.b58decode(params["nonce"])
    payload = json.loads(box.decrypt(b58.b58decode(params["payload"]), nonce))
    payload.update(changes)
    fresh = os.urandom(24)  # never reuse a nonce for other plaintext, even in a test
    sealed = box.encrypt(json.dumps(payload, separators=(",", ":")).encode(), fresh).ciphertext
    params["nonce"] = b58.b58encode(fresh).decode()
    params["payload"] = b58.b58encode(sealed).decode()
    return base + "?" + deeplink.encode_query(list(params.items()))


def dapp_secret(keystore: Path, name: str = "default") -> bytes:
    secret = Keystore(keystore).load().to_json()["keys"][name]["secret_key"]
    raw = b58.b58decode(secret)
    assert isinstance(raw, bytes)
    return raw


# -- the wallet logic, against the vectors -------------------------------------------------


def fixed_connect(wallet: str) -> simulator.Answer:
    exchange = VECTOR["exchanges"][wallet]["connect"]
    return simulator.respond(
        simulator.parse_request(exchange["request_url"]),
        None,
        account=Ed25519SigningKey.from_seed(ACCOUNT_SEED),
        wallet_keypair=X25519KeyPair.from_secret(WALLET_SECRET),
        nonce=b58.b58decode(exchange["answer_nonce"]),
        now=1_700_000_000,
    )


@pytest.mark.parametrize("wallet", WALLETS)
def test_connect_answer_matches_the_vector(wallet: str) -> None:
    answer = fixed_connect(wallet)
    exchange = VECTOR["exchanges"][wallet]["connect"]
    assert answer.redirect == exchange["answer_url"]
    assert answer.data == exchange["answer_data"]
    assert answer.request.key_param == KEY_PARAMS[wallet]
    assert answer.state is not None
    dapp = answer.state.dapps[VECTOR["dapp"]["public_key"]]
    assert dapp.session == VECTOR["session"]["token"]
    assert (dapp.app_url, dapp.cluster) == ("https://example.com", "devnet")
    assert answer.state.account_public_key == VECTOR["account"]["public_key"]


@pytest.mark.parametrize("wallet", WALLETS)
@pytest.mark.parametrize("case", ["sign_message_utf8", "sign_message_hex"])
def test_sign_message_answer_matches_the_vector(wallet: str, case: str) -> None:
    state = fixed_connect(wallet).state
    exchange = VECTOR["exchanges"][wallet][case]
    answer = simulator.respond(
        simulator.parse_request(exchange["request_url"]),
        state,
        nonce=b58.b58decode(exchange["answer_nonce"]),
    )
    assert answer.redirect == exchange["answer_url"]
    assert answer.state is None  # signing keeps the state
    assert answer.payload == json.loads(exchange["payload_plaintext"])


@pytest.mark.parametrize("wallet", WALLETS)
def test_disconnect_answer_matches_the_vector_and_forgets(wallet: str) -> None:
    state = fixed_connect(wallet).state
    exchange = VECTOR["exchanges"][wallet]
    bye = simulator.respond(simulator.parse_request(exchange["disconnect"]["request_url"]), state)
    assert bye.redirect == exchange["disconnect"]["answer_url"]
    assert bye.state is not None
    assert bye.state.dapps == {}
    assert bye.state.account_public_key == VECTOR["account"]["public_key"]
    again = simulator.respond(
        simulator.parse_request(exchange["sign_message_utf8"]["request_url"]), bye.state
    )
    assert query(again.redirect) == {
        "errorCode": "-32603",
        "errorMessage": "Missing sharing secret",
    }


def test_connect_answer_opens_with_plain_pynacl() -> None:
    answer = fixed_connect("phantom")
    params = query(answer.redirect)
    data = open_with_box(
        bytes.fromhex(VECTOR["dapp"]["secret_key_hex"]),
        b58.b58decode(params["phantom_encryption_public_key"]),
        params["nonce"],
        params["data"],
    )
    account = b58.b58decode(data["public_key"])
    assert bytes(SigningKey(ACCOUNT_SEED).verify_key) == account
    assert session_claims(data["session"], account) == json.loads(VECTOR["session"]["json"])


def test_session_claims_in_documented_order() -> None:
    token = simulator.session_token(
        Ed25519SigningKey.from_seed(ACCOUNT_SEED),
        app_url="https://example.com",
        cluster="devnet",
        timestamp=1_700_000_000,
    )
    signed = b58.b58decode(token)
    assert signed[64:].decode() == VECTOR["session"]["json"]
    assert token == VECTOR["session"]["token"]


@pytest.mark.parametrize(
    ("url", "wallet"),
    [
        ("https://phantom.app/ul/v1/connect", "phantom"),
        ("phantom://v1/connect", "phantom"),
        ("https://solflare.com/ul/v1/connect", "solflare"),
        ("solflare://ul/v1/connect", "solflare"),
        ("https://backpack.app/ul/v1/connect", "backpack"),
        ("https://staging.phantom.app/ul/v1/connect", "phantom"),
        ("https://wallet.example/ul/v1/connect", None),
        ("https://notphantom.app/ul/v1/connect", None),
    ],
)
def test_wallet_is_read_from_host_or_scheme(url: str, wallet: str | None) -> None:
    assert simulator.wallet_of(url) == wallet


def test_unknown_wallet_answers_with_the_generic_key_param() -> None:
    request = simulator.parse_request(
        "https://wallet.example/ul/v1/connect?dapp_encryption_public_key="
        f"{VECTOR['dapp']['public_key']}&app_url=https%3A%2F%2Fa.example&redirect_link=x%3A%2F%2Fy"
    )
    assert (request.wallet, request.key_param) == (None, "wallet_encryption_public_key")
    answer = simulator.respond(request, None)
    assert "wallet_encryption_public_key" in query(answer.redirect)
    forced = simulator.parse_request(request.url, wallet="solflare")
    assert forced.key_param == "solflare_encryption_public_key"


def test_redirect_link_with_a_query_gets_an_ampersand() -> None:
    assert simulator.redirect_url("a://b", [("k", "v w")]) == "a://b?k=v+w"
    assert simulator.redirect_url("a://b?x=1", [("k", "v")]) == "a://b?x=1&k=v"
    assert simulator.redirect_url("a://b", []) == "a://b"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("no-scheme-here", "no scheme"),
        ("https://phantom.app", "no method"),
        ("https://phantom.app/ul/v1/connect?app_url=x", "no redirect_link"),
        (
            "https://phantom.app/ul/v1/connect?redirect_link=a%3A%2F%2Fb&redirect_link=c%3A%2F%2Fd",
            "more than once",
        ),
        ("https://phantom.app/ul/v1/connect?redirect_link=not+a+url", "redirect_link"),
        ("https://phantom.app/ul/v1/connect?redirect_link=", "redirect_link is empty"),
    ],
)
def test_not_a_deeplink_is_bad_input(url: str, words: str) -> None:
    with pytest.raises(BadInputError, match=words):
        simulator.parse_request(url)


def test_corrupt_wallet_state_is_a_keystore_error() -> None:
    request = simulator.parse_request(VECTOR["exchanges"]["phantom"]["connect"]["request_url"])
    with pytest.raises(KeystoreError, match="account_secret_key"):
        simulator.respond(request, WalletEntry(account_secret_key="0OIl"))
    seed = Ed25519SigningKey.from_seed(ACCOUNT_SEED).seed_base58()
    with pytest.raises(KeystoreError, match="does not match"):
        simulator.respond(request, WalletEntry(account_secret_key=seed, account_public_key="x"))
    with pytest.raises(KeystoreError, match="account_secret_key is missing"):
        simulator.respond(request, WalletEntry())


# -- the command line: the whole loop ------------------------------------------------------


def ok_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


class Loop:
    """A dapp (walletsign's commands) and the simulated wallet, in one keystore."""

    def __init__(self, run: Any, keystore: Path, wallet: str) -> None:
        self.run = run
        self.keystore = keystore
        self.wallet = wallet
        self.account = b""
        self.wallet_public = b""
        # Backpack documents mainnet-beta and Eclipse, not devnet: the loop runs on Eclipse.
        self.cluster = deeplink.ECLIPSE if wallet == "backpack" else "devnet"

    def connect(self, *extra: str) -> dict[str, Any]:
        url = ok_json(
            self.run(
                "connect-url",
                "--wallet",
                self.wallet,
                "--app-url",
                "https://example.com",
                "--redirect-link",
                "myapp://onConnect",
                "--cluster",
                self.cluster,
                "--json",
            )
        )["url"]
        answer = ok_json(self.run("simulate", url, "--json", *extra))
        params = query(answer["redirect"])
        self.wallet_public = b58.b58decode(params[KEY_PARAMS[self.wallet]])
        data = open_with_box(
            dapp_secret(self.keystore), self.wallet_public, params["nonce"], params["data"]
        )
        self.account = b58.b58decode(data["public_key"])
        assert answer["public_key"] == data["public_key"]
        assert answer["data"] == data
        decoded = ok_json(self.run("decode-redirect", answer["redirect"], "--json"))
        assert decoded["data"] == data
        return answer

    def sign_url(self, *args: str) -> dict[str, Any]:
        return ok_json(self.run("sign-url", "--redirect-link", "myapp://onSign", *args, "--json"))

    def answer_data(self, answer: dict[str, Any]) -> dict[str, Any]:
        params = query(answer["redirect"])
        return open_with_box(
            dapp_secret(self.keystore), self.wallet_public, params["nonce"], params["data"]
        )


@pytest.mark.parametrize("wallet", WALLETS)
def test_whole_loop_through_the_cli(wallet: str, run: Any, keystore_path: Path) -> None:
    loop = Loop(run, keystore_path, wallet)
    connect = loop.connect()
    assert connect["method"] == "connect"
    assert connect["wallet"] == wallet
    assert connect["key_param"] == KEY_PARAMS[wallet]
    assert connect["request"]["app_url"] == "https://example.com"
    claims = session_claims(connect["data"]["session"], loop.account)
    assert (claims["app_url"], claims["chain"], claims["cluster"]) == (
        "https://example.com",
        "solana",
        loop.cluster,
    )
    stored = Keystore(keystore_path).load().to_json()["wallets"]["sim"]
    assert stored["account_public_key"] == b58.b58encode(loop.account).decode()

    # signMessage: the signature is over the exact requested bytes.
    message = "Sign in to Example ✓ nonce 42"
    sign = loop.sign_url("--message", message)
    signed = ok_json(run("simulate", sign["url"], "--json"))
    assert signed["method"] == "signMessage"
    assert signed["request"] == sign["payload"]
    data = loop.answer_data(signed)
    assert signed["data"] == data
    VerifyKey(loop.account).verify(message.encode(), b58.b58decode(data["signature"]))
    decoded = run("decode-redirect", signed["redirect"], "--json")
    assert decoded.exit_code == 0, decoded.stderr
    assert json.loads(decoded.stdout)["verified"] is True
    verdict = run(
        "verify",
        "--public-key",
        b58.b58encode(loop.account).decode(),
        "--signature",
        data["signature"],
        "--message",
        message,
        "--json",
    )
    assert verdict.exit_code == 0, verdict.stderr
    assert json.loads(verdict.stdout)["valid"] is True

    # Binary bytes, shown as hex.
    raw = bytes.fromhex("00ff10807f0001fe")
    sign = loop.sign_url("--message-hex", raw.hex(), "--display", "hex")
    data = loop.answer_data(ok_json(run("simulate", sign["url"], "--json")))
    VerifyKey(loop.account).verify(raw, b58.b58decode(data["signature"]))

    # The three transaction methods, legacy and v0.
    legacy, v0 = legacy_message(loop.account), v0_message(loop.account)
    tx = b58.b58encode(unsigned(legacy)).decode()
    data = loop.answer_data(
        ok_json(run("simulate", loop.sign_url("--transaction", tx)["url"], "--json"))
    )
    signed_tx = b58.b58decode(data["transaction"])
    assert signed_tx[65:] == legacy and signed_tx[:1] == short_vec(1)
    VerifyKey(loop.account).verify(legacy, signed_tx[1:65])

    txs = [tx, b58.b58encode(unsigned(v0)).decode()]
    all_answer = ok_json(
        run(
            "simulate",
            loop.sign_url("--transaction", txs[0], "--transaction", txs[1])["url"],
            "--json",
        )
    )
    assert all_answer["method"] == "signAllTransactions"
    data = loop.answer_data(all_answer)
    assert len(data["transactions"]) == 2
    for text, message_bytes in zip(data["transactions"], [legacy, v0], strict=True):
        raw_tx = b58.b58decode(text)
        assert raw_tx[65:] == message_bytes
        VerifyKey(loop.account).verify(message_bytes, raw_tx[1:65])

    send = run("simulate", loop.sign_url("--transaction", txs[1], "--send")["url"], "--json")
    sent = ok_json(send)
    assert sent["method"] == "signAndSendTransaction"
    assert sent["sent"] is False
    assert "nothing was sent" in send.stderr
    data = loop.answer_data(sent)
    VerifyKey(loop.account).verify(v0, b58.b58decode(data["signature"]))

    # Disconnect: the wallet forgets the dapp key; its later requests are refused.
    pending = loop.sign_url("--message", "after the end")["url"]
    bye = ok_json(
        run(
            "simulate",
            ok_json(run("disconnect-url", "--redirect-link", "myapp://onBye", "--json"))["url"],
            "--json",
        )
    )
    assert bye["redirect"] == "myapp://onBye"
    assert bye["method"] == "disconnect"
    assert Keystore(keystore_path).load().to_json()["wallets"]["sim"]["dapps"] == {}
    assert run("decode-redirect", bye["redirect"]).exit_code == 0
    refused = ok_json(run("simulate", pending, "--json"))
    assert refused["status"] == "rejected"
    assert (refused["error_code"], refused["error_name"]) == (-32603, "Internal Error")
    assert query(refused["redirect"])["errorMessage"] == "Missing sharing secret"


def test_text_output_is_the_redirect_alone(run: Any, keystore_path: Path) -> None:
    url = ok_json(
        run(
            "connect-url",
            "--wallet",
            "phantom",
            "--app-url",
            "https://example.com",
            "--redirect-link",
            "myapp://onConnect?state=1",
            "--json",
        )
    )["url"]
    result = run("simulate", url)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("myapp://onConnect?state=1&phantom_encryption_public_key=")
    assert "connect" in result.stderr
    assert "https://example.com" in result.stderr


def test_url_from_stdin_and_wallet_name(run: Any, keystore_path: Path) -> None:
    url = ok_json(
        run(
            "connect-url",
            "--base-url",
            "https://wallet.example/ul/v1/",
            "--app-url",
            "https://example.com",
            "--redirect-link",
            "myapp://c",
            "--json",
        )
    )["url"]
    result = run("simulate", "-", "--wallet-name", "ci-wallet", "--json", input=f"  {url}\n")
    answer = ok_json(result)
    assert answer["wallet"] is None
    assert answer["key_param"] == "wallet_encryption_public_key"
    assert "ci-wallet" in Keystore(keystore_path).load().to_json()["wallets"]
    forced = ok_json(run("simulate", url, "--wallet", "backpack", "--json"))
    assert forced["wallet"] == "backpack"


def test_the_installed_console_script(tmp_path: Path) -> None:
    script = shutil.which("walletsign") or str(Path(sys.executable).with_name("walletsign"))
    assert Path(script).exists(), script
    env = {**os.environ, "WALLETSIGN_KEYSTORE": str(tmp_path / "ks" / "keystore.json")}

    def call(*args: str) -> dict[str, Any]:
        done = subprocess.run(
            [script, *args, "--json"], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        assert isinstance(document, dict)
        return document

    connect = call(
        "connect-url",
        "--wallet",
        "solflare",
        "--app-url",
        "https://example.com",
        "--redirect-link",
        "myapp://c",
    )
    session = call("decode-redirect", call("simulate", connect["url"])["redirect"])
    assert session["status"] == "approved"
    sign = call("sign-url", "--redirect-link", "myapp://s", "--message", "from a subprocess")
    decoded = call("decode-redirect", call("simulate", sign["url"])["redirect"])
    assert decoded["verified"] is True
    VerifyKey(b58.b58decode(session["data"]["public_key"])).verify(
        b"from a subprocess", b58.b58decode(decoded["data"]["signature"])
    )


# -- the command line: every rejection path ------------------------------------------------


@pytest.fixture
def connected(run: Any, keystore_path: Path) -> Loop:
    loop = Loop(run, keystore_path, "phantom")
    loop.connect()
    return loop


def rejected(result: Result) -> tuple[int, str, dict[str, Any]]:
    """The error code and message of a rejecting answer (exit 0: the wallet did answer)."""
    document = ok_json(result)
    assert document["status"] == "rejected"
    params = query(document["redirect"])
    assert set(params) == {"errorCode", "errorMessage"}
    code = int(params["errorCode"])
    assert document["error_code"] == code
    assert document["error_name"] == ERROR_TABLE[code]
    assert document["error_message"] == params["errorMessage"]
    assert "data" not in document
    return code, params["errorMessage"], document


@pytest.mark.parametrize("code", sorted(ERROR_TABLE))
def test_reject_with_every_code(code: int, connected: Loop, keystore_path: Path) -> None:
    url = connected.sign_url("--message", "no")["url"]
    before = keystore_path.read_bytes()
    got, message, _ = rejected(connected.run("simulate", url, "--reject", str(code), "--json"))
    assert got == code
    assert message
    assert keystore_path.read_bytes() == before
    decoded = connected.run(
        "decode-redirect",
        ok_json(connected.run("simulate", url, "--reject", str(code), "--json"))["redirect"],
        "--json",
    )
    assert decoded.exit_code == 4
    assert json.loads(decoded.stdout)["error_name"] == ERROR_TABLE[code]


def test_reject_default_messages_match_the_vectors(connected: Loop) -> None:
    url = connected.sign_url("--message", "no")["url"]
    for vector in VECTOR["error_redirects"]:
        answer = ok_json(
            connected.run("simulate", url, "--reject", str(vector["error_code"]), "--json")
        )
        assert answer["redirect"] == "myapp://onSign?" + vector["url"].split("?", 1)[1]


def test_reject_with_a_custom_message(connected: Loop) -> None:
    url = connected.sign_url("--message", "no")["url"]
    result = connected.run(
        "simulate", url, "--reject", "4001", "--error-message", "Not today & never", "--json"
    )
    _, message, document = rejected(result)
    assert message == "Not today & never"
    assert "errorMessage=Not+today+%26+never" in document["redirect"]


def test_rejected_connect_creates_nothing(run: Any, keystore_path: Path) -> None:
    url = ok_json(
        run(
            "connect-url",
            "--wallet",
            "phantom",
            "--app-url",
            "https://example.com",
            "--redirect-link",
            "myapp://c",
            "--json",
        )
    )["url"]
    code, _, _ = rejected(run("simulate", url, "--reject", "4001", "--json"))
    assert code == 4001
    assert Keystore(keystore_path).load().to_json()["wallets"] == {}


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (["--reject", "1234"], 3, "not a wallet error code"),
        (["--reject", "x"], 3, "--reject"),
        (["--error-message", "why"], 2, "--error-message goes with --reject"),
        (["--wallet-name", "../x"], 3, "--wallet-name"),
    ],
)
def test_bad_options(
    args: list[str], exit_code: int, words: str, connected: Loop, keystore_path: Path
) -> None:
    url = connected.sign_url("--message", "no")["url"]
    before = keystore_path.read_bytes()
    result = connected.run("simulate", url, *args)
    assert result.exit_code == exit_code
    assert result.stdout == ""
    assert words in result.stderr
    assert keystore_path.read_bytes() == before


def test_unknown_dapp_key(connected: Loop) -> None:
    url = connected.sign_url("--message", "hi")["url"]
    code, message, document = rejected(
        connected.run("simulate", url, "--wallet-name", "other", "--json")
    )
    assert (code, message) == (-32603, "Missing sharing secret")
    assert document["request"] == {}


def forged_request(loop: Loop, payload: dict[str, Any], method: str = "signMessage") -> str:
    """A request sealed correctly for the connected dapp key, with any payload."""
    data = Keystore(loop.keystore).load().to_json()
    session = data["sessions"]["phantom"]
    dapp = X25519KeyPair.from_base58(data["keys"]["default"]["secret_key"])
    wallet_public = X25519PublicKey(loop.wallet_public)
    assert str(wallet_public) == session["wallet_encryption_public_key"]
    request = deeplink.build_encrypted(
        "https://phantom.app/ul/v1/",
        method,
        payload,
        dapp_public_key=dapp.public,
        shared=shared_secret(wallet_public, dapp),
        redirect_link="myapp://onSign",
    )
    return request.url


def token_for(signer: bytes, **claims: Any) -> str:
    body = {
        "app_url": "https://example.com",
        "timestamp": 1,
        "chain": "solana",
        "cluster": "devnet",
    }
    body.update(claims)
    signed = SigningKey(signer).sign(json.dumps(body, separators=(",", ":")).encode())
    return b58.b58encode(bytes(signed)).decode()


@pytest.mark.parametrize(
    ("session", "words"),
    [
        ("", "Session is missing"),
        ("0OIl", "not signed by this account"),
        (b58.b58encode(b"short").decode(), "not signed by this account"),
        ("other-key", "not signed by this account"),
        ("other-app", "issued to another app"),
        ("other-chain", "another chain"),
        ("other-cluster", "another cluster"),
        ("not-json", "not JSON"),
    ],
)
def test_bad_session(session: str, words: str, connected: Loop) -> None:
    account_seed = (
        Keystore(connected.keystore).load().to_json()["wallets"]["sim"]["account_secret_key"]
    )
    seed = b58.b58decode(account_seed)
    tokens = {
        "other-key": token_for(b"\x09" * 32),
        "other-app": token_for(seed, app_url="https://evil.example"),
        "other-chain": token_for(seed, chain="ethereum"),
        "other-cluster": token_for(seed, cluster="mainnet-beta"),
        "not-json": b58.b58encode(bytes(SigningKey(seed).sign(b"\xff not json"))).decode(),
    }
    token = tokens.get(session, session)
    url = forged_request(connected, {"message": "3yZe7d", "session": token})
    code, message, _ = rejected(connected.run("simulate", url, "--json"))
    assert code == -32000
    assert words in message
    # The wallet's own session, in the same forged envelope, is accepted: the envelope is right.
    good = Keystore(connected.keystore).load().to_json()["sessions"]["phantom"]["session"]
    fine = ok_json(
        connected.run(
            "simulate", forged_request(connected, {"message": "3yZe7d", "session": good}), "--json"
        )
    )
    assert fine["status"] == "approved"


def test_payload_problems(connected: Loop) -> None:
    url = connected.sign_url("--message", "hi")["url"]
    parts = dict(parse_qsl(urlsplit(url).query))
    tampered = url.replace(
        parts["payload"],
        parts["payload"][:-2] + ("22" if not parts["payload"].endswith("22") else "33"),
    )
    assert rejected(connected.run("simulate", tampered, "--json"))[:2] == (
        -32000,
        "Unable to decrypt payload",
    )
    no_payload = url.split("&payload=")[0]
    assert rejected(connected.run("simulate", no_payload, "--json"))[:2] == (
        -32000,
        "Missing payload",
    )
    bad_nonce = url.replace(parts["nonce"], "abc")
    code, message, _ = rejected(connected.run("simulate", bad_nonce, "--json"))
    assert code == -32000 and "nonce" in message
    twice = url + "&nonce=" + parts["nonce"]
    code, message, _ = rejected(connected.run("simulate", twice, "--json"))
    assert code == -32000 and "nonce appears more than once" in message
    bad_key = url.replace(parts["dapp_encryption_public_key"], "abc")
    code, message, _ = rejected(connected.run("simulate", bad_key, "--json"))
    assert code == -32000 and "dapp_encryption_public_key" in message
    good = Keystore(connected.keystore).load().to_json()["sessions"]["phantom"]["session"]
    other = forged_request(connected, {"session": good, "message": 7})
    code, message, _ = rejected(connected.run("simulate", other, "--json"))
    assert code == -32000 and message == "Missing message"


def test_junk_payload_json(connected: Loop) -> None:
    data = Keystore(connected.keystore).load().to_json()
    dapp = X25519KeyPair.from_base58(data["keys"]["default"]["secret_key"])
    shared = shared_secret(X25519PublicKey(connected.wallet_public), dapp)
    url = connected.sign_url("--message", "hi")["url"]
    parts = dict(parse_qsl(urlsplit(url).query))
    for plaintext, words in (
        (b"[" * 100_000, "nested too deeply"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "not an object"),
    ):
        nonce = bytes(24)
        sealed = SecretBox(shared.raw).encrypt(plaintext, nonce).ciphertext
        junk = url.replace(parts["nonce"], b58.b58encode(nonce).decode()).replace(
            parts["payload"], b58.b58encode(sealed).decode()
        )
        code, message, _ = rejected(connected.run("simulate", junk, "--json"))
        assert code == -32000
        assert words in message


def test_unknown_method(connected: Loop) -> None:
    url = connected.sign_url("--message", "hi")["url"].replace("/signMessage?", "/fungible?")
    code, message, document = rejected(connected.run("simulate", url, "--json"))
    assert (code, message) == (-32601, "Method not found: fungible")
    assert document["method"] == "fungible"


def test_transactions_that_the_wallet_refuses(connected: Loop) -> None:
    stranger = bytes(SigningKey(b"\x07" * 32).verify_key)
    for message in (legacy_message(stranger), v0_message(stranger)):
        tx = b58.b58encode(unsigned(message)).decode()
        url = connected.sign_url("--transaction", tx)["url"]
        code, text, _ = rejected(connected.run("simulate", url, "--json"))
        assert code == -32003
        assert "fee payer" in text
    # One bad transaction in a batch refuses the batch.
    ok = b58.b58encode(unsigned(legacy_message(connected.account))).decode()
    bad = b58.b58encode(unsigned(legacy_message(stranger))).decode()
    url = connected.sign_url("--transaction", ok, "--transaction", bad)["url"]
    code, text, _ = rejected(connected.run("simulate", url, "--json"))
    assert code == -32003 and "transaction 2" in text
    # Malformed: cut short, trailing bytes, a wrong signature count.
    raw = unsigned(legacy_message(connected.account))
    good_url = connected.sign_url("--transaction", b58.b58encode(raw).decode())["url"]
    for broken in (raw[:-5], raw + b"\0", unsigned(legacy_message(connected.account), slots=2)):
        # sign-url refuses these, so re-seal a good request around them, as another dapp might.
        url = reseal(connected, good_url, transaction=b58.b58encode(broken).decode())
        code, text, _ = rejected(connected.run("simulate", url, "--json"))
        assert code == -32000
        assert text.startswith("Invalid transaction: transaction")


def test_sign_message_refuses_transaction_bytes(connected: Loop) -> None:
    raw = unsigned(legacy_message(connected.account))
    url = connected.sign_url("--message-hex", raw.hex())["url"]
    code, text, _ = rejected(connected.run("simulate", url, "--json"))
    assert code == -32000
    assert "cannot sign solana transactions" in text


@pytest.mark.parametrize(
    "url",
    [
        "nothing",
        "https://phantom.app/",
        "https://phantom.app/ul/v1/signMessage?nonce=abc",
        # A browse link is opened (tests/test_surface.py); one without its ref is malformed.
        "https://phantom.app/ul/browse/https%3A%2F%2Fexample.com",
    ],
)
def test_not_a_deeplink_exits_3_and_changes_nothing(
    url: str, connected: Loop, keystore_path: Path
) -> None:
    before = keystore_path.read_bytes()
    result = connected.run("simulate", url, "--json")
    assert result.exit_code == 3
    assert result.stdout == ""
    error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    assert error["type"] == "bad_input"
    assert keystore_path.read_bytes() == before
    text = connected.run("simulate", url)
    assert text.exit_code == 3
    assert text.stderr.startswith("walletsign: error: ")


def test_corrupt_wallet_state_exits_5(connected: Loop, keystore_path: Path) -> None:
    url = connected.sign_url("--message", "hi")["url"]
    with raw_transaction(Keystore(keystore_path)) as data:
        data["wallets"]["sim"]["account_secret_key"] = "not-base58-0OIl"
    before = keystore_path.read_bytes()
    result = connected.run("simulate", url)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "wallets.sim.account_secret_key" in result.stderr
    assert keystore_path.read_bytes() == before
