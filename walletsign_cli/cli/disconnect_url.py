"""``walletsign disconnect-url``: the encrypted ``disconnect`` deeplink of a session."""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.output import json_option
from walletsign_cli.cli.qr import QR_OPTIONS, qr_options
from walletsign_cli.cli.session import send_request, session_option
from walletsign_cli.protocols import dapp, deeplink


@click.command(
    cls=HelpCommand,
    help_groups={
        "Request": ["--redirect-link", "--session", "--wallet", "--base-url"],
        "Output": [*QR_OPTIONS, "--json"],
    },
)
@click.option(
    "--redirect-link", required=True, metavar="URL", help="Where the wallet sends its answer."
)
@session_option
@click.option(
    "--wallet",
    type=click.Choice(deeplink.WALLET_NAMES),
    help="The wallet [default: the session's].",
)
@click.option("--base-url", metavar="URL", help="Another deeplink base, e.g. phantom://v1/.")
@qr_options
@json_option
@pass_env
def command(
    env: Environment,
    redirect_link: str,
    session_name: str | None,
    wallet: str | None,
    base_url: str | None,
    qr: bool,
    qr_invert: bool,
    qr_file: str | None,
    as_json: bool,
) -> None:
    """Build the encrypted disconnect deeplink that ends a session.

    The wallet answers by opening --redirect-link with no parameters; decode-redirect
    recognises that answer and forgets the session.

    \b
    Examples:
      walletsign disconnect-url --redirect-link myapp://onDisconnect
      walletsign disconnect-url --redirect-link myapp://onDisconnect --session solflare --json
    """
    given = click.get_current_context().params
    send_request(env, dapp.DISCONNECT, given, redirect_link=redirect_link)
