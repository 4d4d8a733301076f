"""``walletsign sign-url``: an encrypted signMessage or transaction deeplink for a session.

The request is built and remembered by :mod:`walletsign_cli.protocols.dapp`; this module
reads the options and the message, and prints. ``--wallet immutable`` is
:mod:`walletsign_cli.cli.immutable_sign`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.immutable_sign import sign_immutable
from walletsign_cli.cli.inputs import parse_hex, read_file_bytes
from walletsign_cli.cli.listen_flow import (
    LISTEN_HELP_GROUP,
    LISTEN_OPTIONS,
    await_answer,
    listen_options,
    start_listener,
)
from walletsign_cli.cli.output import json_option
from walletsign_cli.cli.session import send_request, session_option
from walletsign_cli.limits import MAX_MESSAGE_BYTES, check_size
from walletsign_cli.protocols import dapp, deeplink
from walletsign_cli.protocols.dapp import report

# The command's parameters that --wallet immutable does not take, with their option names.
NOT_WITH_IMMUTABLE = {
    "message_hex": "--message-hex",
    "message_file": "--message-file",
    "transactions": "--transaction",
    "send": "--send",
    "session_name": "--session",
    "base_url": "--base-url",
    "display": "--display",
    "redirect_link": "--redirect-link",
    "qr": "--qr",
    "qr_file": "--qr-file",
    "listen": "--listen",
}


@click.command(
    cls=HelpCommand,
    help_groups={
        "Message": ["--message", "--message-hex", "--message-file", "--display"],
        "Transactions": ["--transaction", "--send"],
        "Request": ["--redirect-link", "--session", "--wallet", "--base-url"],
        "Immutable X Link (--wallet immutable)": ["--description", "--env"],
        "Output": ["--qr", "--qr-file", "--json"],
        LISTEN_HELP_GROUP: LISTEN_OPTIONS,
    },
)
@click.option(
    "--redirect-link",
    metavar="URL",
    help="Where the wallet sends its answer (required unless --listen).",
)
@click.option("--message", metavar="TEXT", help="The message to sign, as UTF-8 text.")
@click.option("--message-hex", metavar="HEX", help="The message bytes in hex.")
@click.option(
    "--message-file", metavar="PATH|-", help="The message bytes from a file ('-': stdin)."
)
@click.option(
    "--display",
    type=click.Choice(deeplink.DISPLAYS),
    help="How the wallet shows the message [default: utf8, or hex for bytes that are not UTF-8].",
)
@session_option
@click.option(
    "--transaction",
    "transactions",
    metavar="B58",
    multiple=True,
    help="A serialized transaction in base58 (once: signTransaction; repeated: "
    "signAllTransactions).",
)
@click.option("--send", is_flag=True, help="With one --transaction: signAndSendTransaction.")
@click.option(
    "--wallet",
    type=click.Choice([*deeplink.WALLET_NAMES, "immutable"]),
    help="The wallet [default: the session's].",
)
@click.option("--base-url", metavar="URL", help="Another deeplink base, e.g. phantom://v1/.")
@click.option("--description", metavar="TEXT", help="With --wallet immutable: the description.")
@click.option(
    "--env",
    "link_env",
    type=click.Choice(["mainnet", "sandbox"]),
    help="With --wallet immutable: the Link environment [default: mainnet].",
)
@click.option("--qr", is_flag=True, help="Draw a QR code of the URL on stderr.")
@click.option("--qr-file", metavar="PATH", help="Write a QR code of the URL to PATH (.svg, .png).")
@listen_options
@json_option
@pass_env
def command(
    env: Environment,
    redirect_link: str | None,
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    display: str | None,
    session_name: str | None,
    transactions: tuple[str, ...],
    send: bool,
    wallet: str | None,
    base_url: str | None,
    description: str | None,
    link_env: str | None,
    qr: bool,
    qr_file: str | None,
    listen: bool,
    listen_host: str,
    listen_port: int,
    listen_timeout: float,
    as_json: bool,
) -> None:
    """Build an encrypted signMessage (or transaction) deeplink for a saved session.

    The request is remembered in the keystore, so decode-redirect can match the wallet's
    answer to it and verify the signature. With --wallet immutable it prints the Immutable
    X Link request instead (link.sign has no URL form). Immutable X was sunset in February
    2026: this builds and checks the documented Link format (archived signatures still
    verify) rather than reaching a live service.

    \b
    Examples:
      walletsign sign-url --redirect-link myapp://onSignMessage --message 'Sign in to Example'
      walletsign sign-url --redirect-link myapp://onSign --message-hex 00ff10 --display hex
      walletsign sign-url --redirect-link myapp://onSignTx --transaction 4hXTCk... --qr
      walletsign sign-url --wallet immutable --message 'hello' --description 'Log in'
      walletsign sign-url --listen --message 'Sign in to Example' --qr
    """
    if _immutable(click.get_current_context().params, as_json):
        return
    _check_options(message, message_hex, message_file, display, transactions, send)
    listener = start_listener(listen, redirect_link, listen_host, listen_port, listen_timeout)
    redirect_link = listener.redirect_link if listener is not None else redirect_link
    assert redirect_link is not None  # noqa: S101 - start_listener refuses neither
    dapp.check_request_options(redirect_link, base_url)
    content, shown = _content(message, message_hex, message_file, display, transactions, send)
    plan = send_request(
        env,
        content,
        session_name=session_name,
        wallet=wallet,
        base_url=base_url,
        redirect_link=redirect_link,
        qr=qr,
        qr_file=qr_file,
        shown=shown,
    )
    if listener is not None:
        await_answer(env, listener, key=None, session=plan.session.name)


def _immutable(params: Mapping[str, Any], as_json: bool) -> bool:
    """With --wallet immutable, print the Link request and return True; else refuse its
    options and return False."""
    if params.get("wallet") != "immutable":
        if params.get("description") is not None or params.get("link_env") is not None:
            raise click.UsageError("--description and --env go with --wallet immutable only")
        return False
    given = [option for name, option in NOT_WITH_IMMUTABLE.items() if params.get(name)]
    if given:
        raise click.UsageError(f"{', '.join(given)} cannot be used with --wallet immutable")
    if params.get("message") is None:
        raise click.UsageError("--wallet immutable needs --message TEXT")
    if params.get("description") is None:
        raise click.UsageError("--wallet immutable needs --description TEXT")
    sign_immutable(
        message=params["message"],
        description=params["description"],
        env=params.get("link_env") or "mainnet",
        as_json=as_json,
    )
    return True


def _check_options(
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    display: str | None,
    transactions: tuple[str, ...],
    send: bool,
) -> None:
    """The combinations of message and transaction options click cannot express (exit 2)."""
    sources = [
        option
        for option, value in (
            ("--message", message),
            ("--message-hex", message_hex),
            ("--message-file", message_file),
        )
        if value is not None
    ]
    if transactions and sources:
        raise click.UsageError(f"--transaction cannot be combined with {sources[0]}")
    if not transactions and len(sources) != 1:
        raise click.UsageError(
            "give exactly one of --message, --message-hex, --message-file (or --transaction)"
        )
    if send and len(transactions) != 1:
        raise click.UsageError("--send takes exactly one --transaction")
    if transactions and display is not None:
        raise click.UsageError("--display goes with a message, not --transaction")


def _content(
    message: str | None,
    message_hex: str | None,
    message_file: str | None,
    display: str | None,
    transactions: tuple[str, ...],
    send: bool,
) -> tuple[dapp.RequestContent, list[tuple[str, str]]]:
    """What to ask the wallet to sign, and the rows that show the message decoded."""
    if transactions:
        return dapp.sign_transactions(transactions, send=send), []
    raw = _message_bytes(message, message_hex, message_file)
    content = dapp.sign_message(raw, display, text=message is not None)
    return content, report.message_rows(raw, content.remembered["display"])


def _message_bytes(message: str | None, message_hex: str | None, message_file: str | None) -> bytes:
    if message is not None:
        return dapp.text_message(message, option="--message")
    if message_hex is not None:
        check_size(len(message_hex), 2 * MAX_MESSAGE_BYTES + 2, "--message-hex")
        return parse_hex(message_hex, "--message-hex")
    assert message_file is not None  # noqa: S101 - checked by _check_options
    return read_file_bytes(message_file, MAX_MESSAGE_BYTES, "--message-file")
