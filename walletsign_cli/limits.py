"""Documented caps on input sizes, refused at once (exit 3) instead of a long hang.

Real deeplinks are far smaller: iOS is comfortable under ~1,500 characters, and Android fails
above ~500 KB (Phantom's limitations page). The caps leave room for anything real.
"""

from __future__ import annotations

from walletsign_cli.errors import InputTooLargeError

MAX_URL_CHARS = 1_000_000
"""A redirect or deeplink URL (about twice Android's ~500 KB binder limit)."""

MAX_PAYLOAD_BYTES = 1_000_000
"""A decrypted payload, an encrypted ``data``/``payload`` parameter, or a JSON document."""

MAX_MESSAGE_BYTES = 1_000_000
"""A message to sign or verify."""

MAX_BATCH_LINE_BYTES = 1_000_000
"""One line of a ``verify --batch`` input."""


def check_size(size: int, limit: int, what: str) -> None:
    """Raise :class:`InputTooLargeError` naming ``what`` when ``size`` exceeds ``limit``."""
    if size > limit:
        raise InputTooLargeError(
            f"{what} is {size:,} bytes, over the {limit:,}-byte limit",
            hint="real wallet requests are far smaller; check what was pasted",
        )


def check_read(size: int, limit: int, what: str) -> None:
    """Like :func:`check_size` for input read with a ``limit + 1`` cap: the true size is unknown."""
    if size > limit:
        raise InputTooLargeError(
            f"{what} is over the {limit:,}-byte limit",
            hint="real wallet requests are far smaller; check what was passed",
        )
