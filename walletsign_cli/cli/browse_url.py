"""``walletsign browse-url``: open a web page in the wallet's in-app browser."""

from __future__ import annotations

import click

from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.link_output import link_options, present_link
from walletsign_cli.errors import UsageError
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp import links


@click.command(
    cls=HelpCommand,
    help_groups={
        "Request": ["--ref", "--wallet", "--base-url"],
        "Output": ["--qr", "--qr-invert", "--qr-file", "--json"],
    },
)
@click.argument("url", metavar="URL")
@click.option("--ref", required=True, metavar="URL", help="Your app's URL (ref).")
@click.option(
    "--wallet",
    type=click.Choice(deeplink.WALLET_NAMES),
    help="The wallet (required unless --base-url is given).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Another browse base [default: the wallet's documented one: "
    + ", ".join(w.browse_base for w in deeplink.WALLETS.values())
    + "], e.g. https://phantom.com/ul/browse/.",
)
@link_options
@pass_env
def command(
    env: Environment,
    url: str,
    ref: str,
    wallet: str | None,
    base_url: str | None,
    qr: bool,
    qr_invert: bool,
    qr_file: str | None,
    as_json: bool,
) -> None:
    """Build the browse deeplink: the wallet opens URL in its in-app browser.

    No session and no key: it works before connect, and the wallet sends no answer.
    URL and --ref are URL-encoded as the wallets' docs ask (the page as one path segment).

    \b
    Examples:
      walletsign browse-url https://example.com/mint --ref https://example.com --wallet phantom
      walletsign browse-url https://example.com --ref https://example.com --wallet solflare --qr
      walletsign browse-url https://example.com --ref https://example.com \\
          --base-url https://phantom.com/ul/browse/ --json
    """
    if wallet is None and base_url is None:
        raise UsageError("missing option '--wallet' (or give --base-url)")
    link = links.build_browse(url, ref, wallet=wallet, base_url=base_url)
    present_link(env, link, click.get_current_context().params)
