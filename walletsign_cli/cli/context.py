"""The one environment object the root command builds and every command receives.

The shape httpie uses: the root group makes an :class:`Environment` from the global options
and the process environment, click carries it down as ``ctx.obj``, and each command takes it
with :data:`pass_env`. ``--json`` is resolved into it while the command line is parsed (see
:func:`walletsign_cli.cli.output.json_option`), so the error handler in ``cli.root`` reads
the resolved value instead of scanning argv. Nothing below ``cli/`` looks at click's context.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from walletsign_cli.settings import parse_lock_timeout, read_passphrase_file

if TYPE_CHECKING:
    from walletsign_cli.keystore import Keystore

ENV_DEBUG = "WALLETSIGN_DEBUG"
# The keystore's environment variables: read here, by the CLI, never by the keystore itself
# (walletsign_cli.keystore names them in its hints; tests/test_keystore.py keeps them equal).
ENV_PASSPHRASE = "WALLETSIGN_PASSPHRASE"
ENV_LOCK_TIMEOUT = "WALLETSIGN_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


class Environment:
    """Global options and what the process environment says, resolved once.

    ``as_json`` starts False and is set when a command's ``--json`` is parsed; the error
    handler reads it after the command has run (or failed). (A plain class: a dataclass
    compiles its methods at import, and every command's start-up imports this module.)
    """

    __slots__ = ("as_json", "debug", "keystore_option", "no_color", "passphrase_file")

    def __init__(
        self,
        keystore_option: str | None = None,
        passphrase_file: str | None = None,
        no_color: bool = False,
        debug: bool = False,
        as_json: bool = False,
    ) -> None:
        self.keystore_option = keystore_option
        self.passphrase_file = passphrase_file
        self.no_color = no_color
        self.debug = debug
        self.as_json = as_json

    def __repr__(self) -> str:
        # No passphrase is held here, only the file's name: safe to show.
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Environment({fields})"

    @classmethod
    def from_process(cls) -> Environment:
        """The defaults before the global options are parsed (``WALLETSIGN_DEBUG`` read)."""
        return cls(debug=_env_flag(ENV_DEBUG))

    @property
    def keystore_path(self) -> Path:
        """``--keystore`` > ``$WALLETSIGN_KEYSTORE`` > the user data dir."""
        locate, _ = _keystore_api()
        return locate(self.keystore_option)

    @property
    def color(self) -> bool:
        """Colour is allowed (no ``--no-color``, no ``NO_COLOR``); the terminal decides the rest."""
        return not (self.no_color or os.environ.get("NO_COLOR"))

    def keystore(self) -> Keystore:
        """The keystore these options point at, with the passphrase and lock timeout given."""
        _, keystore = _keystore_api()
        return keystore(
            self.keystore_path, passphrase=self.passphrase(), lock_timeout=lock_timeout()
        )

    def passphrase(self) -> bytes | None:
        """``--passphrase-file``'s first line, else ``$WALLETSIGN_PASSPHRASE``, else None."""
        if self.passphrase_file is None:
            value = os.environ.get(ENV_PASSPHRASE)
            return value.encode("utf-8") if value else None
        return read_passphrase_file(self.passphrase_file)


def lock_timeout() -> float:
    """``$WALLETSIGN_LOCK_TIMEOUT`` in seconds (default 10); anything else is exit 5."""
    raw = os.environ.get(ENV_LOCK_TIMEOUT)
    return parse_lock_timeout(raw, name=ENV_LOCK_TIMEOUT, default=DEFAULT_LOCK_TIMEOUT)


pass_env = click.make_pass_decorator(Environment)
"""Decorator: the command receives the :class:`Environment` as its first argument."""


def current_env(ctx: click.Context | None) -> Environment | None:
    """The environment of ``ctx`` (for option callbacks and completion, which get a ctx)."""
    return ctx.find_object(Environment) if ctx is not None else None


def _keystore_api() -> tuple[Callable[[str | None], Path], type[Keystore]]:
    """:func:`walletsign_cli.keystore.locate` and :class:`~walletsign_cli.keystore.Keystore`,
    imported only by the commands that open the keystore (with the typed document and sealing
    under it): --version and verify never pay for it."""
    from walletsign_cli.keystore import Keystore, locate

    return locate, Keystore
