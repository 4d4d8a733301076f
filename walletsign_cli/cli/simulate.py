"""``walletsign simulate``: play the wallet for a Phantom-style deeplink, with no phone."""

from __future__ import annotations

import json
from typing import Any

import click

from walletsign_cli import api
from walletsign_cli.cli.completion import complete_wallets
from walletsign_cli.cli.context import Environment, pass_env
from walletsign_cli.cli.help import HelpCommand
from walletsign_cli.cli.inputs import read_text_arg
from walletsign_cli.cli.link_output import report_opened
from walletsign_cli.cli.output import emit, emit_json, json_option, note, warn
from walletsign_cli.cli.render import shown_message
from walletsign_cli.core import base58
from walletsign_cli.errors import BadInputError
from walletsign_cli.limits import MAX_URL_CHARS, check_size
from walletsign_cli.protocols import deeplink, simulator
from walletsign_cli.protocols.dapp import links
from walletsign_cli.protocols.simulator import FAULTS, Answer
from walletsign_cli.protocols.state import check_name

MAX_ERROR_MESSAGE_CHARS = 4096


@click.command(
    cls=HelpCommand,
    help_groups={
        "Answer": ["--reject", "--error-message", "--wallet", "--fault"],
        "Keystore": ["--wallet-name"],
        "Output": ["--json"],
    },
)
@click.argument("url", metavar="URL|-")
@click.option(
    "--reject",
    metavar="CODE",
    type=int,
    help="Press Reject: answer with this wallet error code (4001 user rejected, -32603 ...).",
)
@click.option(
    "--error-message", metavar="TEXT", help="With --reject: the errorMessage [default: per code]."
)
@click.option(
    "--wallet-name",
    default="sim",
    show_default=True,
    metavar="NAME",
    shell_complete=complete_wallets,
    help="The simulated wallet's state in the keystore (its account key, its dapps).",
)
@click.option(
    "--wallet",
    type=click.Choice(deeplink.WALLET_NAMES),
    help="Answer as this wallet [default: from the URL's host or scheme; else the generic "
    "wallet_encryption_public_key].",
)
@click.option(
    "--fault",
    type=click.Choice(list(FAULTS)),
    help="Answer wrongly on purpose, to reproduce a failure: "
    + "; ".join(f"{name}: {text}" for name, text in FAULTS.items())
    + ".",
)
@json_option
@pass_env
def command(
    env: Environment,
    url: str,
    reject: int | None,
    error_message: str | None,
    wallet_name: str,
    wallet: str | None,
    fault: str | None,
    as_json: bool,
) -> None:
    """Play the wallet: answer a Phantom-style deeplink, print the redirect.

    connect gets a fresh wallet key and a session signed by the simulated account;
    signMessage, signTransaction, signAllTransactions and signAndSendTransaction are
    signed (nothing is ever sent to a network); disconnect forgets the dapp key. An unknown
    dapp key, a bad session or a malformed payload gets the wallet's error redirect. A
    browse, fungible or swap link is opened: what the wallet shows goes to stdout, and
    nothing changes (there is no answer).

    \b
    Examples:
      walletsign simulate "$(walletsign connect-url --wallet phantom \\
          --app-url https://example.com --redirect-link myapp://onConnect)"
      walletsign sign-url --redirect-link myapp://onSign --message hi | walletsign simulate -
      walletsign simulate --reject 4001 'https://phantom.app/ul/v1/signMessage?...'
      walletsign simulate --json --wallet-name ci-wallet "$URL"
      walletsign simulate --fault add-instruction "$SIGN_TRANSACTION_URL"
      walletsign browse-url https://example.com --ref https://example.com --wallet phantom \\
          | walletsign simulate -
    """
    check_options(reject, error_message, wallet_name)
    text = read_text_arg(url, MAX_URL_CHARS, "URL")
    if links.link_method(deeplink.clean_pasted_url(text)) is not None:
        if reject is not None or fault is not None:
            raise click.UsageError("--reject and --fault answer requests; a link gets no answer")
        report_opened(simulator.open_link(text, wallet=wallet), wallet_name, as_json=as_json)
        return
    answer = api.simulate_wallet(
        env.keystore(),
        text,
        wallet_name=wallet_name,
        wallet=wallet,
        reject=reject,
        error_message=error_message,
        fault=fault,
    )
    report(answer, wallet_name, as_json=as_json)


def check_options(reject: int | None, error_message: str | None, wallet_name: str) -> None:
    """Refuse option values before any input is read or the keystore is opened."""
    if error_message is not None and reject is None:
        raise click.UsageError("--error-message goes with --reject CODE")
    check_name(wallet_name, option="--wallet-name")
    if reject is not None and reject not in deeplink.ERROR_CODES:
        known = ", ".join(str(code) for code in deeplink.ERROR_CODES)
        raise BadInputError(
            f"--reject {reject} is not a wallet error code",
            hint=f"use one of the wallets' codes: {known}",
        )
    if error_message is not None:
        deeplink.check_text(error_message, "--error-message")
        check_size(len(error_message), MAX_ERROR_MESSAGE_CHARS, "--error-message")


def document(answer: Answer, wallet_name: str) -> dict[str, Any]:
    """The ``--json`` document: the SPEC's keys, then what else a script may want."""
    request = answer.request
    doc: dict[str, Any] = {
        "redirect": answer.redirect,
        "method": request.method,
        "request": answer.payload,
        "status": answer.status,
        "wallet": request.wallet,
        "wallet_name": wallet_name,
    }
    if answer.account is not None:
        doc["public_key"] = answer.account
    if answer.status == "rejected":
        doc["error_code"] = answer.error_code
        doc["error_name"] = answer.error_name
        doc["error_message"] = answer.error_message
    else:
        if request.method == deeplink.CONNECT:
            doc["key_param"] = request.key_param
        if answer.data is not None:
            doc["data"] = answer.data
    if answer.sent is not None:
        doc["sent"] = answer.sent
    if answer.send_options is not None:
        doc["send_options"] = answer.send_options
    return doc


def report(answer: Answer, wallet_name: str, *, as_json: bool) -> None:
    """The redirect (or the JSON document) on stdout; what was asked and done on stderr."""
    for text in deeplink.url_warnings(answer.redirect):
        warn(f"the redirect: {text}")
    if as_json:
        emit_json(document(answer, wallet_name))
    else:
        emit(answer.redirect)
        for line in describe(answer, wallet_name):
            note(line)
    for text in answer.notes:
        note(text)


def describe(answer: Answer, wallet_name: str) -> list[str]:
    """What the dapp asked, in a few human lines."""
    request = answer.request
    payload = answer.payload
    who = request.wallet or "an unnamed wallet"
    lines = [f"simulated {who} (wallet {wallet_name!r}) got {request.method}"]
    if request.method == deeplink.CONNECT:
        lines.append(
            f"  from app {payload.get('app_url', '?')} on {payload.get('cluster', 'mainnet-beta')}"
            f", dapp key {payload.get(deeplink.DAPP_KEY_PARAM, '?')}"
        )
    elif request.method == deeplink.SIGN_MESSAGE and isinstance(payload.get("message"), str):
        try:
            raw = base58.decode(payload["message"], name="message")
        except ValueError:
            raw = b""
        display = payload.get("display")
        shown = shown_message(raw, display if isinstance(display, str) else None)
        lines.append(f"  message ({len(raw)} bytes): {shown}")
    elif isinstance(payload.get("transactions"), list):
        lines.append(f"  {len(payload['transactions'])} transactions")
    elif isinstance(payload.get("transaction"), str):
        lines.append("  1 transaction")
    if answer.send_options is not None:
        lines.append(f"  sendOptions {json.dumps(answer.send_options, ensure_ascii=False)}")
    if answer.account is not None:
        lines.append(f"  account {answer.account}")
    if answer.status == "rejected":
        lines.append(
            f"answered with error {answer.error_code} {answer.error_name}: {answer.error_message}"
        )
    elif request.method == deeplink.DISCONNECT:
        lines.append("approved: the dapp key was forgotten")
    else:
        lines.append("approved")
    return lines
