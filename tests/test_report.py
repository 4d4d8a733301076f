"""What the deeplink commands show and which of their options go together, tested below the CLI:
:mod:`walletsign_cli.protocols.dapp.report` (rows, verdicts, notes),
:mod:`walletsign_cli.protocols.dapp.options` (option rules) and :mod:`walletsign_cli.text`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_dapp import SIGN_REDIRECT, T2, Wallet, connect, sign
from walletsign_cli.core import base58
from walletsign_cli.core.box import X25519KeyPair
from walletsign_cli.errors import BadInputError, KeystoreError, UsageError
from walletsign_cli.protocols import dapp, deeplink
from walletsign_cli.protocols.dapp import options, report
from walletsign_cli.protocols.state import Document, KeyEntry, PendingRequest, now_iso
from walletsign_cli.text import abbreviate, aligned, by_heading, printable, shown_message


@pytest.fixture
def wallet() -> Wallet:
    return Wallet()


@pytest.fixture
def connected(wallet: Wallet) -> Document:
    return connect(Document(), wallet)


def signed(wallet: Wallet, doc: Document, message: bytes) -> dapp.RedirectResult:
    plan = sign(doc, message)
    result, _ = dapp.answer(wallet.respond(plan.request.url), plan.document, now=T2)
    return result


# -- text ------------------------------------------------------------------------------------


def test_printable_escapes_control_characters_only() -> None:
    assert printable("héllo wörld") == "héllo wörld"
    assert printable("a\x1b[31mred\nb") == "a\\x1b[31mred\\nb"
    assert printable("\u202eevil") == "\\u202eevil"


def test_abbreviate_keeps_short_text_and_counts_long_text() -> None:
    assert abbreviate("x" * 25) == "x" * 25
    long = "a" * 12 + "b" * 20 + "c" * 6
    assert abbreviate(long) == f"{'a' * 12}…{'c' * 6} (38 chars)"
    assert abbreviate("0123456789", keep=2) == "01…9 (10 chars)"


def test_shown_message_follows_display_and_falls_back_to_hex() -> None:
    assert shown_message("hé".encode(), None) == "hé"
    assert shown_message("hé".encode(), "hex") == "68c3a9"
    assert shown_message(b"\xff\x00", "utf8") == "ff00"


def test_aligned_lines_up_the_values() -> None:
    assert aligned([("a", "1"), ("long", "2")]) == ["a     1", "long  2"]
    assert aligned([]) == []


def test_by_heading_groups_in_the_given_order_and_the_rest_last() -> None:
    items = [(("--b", "-b"), "B"), (("--x",), "X"), (("--a",), "A"), (("-h", "--help"), "H")]
    groups = {"First": ["--a"], "Empty": ["--nothing"], "Second": ["-b"]}
    assert by_heading(items, groups, "Options") == [
        ("First", ["A"]),
        ("Second", ["B"]),
        ("Options", ["X", "H"]),
    ]
    # A group named like the rest still comes last.
    assert by_heading(items[:2], {"Options": ["--b"], "Other": ["--x"]}, "Options") == [
        ("Other", ["X"]),
        ("Options", ["B"]),
    ]


# -- a built request -------------------------------------------------------------------------


def test_request_tables_show_parameters_and_the_decrypted_payload(connected: Document) -> None:
    plan = sign(connected, b"Sign in")
    extra = report.message_rows(b"Sign in", "utf8")
    tables = report.request_tables(plan.request, extra)
    assert [title for title, _ in tables] == ["signMessage parameters", "decrypted payload"]
    params = dict(tables[0][1])
    assert params["payload"].endswith(f"({len(plan.request.params_dict['payload'])} chars)")
    assert params["nonce"] == plan.request.params_dict["nonce"]
    payload = dict(tables[1][1])
    assert payload["message"] == base58.encode(b"Sign in")
    assert payload["session"].endswith(" chars)")  # opaque and long: shortened
    assert payload["display"] == "utf8"
    assert tables[1][1][-1] == ("message (decoded)", "Sign in")


def test_request_payload_rows_write_json_for_what_is_not_text() -> None:
    rows = report.request_payload_rows({"transactions": ["a", "b"], "n": 1, "data": "x" * 40})
    assert rows[0] == ("transactions", '["a", "b"]')
    assert rows[1] == ("n", "1")
    assert rows[2][1] == abbreviate("x" * 40)


# -- a decoded answer ------------------------------------------------------------------------


def test_a_verified_signature_reads_good(wallet: Wallet, connected: Document) -> None:
    result = signed(wallet, connected, b"Sign in to Example")
    assert report.summary_rows(result) == [
        ("status", "approved"),
        ("method", "signMessage"),
        ("wallet", "phantom"),
        ("session_name", "phantom"),
        ("verified", "true"),
    ]
    assert dict(report.payload_rows(result))["signature"] == result.data["signature"]
    tone, text = report.verdict(result)
    assert tone == "good" and text.startswith("verified:")
    request = dict(report.request_rows(result.request))
    assert request["message"] == "Sign in to Example"
    assert request["display"] == "utf8 (18 bytes)"
    assert request["redirect_link"] == SIGN_REDIRECT
    lines = report.answer_lines(result)
    assert lines[0] == "status          approved"
    assert any(line.startswith("signature       ") for line in lines)
    assert lines[-1].startswith("verify_command  walletsign verify --public-key ")
    recheck = dict(report.recheck_rows(result))
    assert recheck["public_key"] == result.public_key
    assert recheck["message"] == "Sign in to Example"
    assert recheck["message_hex"] == b"Sign in to Example".hex()
    titles = [title for title, _ in report.answer_tables(result)]
    assert titles == [
        "answer",
        "decrypted payload",
        "to verify it again",
        "the request it answers",
        "redirect parameters",
    ]
    assert report.answer_notes(result) == []


def test_a_connect_answer_shows_its_token_and_is_saved(wallet: Wallet) -> None:
    plan = dapp.plan_connect(
        Document(),
        wallet="phantom",
        app_url="https://example.com",
        redirect_link="myapp://c",
        cluster="devnet",
        key="default",
        base_url=None,
    )
    result, _ = dapp.answer(wallet.respond(plan.request.url), plan.document)
    rows = dict(report.summary_rows(result))
    assert "verified" not in rows and rows["method"] == "connect"
    payload = dict(report.payload_rows(result))
    assert payload["session_token"].startswith("signed by public_key: {")
    assert payload["session"].endswith(" chars)")
    assert report.verdict(result) == ("good", f"connected as {wallet.account.public}")
    assert report.answer_notes(result) == ["saved session 'phantom' (dapp key 'default')"]
    result.session_token = {"signed_by_public_key": False, "data": {}}
    assert report.verdict(result)[0] == "unknown"
    result.notes.append("the session was not saved (--no-save)")
    result.replaced = True
    assert report.answer_notes(result)[0].endswith(", replacing the previous one)")
    assert report.answer_notes(result)[-1] == "the session was not saved (--no-save)"


def test_a_rejection_shows_the_wallets_error_as_it_came() -> None:
    # The rows are data; cli.output escapes them where they are written (test_escaping.py).
    result, _ = dapp.answer("myapp://c?errorCode=4001&errorMessage=no%1B%5B2J", Document())
    assert report.summary_rows(result) == [
        ("status", "rejected"),
        ("error_code", "4001"),
        ("error_name", "User Rejected Request"),
        ("error_message", "no\x1b[2J"),
    ]
    assert report.payload_rows(result) == []
    assert report.answer_tables(result)[0][0] == "wallet error"
    tone, text = report.verdict(result)
    assert tone == "bad" and text.startswith("rejected by the wallet: 4001 User Rejected Request")


def test_verdicts_of_unverified_and_unmatched_answers() -> None:
    result = dapp.RedirectResult(status="approved", method="signMessage", verified=False)
    assert report.verdict(result)[0] == "bad"
    result.verified = None
    assert report.verdict(result) == (
        "unknown",
        "not checked: no remembered request matches this answer",
    )
    result.request = PendingRequest(method="signTransaction", created_at="t")
    result.method = "signTransaction"
    assert report.verdict(result) == (
        "unknown",
        "not checked: signTransaction answers are shown, not verified",
    )
    assert dict(report.summary_rows(result))["verified"] == "not checked"
    gone = dapp.RedirectResult(
        status="approved", method=deeplink.DISCONNECT, session_name="s", session_removed=True
    )
    assert report.verdict(gone) == ("good", "disconnected: session 's' removed")
    assert report.answer_notes(gone) == ["the wallet ended session 's'; it was removed"]


def test_request_rows_of_a_damaged_or_transaction_request() -> None:
    assert report.request_rows(None) == []
    damaged = PendingRequest(method="signMessage", message="0OIl", created_at="t")
    assert ("message", "(unreadable in the keystore: 0OIl)") in report.request_rows(damaged)
    hexed = PendingRequest(method="signMessage", message=base58.encode(b"\x00\xff"), display="hex")
    assert report.request_rows(hexed)[1:] == [("message", "00ff"), ("display", "hex (2 bytes)")]
    txs = PendingRequest(method="signAllTransactions", transactions=("a", "b"), cluster="devnet")
    assert report.request_rows(txs) == [
        ("method", "signAllTransactions"),
        ("transactions", "2"),
        ("cluster", "devnet"),
    ]


# -- option rules ----------------------------------------------------------------------------


def test_immutable_takes_none_of_the_deeplink_options() -> None:
    assert not options.wants_immutable({"wallet": "phantom"})
    with pytest.raises(UsageError, match="go with --wallet immutable only"):
        options.wants_immutable({"wallet": None, "description": "d"})
    with pytest.raises(UsageError, match=r"^--send, --qr cannot be used with --wallet immutable$"):
        options.wants_immutable({"wallet": "immutable", "send": True, "qr": True, "qr_file": None})
    with pytest.raises(UsageError, match="needs --message TEXT"):
        options.wants_immutable({"wallet": "immutable", "description": "d"})
    with pytest.raises(UsageError, match="needs --description TEXT"):
        options.wants_immutable({"wallet": "immutable", "message": "m"})
    assert options.wants_immutable({"wallet": "immutable", "message": "m", "description": "d"})


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (
            {"transactions": ("t",), "message": "m"},
            "--transaction cannot be combined with --message",
        ),
        ({}, "give exactly one of --message, --message-hex, --message-b58, --message-file"),
        ({"message": "m", "message_hex": "00"}, "give exactly one of"),
        ({"message": "m", "send": True}, "--send takes exactly one --transaction"),
        ({"transactions": ("a", "b"), "send": True}, "--send takes exactly one --transaction"),
        ({"transactions": ("t",), "display": "hex"}, "--display goes with a message"),
    ],
)
def test_content_option_rules(given: dict[str, Any], words: str) -> None:
    args: dict[str, Any] = {
        "message": None,
        "message_hex": None,
        "message_file": None,
        "display": None,
        "transactions": (),
        "send": False,
    } | given
    with pytest.raises(UsageError, match=words) as caught:
        options.check_content_options(**args)
    assert caught.value.exit_code == 2 and caught.value.error_type == "usage"


def test_request_content_from_each_message_source() -> None:
    content, rows = options.request_content("hé", None, None, None, (), False)
    assert content.method == deeplink.SIGN_MESSAGE
    assert content.remembered["display"] == "utf8"
    assert rows == [("message (decoded)", "hé")]
    content, rows = options.request_content(None, "0x00ff", None, None, (), False)
    assert content.remembered == {"message": base58.encode(b"\x00\xff"), "display": "hex"}
    assert rows == [("message (decoded)", "00ff")]
    content, _ = options.request_content(None, None, b"from a file", "hex", (), False)
    assert content.remembered["message"] == base58.encode(b"from a file")
    assert content.remembered["display"] == "hex"
    with pytest.raises(BadInputError, match="--message-hex"):
        options.request_content(None, "abc", None, None, (), False)
    with pytest.raises(BadInputError, match="--transaction"):
        options.request_content(None, None, None, None, ("0OIl",), False)


def test_connect_and_answer_option_rules() -> None:
    options.check_connect_options("phantom", None)
    options.check_connect_options(None, "phantom://v1/")
    with pytest.raises(UsageError, match="missing option '--wallet'"):
        options.check_connect_options(None, None)
    options.check_answer_options(False, "myapp://a")
    options.check_answer_options(True, None)
    with pytest.raises(UsageError, match=r"missing option '--redirect-link' \(or --listen\)"):
        options.check_answer_options(False, None)
    with pytest.raises(UsageError, match="drop --redirect-link"):
        options.check_answer_options(True, "myapp://a")


def test_decode_options_are_checked_before_any_wait() -> None:
    opened: list[bool] = []

    def document() -> Document:
        opened.append(True)
        keypair = X25519KeyPair.generate()
        return Document().with_key("default", KeyEntry.of(keypair, now_iso()))

    options.check_decode_options(None, "phantom", document)
    assert opened == []  # no --key: the keystore is not read
    options.check_decode_options("default", None, document)
    assert opened == [True]
    with pytest.raises(KeystoreError):
        options.check_decode_options("other", None, document)
    with pytest.raises(BadInputError, match="--session"):
        options.check_decode_options("bad/name", "bad/name", document)
