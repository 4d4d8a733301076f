"""``walletsign fungible-url``: Phantom's token page deeplink."""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.link_output import link_options, present_link
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp import links


@click.command(
    cls=HelpCommand,
    help_groups={
        "Request": ["--wallet", "--base-url"],
        "Output": ["--qr", "--qr-invert", "--qr-file", "--json"],
    },
)
@click.argument("token", metavar="TOKEN")
@click.option(
    "--wallet",
    type=click.Choice(deeplink.WALLET_NAMES),
    default="phantom",
    show_default=True,
    help="The wallet (only Phantom documents fungible).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Another deeplink base [default: https://phantom.app/ul/v1/], e.g. phantom://v1/.",
)
@link_options
@pass_env
def command(
    env: Environment,
    token: str,
    wallet: str,
    base_url: str | None,
    qr: bool,
    qr_invert: bool,
    qr_file: str | None,
    as_json: bool,
) -> None:
    """Build the fungible deeplink: Phantom shows the token page of TOKEN.

    TOKEN is a CAIP-19 asset id (solana:101/address:<mint>, eip155:1/address:0x...) or a
    Solana mint address alone. No session: the wallet sends no answer.

    \b
    Examples:
      walletsign fungible-url solana:101/address:FoXyMu5xwXre7zEoSvzViRk3nGawHUp9kUh97y2NDhcq
      walletsign fungible-url EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v --qr
    """
    link = links.build_fungible(token, wallet=wallet, base_url=base_url)
    present_link(env, link, click.get_current_context().params)
