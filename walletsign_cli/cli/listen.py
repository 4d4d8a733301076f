"""``walletsign listen``: serve the redirect link, so a real phone's answer lands here.

Also the small API that ``connect-url --listen`` and ``sign-url --listen`` use::

    with open_listener(host, port, path, timeout) as listener:
        ...build the deeplink with redirect_link=listener.redirect_link, print it...
        url = listener.wait_for_answer(option="--timeout")
        code = finish(env, url, listener=listener, key=..., session=..., no_save=...)

The phone's page reflects the decoded outcome: the listener keeps the answering connection
open, :func:`finish` decodes in this (the main) thread, where the keystore and click context
live, replies "approved" / "rejected: …" / "could not decode" on that connection
(:meth:`~walletsign_cli.listener.Listener.answer`), then prints the result or re-raises. A
connection ``finish`` never answered gets a neutral page when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from walletsign_cli.cli.completion import complete_keys, complete_sessions
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.output import emit, emit_json_line, json_option, note, warn
from walletsign_cli.cli.redirect_report import report
from walletsign_cli.cli.root import report_error
from walletsign_cli.cli.session import decode_answer
from walletsign_cli.errors import WalletsignError
from walletsign_cli.listener import (
    DEFAULT_HOST,
    DEFAULT_PATH,
    DEFAULT_TIMEOUT,
    Listener,
    ListenTimeoutError,
    ParameterNames,
    exposure_warnings,
)
from walletsign_cli.protocols.dapp.options import check_decode_options

LISTEN_NAMES = ParameterNames("--host", "--port", "--path", "--timeout", "--link-host")
"""``listen``'s own options, as its errors name them."""


@contextlib.contextmanager
def open_listener(
    host: str = DEFAULT_HOST,
    port: int = 0,
    path: str = DEFAULT_PATH,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    link_host: str | None = None,
    names: ParameterNames = LISTEN_NAMES,
) -> Iterator[Listener]:
    """Bind a listener (``.redirect_link``, ``.wait()``) and close it when the block ends.

    Binding errors and a ``wait()`` timeout raise :class:`BadInputError` (exit 3). A
    non-loopback ``host`` gets a note on stderr: the phone must reach that address.
    """
    listener = Listener(host, port, path, timeout, link_host=link_host, names=names)
    for text in exposure_warnings(host, link_host, names):
        warn(text)
    with listener:
        yield listener


def finish(
    env: Environment,
    url: str,
    *,
    listener: Listener,
    key: str | None,
    session: str | None,
    no_save: bool,
) -> int:
    """Decode ``url`` exactly as ``decode-redirect`` does, answer the phone on ``listener``,
    print the result.

    Returns decode-redirect's exit code; its errors are re-raised after the phone got the
    "could not decode" page (or "rejected: …" for a wallet error redirect).
    """
    result = listener.answer(
        url, lambda answer: decode_answer(env, answer, key=key, session=session, no_save=no_save)
    )
    return report(env, result)


@click.command(
    cls=HelpCommand,
    help_groups={
        "Server": ["--host", "--port", "--path", "--link-host", "--once", "--timeout"],
        "Keystore": ["--key", "--session", "--no-save"],
        "Output": ["--json"],
    },
)
@click.option(
    "--host",
    metavar="HOST",
    default=DEFAULT_HOST,
    show_default=True,
    help="Address to bind. Another one (a LAN IP, 0.0.0.0) lets a phone on the same network in.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to bind; 0 picks a free one (the printed link shows it).",
)
@click.option(
    "--path",
    metavar="/SUFFIX",
    default=DEFAULT_PATH,
    show_default=True,
    help="Suffix of the link's path, after the random token.",
)
@click.option(
    "--link-host",
    metavar="HOST",
    help="Host to show in the printed link (default: --host), e.g. the LAN IP with 0.0.0.0.",
)
@click.option(
    "--once/--keep-listening",
    default=True,
    help="Stop after the first answer (the default), or decode every answer until "
    "--timeout passes without one or Ctrl-C; the exit code is then the highest of the answers'.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the answer before giving up (exit 3).",
)
@click.option(
    "--key",
    metavar="NAME",
    shell_complete=complete_keys,
    help="Only try this dapp key [default: every stored key] (as decode-redirect).",
)
@click.option(
    "--session",
    metavar="NAME",
    shell_complete=complete_sessions,
    help="Name to save a connect answer under [default: the wallet's name]; for other "
    "answers, only try this session (as decode-redirect).",
)
@click.option("--no-save", is_flag=True, help="Change nothing in the keystore.")
@json_option
@pass_env
def command(
    env: Environment,
    host: str,
    port: int,
    path: str,
    link_host: str | None,
    once: bool,
    timeout: float,
    key: str | None,
    session: str | None,
    no_save: bool,
    as_json: bool,
) -> None:
    """Serve the redirect link and decode the wallet's answer when the phone opens it.

    Prints the link to pass as --redirect-link as the first line of stdout (with --json,
    JSON Lines: {"redirect_link"} first, then the decoded result), waits for the wallet's
    redirect over HTTP, answers the phone with a short page, and decodes the answer exactly
    as decode-redirect does: same output, --json and exit code; a connect answer saves the
    session. Binds 127.0.0.1 on an unguessable path; a real phone needs --host with an
    address it can reach on the same network. --keep-listening serves the same link for
    several answers (each waits up to --timeout), printing each as it arrives.

    \b
    Examples:
      walletsign listen --port 8765
      walletsign listen --port 8765 --keep-listening --timeout 300
      walletsign connect-url --wallet phantom --app-url https://example.com \\
          --redirect-link http://127.0.0.1:8765/TOKEN/cb --qr
      walletsign listen --host 192.168.1.20 --timeout 600 --json
    """
    check_decode_options(key, session, lambda: env.keystore().load())
    with open_listener(host, port, path, timeout, link_host=link_host) as listener:
        if as_json:
            emit_json_line({"redirect_link": listener.redirect_link})
        else:
            emit(listener.redirect_link)
        note(
            f"waiting up to {timeout:g} s for the wallet's answer on that link "
            "(pass it as --redirect-link; Ctrl-C to stop)"
        )
        url = listener.wait_for_answer(option="--timeout")
        note("received an answer")
        if once:
            code = finish(env, url, listener=listener, key=key, session=session, no_save=no_save)
        else:
            code = keep_listening(env, listener, url, key=key, session=session, no_save=no_save)
    if code:
        click.get_current_context().exit(code)


def keep_listening(
    env: Environment,
    listener: Listener,
    url: str,
    *,
    key: str | None,
    session: str | None,
    no_save: bool,
) -> int:
    """``listen --keep-listening``: decode ``url`` (the first answer) and every answer after it
    as :func:`finish` does, an answer that fails printed as its error and the waiting going on,
    until ``--timeout`` passes without a new answer. Returns the highest exit code."""
    highest = 0
    answers = 0
    while True:
        answers += 1
        try:
            code = finish(env, url, listener=listener, key=key, session=session, no_save=no_save)
        except WalletsignError as exc:
            code = report_error(env, exc)
        highest = max(highest, code)
        try:
            url = listener.wait()
        except ListenTimeoutError:
            note(f"no further answer within {listener.timeout:g} s: stopping after {answers}")
            return highest
        note("received an answer")
