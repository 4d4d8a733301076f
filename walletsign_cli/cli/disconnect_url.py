"""``walletsign disconnect-url``: the encrypted ``disconnect`` deeplink of a session."""

from __future__ import annotations

import click

from walletsign_cli.cli.completion import complete_sessions
from walletsign_cli.cli.output import json_option
from walletsign_cli.protocols import deeplink


@click.command()
@click.option(
    "--redirect-link", required=True, metavar="URL", help="Where the wallet sends its answer."
)
@click.option(
    "--session",
    "session_name",
    metavar="NAME",
    shell_complete=complete_sessions,
    help="The saved session [default: the most recently saved].",
)
@click.option(
    "--wallet",
    type=click.Choice(deeplink.WALLET_NAMES),
    help="The wallet [default: the session's].",
)
@click.option("--base-url", metavar="URL", help="Another deeplink base, e.g. phantom://v1/.")
@click.option("--qr", is_flag=True, help="Draw a QR code of the URL on stderr.")
@click.option("--qr-file", metavar="PATH", help="Write a QR code of the URL to PATH (.svg, .png).")
@json_option
def command(
    redirect_link: str,
    session_name: str | None,
    wallet: str | None,
    base_url: str | None,
    qr: bool,
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
    from walletsign_cli.cli.context import app
    from walletsign_cli.cli.render import prepare_qr, present_request
    from walletsign_cli.cli.sign_url import (
        base_url_for,
        remember_request,
        request_tables,
        resolve_session,
    )

    deeplink.check_url(redirect_link, option="--redirect-link")
    if base_url is not None:
        deeplink.normalize_base_url(base_url)
    store = app().keystore()
    session = resolve_session(store.load(), session_name)
    base = base_url_for(session, wallet, base_url)
    used_wallet = wallet or session.wallet
    request = deeplink.build_encrypted(
        base,
        deeplink.DISCONNECT,
        deeplink.disconnect_payload(session.token),
        dapp_public_key=session.dapp.public,
        shared=session.shared,
        redirect_link=redirect_link,
    )
    code = prepare_qr(request.url, qr=qr, qr_file=qr_file)
    with store.transaction() as data:
        remember_request(data, request, session, used_wallet, redirect_link, {})
    document = {
        "url": request.url,
        "wallet": used_wallet,
        "method": deeplink.DISCONNECT,
        "session_name": session.name,
        "params": request.params_dict,
        "payload": request.payload,
    }
    present_request(
        document,
        as_json=as_json,
        tables=request_tables(request),
        warnings=deeplink.url_warnings(request.url),
        qr=code,
        draw_qr=qr,
        qr_file=qr_file,
    )
