"""Which options of the deeplink commands go together, and what each request needs.

The rules ``connect-url`` and ``sign-url`` apply before anything is built: a request signs
either a message (from exactly one source) or transactions, ``--send`` takes exactly one
transaction, Immutable X Link takes none of the deeplink options, and the answer arrives
either on ``--redirect-link`` or on the link ``--listen`` serves. A broken rule is a
:class:`~walletsign_cli.errors.UsageError` (exit 2), whose message names the options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from walletsign_cli.core.encoding import parse_hex
from walletsign_cli.errors import UsageError
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size
from walletsign_cli.protocols import deeplink, jobs
from walletsign_cli.protocols.dapp.report import Rows, message_rows
from walletsign_cli.protocols.dapp.requests import (
    RequestContent,
    sign_message,
    sign_transactions,
    text_message,
)
from walletsign_cli.protocols.dapp.send_options import parse_send_options
from walletsign_cli.protocols.state import Document, check_name

NOT_WITH_IMMUTABLE = {
    "message_hex": "--message-hex",
    "message_b58": "--message-b58",
    "message_file": "--message-file",
    "transactions": "--transaction",
    "send": "--send",
    "send_options": "--send-options",
    "session_name": "--session",
    "base_url": "--base-url",
    "display": "--display",
    "redirect_link": "--redirect-link",
    "qr": "--qr",
    "qr_invert": "--qr-invert",
    "qr_file": "--qr-file",
    "listen": "--listen",
}
"""sign-url's parameters that ``--wallet immutable`` does not take, with their option names."""


def wants_immutable(params: Mapping[str, Any]) -> bool:
    """True when sign-url's parameters (by name) ask for Immutable X Link; refuses what does
    not go with the wallet chosen."""
    if params.get("wallet") != "immutable":
        if params.get("description") is not None or params.get("link_env") is not None:
            raise UsageError("--description and --env go with --wallet immutable only")
        return False
    given = [option for name, option in NOT_WITH_IMMUTABLE.items() if params.get(name)]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be used with --wallet immutable")
    if params.get("message") is None:
        raise UsageError("--wallet immutable needs --message TEXT")
    if params.get("description") is None:
        raise UsageError("--wallet immutable needs --description TEXT")
    return True


MESSAGE_SOURCES = "--message, --message-hex, --message-b58, --message-file"
"""The options a signMessage request takes its bytes from (exactly one)."""


def check_content_options(
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    display: str | None,
    transactions: Sequence[str],
    send: bool,
    message_b58: str | None = None,
    send_options: str | None = None,
) -> None:
    """The combinations of message and transaction options a request can take."""
    sources = [
        option
        for option, value in (
            ("--message", message),
            ("--message-hex", message_hex),
            ("--message-b58", message_b58),
            ("--message-file", message_file),
        )
        if value is not None
    ]
    if transactions and sources:
        raise UsageError(f"--transaction cannot be combined with {sources[0]}")
    if not transactions and len(sources) != 1:
        raise UsageError(f"give exactly one of {MESSAGE_SOURCES} (or --transaction)")
    if send and len(transactions) != 1:
        raise UsageError("--send takes exactly one --transaction")
    if transactions and display is not None:
        raise UsageError("--display goes with a message, not --transaction")
    if send_options is not None and not send:
        raise UsageError("--send-options goes with --send (signAndSendTransaction)")


def request_content(
    message: str | None,
    message_hex: str | None,
    file_bytes: bytes | None,
    display: str | None,
    transactions: Sequence[str],
    send: bool,
    message_b58: str | None = None,
    send_options: str | None = None,
) -> tuple[RequestContent, Rows]:
    """What to ask the wallet to sign (options checked by :func:`check_content_options`;
    ``file_bytes`` is what ``--message-file`` holds, ``send_options`` the text of
    ``--send-options``), and the rows that show the message."""
    if transactions:
        options = None if send_options is None else parse_send_options(send_options)
        return sign_transactions(transactions, send=send, send_options=options), []
    if message is not None:
        raw = text_message(message, option="--message")
    elif message_hex is not None:
        check_size(len(message_hex), 2 * MAX_MESSAGE_BYTES + 2, "--message-hex")
        raw = parse_hex(message_hex, "--message-hex")
    elif message_b58 is not None:
        # verify --message-b58's parsing, so both commands read the same text alike.
        raw = jobs.b58_message(message_b58, name="--message-b58").data
    else:
        assert file_bytes is not None  # noqa: S101 - check_content_options wants one source
        raw = file_bytes
    content = sign_message(raw, display, text=message is not None)
    return content, message_rows(raw, content.remembered["display"])


def check_given_content(given: Mapping[str, Any]) -> None:
    """:func:`check_content_options` of sign-url's parameters (by name)."""
    check_content_options(
        given["message"],
        given["message_hex"],
        given["message_file"],
        given["display"],
        given["transactions"],
        given["send"],
        given["message_b58"],
        send_options=given["send_options"],
    )


def given_content(
    given: Mapping[str, Any], file_bytes: bytes | None
) -> tuple[RequestContent, Rows]:
    """:func:`request_content` of sign-url's parameters (by name) and the file's bytes."""
    return request_content(
        given["message"],
        given["message_hex"],
        file_bytes,
        given["display"],
        given["transactions"],
        given["send"],
        given["message_b58"],
        send_options=given["send_options"],
    )


def check_connect_options(
    wallet: str | None, base_url: str | None, cluster: str | None = None
) -> None:
    """A connect request names its wallet, or the deeplink base that stands for it, and a
    cluster that wallet documents (checked before the keystore is opened)."""
    if wallet is None and base_url is None:
        raise UsageError("missing option '--wallet' (or give --base-url)")
    if cluster is not None:
        deeplink.check_cluster(cluster, wallet)


def check_answer_options(listen: bool, redirect_link: str | None) -> None:
    """The answer arrives on ``--redirect-link`` or on the link ``--listen`` serves: one."""
    if not listen and redirect_link is None:
        raise UsageError("missing option '--redirect-link' (or --listen)")
    if listen and redirect_link is not None:
        raise UsageError("--listen serves its own redirect link: drop --redirect-link")


def check_decode_options(
    key: str | None, session: str | None, document: Callable[[], Document]
) -> None:
    """Refuse a bad ``--key`` or ``--session`` at once, not after the wait for the answer
    (exit 3; exit 5 when ``document()``, the keystore, has no such key)."""
    if session is not None:
        check_name(session, option="--session")
    if key is not None:
        check_name(key, option="--key")
        document().dapp_keypair(key)
