"""``walletsign swap-url``: Phantom's swapper deeplink, buy and sell filled in."""

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
        "Request": ["--buy", "--sell", "--wallet", "--base-url"],
        "Output": ["--qr", "--qr-invert", "--qr-file", "--json"],
    },
)
@click.option("--buy", metavar="TOKEN", help="The token to buy [default: SOL].")
@click.option("--sell", metavar="TOKEN", help="The token to sell [default: SOL].")
@click.option(
    "--wallet",
    type=click.Choice(deeplink.WALLET_NAMES),
    default="phantom",
    show_default=True,
    help="The wallet (only Phantom documents swap).",
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
    buy: str | None,
    sell: str | None,
    wallet: str,
    base_url: str | None,
    qr: bool,
    qr_invert: bool,
    qr_file: str | None,
    as_json: bool,
) -> None:
    """Build the swap deeplink: Phantom's swapper with --buy and --sell filled in.

    A TOKEN is a CAIP-19 asset id (solana:101/address:<mint>, eip155:1/address:0x...) or a
    Solana mint address alone; one left out is SOL (written empty, as Phantom's docs do).
    No session: the wallet sends no answer.

    \b
    Examples:
      walletsign swap-url --buy EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm
      walletsign swap-url --buy eip155:1/address:0xdAC17F958D2ee523a2206206994597C13D831ec7 \\
          --sell solana:101/address:EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v --json
    """
    link = links.build_swap(buy, sell, wallet=wallet, base_url=base_url)
    present_link(env, link, click.get_current_context().params)
