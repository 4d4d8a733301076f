"""What the root group hands every command: global options and the keystore."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from walletsign_cli.errors import KeystoreError

if TYPE_CHECKING:
    # Imported when a command opens the keystore, so `verify` and `--version` never pay for it.
    from walletsign_cli.keystore import Keystore


class AppContext(NamedTuple):
    """Global options, resolved once by the root group.

    A NamedTuple, not a frozen dataclass: just as immutable, and about a millisecond cheaper
    to define, which every command pays at start-up.
    """

    keystore_option: str | None = None
    no_color: bool = False
    debug: bool = False
    passphrase_file: str | None = None

    @property
    def keystore_path(self) -> Path:
        """``--keystore`` > ``$WALLETSIGN_KEYSTORE`` > the user data dir."""
        from walletsign_cli.keystore import locate

        return locate(self.keystore_option)

    def keystore(self) -> Keystore:
        """The keystore these options point at, with the passphrase if one was given."""
        from walletsign_cli.keystore import Keystore

        return Keystore(self.keystore_path, passphrase=self.passphrase())

    def passphrase(self) -> bytes | None:
        """The first line of ``--passphrase-file`` (read only when the keystore is opened).

        ``None`` leaves the keystore to ``$WALLETSIGN_PASSPHRASE``.
        """
        if self.passphrase_file is None:
            return None
        try:
            with open(self.passphrase_file, "rb") as handle:  # noqa: PTH123 - user path
                first = handle.read(64 * 1024).split(b"\n", 1)[0].removesuffix(b"\r")
        except OSError as exc:
            raise KeystoreError(
                f"--passphrase-file: cannot read {self.passphrase_file}: {exc.strerror}"
            ) from None
        if not first:
            raise KeystoreError(
                f"--passphrase-file: {self.passphrase_file} starts with an empty line"
            )
        return first


def app() -> AppContext:
    """The :class:`AppContext` of the running command (defaults outside a CLI run)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, AppContext):
            return ctx.obj
        ctx = ctx.parent
    return AppContext()
