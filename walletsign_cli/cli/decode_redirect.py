"""``walletsign decode-redirect``: open what a wallet sent back to the redirect link.

The decoding is :func:`walletsign_cli.protocols.dapp.answer`; the output is
:func:`walletsign_cli.cli.redirect_report.report`, shared with ``listen``.
"""

from __future__ import annotations

import click

from walletsign_cli import api
from walletsign_cli.cli.completion import complete_keys, complete_sessions
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_stdin_bytes
from walletsign_cli.cli.link_output import report_decoded
from walletsign_cli.cli.output import json_option
from walletsign_cli.cli.redirect_report import report
from walletsign_cli.cli.session import decode_answer
from walletsign_cli.errors import BadInputError, WalletsignError
from walletsign_cli.limits import MAX_URL_CHARS
from walletsign_cli.protocols import deeplink
from walletsign_cli.protocols.dapp import links


@click.command(
    cls=HelpCommand,
    help_groups={"Keystore": ["--key", "--session", "--no-save"], "Output": ["--json"]},
)
@click.argument("url", metavar="URL|-")
@click.option(
    "--key",
    metavar="NAME",
    shell_complete=complete_keys,
    help="Only try this dapp key [default: every stored key].",
)
@click.option(
    "--session",
    metavar="NAME",
    shell_complete=complete_sessions,
    help="Name to save a connect answer under [default: the wallet's name]; for other "
    "answers, only try this session.",
)
@click.option("--no-save", is_flag=True, help="Change nothing in the keystore.")
@json_option
@pass_env
def command(
    env: Environment, url: str, key: str | None, session: str | None, no_save: bool, as_json: bool
) -> None:
    """Decode what a wallet sent back to the redirect link.

    A connect answer is decrypted with the dapp key and saved as a session; any other
    answer is opened with the session whose shared secret fits, matched to the request
    sign-url remembered, and a signMessage signature is verified (exit 1 if it does not).
    An error redirect prints the wallet's code and message (exit 4). A browse, fungible or
    swap link (which gets no answer) is shown decoded. '-' reads the URL from stdin;
    whitespace and line breaks from a chat paste are removed.

    \b
    Examples:
      walletsign decode-redirect 'myapp://onConnect?phantom_encryption_public_key=...'
      pbpaste | walletsign decode-redirect - --json
      walletsign decode-redirect "$URL" --session phantom-devnet
      walletsign decode-redirect 'https://phantom.app/ul/browse/https%3A%2F%2Fexample.com?ref=...'
    """
    if url == "-":
        url = _stdin_url()
    if links.link_method(deeplink.clean_pasted_url(url)) is not None:
        report_decoded(env, links.parse_link(url))
        return
    try:
        result = decode_answer(env, url, key=key, session=session, no_save=no_save)
    except WalletsignError as exc:
        explain(env, exc, url)
        raise
    code = report(env, result)
    if code:
        click.get_current_context().exit(code)


def _stdin_url() -> str:
    raw = read_stdin_bytes(MAX_URL_CHARS, "the redirect URL")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError("the redirect URL on standard input is not UTF-8") from None


def explain(env: Environment, exc: WalletsignError, url: str) -> None:
    """Give a failing decode the reasons ``doctor`` finds (its problems, as the hint); the
    exit code stays the error's."""
    try:
        report = api.diagnose(env.keystore(), url, expect_answer=True)
    except WalletsignError:
        return
    found = report.hint(exc.message)
    if found is not None:
        exc.hint = f"{exc.hint}; doctor: {found}" if exc.hint else f"doctor: {found}"
