"""The Phantom-style deeplink protocol module against the wallets' own libraries' vectors."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vector
from walletsign_cli.core import base58
from walletsign_cli.core.box import X25519KeyPair, X25519PublicKey
from walletsign_cli.errors import BadInputError, DecryptionError
from walletsign_cli.protocols import deeplink

VECTORS = load_vector("deeplink.json")
EXCHANGES: dict[str, Any] = VECTORS["exchanges"]
WALLETS = sorted(EXCHANGES)
DAPP = X25519KeyPair.from_secret(bytes.fromhex(VECTORS["dapp"]["secret_key_hex"]))
TOKEN: str = VECTORS["session"]["token"]


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(url.split("?", 1)[1]))


def _shared() -> Any:
    wallet_pk = X25519PublicKey.from_base58(VECTORS["wallet_encryption"]["public_key"])
    return deeplink.connect_shared(wallet_pk, DAPP)


def test_wallet_table_matches_vectors() -> None:
    assert set(deeplink.WALLETS) == set(EXCHANGES)
    for name, exchange in EXCHANGES.items():
        assert deeplink.WALLETS[name].universal_base == exchange["base_url"]
        assert deeplink.WALLETS[name].key_param == exchange["key_param"]
    assert deeplink.WALLETS["phantom"].scheme_base == "phantom://v1/"
    assert deeplink.WALLETS["solflare"].scheme_base == "solflare://ul/v1/"


@pytest.mark.parametrize("wallet", WALLETS)
def test_connect_url_byte_exact(wallet: str) -> None:
    vector = EXCHANGES[wallet]["connect"]
    params = vector["params_in_order"]
    request = deeplink.build_connect(
        deeplink.WALLETS[wallet].universal_base,
        dapp_public_key=DAPP.public,
        app_url=params["app_url"],
        redirect_link=params["redirect_link"],
        cluster=params["cluster"],
    )
    assert request.url == vector["request_url"]
    assert list(request.params_dict) == list(params)
    assert request.params_dict == params


@pytest.mark.parametrize("wallet", WALLETS)
@pytest.mark.parametrize("case", ["sign_message_utf8", "sign_message_hex"])
def test_sign_message_url_and_payload_byte_exact(wallet: str, case: str) -> None:
    vector = EXCHANGES[wallet][case]
    payload = deeplink.sign_message_payload(
        bytes.fromhex(vector["message_hex"]), TOKEN, vector["display"]
    )
    assert deeplink.payload_json(payload).decode() == vector["payload_plaintext"]
    request = deeplink.build_encrypted(
        deeplink.WALLETS[wallet].universal_base,
        deeplink.SIGN_MESSAGE,
        payload,
        dapp_public_key=DAPP.public,
        shared=_shared(),
        redirect_link="myapp://onSignMessage",
        nonce=base58.decode(vector["request_nonce"]),
    )
    assert request.url == vector["request_url"]
    assert request.nonce == vector["request_nonce"]


@pytest.mark.parametrize("wallet", WALLETS)
def test_disconnect_url_byte_exact(wallet: str) -> None:
    vector = EXCHANGES[wallet]["disconnect"]
    payload = deeplink.disconnect_payload(TOKEN)
    assert deeplink.payload_json(payload).decode() == vector["payload_plaintext"]
    request = deeplink.build_encrypted(
        deeplink.WALLETS[wallet].universal_base,
        deeplink.DISCONNECT,
        payload,
        dapp_public_key=DAPP.public,
        shared=_shared(),
        redirect_link="myapp://onDisconnect",
        nonce=base58.decode(_query(vector["request_url"])["nonce"]),
    )
    assert request.url == vector["request_url"]


@pytest.mark.parametrize("wallet", WALLETS)
def test_connect_answer_opens_to_vector_data(wallet: str) -> None:
    vector = EXCHANGES[wallet]["connect"]
    redirect = deeplink.parse_redirect(vector["answer_url"])
    assert redirect.kind == "connect"
    assert redirect.key_param == EXCHANGES[wallet]["key_param"]
    assert redirect.wallet_hint == wallet
    assert redirect.link == "myapp://onConnect"
    assert redirect.nonce == base58.decode(vector["answer_nonce"])
    assert redirect.wallet_public_key is not None and redirect.data is not None
    shared = deeplink.connect_shared(redirect.wallet_public_key, DAPP)
    assert shared.raw.hex() == VECTORS["shared_secret_hex"]
    assert deeplink.open_json(redirect.data, redirect.nonce, shared) == vector["answer_data"]


@pytest.mark.parametrize("wallet", WALLETS)
@pytest.mark.parametrize("case", ["sign_message_utf8", "sign_message_hex"])
def test_sign_answer_opens_and_signature_verifies(wallet: str, case: str) -> None:
    from walletsign_cli.core.ed25519 import verify

    vector = EXCHANGES[wallet][case]
    redirect = deeplink.parse_redirect(vector["answer_url"])
    assert redirect.kind == "encrypted"
    assert redirect.data is not None and redirect.nonce is not None
    answer = deeplink.open_json(redirect.data, redirect.nonce, _shared())
    assert answer == vector["answer_data"]
    assert deeplink.method_for_answer(answer)[0] == deeplink.SIGN_MESSAGE
    account = base58.decode(VECTORS["account"]["public_key"])
    verify(account, bytes.fromhex(vector["message_hex"]), base58.decode(answer["signature"]))


def test_disconnect_answer_is_empty() -> None:
    redirect = deeplink.parse_redirect(EXCHANGES["phantom"]["disconnect"]["answer_url"])
    assert redirect.kind == "empty"
    assert redirect.params == []


@pytest.mark.parametrize("vector", VECTORS["error_redirects"], ids=lambda v: str(v["error_code"]))
def test_error_redirects(vector: dict[str, Any]) -> None:
    redirect = deeplink.parse_redirect(vector["url"])
    assert redirect.kind == "error"
    assert redirect.error_code == vector["error_code"]
    assert redirect.error_message == vector["error_message"]
    assert redirect.error_code is not None
    assert deeplink.error_name(redirect.error_code) == vector["error_name"]


def test_error_table_has_the_eight_codes() -> None:
    assert deeplink.ERROR_CODES == {
        4900: "Disconnected",
        4100: "Unauthorized",
        4001: "User Rejected Request",
        -32000: "Invalid Input",
        -32002: "Requested resource not available",
        -32003: "Transaction Rejected",
        -32601: "Method Not Found",
        -32603: "Internal Error",
    }
    assert deeplink.error_name(1234) == "Unknown Error"


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS["negative"] if v["name"] in {"nonce_23_bytes", "data_in_base64"}],
    ids=lambda v: v["name"],
)
def test_negative_vectors_fail_while_parsing(vector: dict[str, Any]) -> None:
    with pytest.raises(BadInputError) as info:
        deeplink.parse_redirect(vector["url"])
    message = str(info.value)
    if vector["name"] == "nonce_23_bytes":
        assert message == "nonce must be 24 bytes, got 23"
    else:
        assert message.startswith("data is not base58") and "base64" in message


def test_missing_nonce_vector() -> None:
    vector = next(v for v in VECTORS["negative"] if v["name"] == "missing_nonce")
    with pytest.raises(BadInputError, match=r"^nonce parameter is missing"):
        deeplink.parse_redirect(vector["url"])


@pytest.mark.parametrize("name", ["tampered_data", "answer_for_other_dapp_key"])
def test_negative_vectors_fail_authentication(name: str) -> None:
    vector = next(v for v in VECTORS["negative"] if v["name"] == name)
    redirect = deeplink.parse_redirect(vector["url"])
    assert redirect.data is not None and redirect.nonce is not None
    with pytest.raises(DecryptionError):
        deeplink.open_json(redirect.data, redirect.nonce, _shared())
    assert deeplink.try_open(redirect.data, redirect.nonce, [("s", _shared())]) is None


# -- tolerant reading ------------------------------------------------------------------------


def _answer_query(wallet: str = "phantom") -> str:
    url: str = EXCHANGES[wallet]["connect"]["answer_url"]
    return url.split("?", 1)[1]


def test_redirect_link_with_its_own_query_either_joiner() -> None:
    for joiner in ("?", "&"):
        url = f"https://example.com/cb?state=abc{joiner}{_answer_query()}"
        redirect = deeplink.parse_redirect(url)
        assert redirect.kind == "connect"
        assert redirect.link == "https://example.com/cb"
        assert ("state", "abc") in redirect.params


def test_any_encryption_key_param_is_accepted() -> None:
    query = _answer_query().replace("phantom_encryption_public_key", "glow_encryption_public_key")
    redirect = deeplink.parse_redirect("myapp://onConnect?" + query)
    assert redirect.kind == "connect"
    assert redirect.key_param == "glow_encryption_public_key"
    assert redirect.wallet_hint == "glow"


def test_form_encoded_plus_is_a_space() -> None:
    redirect = deeplink.parse_redirect("myapp://x?errorCode=-32603&errorMessage=token+not%20found")
    assert redirect.error_message == "token not found"


def test_repeated_protocol_parameter_is_refused() -> None:
    with pytest.raises(BadInputError, match="parameter nonce appears more than once"):
        deeplink.parse_redirect("myapp://x?nonce=1&nonce=2&data=3")
    # The redirect link's own parameters may repeat.
    assert deeplink.parse_redirect("myapp://x?a=1&a=2").kind == "empty"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("myapp://x?errorCode=abc", "errorCode is not an integer"),
        ("myapp://x?nonce=GvdqXEAMbSARrubpNP44Vqz4kr6GAxA6", "data parameter is missing"),
        ("not a url", "no scheme"),
        ("", "empty"),
        (
            "myapp://x?phantom_encryption_public_key=abc&nonce=a&data=b",
            "phantom_encryption_public_key must be 32 bytes",
        ),
        ("myapp://x?nonce=GvdqXEAMbSARrubpNP44Vqz4kr6GAxA6&data=0OIl", "data is not base58"),
        ("myapp://x?nonce=GvdqXEAMbSARrubpNP44Vqz4kr6GAxA6&data=ab+cd", "looks like base64"),
    ],
)
def test_bad_redirects_name_the_parameter(url: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        deeplink.parse_redirect(url)


def test_url_cap_is_enforced_before_decoding() -> None:
    from walletsign_cli.errors import InputTooLargeError
    from walletsign_cli.limits import MAX_URL_CHARS

    with pytest.raises(InputTooLargeError):
        deeplink.parse_redirect("myapp://x?data=" + "1" * MAX_URL_CHARS)


def test_clean_pasted_url_removes_all_whitespace() -> None:
    url = EXCHANGES["phantom"]["connect"]["answer_url"]
    wrapped = "\n  " + "\n".join(url[i : i + 40] for i in range(0, len(url), 40)) + " \r\n"
    assert deeplink.clean_pasted_url(wrapped) == url


def test_plaintext_must_be_a_utf8_json_object() -> None:
    with pytest.raises(BadInputError, match="not UTF-8 JSON"):
        deeplink.parse_plaintext(b"\xff\xfe")
    with pytest.raises(BadInputError, match="not UTF-8 JSON"):
        deeplink.parse_plaintext(b"{nope")
    with pytest.raises(BadInputError, match="not an object"):
        deeplink.parse_plaintext(b"[1]")


# -- writing exactly -------------------------------------------------------------------------


def test_form_encode_matches_url_search_params() -> None:
    # Values printed by `new URLSearchParams({v}).toString()` in Node.
    assert deeplink.form_encode("a b~*'()!-._") == "a+b%7E*%27%28%29%21-._"
    assert deeplink.form_encode("myapp://x?y=1&z=✓") == "myapp%3A%2F%2Fx%3Fy%3D1%26z%3D%E2%9C%93"


_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_TEXT.filter(bool), _TEXT), max_size=5))
def test_encode_query_round_trips_through_a_form_parser(params: list[tuple[str, str]]) -> None:
    assert parse_qsl(deeplink.encode_query(params), keep_blank_values=True) == params


def test_transaction_payloads_in_order() -> None:
    assert list(deeplink.transaction_payload(deeplink.SIGN_TRANSACTION, ["t"], "s")) == [
        "transaction",
        "session",
    ]
    assert deeplink.transaction_payload(deeplink.SIGN_ALL_TRANSACTIONS, ["a", "b"], "s") == {
        "transactions": ["a", "b"],
        "session": "s",
    }
    send = deeplink.transaction_payload(
        deeplink.SIGN_AND_SEND_TRANSACTION, ["t"], "s", {"skipPreflight": True}
    )
    assert json.dumps(send) == '{"transaction": "t", "sendOptions": {"skipPreflight": true}, ' + (
        '"session": "s"}'
    )


def test_base_url_normalisation() -> None:
    assert deeplink.normalize_base_url("phantom://v1") == "phantom://v1/"
    with pytest.raises(BadInputError, match="--base-url"):
        deeplink.normalize_base_url("phantom.app/ul/v1/")
    with pytest.raises(BadInputError, match="query"):
        deeplink.normalize_base_url("https://x/ul/v1/?a=1")


def test_url_warning_over_ios_limit() -> None:
    assert deeplink.url_warnings("x" * 1500) == []
    assert "iOS" in deeplink.url_warnings("x" * 1501)[0]


# -- session tokens --------------------------------------------------------------------------


def test_session_token_parses_and_verifies() -> None:
    token = deeplink.parse_session_token(TOKEN)
    assert token is not None
    assert token.data == json.loads(VECTORS["session"]["json"])
    assert token.signed_by(base58.decode(VECTORS["account"]["public_key"]))
    assert not token.signed_by(bytes(32))
    assert str(list(token.signature)) not in repr(token)
    assert token.signature.hex() not in repr(token)


@pytest.mark.parametrize(
    "token", ["abc", "0OIl", base58.encode(b"x" * 64 + b"not json"), base58.encode(b"x" * 70)]
)
def test_session_token_is_opaque_tolerant(token: str) -> None:
    assert deeplink.parse_session_token(token) is None
