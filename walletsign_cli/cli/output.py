"""Output helpers: the artefact on stdout, everything else on stderr, ``--json`` in one place.

Human text never goes through rich markup unless a renderer asks for it explicitly, so text a
user supplied (a message, an error message from a wallet) is printed as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from walletsign_cli.cli.context import Environment, current_env
from walletsign_cli.core.encoding import to_json
from walletsign_cli.text import printable

F = TypeVar("F", bound=Callable[..., Any])

PROG = "walletsign"


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


def emit(text: str) -> None:
    """The command's artefact (a URL, a key, an address) on stdout."""
    click.echo(text)


def emit_json(document: Any) -> None:
    """One JSON document on stdout."""
    click.echo(to_json(document))


def emit_json_line(document: Any) -> None:
    """One JSON Lines record on stdout, flushed at once (for streaming)."""
    sys.stdout.write(to_json(document) + "\n")
    sys.stdout.flush()


def note(text: str) -> None:
    """A note for a human on stderr."""
    click.echo(f"{PROG}: {printable(text)}", err=True)


def error(message: str, hint: str | None = None) -> None:
    """``walletsign: error: …`` and, when there is one, ``walletsign: hint: …`` on stderr."""
    click.echo(f"{PROG}: error: {printable(message)}", err=True)
    if hint:
        click.echo(f"{PROG}: hint: {printable(hint)}", err=True)


def warn(text: str) -> None:
    """A warning on stderr."""
    click.echo(f"{PROG}: warning: {printable(text)}", err=True)


def stderr_is_terminal() -> bool:
    """True when stderr is an interactive terminal."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def color_enabled(env: Environment) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` or ``--no-color``."""
    return env.color and stderr_is_terminal()
