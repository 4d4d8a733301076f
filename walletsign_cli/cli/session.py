"""What the deeplink commands share: ``--session``, one keystore transaction around the dapp
engine (:mod:`walletsign_cli.protocols.dapp`), and how a built request is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from walletsign_cli import api
from walletsign_cli.cli import render
from walletsign_cli.cli.completion import complete_sessions
from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.qr import QrBeforeSave
from walletsign_cli.protocols import dapp, deeplink
from walletsign_cli.protocols.dapp.report import request_tables

session_option = click.option(
    "--session",
    "session_name",
    metavar="NAME",
    shell_complete=complete_sessions,
    help="The saved session [default: the most recently saved].",
)
"""``--session NAME`` for the commands that send a request in a saved session."""


def send_request(
    env: Environment,
    content: dapp.RequestContent,
    given: Mapping[str, Any],
    *,
    redirect_link: str,
    shown: Sequence[tuple[str, str]] = (),
) -> dapp.RequestPlan:
    """Build the request in one keystore transaction (written with the QR file first, so
    an unwritable ``--qr-file`` changes nothing), then print it. ``given`` is the command's
    parameters: ``session_name``, ``wallet``, ``base_url``, ``qr``, ``qr_file`` and
    ``qr_invert``."""
    base_url = given["base_url"]
    dapp.check_request_options(redirect_link, base_url)
    qr_code = QrBeforeSave.of(given)
    plan = api.request_url(
        env.keystore(),
        content,
        session=given["session_name"],
        wallet=given["wallet"],
        base_url=base_url,
        redirect_link=redirect_link,
        before_save=qr_code,
    )
    render.present_request(env, plan, tables=request_tables(plan.request, shown), qr_code=qr_code)
    return plan


def decode_answer(
    env: Environment, url: str, *, key: str | None, session: str | None, no_save: bool
) -> dapp.RedirectResult:
    """Decode a wallet's answer with :func:`walletsign_cli.api.decode_answer` (one read),
    saving what it establishes unless ``no_save``."""
    # env.keystore, not env.keystore(): an error redirect needs neither the keystore nor its
    # passphrase file.
    result = api.decode_answer(env.keystore, url, key=key, session=session, save=not no_save)
    if no_save and result.method == deeplink.CONNECT and result.status == "approved":
        result.notes.append("the session was not saved (--no-save)")
    return result
