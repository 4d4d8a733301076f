"""``connect-url``, ``sign-url``, ``disconnect-url`` and ``decode-redirect`` through CliRunner."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.conftest import load_vector
from walletsign_cli.cli import qr, sign_url
from walletsign_cli.core import base58, box
from walletsign_cli.core.box import X25519KeyPair

VECTORS = load_vector("deeplink.json")
EXCHANGES: dict[str, Any] = VECTORS["exchanges"]
WALLETS = sorted(EXCHANGES)
DAPP = X25519KeyPair.from_secret(bytes.fromhex(VECTORS["dapp"]["secret_key_hex"]))
WALLET_KEY = X25519KeyPair.from_secret(
    bytes.fromhex(VECTORS["wallet_encryption"]["secret_key_hex"])
)
SHARED = box.shared_secret(WALLET_KEY.public, DAPP)
MESSAGE: str = VECTORS["utf8_message"]
CONNECT_ARGS = ("--app-url", "https://example.com", "--redirect-link", "myapp://onConnect")

Pin = Callable[..., None]


@pytest.fixture
def pin_nonces(monkeypatch: pytest.MonkeyPatch) -> Pin:
    """Make the next random nonces the given base58 values (as the vectors were made)."""

    def pin(*nonces: str) -> None:
        queue: Iterator[bytes] = iter([base58.decode(n) for n in nonces])
        monkeypatch.setattr(box, "random_nonce", lambda: next(queue))

    return pin


def _import_dapp_key(run: Any) -> None:
    result = run("keygen", "--secret-key", DAPP.secret_base58())
    assert result.exit_code == 0, result.stderr


def _connected(run: Any, wallet: str = "phantom") -> None:
    _import_dapp_key(run)
    # Backpack documents no devnet: the vector's request is built as for an unnamed wallet.
    base = EXCHANGES[wallet]["base_url"]
    target = ["--base-url", base] if wallet == "backpack" else ["--wallet", wallet]
    result = run("connect-url", *target, *CONNECT_ARGS, "--cluster", "devnet")
    assert result.exit_code == 0, result.stderr
    result = run("decode-redirect", EXCHANGES[wallet]["connect"]["answer_url"])
    assert result.exit_code == 0, result.stderr


def _seal_answer(plaintext: bytes, nonce: bytes = b"\7" * 24) -> str:
    _, sealed = box.seal(plaintext, SHARED, nonce)
    return f"myapp://onSignMessage?nonce={base58.encode(nonce)}&data={base58.encode(sealed)}"


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(url.split("?", 1)[1]))


def _store(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text())
    return result


# -- the whole exchange, per wallet ------------------------------------------------------------


@pytest.mark.parametrize("wallet", WALLETS)
def test_full_exchange_reproduces_the_vectors(
    wallet: str, run: Any, pin_nonces: Pin, keystore_path: Path
) -> None:
    exchange = EXCHANGES[wallet]
    _import_dapp_key(run)

    # Backpack documents no devnet: the vector's request is built as for an unnamed wallet.
    target = ["--base-url", exchange["base_url"]] if wallet == "backpack" else ["--wallet", wallet]
    result = run("connect-url", *target, *CONNECT_ARGS, "--cluster", "devnet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == exchange["connect"]["request_url"] + "\n"
    assert result.stderr == ""

    result = run("decode-redirect", exchange["connect"]["answer_url"], "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == "approved"
    assert doc["method"] == "connect"
    assert doc["wallet"] == wallet
    assert doc["session_name"] == wallet
    assert doc["data"] == exchange["connect"]["answer_data"]
    assert doc["session_token"]["signed_by_public_key"] is True
    session = _store(keystore_path)["sessions"][wallet]
    assert session["wallet_encryption_public_key"] == VECTORS["wallet_encryption"]["public_key"]
    assert session["public_key"] == VECTORS["account"]["public_key"]
    assert session["cluster"] == "devnet"
    assert session["base_url"] == exchange["base_url"]
    assert "shared" not in json.dumps(session)

    utf8 = exchange["sign_message_utf8"]
    pin_nonces(utf8["request_nonce"])
    result = run("sign-url", "--redirect-link", "myapp://onSignMessage", "--message", MESSAGE)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == utf8["request_url"] + "\n"
    assert bytes.fromhex(utf8["message_hex"]) == MESSAGE.encode()

    hexcase = exchange["sign_message_hex"]
    pin_nonces(hexcase["request_nonce"])
    result = run(
        "sign-url",
        "--redirect-link",
        "myapp://onSignMessage",
        "--message-hex",
        hexcase["message_hex"],
        "--display",
        "hex",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["url"] == hexcase["request_url"]
    assert doc["method"] == "signMessage"
    assert doc["session_name"] == wallet
    assert doc["wallet"] == wallet
    assert json.dumps(doc["payload"], separators=(",", ":")) == hexcase["payload_plaintext"]
    assert doc["params"]["nonce"] == hexcase["request_nonce"]
    requests = _store(keystore_path)["requests"]
    assert requests[hexcase["request_nonce"]]["message"] == base58.encode(
        bytes.fromhex(hexcase["message_hex"])
    )

    for case in (utf8, hexcase):
        result = run("decode-redirect", case["answer_url"], "--json")
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["status"] == "approved"
        assert doc["method"] == "signMessage"
        assert doc["session_name"] == wallet
        assert doc["data"] == case["answer_data"]
        assert doc["verified"] is True
        assert "replay" not in doc
        assert _store(keystore_path)["requests"][case["request_nonce"]]["answered_at"]

    disconnect = exchange["disconnect"]
    pin_nonces(_query(disconnect["request_url"])["nonce"])
    result = run("disconnect-url", "--redirect-link", "myapp://onDisconnect")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == disconnect["request_url"] + "\n"
    result = run("decode-redirect", disconnect["answer_url"], "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["method"] == "disconnect"
    assert doc["session_name"] == wallet
    assert wallet not in _store(keystore_path)["sessions"]


def test_connect_url_creates_the_key_on_first_use(run: Any, keystore_path: Path) -> None:
    result = run("connect-url", "--wallet", "solflare", *CONNECT_ARGS, "--key", "fresh", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["method"] == "connect"
    assert doc["wallet"] == "solflare"
    assert doc["url"].startswith("https://solflare.com/ul/v1/connect?")
    assert list(doc["params"]) == [
        "dapp_encryption_public_key",
        "cluster",
        "app_url",
        "redirect_link",
    ]
    assert doc["params"]["cluster"] == "mainnet-beta"
    stored = _store(keystore_path)["keys"]["fresh"]
    assert doc["params"]["dapp_encryption_public_key"] == stored["public_key"]
    assert "created dapp key 'fresh'" in result.stderr
    assert stored["secret_key"] not in result.stdout + result.stderr
    again = run("connect-url", "--wallet", "solflare", *CONNECT_ARGS, "--key", "fresh")
    assert "created" not in again.stderr
    assert stored["public_key"] in again.stdout


def test_connect_url_with_a_custom_scheme_base(run: Any) -> None:
    _import_dapp_key(run)
    result = run("connect-url", "--wallet", "phantom", "--base-url", "phantom://v1", *CONNECT_ARGS)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("phantom://v1/connect?dapp_encryption_public_key=C6cU")


def test_unknown_wallet_speaking_the_protocol(run: Any, keystore_path: Path) -> None:
    _import_dapp_key(run)
    base = "https://wallet.example/ul/v1/"
    result = run("connect-url", "--base-url", base, *CONNECT_ARGS, "--cluster", "devnet")
    assert result.exit_code == 0, result.stderr
    answer = EXCHANGES["phantom"]["connect"]["answer_url"].replace(
        "phantom_encryption_public_key", "glow_encryption_public_key"
    )
    result = run("decode-redirect", answer, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["wallet"] == "glow"
    assert doc["session_name"] == "glow"
    assert _store(keystore_path)["sessions"]["glow"]["base_url"] == base
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "hi")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(base + "signMessage?")


def test_backpack_key_param_uses_what_connect_url_stored(run: Any) -> None:
    _import_dapp_key(run)
    assert (
        run("connect-url", "--wallet", "solflare", *CONNECT_ARGS, "--cluster", "devnet").exit_code
        == 0
    )
    answer = EXCHANGES["backpack"]["connect"]["answer_url"]
    doc = json.loads(run("decode-redirect", answer, "--json", "--no-save").stdout)
    assert doc["wallet"] == "solflare"  # wallet_encryption_public_key is generic
    doc = json.loads(
        run(
            "decode-redirect", EXCHANGES["phantom"]["connect"]["answer_url"], "--json", "--no-save"
        ).stdout
    )
    assert doc["wallet"] == "phantom"


def test_connect_answer_session_name_and_no_save(run: Any, keystore_path: Path) -> None:
    _import_dapp_key(run)
    before = keystore_path.read_bytes()
    answer = EXCHANGES["phantom"]["connect"]["answer_url"]
    result = run("decode-redirect", answer, "--no-save", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["saved"] is False
    assert keystore_path.read_bytes() == before
    result = run("decode-redirect", answer, "--session", "my-phone")
    assert result.exit_code == 0
    assert "saved session 'my-phone'" in result.stderr
    assert list(_store(keystore_path)["sessions"]) == ["my-phone"]
    assert "public_key" in result.stdout and VECTORS["account"]["public_key"] in result.stdout


def test_default_session_is_the_most_recent(run: Any, keystore_path: Path) -> None:
    _connected(run, "phantom")
    run("decode-redirect", EXCHANGES["solflare"]["connect"]["answer_url"])
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "hi", "--json")
    assert json.loads(result.stdout)["session_name"] == "solflare"
    assert result.stdout.count("https://solflare.com/ul/v1/signMessage?") == 1
    result = run(
        "sign-url", "--redirect-link", "myapp://s", "--message", "hi", "--session", "phantom"
    )
    assert result.stdout.startswith("https://phantom.app/ul/v1/signMessage?")
    result = run(
        "sign-url", "--redirect-link", "myapp://s", "--message", "hi", "--wallet", "backpack"
    )
    assert result.stdout.startswith("https://backpack.app/ul/v1/signMessage?")


# -- decode-redirect: checks, replays, errors ----------------------------------------------------


def test_signature_that_does_not_verify_exits_1(run: Any) -> None:
    _connected(run)
    assert run("sign-url", "--redirect-link", "myapp://s", "--message", "other").exit_code == 0
    result = run(
        "decode-redirect", EXCHANGES["phantom"]["sign_message_utf8"]["answer_url"], "--json"
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["verified"] is False
    assert doc["method"] == "signMessage"
    assert "does not verify" in result.stderr


def test_answer_without_a_remembered_request_is_not_checked(run: Any) -> None:
    _connected(run)
    result = run("decode-redirect", EXCHANGES["phantom"]["sign_message_utf8"]["answer_url"])
    assert result.exit_code == 0
    assert "not checked" in result.stdout
    assert "no remembered request" in result.stderr


def test_replayed_answer_is_flagged(run: Any, pin_nonces: Pin) -> None:
    _connected(run)
    run("sign-url", "--redirect-link", "myapp://s", "--message", MESSAGE)
    answer = EXCHANGES["phantom"]["sign_message_utf8"]["answer_url"]
    first = run("decode-redirect", answer, "--json")
    assert "replay" not in json.loads(first.stdout)
    second = run("decode-redirect", answer, "--json")
    assert second.exit_code == 0
    assert json.loads(second.stdout)["replay"] is True
    assert "already answered" in second.stderr


def test_url_from_stdin_with_chat_wrapping(run: Any) -> None:
    _connected(run)
    url = EXCHANGES["phantom"]["sign_message_utf8"]["answer_url"]
    pasted = "\n  " + "\n".join(url[i : i + 50] for i in range(0, len(url), 50)) + "  \n"
    result = run("decode-redirect", "-", "--json", input=pasted)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"] == {
        "signature": EXCHANGES["phantom"]["sign_message_utf8"]["answer_data"]["signature"]
    }


@pytest.mark.parametrize("vector", VECTORS["error_redirects"], ids=lambda v: str(v["error_code"]))
def test_error_redirects_exit_4(vector: dict[str, Any], run: Any, keystore_path: Path) -> None:
    result = run("decode-redirect", vector["url"], "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout) == {
        "status": "rejected",
        "error_code": vector["error_code"],
        "error_name": vector["error_name"],
        "error_message": vector["error_message"],
    }
    result = run("decode-redirect", vector["url"])
    assert result.exit_code == 4
    for part in (str(vector["error_code"]), vector["error_name"], vector["error_message"]):
        assert part in result.stdout
    assert not keystore_path.exists()


NEGATIVE_WORDS = {
    "tampered_data": "no saved session opens it",
    "nonce_23_bytes": "nonce must be 24 bytes",
    "data_in_base64": "base64",
    "answer_for_other_dapp_key": "no saved session opens it",
    "missing_nonce": "nonce parameter is missing",
}


@pytest.mark.parametrize("vector", VECTORS["negative"], ids=lambda v: v["name"])
def test_negative_vectors_exit_3_with_one_line(
    vector: dict[str, Any], run: Any, keystore_path: Path
) -> None:
    _connected(run)
    before = keystore_path.read_bytes()
    result = run("decode-redirect", vector["url"])
    assert result.exit_code == 3, vector["expect"]
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("walletsign: error: ")
    assert NEGATIVE_WORDS[vector["name"]] in lines[0]
    assert all(line.startswith("walletsign: hint: ") for line in lines[1:])
    assert "Traceback" not in result.stderr
    assert keystore_path.read_bytes() == before
    result = run("decode-redirect", vector["url"], "--json")
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["exit_code"] == 3


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("myapp://x?nonce=1&nonce=2&data=3", "parameter nonce appears more than once"),
        (_seal_answer(b"\xff not json"), "not UTF-8 JSON"),
        (_seal_answer(b'"a string"'), "not an object"),
        (_seal_answer(b'{"signature": "\\udcff"}'), "lone surrogate"),
        (
            "myapp://x?phantom_encryption_public_key=C6cU&nonce=GvdqXEAMbSARrubpNP44Vqz4kr6GAxA6"
            "&data=abc",
            "phantom_encryption_public_key must be 32 bytes",
        ),
        ("myapp://x?errorCode=oops", "errorCode is not an integer"),
        ("myapp://onDisconnect", "no nonce, data or errorCode"),
        ("hello", "no scheme"),
    ],
)
def test_bad_redirects_exit_3(url: str, words: str, run: Any) -> None:
    _connected(run)
    result = run("decode-redirect", url)
    assert result.exit_code == 3
    assert words in result.stderr.splitlines()[0]


def test_connect_answer_no_key_opens(run: Any) -> None:
    run("keygen", "--name", "other")
    result = run("decode-redirect", EXCHANGES["phantom"]["connect"]["answer_url"])
    assert result.exit_code == 3
    assert "no stored dapp key opens it" in result.stderr


def test_missing_key_or_session_exit_5(run: Any) -> None:
    _connected(run)
    answer = EXCHANGES["phantom"]["sign_message_utf8"]["answer_url"]
    assert run("decode-redirect", answer, "--session", "nope").exit_code == 5
    assert run("decode-redirect", answer, "--key", "nope").exit_code == 5
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "x", "--session", "nope")
    assert result.exit_code == 5
    assert "no session named 'nope'" in result.stderr
    result = run("disconnect-url", "--redirect-link", "myapp://s", "--session", "nope")
    assert result.exit_code == 5


def test_sign_url_without_any_session_exit_5(run: Any) -> None:
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "x")
    assert result.exit_code == 5
    assert "walletsign: hint: run walletsign connect-url" in result.stderr


# -- sign-url options --------------------------------------------------------------------------


def _payload_of(url: str) -> dict[str, Any]:
    params = _query(url)
    plaintext = box.open_sealed(
        base58.decode(params["payload"]), base58.decode(params["nonce"]), SHARED
    )
    result: dict[str, Any] = json.loads(plaintext)
    return result


def test_transaction_methods(run: Any, keystore_path: Path) -> None:
    _connected(run)
    from tests.test_solana_tx import legacy_message, unsigned, v0_message

    account = base58.decode(VECTORS["account"]["public_key"])
    tx1 = base58.encode(unsigned(legacy_message(account)))
    tx2 = base58.encode(unsigned(v0_message(account)))
    result = run("sign-url", "--redirect-link", "myapp://t", "--transaction", tx1, "--json")
    doc = json.loads(result.stdout)
    assert doc["method"] == "signTransaction"
    assert (
        _payload_of(doc["url"])
        == doc["payload"]
        == {
            "transaction": tx1,
            "session": VECTORS["session"]["token"],
        }
    )
    assert "/signTransaction?" in doc["url"]
    garbage = run("sign-url", "--redirect-link", "myapp://t", "--transaction", "abc")
    assert garbage.exit_code == 3
    assert garbage.stderr.startswith("walletsign: error: --transaction")
    result = run(
        "sign-url",
        "--redirect-link",
        "myapp://t",
        "--transaction",
        tx1,
        "--transaction",
        tx2,
        "--json",
    )
    doc = json.loads(result.stdout)
    assert doc["method"] == "signAllTransactions"
    assert _payload_of(doc["url"])["transactions"] == [tx1, tx2]
    assert _store(keystore_path)["requests"][doc["params"]["nonce"]]["transactions"] == [tx1, tx2]
    result = run("sign-url", "--redirect-link", "myapp://t", "--transaction", tx1, "--send")
    assert result.exit_code == 0
    assert "/signAndSendTransaction?" in result.stdout
    assert "phantom deprecated signAndSendTransaction" in result.stderr


def test_transaction_answer_is_matched(run: Any) -> None:
    _connected(run)
    from tests.test_solana_tx import legacy_message, unsigned

    tx = base58.encode(unsigned(legacy_message(base58.decode(VECTORS["account"]["public_key"]))))
    assert run("sign-url", "--redirect-link", "myapp://t", "--transaction", tx).exit_code == 0
    # Not a transaction at all: bad input, naming the value.
    junk = _seal_answer(json.dumps({"transaction": base58.encode(b"\2signed")}).encode())
    result = run("decode-redirect", junk, "--json")
    assert result.exit_code == 3 and "data.transaction" in result.stderr
    # A transaction the session's account did not sign does not verify.
    answer = _seal_answer(json.dumps({"transaction": tx}).encode())
    doc = json.loads(run("decode-redirect", answer, "--json").stdout)
    assert doc["method"] == "signTransaction"
    assert doc["verified"] is False
    assert doc["modified"] is False
    assert doc["transactions_checked"][0]["signatures"][0]["status"] == "empty"
    assert doc["session_name"] == "phantom"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--message", "a", "--message-hex", "00"], 2, "exactly one"),
        ([], 2, "exactly one"),
        (["--message", "a", "--transaction", "abc"], 2, "cannot be combined"),
        (["--send", "--message", "a"], 2, "--send takes exactly one"),
        (["--message-hex", "zz"], 3, "--message-hex is not hex"),
        (["--transaction", "AQID+w=="], 3, "base64"),
        (["--transaction", "0OIl"], 3, "--transaction is not base58"),
        (["--message", "a", "--wallet", "metamask"], 3, "--wallet"),
        (["--message", "a", "--description", "d"], 2, "--wallet immutable only"),
        (["--message", ""], 3, "empty"),
    ],
)
def test_sign_url_bad_options(
    args: list[str], code: int, words: str, run: Any, keystore_path: Path
) -> None:
    _connected(run)
    before = keystore_path.read_bytes()
    result = run("sign-url", "--redirect-link", "myapp://s", *args)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert keystore_path.read_bytes() == before


def test_sign_url_redirect_link_is_checked(run: Any) -> None:
    _connected(run)
    result = run("sign-url", "--message", "a")
    assert result.exit_code == 2
    assert "--redirect-link" in result.stderr
    result = run("sign-url", "--message", "a", "--redirect-link", "no scheme")
    assert result.exit_code == 3
    assert "--redirect-link" in result.stderr


def test_message_file_and_display_default(run: Any, tmp_path: Path) -> None:
    _connected(run)
    path = tmp_path / "m.bin"
    path.write_bytes(b"\xff\x00binary")
    doc = json.loads(
        run(
            "sign-url", "--redirect-link", "myapp://s", "--message-file", str(path), "--json"
        ).stdout
    )
    assert doc["payload"]["display"] == "hex"
    assert base58.decode(doc["payload"]["message"]) == b"\xff\x00binary"
    doc = json.loads(
        run(
            "sign-url",
            "--redirect-link",
            "myapp://s",
            "--message-file",
            "-",
            "--json",
            input=b"text",
        ).stdout
    )
    assert doc["payload"]["display"] == "utf8"


def test_immutable_is_delegated(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sign_url, "sign_immutable", lambda **kwargs: calls.append(kwargs))
    result = run(
        "sign-url",
        "--wallet",
        "immutable",
        "--message",
        "hi",
        "--description",
        "d",
        "--env",
        "sandbox",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert calls == [{"message": "hi", "description": "d", "env": "sandbox", "as_json": True}]
    result = run("sign-url", "--wallet", "immutable", "--description", "d")
    assert result.exit_code == 2
    assert "--message" in result.stderr
    result = run(
        "sign-url",
        "--wallet",
        "immutable",
        "--message",
        "m",
        "--description",
        "d",
        "--transaction",
        "abc",
    )
    assert result.exit_code == 2
    assert len(calls) == 1


def test_disconnect_url_json(run: Any, keystore_path: Path) -> None:
    _connected(run, "backpack")
    result = run("disconnect-url", "--redirect-link", "myapp://onDisconnect", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["method"] == "disconnect"
    assert doc["wallet"] == "backpack"
    assert doc["url"].startswith("https://backpack.app/ul/v1/disconnect?")
    assert _payload_of(doc["url"]) == {"session": VECTORS["session"]["token"]}
    assert _store(keystore_path)["requests"][doc["params"]["nonce"]]["method"] == "disconnect"


# -- output: warnings, QR codes, terminal tables -------------------------------------------------


def test_long_url_warns_about_ios(run: Any) -> None:
    _connected(run)
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "x" * 1200)
    assert result.exit_code == 0
    assert "iOS" in result.stderr
    short = run("sign-url", "--redirect-link", "myapp://s", "--message", "x")
    assert short.stderr == ""


def test_qr_on_stderr_and_svg_file(run: Any, tmp_path: Path) -> None:
    _connected(run)
    svg = tmp_path / "code.svg"
    result = run(
        "sign-url", "--redirect-link", "myapp://s", "--message", "hi", "--qr", "--qr-file", str(svg)
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert "█" in result.stderr
    assert svg.read_text().lstrip().startswith("<?xml") or "<svg" in svg.read_text()


def test_qr_that_cannot_fit_exit_3_keystore_unchanged(run: Any, keystore_path: Path) -> None:
    _connected(run)
    before = keystore_path.read_bytes()
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "x" * 3000, "--qr")
    assert result.exit_code == 3
    assert "too long for a QR code" in result.stderr
    assert keystore_path.read_bytes() == before


def test_png_file_holds_the_qr_matrix(run: Any, tmp_path: Path) -> None:
    import struct
    import zlib

    _connected(run)
    png = tmp_path / "c.png"
    result = run("connect-url", "--wallet", "phantom", *CONNECT_ARGS, "--qr-file", str(png))
    assert result.exit_code == 0, result.stderr
    content = png.read_bytes()
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", content[16:24])
    idat_len = struct.unpack(">I", content[33:37])[0]
    pixels = zlib.decompress(content[41 : 41 + idat_len])
    matrix = qr.make_qr(result.stdout.strip()).get_matrix()
    scale = width // len(matrix)
    assert width == height == len(matrix) * scale
    row_bytes = width + 1
    for y, row in enumerate(matrix):
        line = pixels[y * scale * row_bytes : (y * scale + 1) * row_bytes]
        assert line[0] == 0
        assert [line[1 + x * scale] == 0 for x in range(len(row))] == row
    result = run(
        "connect-url", "--wallet", "phantom", *CONNECT_ARGS, "--qr-file", str(tmp_path / "c.gif")
    )
    assert result.exit_code == 3


@pytest.mark.parametrize("command", ["connect-url", "sign-url"])
def test_unwritable_qr_file_changes_nothing(
    run: Any, tmp_path: Path, keystore_path: Path, command: str
) -> None:
    _connected(run)
    before = keystore_path.read_bytes()
    target = str(tmp_path / "missing" / "dir" / "c.svg")
    args = (
        ["--wallet", "phantom", *CONNECT_ARGS]
        if command == "connect-url"
        else ["--redirect-link", "myapp://s", "--message", "hi"]
    )
    result = run(command, *args, "--qr-file", target)
    assert result.exit_code == 3
    assert "--qr-file: cannot write" in result.stderr
    assert keystore_path.read_bytes() == before


def test_terminal_table_shows_user_text_literally(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from walletsign_cli.cli import render

    _connected(run)
    monkeypatch.setattr(render, "stderr_is_terminal", lambda: True)
    monkeypatch.setattr(render, "color_enabled", lambda env: False)
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "[bold]hi[/bold]")
    assert result.exit_code == 0
    assert "[bold]hi[/bold]" in result.stderr
    assert "dapp_encryption_public_key" in result.stderr
    assert "\x1b[" not in result.stderr
    assert result.stdout.count("\n") == 1


def test_decode_output_escapes_terminal_controls(run: Any) -> None:
    result = run("decode-redirect", "myapp://x?errorCode=4001&errorMessage=%1B%5B31mred")
    assert result.exit_code == 4
    assert "\x1b" not in result.stdout
    assert "\\x1b[31mred" in result.stdout


def test_broken_app_url_is_bad_input(run: Any, keystore_path: Path) -> None:
    result = run(
        "connect-url",
        "--wallet",
        "phantom",
        "--app-url",
        "http://[::1",
        "--redirect-link",
        "myapp://c",
    )
    assert result.exit_code == 3
    assert "--app-url is not a valid URL" in result.stderr
    assert not keystore_path.exists()


def test_other_wallet_than_the_sessions_warns(run: Any) -> None:
    _connected(run)
    result = run(
        "sign-url", "--redirect-link", "myapp://s", "--message", "hi", "--wallet", "solflare"
    )
    assert result.exit_code == 0
    assert "was made with phantom; solflare holds no shared secret" in result.stderr


def test_own_request_pasted_back_is_not_an_answer(run: Any, keystore_path: Path) -> None:
    _connected(run)
    request = json.loads(
        run("sign-url", "--redirect-link", "myapp://s", "--message", "hi", "--json").stdout
    )
    params = request["params"]
    bounced = f"myapp://s?nonce={params['nonce']}&data={params['payload']}"
    before = keystore_path.read_bytes()
    result = run("decode-redirect", bounced, "--json")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "request walletsign built" in json.loads(result.stderr)["error"]["message"]
    assert keystore_path.read_bytes() == before


def test_request_payload_under_a_fresh_nonce_is_not_an_answer(run: Any) -> None:
    _connected(run)
    payload = json.dumps({"transaction": "abc", "session": VECTORS["session"]["token"]})
    result = run("decode-redirect", _seal_answer(payload.encode()))
    assert result.exit_code == 3
    assert "request payload" in result.stderr


def test_control_characters_in_keystore_names_are_escaped(run: Any, keystore_path: Path) -> None:
    _connected(run)
    data = json.loads(keystore_path.read_text())
    data["sessions"]["evil\x1b[2J\x85"] = data["sessions"]["phantom"]
    keystore_path.write_text(json.dumps(data))
    result = run("sign-url", "--redirect-link", "myapp://s", "--message", "hi", "--session", "x")
    assert result.exit_code == 5
    assert "\x1b" not in result.stderr
    assert "\x85" not in result.stderr
    assert "\\x1b[2J" in result.stderr
