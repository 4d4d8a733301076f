"""``walletsign doctor`` and the reasons decode-redirect gives: each failure the wallets' and
demo apps' trackers report most, produced here (through ``simulate --fault`` or crafted
inputs), with the diagnosis and the exit code asserted."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import base58 as b58
import pytest
from nacl.public import Box, PrivateKey, PublicKey
from nacl.signing import SigningKey

from tests.test_solana_tx import BLOCKHASH, OTHER, legacy_message, short_vec, unsigned
from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.listen import finish, open_listener
from walletsign_cli.keystore import Keystore
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp import resolve_session

APP = ("--app-url", "https://example.com", "--redirect-link", "myapp://onConnect")


def doctor(run: Any, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("doctor", *args, "--json")
    assert result.exit_code in (0, 3), result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"checks", "problems", "warnings"}
    for check in report["checks"]:
        assert set(check) == {"id", "status", "message", "hint"}
        assert check["status"] in ("ok", "warning", "problem")
    assert report["problems"] == sum(c["status"] == "problem" for c in report["checks"])
    assert (result.exit_code == 3) == (report["problems"] > 0)
    return result.exit_code, report


def find(report: dict[str, Any], id_: str) -> dict[str, Any]:
    found = [c for c in report["checks"] if c["id"] == id_]
    assert found, [c["id"] for c in report["checks"]]
    check: dict[str, Any] = found[-1]
    return check


def ok_json(result: Any, code: int = 0) -> dict[str, Any]:
    assert result.exit_code == code, result.stderr
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


class Dapp:
    """walletsign as the dapp and the simulated wallet, in one keystore."""

    def __init__(self, run: Any, keystore: Path) -> None:
        self.run = run
        self.keystore = keystore

    def connect_url(self, *extra: str) -> str:
        args = ["connect-url", "--wallet", "phantom", *APP, *extra, "--json"]
        return str(ok_json(self.run(*args))["url"])

    def simulate(self, url: str, *extra: str) -> str:
        return str(ok_json(self.run("simulate", url, "--json", *extra))["redirect"])

    def connect(self, *extra: str) -> str:
        answer = self.simulate(self.connect_url(*extra))
        ok_json(self.run("decode-redirect", answer, "--json"))
        return answer

    def sign_url(self, *args: str) -> str:
        result = self.run("sign-url", "--redirect-link", "myapp://onSign", *args, "--json")
        return str(ok_json(result)["url"])

    def account(self) -> bytes:
        stored = Keystore(self.keystore).load().to_json()
        return bytes(b58.b58decode(stored["wallets"]["sim"]["account_public_key"]))

    def seal_answer(self, data: dict[str, Any]) -> str:
        """An answer sealed by the simulated wallet's key for the dapp key."""
        stored = Keystore(self.keystore).load().to_json()
        (dapp_public, entry), *_ = stored["wallets"]["sim"]["dapps"].items()
        box = Box(
            PrivateKey(b58.b58decode(entry["secret_key"])), PublicKey(b58.b58decode(dapp_public))
        )
        nonce = os.urandom(24)
        sealed = box.encrypt(json.dumps(data).encode(), nonce).ciphertext
        params = [
            ("nonce", b58.b58encode(nonce).decode()),
            ("data", b58.b58encode(sealed).decode()),
        ]
        return "myapp://onSign?" + deeplink.encode_query(params)

    def raw_request(self, method: str, payload: dict[str, Any]) -> str:
        """A request in the saved session with any payload (as a buggy dapp would build)."""
        session = resolve_session(Keystore(self.keystore).load(), None)
        request = deeplink.build_encrypted(
            "https://phantom.app/ul/v1/",
            method,
            {**payload, "session": session.token},
            dapp_public_key=session.dapp.public,
            shared=session.shared,
            redirect_link="myapp://onSign",
        )
        return request.url


@pytest.fixture
def dapp(run: Any, keystore_path: Path) -> Dapp:
    return Dapp(run, keystore_path)


# -- without a keystore ----------------------------------------------------------------------


def test_a_connect_answer_without_the_keystore(dapp: Dapp, run: Any, tmp_path: Path) -> None:
    answer = dapp.simulate(dapp.connect_url())
    code, report = doctor(run, "--no-keystore", answer)
    assert code == 0
    kind = find(report, "answer.kind")["message"]
    assert "connect answer from phantom" in kind and "phantom_encryption_public_key" in kind
    wallet_key = dict(deeplink.parse_redirect(answer).params)["phantom_encryption_public_key"]
    assert wallet_key in kind
    assert find(report, "answer.keystore")["status"] == "warning"
    # decode-redirect with a keystore that does not exist: exit 5 as before, naming the path.
    missing = tmp_path / "elsewhere" / "keystore.json"
    result = run("--keystore", str(missing), "decode-redirect", answer)
    assert result.exit_code == 5
    assert str(missing) in result.stderr


def test_a_sign_answer_without_the_keystore(dapp: Dapp, run: Any, tmp_path: Path) -> None:
    dapp.connect()
    answer = dapp.simulate(dapp.sign_url("--message", "hello"))
    code, report = doctor(run, "--no-keystore", answer)
    assert code == 0
    assert "session request" in find(report, "answer.kind")["message"]
    assert "--keystore" in (find(report, "answer.keystore")["hint"] or "")
    # decode-redirect with a keystore that does not exist: exit 3 as before; the hint points
    # at the keystore (its path), not at a connect answer to decode.
    missing = tmp_path / "elsewhere" / "keystore.json"
    result = run("--keystore", str(missing), "decode-redirect", answer)
    assert result.exit_code == 3
    assert str(missing) in result.stderr and "holds no dapp key" in result.stderr


@pytest.mark.parametrize(
    ("code", "message", "words"),
    [
        (-32603, "Unexpected error", "run walletsign doctor on the deeplink"),
        (4001, "User rejected the request.", "pressed Reject"),
        (-32603, "Missing sharing secret", "connect again"),
    ],
)
def test_error_redirects(run: Any, code: int, message: str, words: str) -> None:
    url = "myapp://onSign?" + deeplink.encode_query(
        [("errorCode", str(code)), ("errorMessage", message)]
    )
    exit_code, report = doctor(run, url)
    assert exit_code == 3
    check = find(report, "answer.error")
    assert str(code) in check["message"] and deeplink.error_name(code) in check["message"]
    assert words in check["hint"]


# -- 1. unable to decrypt ----------------------------------------------------------------------


def test_dapp_key_regenerated(dapp: Dapp, run: Any) -> None:
    answer = dapp.simulate(dapp.connect_url())
    assert run("keygen", "--force").exit_code == 0  # the key the request was made with is gone
    code, report = doctor(run, answer)
    assert code == 3
    check = find(report, "answer.decrypt")
    assert check["status"] == "problem" and "replaced" in check["hint"]
    result = run("decode-redirect", answer)
    assert result.exit_code == 3 and "replaced" in result.stderr


def test_answer_sealed_for_another_dapp_key(dapp: Dapp, run: Any) -> None:
    answer = dapp.simulate(dapp.connect_url(), "--fault", "other-dapp-key")
    code, report = doctor(run, answer)
    assert code == 3
    assert "no stored dapp key opens it (1 tried)" in find(report, "answer.decrypt")["message"]
    assert run("decode-redirect", answer).exit_code == 3


def test_session_answer_with_no_session_saved(dapp: Dapp, run: Any, keystore_path: Path) -> None:
    dapp.connect()
    answer = dapp.simulate(dapp.sign_url("--message", "hello"))
    result = run("--keystore", str(keystore_path.parent / "other.json"), "doctor", answer, "--json")
    assert result.exit_code == 0  # a keystore that is not there is a warning
    assert "no keystore at" in json.loads(result.stdout)["checks"][0]["message"]


# -- 2. and 8. what is pasted ------------------------------------------------------------------


def _wrappers(url: str) -> list[str]:
    return [
        f'"{url}"',
        f"'{url}'",
        f"`{url}`",
        f"```{url}```",
        f"<{url}>",
        f"({url})",
        f"[{url}]",
        f"\u201c{url}\u201d",
        f"[the answer]({url})",
        url.replace("&", "&amp;"),
        quote(url, safe=""),
        quote(quote(url, safe=""), safe=""),
        "\n".join(url[i : i + 60] for i in range(0, len(url), 60)),
        f"  {url[:50]} {url[50:]}  ",
    ]


def test_pasted_wrappers_are_repaired_and_said(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    answer = dapp.simulate(dapp.sign_url("--message", "hello"))
    for pasted in _wrappers(answer):
        code, report = doctor(run, pasted)
        assert code == 0, (pasted, report)
        assert find(report, "input.repaired")["status"] == "warning"
        assert find(report, "answer.signature")["status"] == "ok"
        decoded = run("decode-redirect", "--no-save", pasted, "--json")
        assert ok_json(decoded)["verified"] is True, pasted


def test_truncated_answers_are_told_from_the_length(dapp: Dapp, run: Any) -> None:
    truncated = dapp.simulate(dapp.connect_url(), "--fault", "truncate-data")
    code, report = doctor(run, truncated)
    assert code == 3
    assert any("cut off" in c["message"] for c in report["checks"] if c["id"] == "answer.data")
    result = run("decode-redirect", truncated)
    assert result.exit_code == 3 and "cut off" in result.stderr
    dapp.connect()
    cut = dapp.simulate(dapp.sign_url("--message", "hello"), "--fault", "truncate-data")
    code, report = doctor(run, "--no-keystore", cut)  # even with no keystore at all
    assert code == 3 and "cut off" in find(report, "answer.data")["message"]


def test_request_given_to_decode_redirect(dapp: Dapp, run: Any) -> None:
    connect = dapp.connect_url()
    dapp.connect()
    sign = dapp.sign_url("--message", "hello")
    for url, method in ((connect, "connect"), (sign, "signMessage")):
        result = run("decode-redirect", url)
        assert result.exit_code == 3
        assert f"this is the {method} request deeplink" in result.stderr
        code, report = doctor(run, url)
        assert code == 0
        assert (
            find(report, "input.kind")["message"]
            == f"a request deeplink: a {method} request to phantom"
        )


def test_base64_where_base58_belongs(dapp: Dapp, run: Any) -> None:
    answer = dapp.simulate(dapp.connect_url())
    params = deeplink.parse_redirect(answer).params
    data = dict(params)["data"]
    # Hundreds of base64 characters: a '+' or '/' is all but certain (and asserted).
    raw = base64.b64encode(b58.b58decode(data)).decode()
    assert not set("+/").isdisjoint(raw)
    code, report = doctor(run, answer.replace(data, raw.replace("=", "%3D")))
    assert code == 3
    assert "base64" in find(report, "answer.parse")["message"]


# -- 3. and 4. request lint: what makes a wallet answer -32603 ---------------------------------


def _tx(message: bytes, slots: int = 1, fill: dict[int, bytes] | None = None) -> str:
    sigs = [bytes(64)] * slots
    for index, signature in (fill or {}).items():
        sigs[index] = signature
    return b58.b58encode(short_vec(slots) + b"".join(sigs) + message).decode()


def test_fee_payer_not_the_session_key(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    stranger = bytes(SigningKey(b"\x33" * 32).verify_key)
    url = dapp.sign_url("--transaction", _tx(legacy_message(stranger)))
    code, report = doctor(run, url)
    assert code == 3
    check = find(report, "request.transaction.1.fee_payer")
    assert b58.b58encode(stranger).decode() in check["message"]
    # The wallet indeed refuses it.
    refused = ok_json(run("simulate", url, "--json"))
    assert refused["status"] == "rejected"


def test_zero_blockhash(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    message = legacy_message(dapp.account()).replace(BLOCKHASH, bytes(32))
    code, report = doctor(run, dapp.sign_url("--transaction", _tx(message)))
    assert code == 3
    assert "blockhash is missing" in find(report, "request.transaction.1.blockhash")["message"]


def test_signature_slots_the_wallet_cannot_fill(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    other = bytes(OTHER.verify_key)
    message = legacy_message(dapp.account(), signers=2, extra=other)
    code, report = doctor(run, dapp.sign_url("--transaction", _tx(message, 2)))
    assert code == 3
    slot = find(report, "request.transaction.1.slot.1")
    assert slot["status"] == "problem" and "cannot fill" in slot["message"]
    # 4. partial signing: the co-signer signed first, the slot verifies.
    signed = OTHER.sign(message).signature
    code, report = doctor(run, dapp.sign_url("--transaction", _tx(message, 2, {1: signed})))
    assert code == 0
    assert "is signed" in find(report, "request.transaction.1.slot.1")["message"]
    # A co-signature over other bytes does not.
    code, report = doctor(
        run, dapp.sign_url("--transaction", _tx(message, 2, {1: bytes(63) + b"\1"}))
    )
    assert (
        code == 3 and "does not verify" in find(report, "request.transaction.1.slot.1")["message"]
    )


def test_base64_transaction_in_the_request(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    raw = unsigned(legacy_message(dapp.account()))
    url = dapp.raw_request("signTransaction", {"transaction": base64.b64encode(raw).decode()})
    code, report = doctor(run, url)
    assert code == 3
    assert "base64, not base58" in find(report, "request.transaction.1")["message"]


def test_deeplink_too_long(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    tx = _tx(legacy_message(dapp.account()))
    code, report = doctor(run, dapp.sign_url(*[a for _ in range(8) for a in ("--transaction", tx)]))
    assert code == 0  # a warning: the limit is practical, not documented
    check = find(report, "request.length")
    assert check["status"] == "warning" and "1,500" in check["hint"]


# -- 5. signature forms ---------------------------------------------------------------------------


def test_message_then_signature(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    answer = dapp.simulate(dapp.sign_url("--message", "hello"), "--fault", "message-signature")
    result = run("decode-redirect", "--no-save", answer, "--json")
    assert ok_json(result)["verified"] is True
    assert "message || signature" in result.stderr
    code, report = doctor(run, answer)
    assert code == 0 and any("message || signature" in c["message"] for c in report["checks"])


def test_signed_by_another_key(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    answer = dapp.simulate(dapp.sign_url("--message", "hello"), "--fault", "other-key")
    assert run("decode-redirect", "--no-save", answer).exit_code == 1
    code, report = doctor(run, answer)
    assert code == 3 and find(report, "answer.signature")["status"] == "problem"


def test_signature_over_the_hex_text(dapp: Dapp, run: Any, keystore_path: Path) -> None:
    dapp.connect()
    raw = bytes.fromhex("00ff10807f")
    dapp.sign_url("--message-hex", raw.hex(), "--display", "hex")
    seed = b58.b58decode(
        Keystore(keystore_path).load().to_json()["wallets"]["sim"]["account_secret_key"]
    )
    signature = SigningKey(seed[:32]).sign(raw.hex().encode()).signature
    answer = dapp.seal_answer({"signature": b58.b58encode(signature).decode()})
    assert run("decode-redirect", "--no-save", answer).exit_code == 1
    code, report = doctor(run, answer)
    assert code == 0  # the form is named: a warning with what was verified
    assert "hex text" in find(report, "answer.signature")["message"]


# -- 6. cluster, https redirect, reused deeplink ------------------------------------------------


def test_session_for_another_cluster(dapp: Dapp, run: Any) -> None:
    answer = dapp.simulate(dapp.connect_url("--cluster", "devnet"), "--fault", "other-cluster")
    code, report = doctor(run, answer)
    assert code == 3
    assert (
        "for mainnet-beta, but the request asked devnet"
        in find(report, "answer.cluster")["message"]
    )
    result = run("decode-redirect", answer, "--json")
    assert result.exit_code == 0 and "asked devnet" in result.stderr
    code, report = doctor(run, dapp.sign_url("--message", "hi"))
    assert code == 3
    assert "token is for mainnet-beta" in find(report, "request.cluster")["message"]


def test_https_redirect_link(dapp: Dapp, run: Any) -> None:
    url = str(
        ok_json(
            run(
                "connect-url",
                "--wallet",
                "phantom",
                "--app-url",
                "https://example.com",
                "--redirect-link",
                "https://example.com/cb",
                "--json",
            )
        )["url"]
    )
    code, report = doctor(run, url)
    assert code == 0
    check = find(report, "request.redirect_link")
    assert check["status"] == "warning" and "mobile browser" in check["message"]


def test_reused_deeplink(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    url = dapp.sign_url("--message", "once")
    code, report = doctor(run, url)
    assert find(report, "request.reused")["status"] == "ok"
    ok_json(run("decode-redirect", dapp.simulate(url), "--json"))
    code, report = doctor(run, url)
    assert code == 0
    check = find(report, "request.reused")
    assert check["status"] == "warning" and "shows nothing" in check["message"]


# -- 7. stale answers ---------------------------------------------------------------------------


def test_an_older_answer_is_named_and_the_real_one_is_no_replay(
    dapp: Dapp, run: Any, keystore_path: Path
) -> None:
    old = dapp.connect()  # mainnet-beta, decoded and saved
    devnet = dapp.connect_url("--cluster", "devnet")
    again = run("decode-redirect", old, "--json")
    doc = ok_json(again)
    assert doc["replay"] is True and doc["saved"] is False
    assert "an older answer" in again.stderr and "still waiting" in again.stderr
    stored = Keystore(keystore_path).load()
    pending = [r for r in stored.requests.values() if r.cluster == "devnet"]
    assert pending and pending[0].answered_at is None  # not recorded as its answer
    _, report = doctor(run, old)
    assert any("an older answer" in c["message"] for c in report["checks"])
    genuine = run("decode-redirect", dapp.simulate(devnet), "--json")
    doc = ok_json(genuine)
    assert "replay" not in doc and "replay" not in genuine.stderr
    assert Keystore(keystore_path).load().sessions["phantom"].cluster == "devnet"


def test_an_answer_decoded_twice_is_named_once(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    answer = dapp.simulate(dapp.sign_url("--message", "twice"))
    first = run("decode-redirect", answer, "--json")
    assert "replay" not in ok_json(first)
    second = run("decode-redirect", answer, "--json")
    assert ok_json(second)["replay"] is True


# -- transactions through doctor -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "code", "status"), [("add-instruction", 0, "warning"), ("other-key", 3, "problem")]
)
def test_transaction_answers_in_doctor(
    dapp: Dapp, run: Any, fault: str, code: int, status: str
) -> None:
    dapp.connect()
    url = dapp.sign_url("--transaction", _tx(legacy_message(dapp.account())))
    answer = dapp.simulate(url, "--fault", fault)
    exit_code, report = doctor(run, answer)
    assert exit_code == code
    assert "answers the signTransaction request of" in find(report, "answer.request")["message"]
    statuses = {c["status"] for c in report["checks"] if c["id"].startswith("answer.")}
    assert status in statuses
    if fault == "add-instruction":
        assert any("changed the transaction" in c["message"] for c in report["checks"])


def test_human_report(dapp: Dapp, run: Any) -> None:
    result = run("doctor", "myapp://cb?errorCode=-32603&errorMessage=Unexpected+error")
    assert result.exit_code == 3
    lines = result.stdout.splitlines()
    assert any(line.startswith("PROBLEM") and "answer.error" in line for line in lines)
    assert any("hint:" in line for line in lines)
    assert lines[-1] == "1 problem(s), 1 warning(s)"


# -- 5. keys pasted in other forms ------------------------------------------------------------


def test_keypair_as_a_json_byte_array(run: Any) -> None:
    web3 = json.loads(
        (Path(__file__).parent / "vectors" / "solana_web3_transactions.json").read_text()
    )
    seed = bytes.fromhex(web3["payer_seed_hex"])
    pair = seed + bytes(SigningKey(seed).verify_key)
    result = run("doctor", "--no-keystore", json.dumps(list(pair)), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert "JSON array of 64 byte values" in find(report, "input.kind")["message"]
    # web3.js's Keypair.fromSeed gave the same public key.
    assert web3["payer_public_key"] in find(report, "key.public_key")["message"]
    assert find(report, "key.secret")["status"] == "warning"
    assert b58.b58encode(seed).decode() not in result.stdout + result.stderr
    assert b58.b58encode(pair).decode() not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("ed25519:GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB", "prefix 'ed25519:'"),
        ("0x" + "ab" * 32, "hex (32 bytes: a public key, or a seed) with the prefix '0x'"),
        (json.dumps(list(range(32))), "JSON array of 32 byte values"),
    ],
)
def test_other_key_forms(run: Any, text: str, form: str) -> None:
    code, report = doctor(run, "--no-keystore", text)
    assert code == 0
    assert form in find(report, "input.kind")["message"]
    assert "pass this to --public-key" in find(report, "key.base58")["message"]


def test_a_64_byte_array_that_is_no_keypair(run: Any) -> None:
    code, report = doctor(run, "--no-keystore", json.dumps([1] * 64))
    assert code == 3  # not taken for a key: then it is no URL either
    assert find(report, "answer.parse")["status"] == "problem"


def test_hex_where_base58_belongs(dapp: Dapp, run: Any) -> None:
    answer = dapp.simulate(dapp.connect_url())
    nonce = dict(deeplink.parse_redirect(answer).params)["nonce"]
    # Hex with a '0' (no base58 digit); a 0x prefix is named the same way.
    hexed = answer.replace(nonce, "00" + b58.b58decode(nonce).hex())
    result = run("decode-redirect", hexed)
    assert result.exit_code == 3 and "looks like hex" in result.stderr
    code, report = doctor(run, hexed)
    assert code == 3 and "looks like hex" in find(report, "answer.parse")["message"]


def test_answer_opened_with_the_wrong_session(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    first = dapp.sign_url("--message", "hello")
    answer = dapp.simulate(first)
    # Another session (another dapp key) in the same keystore.
    assert run("keygen", "--name", "second").exit_code == 0
    url = str(
        ok_json(run("connect-url", "--wallet", "solflare", *APP, "--key", "second", "--json"))[
            "url"
        ]
    )
    ok_json(run("decode-redirect", dapp.simulate(url), "--json"))
    result = run("decode-redirect", "--session", "solflare", answer)
    assert result.exit_code == 3
    assert "opened with session 'phantom'" in result.stderr


def test_an_answer_with_other_claims_does_not_use_up_the_request(
    dapp: Dapp, run: Any, keystore_path: Path
) -> None:
    devnet = dapp.connect_url("--cluster", "devnet")
    wrong = dapp.simulate(devnet, "--fault", "other-cluster")
    result = run("decode-redirect", wrong, "--json")
    assert result.exit_code == 0 and "asked devnet" in result.stderr
    pending = [r for r in Keystore(keystore_path).load().requests.values() if r.method == "connect"]
    assert pending[0].answered_at is None
    # The wallet, switched to devnet, answers again: a real answer, not a replay.
    again = run("decode-redirect", dapp.simulate(devnet), "--json")
    assert "replay" not in ok_json(again) and "answered before" not in again.stderr


def test_a_keystore_that_cannot_be_opened_is_a_warning(run: Any, keystore_path: Path) -> None:
    keystore_path.parent.mkdir(mode=0o700, exist_ok=True)
    keystore_path.write_text("{not json")
    keystore_path.chmod(0o600)
    code, report = doctor(run, "myapp://cb?errorCode=4001&errorMessage=no")
    check = find(report, "keystore")
    assert check["status"] == "warning" and "cannot be opened" in check["message"]
    assert code == 3  # the error redirect itself is the problem
    assert keystore_path.read_text() == "{not json"


def test_partial_signing_in_the_answer(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    other = bytes(OTHER.verify_key)
    message = legacy_message(dapp.account(), signers=2, extra=other)
    url = dapp.sign_url("--transaction", _tx(message, 2, {1: OTHER.sign(message).signature}))
    result = run("decode-redirect", "--no-save", dapp.simulate(url), "--json")
    (check,) = ok_json(result)["transactions_checked"]
    assert [s["status"] for s in check["signatures"]] == ["valid", "valid"]
    assert check["signatures"][1]["signer"] == b58.b58encode(other).decode()
    # Unsigned by the co-signer: the wallet signs its slot, the other stays empty (a note).
    url = dapp.sign_url("--transaction", _tx(message, 2))
    result = run("decode-redirect", "--no-save", dapp.simulate(url), "--json")
    (check,) = ok_json(result)["transactions_checked"]
    assert [s["status"] for s in check["signatures"]] == ["valid", "empty"]
    assert "another signer must still sign" in result.stderr


def test_wallet_changed_the_blockhash(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    url = dapp.sign_url("--transaction", _tx(legacy_message(dapp.account())))
    answer = dapp.simulate(url, "--fault", "change-blockhash")
    decoded = ok_json(run("decode-redirect", "--no-save", answer, "--json"))
    assert (decoded["verified"], decoded["modified"]) == (True, True)
    (change,) = decoded["transactions_checked"][0]["diff"]
    assert change["field"] == "recent_blockhash"
    assert change["asked"] == b58.b58encode(BLOCKHASH).decode()
    assert change["got"] == b58.b58encode(BLOCKHASH[::-1]).decode()


def test_sign_message_of_transaction_bytes(dapp: Dapp, run: Any) -> None:
    dapp.connect()
    raw = unsigned(legacy_message(dapp.account()))
    code, report = doctor(run, dapp.sign_url("--message-hex", raw.hex(), "--display", "hex"))
    assert code == 3
    assert any("parses as a Solana transaction" in c["message"] for c in report["checks"])


def test_listen_and_decode_redirect_show_the_same_transaction_checks(
    dapp: Dapp, run: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both print through redirect_report.report: the slots and the instruction diff appear
    # in listen's human output too, not only in decode-redirect's.
    dapp.connect()
    url = dapp.sign_url("--transaction", _tx(legacy_message(dapp.account())))
    answer = dapp.simulate(url, "--fault", "add-instruction")
    decoded = run("decode-redirect", answer, "--no-save")
    assert decoded.exit_code == 0, decoded.stderr
    assert "transaction 1 (legacy): verified" in decoded.stderr
    assert "walletsign:   + instruction 0: ComputeBudget" in decoded.stderr  # the addition

    env = Environment(keystore_option=str(dapp.keystore))
    with open_listener(timeout=5) as listener:
        code = finish(env, answer, listener=listener, key=None, session=None, no_save=True)
    assert code == 0
    shown = capsys.readouterr().err
    assert "transaction 1 (legacy): verified" in shown
    assert "walletsign:   + instruction 0: ComputeBudget" in shown


def test_doctor_reads_the_unencrypted_links(run: Any) -> None:
    # A browse, fungible or swap link is no answer and carries no redirect link: doctor
    # says what it opens (it once read a browse link as an empty answer).
    built = ok_json(run("browse-url", "https://example.com/a?b=1", "--ref", "https://example.com",
                        "--wallet", "phantom", "--json"))  # fmt: skip
    code, report = doctor(run, built["url"])
    assert code == 0
    kind = find(report, "input.kind")
    assert kind["status"] == "ok"
    assert kind["message"].startswith("a browse link: the wallet opens https://example.com/a?b=1")
    assert "it sends no answer" in kind["message"]
    assert not any(c["id"].startswith("answer.") for c in report["checks"])
    code, report = doctor(run, "https://phantom.app/ul/browse/https://example.com?ref=x")
    assert code == 3
    assert "not URL-encoded" in find(report, "link")["message"]
    code, report = doctor(run, "https://phantom.app/ul/v1/fungible?token=x")
    assert code == 0
    assert "not a CAIP-19 asset id" in find(report, "link")["message"]
