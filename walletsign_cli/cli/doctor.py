"""``walletsign doctor``: say why a wallet flow fails, check by check.

The checks are :func:`walletsign_cli.api.diagnose`; this module parses and renders them.
"""

from __future__ import annotations

import click

from walletsign_cli import api
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_text_arg
from walletsign_cli.cli.output import emit, emit_json, json_option
from walletsign_cli.limits import MAX_URL_CHARS
from walletsign_cli.protocols.diagnosis import Check, Report

MARKS = {"ok": "ok", "warning": "warning", "problem": "PROBLEM"}
COLORS = {"ok": "green", "warning": "yellow", "problem": "red"}


@click.command(
    cls=HelpCommand,
    help_groups={"Keystore": ["--no-keystore"], "Output": ["--json"]},
)
@click.argument("url", metavar="URL|-")
@click.option(
    "--no-keystore",
    is_flag=True,
    help="Do not open the keystore: only what the URL itself tells (as support staff see it).",
)
@json_option
@pass_env
def command(env: Environment, url: str, no_keystore: bool, as_json: bool) -> None:
    """Say why a flow fails: every check of a request deeplink or a wallet's answer.

    Paste anything: the deeplink connect-url or sign-url printed, or the URL the wallet
    opened (an error redirect, a connect answer, a session answer), even inside quotes,
    backticks, angle brackets or a markdown link, wrapped over lines, HTML-escaped or
    percent-encoded. Without a keystore (or with --no-keystore) it says what the URL alone
    tells: wallet, method, error code and name, key, lengths. With the keystore that built
    the request it also decrypts, matches the answer to its request and verifies it. A
    pasted key (a keypair as a JSON byte array, an ed25519: prefix) is recognised too.
    Nothing is saved. Exit 0 with no problem, 3 with one. '-' reads the URL from stdin.
    --json: {"checks": [{"id", "status", "message", "hint"}], "problems": N, "warnings": N}.

    \b
    Examples:
      walletsign doctor 'myapp://onSign?errorCode=-32603&errorMessage=Unexpected+error'
      pbpaste | walletsign doctor - --json
      walletsign doctor --no-keystore "$REDIRECT_FROM_A_USER"
    """
    text = read_text_arg(url, MAX_URL_CHARS, "URL")
    report = api.diagnose(None if no_keystore else env.keystore(), text)
    if as_json:
        emit_json(report.to_json())
    else:
        show(report, color=env.color)
    if report.exit_code:
        click.get_current_context().exit(report.exit_code)


def show(report: Report, *, color: bool) -> None:
    """One line per check (status, id, reason), its hint below, then the counts."""
    width = max((len(c.id) for c in report.checks), default=0)
    for check in report.checks:
        mark, text = line(check, width, color=color)
        emit(text, lead=mark)
        if check.hint and check.status != "ok":
            emit(f"{'':9} {'':{width}}  hint: {check.hint}")
    emit(f"{report.problems} problem(s), {report.warnings} warning(s)")


def line(check: Check, width: int, *, color: bool) -> tuple[str, str]:
    """``STATUS`` (coloured when allowed) and ``id  message``: emit escapes the message, the
    colour codes are the mark's own."""
    mark = f"{MARKS[check.status]:9}"
    if color:
        mark = click.style(mark, fg=COLORS[check.status])
    return f"{mark} ", f"{check.id:{width}}  {check.message}"
