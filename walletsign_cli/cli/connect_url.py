"""``walletsign connect-url``: the ``connect`` deeplink that starts a session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from walletsign_cli import api
from walletsign_cli.cli.completion import complete_clusters, complete_keys
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.listen_flow import (
    LISTEN_HELP_GROUP,
    LISTEN_OPTIONS,
    await_answer,
    listen_options,
    start_listener,
)
from walletsign_cli.cli.output import json_option, note
from walletsign_cli.cli.qr import QR_OPTIONS, QrBeforeSave, qr_options
from walletsign_cli.cli.render import present_request
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp.options import check_connect_options
from walletsign_cli.protocols.dapp.report import request_tables


@click.command(
    cls=HelpCommand,
    help_groups={
        "Request": ["--wallet", "--app-url", "--redirect-link", "--cluster", "--base-url"],
        "Keystore": ["--key"],
        "Output": [*QR_OPTIONS, "--json"],
        LISTEN_HELP_GROUP: LISTEN_OPTIONS,
    },
)
@click.option(
    "--wallet",
    type=click.Choice(deeplink.WALLET_NAMES),
    help="The wallet (required unless --base-url is given).",
)
@click.option("--app-url", required=True, metavar="URL", help="Your app's URL (app_url).")
@click.option(
    "--redirect-link",
    metavar="URL",
    help="Where the wallet sends its answer (required unless --listen).",
)
@click.option(
    "--cluster",
    default=deeplink.DEFAULT_CLUSTER,
    show_default=True,
    shell_complete=complete_clusters,
    help="The cluster, as the wallet documents it: phantom, solflare: mainnet-beta, testnet, "
    f"devnet; backpack: mainnet-beta, {deeplink.ECLIPSE} (Eclipse).",
)
@click.option(
    "--key",
    default="default",
    show_default=True,
    shell_complete=complete_keys,
    help="The dapp keypair (created on first use).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Another deeplink base [default: the wallet's documented one, e.g. "
    "https://phantom.app/ul/v1/]; e.g. phantom://v1/ or https://phantom.com/ul/v1/.",
)
@qr_options
@listen_options
@json_option
@pass_env
def command(
    env: Environment,
    wallet: str | None,
    app_url: str,
    redirect_link: str | None,
    cluster: str,
    key: str,
    base_url: str | None,
    qr: bool,
    qr_invert: bool,
    qr_file: str | None,
    listen: bool,
    listen_host: str,
    listen_port: int,
    listen_timeout: float,
    as_json: bool,
) -> None:
    """Build the connect deeplink that starts a session with a wallet.

    Open the URL on the phone (or scan --qr); the wallet answers on --redirect-link,
    and decode-redirect turns that answer into a saved session.

    \b
    Examples:
      walletsign connect-url --wallet phantom --app-url https://example.com \\
          --redirect-link myapp://onConnect
      walletsign connect-url --wallet solflare --app-url https://example.com \\
          --redirect-link myapp://onConnect --cluster devnet --qr
      walletsign connect-url --wallet backpack --app-url https://example.com \\
          --redirect-link myapp://onConnect --cluster solana:EAQLJCV2mh23BsK2P9oYpV5CHVLDNHTxY
      walletsign connect-url --base-url phantom://v1/ --wallet phantom \\
          --app-url https://example.com --redirect-link myapp://onConnect --json
      walletsign connect-url --wallet phantom --app-url https://example.com --listen --qr
    """
    check_connect_options(wallet, base_url, cluster)
    listener, redirect_link = start_listener()
    _build_and_show(env, click.get_current_context().params, redirect_link)
    if listener is not None:
        await_answer(env, listener, key=key, session=None)


def _build_and_show(env: Environment, given: Mapping[str, Any], redirect_link: str) -> None:
    """Plan and save in one keystore transaction (the QR file first), then print. ``given``
    is the command's parameters."""
    store, key = env.keystore(), given["key"]
    qr_code = QrBeforeSave.of(given)
    plan = api.connect_url(
        store,
        wallet=given["wallet"],
        app_url=given["app_url"],
        redirect_link=redirect_link,
        cluster=given["cluster"],
        key=key,
        base_url=given["base_url"],
        before_save=qr_code,
    )
    if plan.created:
        note(f"created dapp key {key!r} ({plan.keypair.public}) in {store.path}")
    present_request(env, plan, tables=request_tables(plan.request), qr_code=qr_code)
