"""What the root group hands every command: global options and the keystore."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from walletsign_cli.keystore import Keystore, locate


@dataclass(frozen=True)
class AppContext:
    """Global options, resolved once by the root group."""

    keystore_option: str | None = None
    no_color: bool = False
    debug: bool = False

    @property
    def keystore_path(self) -> Path:
        """``--keystore`` > ``$WALLETSIGN_KEYSTORE`` > the user data dir."""
        return locate(self.keystore_option)

    def keystore(self) -> Keystore:
        """The keystore these options point at."""
        return Keystore(self.keystore_path)


def app() -> AppContext:
    """The :class:`AppContext` of the running command (defaults outside a CLI run)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, AppContext):
            return ctx.obj
        ctx = ctx.parent
    return AppContext()
