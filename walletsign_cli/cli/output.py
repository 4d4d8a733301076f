"""Output helpers: the artefact on stdout, everything else on stderr, ``--json`` in one place.

Human text never goes through rich markup unless a renderer asks for it explicitly, so text a
user supplied (a message, an error message from a wallet) is printed literally. Every line
written here goes through :func:`shown`: control, bidirectional and other unsafe characters
(the rule of :mod:`walletsign_cli.core.encoding`) are written as escapes (``\\x1b``,
``\\u202e``), and the first time a run has to escape anything, one note says so. JSON is
:func:`~walletsign_cli.core.encoding.to_json`'s, with the same characters as JSON escapes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from walletsign_cli.cli.context import Environment, current_env
from walletsign_cli.core.encoding import to_json
from walletsign_cli.text import printable, printable_block

F = TypeVar("F", bound=Callable[..., Any])

PROG = "walletsign"
ESCAPED_NOTE = (
    "the output contains control or bidirectional characters: "
    "they are shown as escapes such as \\x1b or \\u202e, never raw"
)


class _Run:
    """What this run of the CLI has already said (reset by :func:`begin_run`)."""

    noted_escapes = False


def begin_run() -> None:
    """A new command line: the escaping note may be said again (once)."""
    _Run.noted_escapes = False


def shown(text: str, *, block: bool = False, note_text: str = ESCAPED_NOTE) -> str:
    """``text`` as a person may see it (:func:`~walletsign_cli.text.printable`, or
    :func:`~walletsign_cli.text.printable_block` for a ``block`` of lines); the first time a
    run changes a text, ``note_text`` goes to stderr first."""
    safe = printable_block(text) if block else printable(text)
    if safe != text and not _Run.noted_escapes:
        _Run.noted_escapes = True
        click.echo(f"{PROG}: {note_text}", err=True)
    return safe


def _resolve_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    # Eager: resolved before any other option is checked, so even their errors honour it.
    env = current_env(ctx)
    if env is not None and value:
        env.as_json = True
    return value


def json_option(func: F) -> F:
    """The ``--json`` flag every subcommand takes (parameter name ``as_json``).

    Parsing it records the choice in the :class:`Environment`, where the error handler
    reads it.
    """
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        is_eager=True,
        callback=_resolve_json,
        help="Print one JSON document on stdout instead of text.",
    )(func)


def emit(text: str, *, lead: str = "") -> None:
    """The command's artefact (a URL, a key, an address) on stdout, on one line; ``lead``
    is walletsign's own text before it (a coloured mark), written as it is."""
    click.echo(lead + shown(text))


def emit_text(text: str) -> None:
    """Text a user asked for as it is (a decrypted plaintext) on stdout: exact on a file or
    a pipe; on a terminal its lines and tabs kept, every other unsafe character escaped (with
    a note), and the last line ended."""
    if not stdout_is_terminal():
        click.echo(text, nl=False)
        return
    safe = shown(
        text,
        block=True,
        note_text="the plaintext contains control or bidirectional characters: on a terminal "
        "they are shown as escapes such as \\x1b or \\u202e; redirect stdout to a file for "
        "the exact text",
    )
    click.echo(safe, nl=not safe.endswith("\n"))


def emit_json(document: Any) -> None:
    """One JSON document on stdout."""
    click.echo(to_json(document))


def emit_json_line(document: Any) -> None:
    """One JSON Lines record on stdout, flushed at once (for streaming)."""
    sys.stdout.write(to_json(document) + "\n")
    sys.stdout.flush()


def note(text: str) -> None:
    """A note for a human on stderr."""
    click.echo(f"{PROG}: {shown(text)}", err=True)


def error(message: str, hint: str | None = None) -> None:
    """``walletsign: error: …`` and, when there is one, ``walletsign: hint: …`` on stderr."""
    click.echo(f"{PROG}: error: {shown(message)}", err=True)
    if hint:
        click.echo(f"{PROG}: hint: {shown(hint)}", err=True)


def warn(text: str) -> None:
    """A warning on stderr."""
    click.echo(f"{PROG}: warning: {shown(text)}", err=True)


def stdout_is_terminal() -> bool:
    """True when stdout is an interactive terminal (nobody is parsing it)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def stderr_is_terminal() -> bool:
    """True when stderr is an interactive terminal."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def color_enabled(env: Environment) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` or ``--no-color``."""
    return env.color and stderr_is_terminal()
