"""How the unencrypted links (browse, fungible, swap) are shown: built, decoded or opened.

The links are :mod:`walletsign_cli.protocols.dapp.links`; this module only prints them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from walletsign_cli.cli import render
from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.output import emit, emit_json, json_option, note, warn
from walletsign_cli.cli.qr import QrBeforeSave, qr_options
from walletsign_cli.protocols.dapp import links
from walletsign_cli.text import aligned

F = TypeVar("F", bound=Callable[..., Any])


def link_options(func: F) -> F:
    """``--qr``, ``--qr-invert``, ``--qr-file`` and ``--json`` of the link commands."""
    for option in reversed(
        [
            qr_options,
            json_option,
        ]
    ):
        func = option(func)
    return func


def present_link(env: Environment, link: links.Link, given: Mapping[str, Any]) -> None:
    """A built link on stdout (or its JSON document); its length warning, parameters and QR
    code on stderr. ``given`` is the command's parameters (``qr``, ``qr_invert``,
    ``qr_file``); an unwritable ``--qr-file`` fails before anything is printed."""
    qr_code = QrBeforeSave.of(given)
    qr_code.prepare(link.url)
    for text in link.warnings():
        warn(text)
    if env.as_json:
        emit_json(link.to_json())
    else:
        emit(link.url)
        render.show_tables(env, [(f"{link.method} link", links.link_rows(link))])
    qr_code.show()


def report_decoded(env: Environment, link: links.Link) -> None:
    """``decode-redirect`` of a link: what it asks for (there is no answer to decode)."""
    if env.as_json:
        emit_json(links.decoded(link))
    else:
        for line in aligned(links.link_rows(link)):
            emit(line)
    for text in links.link_notes(link):
        note(text)


def report_opened(link: links.Link, wallet_name: str, *, as_json: bool) -> None:
    """``simulate`` of a link: what the wallet opens on stdout; no redirect, no state."""
    if as_json:
        emit_json(
            {
                "redirect": None,
                "method": link.method,
                "request": link.values,
                "status": "opened",
                "wallet": link.wallet,
                "wallet_name": wallet_name,
                "opens": link.opens,
            }
        )
    else:
        emit(link.opens)
        who = link.wallet or "an unnamed wallet"
        note(f"simulated {who} (wallet {wallet_name!r}) got {link.method}")
        note(f"the wallet {link.describe()}; it sends no answer")
    for text in link.notes:
        note(text)
