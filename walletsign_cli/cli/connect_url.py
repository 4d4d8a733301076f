"""``walletsign connect-url``: the ``connect`` deeplink that starts a session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from walletsign_cli.cli.completion import complete_keys
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.listen_flow import (
    LISTEN_HELP_GROUP,
    LISTEN_OPTIONS,
    await_answer,
    listen_options,
    start_listener,
)
from walletsign_cli.cli.output import json_option
from walletsign_cli.errors import KeystoreError
from walletsign_cli.keystore import Data
from walletsign_cli.protocols import deeplink

if TYPE_CHECKING:
    from walletsign_cli.core.box import X25519KeyPair

CONNECT_PREFIX = "connect:"


@dataclass(frozen=True)
class ConnectPlan:
    """A built connect request and what must be stored for its answer."""

    request: deeplink.DeeplinkRequest
    wallet: str | None
    base_url: str
    key_name: str
    keypair: X25519KeyPair
    created: bool
    remembered: dict[str, Any]

    @property
    def request_id(self) -> str:
        """The ``requests`` entry of this connect (it has no nonce)."""
        return connect_request_id(str(self.keypair.public), self.wallet)


def connect_request_id(dapp_public_key: str, wallet: str | None) -> str:
    """``connect:<dapp public key>:<wallet>``; ``decode-redirect`` looks these up."""
    return f"{CONNECT_PREFIX}{dapp_public_key}:{wallet or 'custom'}"


def plan_connect(
    data: Data,
    *,
    wallet: str | None,
    app_url: str,
    redirect_link: str,
    cluster: str,
    key: str,
    base_url: str | None,
) -> ConnectPlan:
    """Validate and build; nothing is written (the key may be new, to store later)."""
    from walletsign_cli.core.box import X25519KeyPair
    from walletsign_cli.keystore import check_name, dapp_keypair, now_iso

    check_name(key, option="--key")
    deeplink.check_url(app_url, option="--app-url")
    deeplink.check_url(redirect_link, option="--redirect-link")
    if base_url is not None:
        base = deeplink.normalize_base_url(base_url)
    else:
        assert wallet is not None  # noqa: S101 - checked by the command
        base = deeplink.WALLETS[wallet].universal_base
    created = key not in data["keys"]
    keypair = X25519KeyPair.generate() if created else dapp_keypair(data, key)
    request = deeplink.build_connect(
        base,
        dapp_public_key=keypair.public,
        app_url=app_url,
        redirect_link=redirect_link,
        cluster=cluster,
    )
    remembered = {
        "method": deeplink.CONNECT,
        "session_name": None,
        "wallet": wallet,
        "redirect_link": redirect_link,
        "created_at": now_iso(),
        "dapp_key": key,
        "dapp_public_key": str(keypair.public),
        "base_url": base,
        "app_url": app_url,
        "cluster": cluster,
    }
    return ConnectPlan(request, wallet, base, key, keypair, created, remembered)


def save_connect(data: Data, plan: ConnectPlan) -> None:
    """Store a new key (first use) and remember the connect request."""
    from walletsign_cli.keystore import put_dapp_keypair

    existing = data["keys"].get(plan.key_name)
    if plan.created:
        if existing is not None:
            raise KeystoreError(
                f"dapp key {plan.key_name!r} was created by another process meanwhile",
                hint="run the command again",
            )
        put_dapp_keypair(data, plan.key_name, plan.keypair)
    data["requests"][plan.request_id] = plan.remembered


@click.command(
    cls=HelpCommand,
    help_groups={
        "Request": ["--wallet", "--app-url", "--redirect-link", "--cluster", "--base-url"],
        "Keystore": ["--key"],
        "Output": ["--qr", "--qr-file", "--json"],
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
    type=click.Choice(deeplink.CLUSTERS),
    default="mainnet-beta",
    show_default=True,
    help="The Solana cluster.",
)
@click.option(
    "--key",
    default="default",
    show_default=True,
    shell_complete=complete_keys,
    help="The dapp keypair (created on first use).",
)
@click.option("--base-url", metavar="URL", help="Another deeplink base, e.g. phantom://v1/.")
@click.option("--qr", is_flag=True, help="Draw a QR code of the URL on stderr.")
@click.option("--qr-file", metavar="PATH", help="Write a QR code of the URL to PATH (.svg, .png).")
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
      walletsign connect-url --base-url phantom://v1/ --wallet phantom \\
          --app-url https://example.com --redirect-link myapp://onConnect --json
      walletsign connect-url --wallet phantom --app-url https://example.com --listen --qr
    """
    from walletsign_cli.cli.output import note
    from walletsign_cli.cli.render import prepare_qr, present_request
    from walletsign_cli.cli.sign_url import request_tables

    if wallet is None and base_url is None:
        raise click.UsageError("missing option '--wallet' (or give --base-url)")
    listener = start_listener(listen, redirect_link, listen_host, listen_port, listen_timeout)
    if listener is not None:
        redirect_link = listener.redirect_link
    assert redirect_link is not None  # noqa: S101 - start_listener refuses neither
    store = env.keystore()
    plan = plan_connect(
        store.load(),
        wallet=wallet,
        app_url=app_url,
        redirect_link=redirect_link,
        cluster=cluster,
        key=key,
        base_url=base_url,
    )
    code = prepare_qr(plan.request.url, qr=qr, qr_file=qr_file)
    with store.transaction() as data:
        save_connect(data, plan)
    if plan.created:
        note(f"created dapp key {key!r} ({plan.keypair.public}) in {store.path}")
    document = {
        "url": plan.request.url,
        "wallet": wallet,
        "method": deeplink.CONNECT,
        "params": plan.request.params_dict,
        "key": key,
    }
    present_request(
        env,
        document,
        tables=request_tables(plan.request),
        warnings=deeplink.url_warnings(plan.request.url),
        qr=code,
        draw_qr=qr,
        qr_file=qr_file,
    )
    if listener is not None:
        await_answer(env, listener, key=key, session=None)
