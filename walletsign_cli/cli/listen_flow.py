"""``--listen`` for ``connect-url`` and ``sign-url``: serve the redirect link, wait here.

The options and the flow; the listener and the decoding are ``walletsign listen``'s
(:mod:`walletsign_cli.cli.listen`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.listen import finish, open_listener
from walletsign_cli.cli.output import note
from walletsign_cli.listener import DEFAULT_HOST, DEFAULT_TIMEOUT, Listener, ParameterNames
from walletsign_cli.protocols.dapp.options import check_answer_options

F = TypeVar("F", bound=Callable[..., Any])

# The --help heading and options that listen_options adds, for HelpCommand's help_groups.
LISTEN_HELP_GROUP = "Wait for the answer here"
LISTEN_OPTIONS = ["--listen", "--listen-host", "--listen-port", "--listen-timeout"]
# --listen serves on the default path; it has no --listen-path or link-host option.
_LISTEN_NAMES = ParameterNames("--listen-host", "--listen-port", "path", "--listen-timeout")


def listen_options(func: F) -> F:
    """``--listen`` and its settings, for the commands that build a deeplink."""
    func = click.option(
        "--listen-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        metavar="S",
        help="With --listen: give up after S seconds (exit 3).",
    )(func)
    func = click.option(
        "--listen-host",
        default=DEFAULT_HOST,
        show_default=True,
        metavar="H",
        help="With --listen: the address to serve on; a phone needs this machine's LAN "
        "address (same network).",
    )(func)
    func = click.option(
        "--listen-port",
        type=click.IntRange(0, 65535),
        default=0,
        show_default=True,
        metavar="P",
        help="With --listen: the port (0: any free port).",
    )(func)
    return click.option(
        "--listen",
        is_flag=True,
        help="Serve the redirect link here and wait for the wallet's answer (as walletsign "
        "listen), instead of --redirect-link.",
    )(func)


def start_listener() -> tuple[Listener | None, str]:
    """The listener for the command's ``--listen`` (closed when the command ends), or None
    without it; and the redirect link the request names (the listener's, or --redirect-link)."""
    ctx = click.get_current_context()
    given = ctx.params
    check_answer_options(given["listen"], given["redirect_link"])
    if not given["listen"]:
        return None, given["redirect_link"]
    served = open_listener(
        host=given["listen_host"],
        port=given["listen_port"],
        timeout=given["listen_timeout"],
        names=_LISTEN_NAMES,
    )
    listener: Listener = ctx.with_resource(served)
    return listener, listener.redirect_link


def await_answer(
    env: Environment, listener: Listener, *, key: str | None, session: str | None
) -> None:
    """Wait for the wallet's answer on ``listener``, decode it as decode-redirect, exit so."""
    note(
        f"waiting up to {listener.timeout:g} s for the wallet's answer on "
        f"{listener.redirect_link} (Ctrl-C to stop)"
    )
    url = listener.wait_for_answer(option="--listen-timeout")
    note("received an answer")
    code = finish(env, url, listener=listener, key=key, session=session, no_save=False)
    if code:
        click.get_current_context().exit(code)
