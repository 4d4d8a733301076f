"""``walletsign sign-url``: an encrypted signMessage or transaction deeplink for a session.

The request is built and remembered by :mod:`walletsign_cli.protocols.dapp`; this module
reads the options and the message, and prints; which options go together is
:mod:`walletsign_cli.protocols.dapp.options`. ``--wallet immutable`` is
:mod:`walletsign_cli.cli.immutable_sign`.
"""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.immutable_sign import sign_immutable
from walletsign_cli.cli.inputs import read_file_bytes
from walletsign_cli.cli.listen_flow import (
    LISTEN_HELP_GROUP,
    LISTEN_OPTIONS,
    await_answer,
    listen_options,
    start_listener,
)
from walletsign_cli.cli.output import json_option
from walletsign_cli.cli.qr import QR_OPTIONS, qr_options
from walletsign_cli.cli.session import send_request, session_option
from walletsign_cli.limits import MAX_MESSAGE_BYTES
from walletsign_cli.protocols import dapp, deeplink
from walletsign_cli.protocols.dapp import options


@click.command(
    cls=HelpCommand,
    help_groups={
        "Message": ["--message", "--message-hex", "--message-b58", "--message-file", "--display"],
        "Transactions": ["--transaction", "--send", "--send-options"],
        "Request": ["--redirect-link", "--session", "--wallet", "--base-url"],
        "Immutable X Link (--wallet immutable)": ["--description", "--env"],
        "Output": [*QR_OPTIONS, "--json"],
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
@click.option("--message-b58", metavar="B58", help="The message bytes in base58.")
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
    "--send-options",
    metavar="JSON",
    help='With --send: web3.js sendOptions, e.g. \'{"skipPreflight":false,"maxRetries":3}\' '
    "(skipPreflight, preflightCommitment, maxRetries, minContextSlot).",
)
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
@qr_options
@listen_options
@json_option
@pass_env
def command(
    env: Environment,
    redirect_link: str | None,
    message: str | None,
    message_hex: str | None,
    message_b58: str | None,
    message_file: str | None,
    display: str | None,
    session_name: str | None,
    transactions: tuple[str, ...],
    send: bool,
    send_options: str | None,
    wallet: str | None,
    base_url: str | None,
    description: str | None,
    link_env: str | None,
    qr: bool,
    qr_invert: bool,
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
      walletsign sign-url --redirect-link myapp://onSign --message-b58 3yZe7d
      walletsign sign-url --redirect-link myapp://onSignTx --transaction 4hXTCk... --qr
      walletsign sign-url --redirect-link myapp://onSent --transaction 4hXTCk... --send \
          --send-options '{"skipPreflight":false,"maxRetries":3}'
      walletsign sign-url --wallet immutable --message 'hello' --description 'Log in'
      walletsign sign-url --listen --message 'Sign in to Example' --qr
    """
    given = click.get_current_context().params
    if options.wants_immutable(given):
        env_name = link_env or "mainnet"
        sign_immutable(message=message, description=description, env=env_name, as_json=as_json)
        return
    options.check_given_content(given)
    listener, redirect_link = start_listener()
    dapp.check_request_options(redirect_link, base_url)
    file_bytes = None
    if message_file is not None:
        file_bytes = read_file_bytes(message_file, MAX_MESSAGE_BYTES, "--message-file")
    content, shown = options.given_content(given, file_bytes)
    plan = send_request(env, content, given, redirect_link=redirect_link, shown=shown)
    if listener is not None:
        await_answer(env, listener, key=None, session=plan.session.name)
