"""Drawing for humans on stderr: tables, verdicts (rich) and QR codes (qrcode).

rich and qrcode are imported inside the functions that draw, so commands that never draw do
not pay for them. Nothing is drawn when stderr is not a terminal. Text from users or wallets
is always passed as ``rich.text.Text`` (never as markup: ``[bold]`` and ``[link=...]`` stay
literal) with its unsafe characters escaped by ``output.shown`` (one note says so), and every
console is built by :func:`stderr_console`, so ``NO_COLOR`` and ``--no-color`` turn every
style off at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from walletsign_cli.cli.context import Environment
from walletsign_cli.cli.output import (
    color_enabled,
    emit,
    emit_json,
    shown,
    stderr_is_terminal,
    stdout_is_terminal,
    warn,
)
from walletsign_cli.text import Tone
from walletsign_cli.text import shown_message as _shown_message

if TYPE_CHECKING:
    from rich.console import Console

    from walletsign_cli.cli.qr import QrBeforeSave
    from walletsign_cli.protocols.dapp import ConnectPlan, RequestPlan

Rows = Sequence[tuple[str, str]]

shown_message = _shown_message
"""A message as the wallet shows it (:func:`walletsign_cli.text.shown_message`)."""

_TONES: dict[str, tuple[str, str]] = {
    "good": ("✔", "bold green"),
    "bad": ("✘", "bold red"),
    "unknown": ("?", "bold yellow"),
}


def stderr_console(env: Environment) -> Console:
    """The one way to draw on stderr: colour only when :func:`color_enabled` says so.

    Without colour the console has no colour system at all, so not even bold or underline
    codes are written (rich's own ``no_color`` keeps those).
    """
    from rich.console import Console

    colour = color_enabled(env)
    return Console(
        file=sys.stderr,
        color_system="auto" if colour else None,
        no_color=not colour,
        force_terminal=True if colour else None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


def interactive() -> bool:
    """Both stdout and stderr are a terminal: a person is reading, no program is parsing."""
    return stdout_is_terminal() and stderr_is_terminal()


def show_tables(
    env: Environment,
    tables: Sequence[tuple[str, Rows]],
    *,
    verdict: tuple[Tone, str] | None = None,
) -> None:
    """Two-column tables on stderr (then a coloured verdict), only when stderr is a terminal."""
    if not stderr_is_terminal() or not (tables or verdict):
        return
    from rich.text import Text

    console = stderr_console(env)
    for title, rows in tables:
        if rows:
            console.print()
            _print_table(console, title, rows, Text)
    if verdict is not None:
        tone, text = verdict
        mark, style = _TONES[tone]
        console.print()
        console.print(Text(f"{mark} {shown(text)}", style=style))


def _print_table(console: Any, title: str, rows: Rows, text_type: Any) -> None:
    """One two-column table whose values are never wrapped, cut or padded, so a value copied
    from the terminal is the value: a row too wide for the terminal gets its name on one
    line and its value alone on the next, from the first column."""
    named = [(shown(name), shown(value)) for name, value in rows]
    width = max(len(name) for name, _ in named)
    console.print(text_type(shown(title), style="bold"))
    for name, value in named:
        if 2 + width + 2 + len(value) <= console.width and "\n" not in value:
            line = text_type.assemble(("  " + name.ljust(width), "cyan"), "  ", value)
            console.print(line, soft_wrap=True, crop=False)
        else:
            console.print(text_type("  " + name, style="cyan"))
            console.print(text_type(value), soft_wrap=True, crop=False)


# -- a built request, for humans or --json ---------------------------------------------------


def present_request(
    env: Environment,
    plan: ConnectPlan | RequestPlan,
    *,
    tables: Sequence[tuple[str, Rows]],
    qr_code: QrBeforeSave,
) -> None:
    """The URL (or the JSON document) on stdout; warnings, tables and the QR code (made by
    ``qr_code`` as the plan was saved) on stderr."""
    for text in plan.warnings():
        warn(text)
    document = plan.to_json()
    if env.as_json:
        emit_json(document)
    else:
        emit(str(document["url"]))
        show_tables(env, tables)
    qr_code.show()
