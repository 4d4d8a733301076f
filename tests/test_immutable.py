"""Immutable X Link: the ``link.sign`` request, the forbidden texts and the documented results."""

from __future__ import annotations

import json
from typing import Any

import pytest

from walletsign_cli.cli.immutable_sign import sign_immutable
from walletsign_cli.core.metamask import b64decode
from walletsign_cli.errors import BadInputError, RefusedRequestError
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import immutable

# imx-docs docs/guides/link-sdk/linksign.md: what link.sign / link.getPublicKey resolve with.
DOCS_SIGN_RESULT = {
    "result": "0x0d8705969ea15dac4f684f5f5a7a3447f514b07c96c7a9bb21588ef33821caed"
    "63f204c11f0ed69777132c8fa25af62c883627169c7b5b46f23b132db46e7d8d1c"
}
DOCS_PUBLIC_KEY_RESULT = {"result": "1Afjjdub580LjsizQtlDmrSZ+BZIiydkx4BGRb2DDBI="}

DERIVATION = "Only sign this request if you’ve initiated an action with Immutable X."
LINKING = "Only sign this key linking request from Immutable X"


def _variants(text: str) -> list[str]:
    forms = {text, text.replace("’", "'")}
    return sorted(
        {pad.format(form) for form in forms for pad in ("{}", "  {}", "{}\n", "\t {} \r\n")}
    )


FORBIDDEN = [*_variants(DERIVATION), *_variants(LINKING)]


# -- the protocol ------------------------------------------------------------------------------


def test_sign_request_is_what_the_sdk_posts() -> None:
    request = immutable.build_sign_request("My awesome message", "Message that a user will see")
    assert request.link_url == "https://link.x.immutable.com"
    assert request.post_message() == {
        "type": "imx-link",
        "message": "sign",
        "payload": {
            "message": "My awesome message",
            "description": "Message that a user will see",
        },
    }


@pytest.mark.parametrize(
    ("env", "origin"),
    [
        ("mainnet", "https://link.x.immutable.com"),
        ("sandbox", "https://link.sandbox.x.immutable.com"),
    ],
)
def test_link_origins(env: str, origin: str) -> None:
    assert immutable.build_sign_request("m", "d", env=env).link_url == origin
    assert immutable.get_public_key_url(env) == origin + "/get-public-key"


def test_unknown_env_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="--env"):
        immutable.build_sign_request("m", "d", env="ropsten")


def test_both_texts_use_the_sdk_spelling() -> None:
    assert immutable.KEY_DERIVATION_MESSAGE == DERIVATION
    assert "\u2019" in immutable.KEY_DERIVATION_MESSAGE
    assert immutable.KEY_LINKING_MESSAGE == LINKING


@pytest.mark.parametrize("message", FORBIDDEN, ids=[repr(m)[:40] for m in FORBIDDEN])
def test_forbidden_messages_are_refused(message: str) -> None:
    with pytest.raises(RefusedRequestError) as info:
        immutable.build_sign_request(message, "Please sign")
    assert info.value.exit_code == 3
    assert "L2" in info.value.message
    assert "refuses" in info.value.message


@pytest.mark.parametrize(
    "message",
    [
        DERIVATION + " Really.",
        "Please: " + LINKING,
        DERIVATION.replace("Immutable X", "Immutable Y"),
        LINKING.lower(),
    ],
)
def test_other_texts_are_allowed(message: str) -> None:
    assert immutable.build_sign_request(message, "d").message == message


def test_the_description_is_not_checked_for_forbidden_texts() -> None:
    assert immutable.build_sign_request("hello", LINKING).description == LINKING


@pytest.mark.parametrize(
    ("message", "description", "name"),
    [("", "d", "message"), ("m", "", "description"), ("", "", "message")],
)
def test_empty_fields_are_refused(message: str, description: str, name: str) -> None:
    with pytest.raises(BadInputError, match=f"^{name} is empty") as info:
        immutable.build_sign_request(message, description)
    assert info.value.exit_code == 3


def test_whitespace_is_a_non_empty_string() -> None:
    # io-ts-types NonEmptyString is ``s.length > 0``.
    request = immutable.build_sign_request(" ", "\t")
    assert request.params() == {"message": " ", "description": "\t"}


def test_docs_sign_result_is_read_by_verify(run: Any) -> None:
    """The docs' link.sign answer, pasted whole, is what verify reads (and recovers from)."""
    result = run(
        "verify",
        "--recover",
        "--message",
        "hello",
        "--json",
        "--signature",
        json.dumps(DOCS_SIGN_RESULT),
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["chain"] == "ethereum"
    assert document["signature_encoding"] == "hex"
    assert document["signer"].startswith("0x") and len(document["signer"]) == 42


def test_docs_public_key_result_is_a_32_byte_key() -> None:
    assert len(b64decode(DOCS_PUBLIC_KEY_RESULT["result"], name="result")) == 32


@pytest.mark.parametrize(
    "document",
    [{"result": ""}, {"result": 5}, {}, ["result"], {"result": "0x1234"}],
)
def test_bad_sign_results_are_bad_input(run: Any, document: Any) -> None:
    result = run("verify", "--recover", "--message", "hello", "--signature", json.dumps(document))
    assert result.exit_code == 3
    assert result.stderr.startswith("walletsign: error: --signature")


# -- sign_immutable (what sign-url --wallet immutable runs) -------------------------------------


def test_sign_immutable_text(capsys: pytest.CaptureFixture[str]) -> None:
    sign_immutable(message="gm", description="Say gm", env="sandbox", as_json=False)
    out, err = capsys.readouterr()
    origin, request = out.splitlines()
    assert origin == "https://link.sandbox.x.immutable.com"
    assert json.loads(request) == {
        "type": "imx-link",
        "message": "sign",
        "payload": {"message": "gm", "description": "Say gm"},
    }
    assert "line 1" in err
    assert "line 2" in err


def test_sign_immutable_json(capsys: pytest.CaptureFixture[str]) -> None:
    sign_immutable(message="gm", description="Say gm", env="mainnet", as_json=True)
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert {k: document[k] for k in ("wallet", "method", "link_url", "request")} == {
        "wallet": "immutable",
        "method": "sign",
        "link_url": "https://link.x.immutable.com",
        "request": {"message": "gm", "description": "Say gm"},
    }
    assert document["post_message"]["payload"] == document["request"]
    assert err == ""


@pytest.mark.parametrize(
    ("message", "description", "words"),
    [
        (None, "d", "--message is required with --wallet immutable"),
        ("m", None, "--description is required"),
        ("", "d", "--message is empty"),
        ("m", "", "--description is empty"),
        (DERIVATION, "d", "--message is Immutable X's key-derivation text"),
        (" " + LINKING + " ", "d", "--message is Immutable X's key-linking text"),
    ],
)
def test_sign_immutable_refuses(message: str | None, description: str | None, words: str) -> None:
    with pytest.raises(BadInputError) as info:
        sign_immutable(message=message, description=description, env="mainnet", as_json=False)
    assert info.value.exit_code == 3
    assert info.value.message.startswith(words)


def test_sign_request_from_options_warns_what_link_may_misread() -> None:
    request, warnings = immutable.sign_request_from_options("0xdeadbeef", "   ", "sandbox")
    assert request.to_json() == {
        "wallet": "immutable",
        "method": "sign",
        "link_url": "https://link.sandbox.x.immutable.com",
        "request": {"message": "0xdeadbeef", "description": "   "},
        "env": "sandbox",
        "post_message": request.post_message(),
    }
    assert warnings == [
        "--description is only whitespace; Link shows it to the user as the reason",
        "Link presumably signs --message as UTF-8 text, not as the bytes of its hex",
    ]
    assert immutable.sign_request_from_options("gm", "Say gm", "mainnet")[1] == []
    with pytest.raises(BadInputError, match="--message is not valid UTF-8 text"):
        immutable.sign_request_from_options("\udcff", "d", "mainnet")
    with pytest.raises(BadInputError, match="--description"):
        immutable.sign_request_from_options("m", "d" * (MAX_MESSAGE_BYTES + 1), "mainnet")


def test_sign_immutable_docstring_states_the_sunset() -> None:
    assert sign_immutable.__doc__ is not None
    assert "sunset in February 2026" in " ".join(sign_immutable.__doc__.split())


# -- through sign-url ---------------------------------------------------------------------------


def test_cli_sign_url_immutable_text(run: Any) -> None:
    result = run("sign-url", "--wallet", "immutable", "--message", "gm", "--description", "Say gm")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "https://link.x.immutable.com"
    assert json.loads(lines[1])["payload"] == {"message": "gm", "description": "Say gm"}
    assert "line 2" in result.stderr


def test_cli_sign_url_immutable_json(run: Any) -> None:
    result = run(
        "sign-url",
        "--wallet",
        "immutable",
        "--message",
        "gm",
        "--description",
        "Say gm",
        "--env",
        "sandbox",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["wallet"] == "immutable"
    assert document["method"] == "sign"
    assert document["link_url"] == "https://link.sandbox.x.immutable.com"
    assert document["request"] == {"message": "gm", "description": "Say gm"}


@pytest.mark.parametrize("message", [DERIVATION.replace("’", "'") + "  ", "\n" + LINKING])
def test_cli_sign_url_immutable_forbidden_exit_3(run: Any, message: str) -> None:
    result = run(
        "sign-url", "--wallet", "immutable", "--message", message, "--description", "d", "--json"
    )
    assert result.exit_code == 3
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["type"] == "refused"
    assert "L2" in error["message"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--message", "", "--description", "d"], "--message"),
        (["--message", "m", "--description", ""], "--description"),
    ],
)
def test_cli_sign_url_immutable_bad_input_exit_3(run: Any, args: list[str], words: str) -> None:
    """An empty field is bad input (3); a missing option is a usage error (2), as SPEC says."""
    result = run("sign-url", "--wallet", "immutable", *args)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert words in result.stderr


@pytest.mark.parametrize("args", [["--description", "d"], ["--message", "m"]])
def test_cli_sign_url_immutable_missing_option_exit_2(run: Any, args: list[str]) -> None:
    result = run("sign-url", "--wallet", "immutable", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--wallet immutable needs" in result.stderr
